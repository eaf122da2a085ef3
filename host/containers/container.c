/* container.c - the container collection (see container.h). */
#include "containers/container.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct gone {
	struct gh_container *c;
	uint64_t since_ms;
};

struct listener {
	gh_container_cb cb;
	void *ctx;
};

struct gh_containers {
	struct gh_container **live;
	size_t n_live;
	struct gone *gone;
	size_t n_gone;
	struct listener *listeners;
	size_t n_listeners;
	gh_container_sync_fn sync;
	void *sync_ctx;
	/* the last mntns looked up, found or not: events come in runs from
	 * one process, and each event asks once per container field */
	bool cache_valid;
	uint64_t cache_mntns;
	const struct gh_container *cache;
};

struct gh_container *gh_container_new(const char *id)
{
	struct gh_container *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->id = strdup(id);
	if (!c->id) {
		free(c);
		return NULL;
	}
	return c;
}

void gh_container_free(struct gh_container *c)
{
	if (!c)
		return;
	free(c->id);
	free(c->name);
	free(c->runtime);
	free(c->image);
	free(c->k8s_namespace);
	free(c->k8s_pod);
	free(c->k8s_container);
	free(c->k8s_pod_uid);
	free(c->k8s_labels);
	free(c->bundle);
	free(c->source);
	free(c);
}

int gh_container_set(char **field, const char *value)
{
	char *copy = NULL;

	if (value) {
		copy = strdup(value);
		if (!copy)
			return -ENOMEM;
	}
	free(*field);
	*field = copy;
	return 0;
}

int gh_containers_new(struct gh_containers **out)
{
	*out = calloc(1, sizeof(**out));
	return *out ? 0 : -ENOMEM;
}

void gh_containers_free(struct gh_containers *cc)
{
	if (!cc)
		return;
	for (size_t i = 0; i < cc->n_live; i++)
		gh_container_free(cc->live[i]);
	for (size_t i = 0; i < cc->n_gone; i++)
		gh_container_free(cc->gone[i].c);
	free(cc->live);
	free(cc->gone);
	free(cc->listeners);
	free(cc);
}

void gh_containers_set_sync(struct gh_containers *cc, gh_container_sync_fn fn, void *ctx)
{
	cc->sync = fn;
	cc->sync_ctx = ctx;
}

static void sync_before_change(struct gh_containers *cc)
{
	if (cc->sync)
		cc->sync(cc->sync_ctx);
}

int gh_containers_subscribe(struct gh_containers *cc, gh_container_cb cb, void *ctx)
{
	struct listener *l = realloc(cc->listeners, (cc->n_listeners + 1) * sizeof(*l));

	if (!l)
		return -ENOMEM;
	l[cc->n_listeners++] = (struct listener){cb, ctx};
	cc->listeners = l;
	return 0;
}

void gh_containers_unsubscribe(struct gh_containers *cc, gh_container_cb cb, void *ctx)
{
	for (size_t i = 0; i < cc->n_listeners; i++) {
		if (cc->listeners[i].cb == cb && cc->listeners[i].ctx == ctx) {
			memmove(&cc->listeners[i], &cc->listeners[i + 1],
				(cc->n_listeners - i - 1) * sizeof(cc->listeners[0]));
			cc->n_listeners--;
			return;
		}
	}
}

static void notify(struct gh_containers *cc, const struct gh_container *c, bool added)
{
	for (size_t i = 0; i < cc->n_listeners; i++)
		cc->listeners[i].cb(cc->listeners[i].ctx, c, added);
}

static ssize_t live_index(const struct gh_containers *cc, const char *id)
{
	for (size_t i = 0; i < cc->n_live; i++)
		if (!strcmp(cc->live[i]->id, id))
			return (ssize_t)i;
	return -1;
}

/* Take live[i] out of the live set into the lingering list. */
static int retire(struct gh_containers *cc, size_t i, uint64_t now_ms)
{
	struct gh_container *c = cc->live[i];
	struct gone *g = realloc(cc->gone, (cc->n_gone + 1) * sizeof(*g));

	if (!g)
		return -ENOMEM;
	cc->gone = g;
	cc->live[i] = cc->live[--cc->n_live];
	cc->cache_valid = false;
	c->gone = true;
	notify(cc, c, false);
	cc->gone[cc->n_gone++] = (struct gone){c, now_ms};
	return 0;
}

/* Drop lingering containers with this id (it is live again). */
static void forget_gone(struct gh_containers *cc, const char *id)
{
	for (size_t i = 0; i < cc->n_gone;) {
		if (!strcmp(cc->gone[i].c->id, id)) {
			gh_container_free(cc->gone[i].c);
			cc->gone[i] = cc->gone[--cc->n_gone];
			cc->cache_valid = false;
			continue;
		}
		i++;
	}
}

/* Whether adding c (same: the index of a live one with its id, or -1)
 * retires a live container: its id with another process, or another id
 * in its mount namespace (the kernel reused the id). */
static bool retires_on_add(const struct gh_containers *cc, const struct gh_container *c,
			   ssize_t same)
{
	if (same >= 0 && (cc->live[same]->mntns != c->mntns || cc->live[same]->pid != c->pid))
		return true;
	for (size_t i = 0; c->mntns && i < cc->n_live; i++)
		if ((ssize_t)i != same && cc->live[i]->mntns == c->mntns)
			return true;
	return false;
}

int gh_containers_add(struct gh_containers *cc, struct gh_container *c)
{
	struct gh_container **live;
	ssize_t same = live_index(cc, c->id);
	int ret;

	/* Drain first only when a container is retired below.  A plain add
	 * must not: the events waiting may be the new container's first ones
	 * (passed up by the kernel filter for the host to judge), and they
	 * must find it. */
	if (retires_on_add(cc, c, same))
		sync_before_change(cc);
	if (same >= 0) {
		struct gh_container *old = cc->live[same];

		if (old->mntns == c->mntns && old->pid == c->pid) {
			/* the same container seen again: keep what is known, take
			 * what is new, say nothing */
			cc->live[same] = c;
			cc->cache_valid = false;
			gh_container_free(old);
			return 0;
		}
		ret = retire(cc, (size_t)same, 0);
		if (ret) {
			gh_container_free(c);
			return ret;
		}
	}
	for (size_t i = 0; c->mntns && i < cc->n_live;) {
		if (cc->live[i]->mntns == c->mntns) {
			ret = retire(cc, i, 0); /* a reused namespace id: the old one is dead */
			if (ret) {
				gh_container_free(c);
				return ret;
			}
			continue;
		}
		i++;
	}
	forget_gone(cc, c->id);
	live = realloc(cc->live, (cc->n_live + 1) * sizeof(*live));
	if (!live) {
		gh_container_free(c);
		return -ENOMEM;
	}
	cc->live = live;
	cc->live[cc->n_live++] = c;
	cc->cache_valid = false;
	notify(cc, c, true);
	return 0;
}

int gh_containers_remove(struct gh_containers *cc, const char *id, uint64_t now_ms)
{
	ssize_t i = live_index(cc, id);

	if (i < 0)
		return -ENOENT;
	sync_before_change(cc);
	return retire(cc, (size_t)i, now_ms);
}

void gh_containers_expire(struct gh_containers *cc, uint64_t now_ms)
{
	bool synced = false;

	for (size_t i = 0; i < cc->n_gone;) {
		if (!synced && now_ms - cc->gone[i].since_ms >= GH_CONTAINER_LINGER_MS) {
			sync_before_change(cc);
			synced = true;
		}
		if (now_ms - cc->gone[i].since_ms >= GH_CONTAINER_LINGER_MS) {
			gh_container_free(cc->gone[i].c);
			cc->gone[i] = cc->gone[--cc->n_gone];
			cc->cache_valid = false;
			continue;
		}
		i++;
	}
}

const struct gh_container *gh_containers_by_id(const struct gh_containers *cc, const char *id)
{
	ssize_t i = live_index(cc, id);

	return i < 0 ? NULL : cc->live[i];
}

const struct gh_container *gh_containers_by_mntns(struct gh_containers *cc, uint64_t mntns)
{
	const struct gh_container *found = NULL;

	if (!mntns)
		return NULL;
	if (cc->cache_valid && cc->cache_mntns == mntns)
		return cc->cache;
	for (size_t i = 0; i < cc->n_live && !found; i++)
		if (cc->live[i]->mntns == mntns)
			found = cc->live[i];
	/* the most recently removed first: the likeliest owner of late events */
	for (size_t i = cc->n_gone; i > 0 && !found; i--)
		if (cc->gone[i - 1].c->mntns == mntns)
			found = cc->gone[i - 1].c;
	cc->cache = found;
	cc->cache_mntns = mntns;
	cc->cache_valid = true;
	return found;
}

size_t gh_containers_count(const struct gh_containers *cc)
{
	return cc->n_live;
}

const struct gh_container *gh_containers_at(const struct gh_containers *cc, size_t i)
{
	return i < cc->n_live ? cc->live[i] : NULL;
}
