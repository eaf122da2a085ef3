/* run_containers.c - containers for one gadget run (see run_containers.h). */
#include "run/run_containers.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/log.h"
#include "containers/container.h"
#include "containers/container_exits.h"
#include "containers/container_fields.h"
#include "containers/container_watch.h"
#include "containers/hook.h"
#include "kernel/packet_socket.h"

struct gh_run_containers {
	struct gh_gadget *g;
	struct gh_run_containers_opts opts;
	struct gh_containers *cc;
	struct gh_container_watch *watch;
	struct gh_container_exits *exits;
	struct gh_hook_server *hooks;
	uint64_t *initial;    /* selected mount namespaces at the first scan */
	size_t n_initial;
	uint64_t *skip;       /* not traced at load: the host's, other containers' */
	size_t n_skip;
	uint64_t *host;       /* the host's own mount namespaces (init's, ours) */
	size_t n_host;
	const uint64_t *user_mntns; /* --mntnsid: traced as well */
	size_t n_user_mntns;
	bool loaded;          /* the kernel filter map exists */

	/* the last verdict of gh_run_containers_accept */
	bool verdict_valid;
	uint64_t verdict_mntns;
	bool verdict;
	bool verdict_known;   /* from a known container (else: for one drain) */
	uint64_t verdict_drain;
	/* the drain in which the runtimes' state was last looked at */
	bool discovered;
	uint64_t discovered_drain;
	/* network namespaces whose packets the gadget's socket programs see:
	 * the container (by id) or the host (id NULL) that holds each */
	struct netns_user *netns_users;
	size_t n_netns_users;
};

struct netns_user {
	char *id;
	uint64_t netns;
	bool given; /* --netns PATH */
};

static bool has_id(const uint64_t *ids, size_t n, uint64_t id)
{
	for (size_t i = 0; i < n; i++)
		if (ids[i] == id)
			return true;
	return false;
}

static int push_id(uint64_t **ids, size_t *n, uint64_t id)
{
	uint64_t *grown;

	if (!id || has_id(*ids, *n, id))
		return 0;
	grown = realloc(*ids, (*n + 1) * sizeof(*grown));
	if (!grown)
		return -ENOMEM;
	*ids = grown;
	grown[(*n)++] = id;
	return 0;
}

/* The mount namespace id of a process (the inode of /proc/PID/ns/mnt). */
uint64_t gh_process_mntns(const char *pid)
{
	char path[64];
	struct stat st;

	snprintf(path, sizeof(path), "/proc/%s/ns/mnt", pid);
	return stat(path, &st) ? 0 : (uint64_t)st.st_ino;
}

/* What the kernel filter does with mntns now, from the live containers in
 * it (the kernel reuses ids: a stopped container's may be another's). */
static enum gh_mntns_verdict mntns_verdict(struct gh_run_containers *rc, uint64_t mntns,
					   const struct gh_container *ignore)
{
	enum gh_mntns_verdict v = GH_MNTNS_FORGET;

	if (has_id(rc->user_mntns, rc->n_user_mntns, mntns))
		return GH_MNTNS_TRACE;
	if (has_id(rc->host, rc->n_host, mntns))
		v = GH_MNTNS_SKIP;
	for (size_t i = 0; i < gh_containers_count(rc->cc); i++) {
		const struct gh_container *c = gh_containers_at(rc->cc, i);

		if (c == ignore || c->mntns != mntns)
			continue;
		if (gh_container_selected(&rc->opts.select, c))
			return GH_MNTNS_TRACE;
		v = GH_MNTNS_SKIP;
	}
	return v;
}

/* Socket programs: trace the network namespace at path (NULL: the
 * host's) for the user id (a container's; NULL: --host, --netns). */
static int netns_hold(struct gh_run_containers *rc, const char *id, const char *path)
{
	struct netns_user *grown, u = {0};
	int ret;

	if (!rc->g->packet_sockets)
		return 0;
	for (size_t i = 0; id && i < rc->n_netns_users; i++)
		if (rc->netns_users[i].id && !strcmp(rc->netns_users[i].id, id))
			return 0; /* already held: the container was replaced in place */
	grown = realloc(rc->netns_users, (rc->n_netns_users + 1) * sizeof(*grown));
	if (!grown)
		return -ENOMEM;
	rc->netns_users = grown;
	ret = gh_packet_sockets_add(rc->g->packet_sockets, path, &u.netns);
	if (!ret && id && !(u.id = strdup(id))) {
		gh_packet_sockets_put(rc->g->packet_sockets, u.netns);
		ret = -ENOMEM;
	}
	if (ret) {
		gh_log(id ? GH_LOG_WARNING : GH_LOG_ERROR, "%s%s: no packet socket in network "
		       "namespace %s: %s", id ? "container " : "", id ? id : "",
		       path ? path : "of the host", strerror(-ret));
		return ret;
	}
	gh_log(GH_LOG_INFO, "socket programs attached in netns %" PRIu64 " (%s)", u.netns,
	       id ? id : path ? path : "host");
	u.given = !id && path;
	rc->netns_users[rc->n_netns_users++] = u;
	return 0;
}

static void netns_hold_container(struct gh_run_containers *rc, const struct gh_container *c)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)c->pid);
	netns_hold(rc, c->id, path);
}

static void netns_release(struct gh_run_containers *rc, const char *id)
{
	for (size_t i = 0; i < rc->n_netns_users; i++) {
		struct netns_user *u = &rc->netns_users[i];

		if (!u->id || strcmp(u->id, id))
			continue;
		gh_packet_sockets_put(rc->g->packet_sockets, u->netns);
		free(u->id);
		*u = rc->netns_users[--rc->n_netns_users];
		return;
	}
}

static void on_container(void *ctx, const struct gh_container *c, bool added)
{
	struct gh_run_containers *rc = ctx;
	bool selected = gh_container_selected(&rc->opts.select, c);
	int ret;

	rc->verdict_valid = false;
	gh_log(GH_LOG_INFO, "container %s %s (%s %s, mntns %" PRIu64 ")%s", c->name,
	       added ? "started" : "stopped", c->runtime ? c->runtime : "?", c->id, c->mntns,
	       selected ? "" : ", not selected");
	if (!rc->loaded)
		return;
	if (selected && added && c->pid > 0)
		netns_hold_container(rc, c);
	else if (selected && !added)
		netns_release(rc, c->id);
	if (rc->opts.host || !c->mntns)
		return;
	ret = gh_gadget_set_mntns(rc->g, c->mntns, mntns_verdict(rc, c->mntns, added ? NULL : c));
	if (ret)
		gh_log(GH_LOG_WARNING, "container %s: updating the kernel filter: %s",
		       c->name, strerror(-ret));
}

int gh_run_containers_open(struct gh_run_containers **out, struct gh_gadget *g,
			   const struct gh_run_containers_opts *opts)
{
	struct gh_run_containers *rc = calloc(1, sizeof(*rc));
	struct gh_watch_opts wo = {.runc_roots = opts->runc_roots,
				   .docker_socket = opts->docker_socket};
	int ret;

	*out = NULL;
	if (!rc)
		return -ENOMEM;
	rc->g = g;
	rc->opts = *opts;
	ret = gh_containers_new(&rc->cc);
	if (!ret)
		ret = gh_container_watch_new(&rc->watch, rc->cc, &wo);
	if (ret) {
		gh_run_containers_free(rc);
		return ret;
	}
	gh_container_watch_scan(rc->watch);
	for (size_t i = 0; i < gh_containers_count(rc->cc); i++) {
		const struct gh_container *c = gh_containers_at(rc->cc, i);

		if (!c->mntns)
			continue;
		if (gh_container_selected(&opts->select, c))
			ret = push_id(&rc->initial, &rc->n_initial, c->mntns);
		else
			ret = push_id(&rc->skip, &rc->n_skip, c->mntns);
		if (ret) {
			gh_run_containers_free(rc);
			return ret;
		}
	}
	/* the host's own processes: known, never a container */
	if (push_id(&rc->host, &rc->n_host, gh_process_mntns("1")) ||
	    push_id(&rc->host, &rc->n_host, gh_process_mntns("self")) ||
	    push_id(&rc->skip, &rc->n_skip, gh_process_mntns("1")) ||
	    push_id(&rc->skip, &rc->n_skip, gh_process_mntns("self"))) {
		gh_run_containers_free(rc);
		return -ENOMEM;
	}
	gh_container_fields_bind(&g->schema, rc->cc);
	*out = rc;
	return 0;
}

int gh_run_containers_configure(struct gh_run_containers *rc, struct gh_kfilter *kf)
{
	uint64_t *all;

	if (rc->opts.host)
		return 0;
	if (rc->g->schema.mntns_field < 0 ||
	    gh_schema_find(&rc->g->schema, "runtime.containerName") < 0)
		return -ENOTSUP;
	/* the user's --mntnsid ones, then the containers' */
	all = malloc((kf->n_mntns + rc->n_initial + 1) * sizeof(*all));
	if (!all)
		return -ENOMEM;
	if (kf->n_mntns)
		memcpy(all, kf->mntns, kf->n_mntns * sizeof(*all));
	if (rc->n_initial)
		memcpy(all + kf->n_mntns, rc->initial, rc->n_initial * sizeof(*all));
	rc->user_mntns = kf->mntns;
	rc->n_user_mntns = kf->n_mntns;
	free(rc->initial);
	rc->initial = all;
	rc->n_initial += kf->n_mntns;
	kf->mntns = rc->initial;
	kf->n_mntns = rc->n_initial;
	kf->mntns_skip = rc->skip;
	kf->n_mntns_skip = rc->n_skip;
	kf->mntns_on = true;
	kf->mntns_judge_unknown = true;
	return 0;
}

/* An event the kernel passed up from a mount namespace it did not know:
 * a container that started after the last look at the runtimes' state?
 * Its state file was written before its first process ran, so one look
 * per drain, after the event was sent, is enough to be sure.  A stopped
 * container's namespace id is often the next one's (the kernel reuses ids
 * at once): an event that finds only a stopped container looks as well. */
static bool judge(struct gh_run_containers *rc, uint64_t mntns, uint64_t drain)
{
	const struct gh_container *c = gh_containers_by_mntns(rc->cc, mntns);

	if ((!c || c->gone) && !has_id(rc->user_mntns, rc->n_user_mntns, mntns) &&
	    !has_id(rc->host, rc->n_host, mntns) &&
	    (!rc->discovered || rc->discovered_drain != drain)) {
		rc->discovered = true;
		rc->discovered_drain = drain;
		gh_container_watch_discover(rc->watch);
		c = gh_containers_by_mntns(rc->cc, mntns);
	}
	/* a stopped container's events were drained before it was removed:
	 * what comes later from its namespace id is someone else's */
	if (c && c->gone)
		c = NULL;
	rc->verdict_known = c || has_id(rc->user_mntns, rc->n_user_mntns, mntns) ||
			    has_id(rc->host, rc->n_host, mntns);
	if (c)
		return gh_container_selected(&rc->opts.select, c) ||
		       has_id(rc->user_mntns, rc->n_user_mntns, mntns);
	return has_id(rc->user_mntns, rc->n_user_mntns, mntns);
}

/* A packet of a namespace the run traces (an event's gadget_netns_id
 * member): one of --netns is wanted whoever's it is; one without a
 * process (ARP, ICMP, a closed port: mount namespace 0) is the
 * namespace's, so its container's.  Otherwise (-1) the process decides. */
static int judge_netns(struct gh_run_containers *rc, const struct gh_event *ev, uint64_t mntns)
{
	const struct gh_schema *s = &rc->g->schema;
	struct gh_value v;

	if (!rc->n_netns_users)
		return -1;
	for (size_t i = 0; i < s->n_fields; i++) {
		if (s->fields[i].special != GH_SPECIAL_NETNS_ID || s->fields[i].kind == GH_KIND_VIRTUAL)
			continue;
		if (gh_field_value(s, (int)i, ev, &v) || v.type != GH_V_UINT)
			return -1;
		for (size_t j = 0; j < rc->n_netns_users; j++)
			if (rc->netns_users[j].netns == v.u && (rc->netns_users[j].given || !mntns))
				return 1;
		return -1;
	}
	return -1;
}

bool gh_run_containers_accept(void *ctx, const struct gh_event *ev, uint64_t drain)
{
	struct gh_run_containers *rc = ctx;
	uint64_t mntns = gh_event_mntns(&rc->g->schema, ev);

	if (judge_netns(rc, ev, mntns) == 1)
		return true;

	if (rc->verdict_valid && rc->verdict_mntns == mntns &&
	    (rc->verdict_known || rc->verdict_drain == drain))
		return rc->verdict;
	rc->verdict = judge(rc, mntns, drain);
	/* judge() may have found containers, which cleared the memo */
	rc->verdict_valid = true;
	rc->verdict_mntns = mntns;
	rc->verdict_drain = drain;
	return rc->verdict;
}

int gh_run_containers_start(struct gh_run_containers *rc, uv_loop_t *loop)
{
	int ret;

	rc->loaded = true;
	if (rc->opts.netns_paths && rc->opts.netns_paths[0] && !rc->g->packet_sockets) {
		gh_log(GH_LOG_ERROR, "--netns: %s has no socket programs", rc->g->spec.name);
		return -EINVAL;
	}
	if (rc->opts.host && netns_hold(rc, NULL, NULL))
		return -EINVAL;
	for (size_t i = 0; rc->opts.netns_paths && rc->opts.netns_paths[i]; i++)
		if (netns_hold(rc, NULL, rc->opts.netns_paths[i]))
			return -EINVAL;
	for (size_t i = 0; i < gh_containers_count(rc->cc); i++) {
		const struct gh_container *c = gh_containers_at(rc->cc, i);

		if (gh_container_selected(&rc->opts.select, c) && c->pid > 0)
			netns_hold_container(rc, c);
	}
	ret = gh_containers_subscribe(rc->cc, on_container, rc);
	if (!ret)
		ret = gh_container_exits_start(&rc->exits, rc->cc, loop);
	if (!ret)
		ret = gh_container_watch_start(rc->watch, loop);
	if (ret)
		return ret;
	ret = gh_hook_server_start(&rc->hooks, loop, rc->cc, rc->opts.hook_dir,
				   rc->opts.docker_socket);
	if (ret)
		gh_log(GH_LOG_WARNING, "no OCI hook socket in %s: %s (containers are "
		       "still found from the runtimes' state)",
		       rc->opts.hook_dir ? rc->opts.hook_dir : GH_HOOK_DIR, uv_strerror(ret));
	return 0;
}

struct gh_containers *gh_run_containers_collection(const struct gh_run_containers *rc)
{
	return rc ? rc->cc : NULL;
}

bool gh_run_containers_any_k8s(const struct gh_run_containers *rc)
{
	for (size_t i = 0; i < gh_containers_count(rc->cc); i++)
		if (gh_containers_at(rc->cc, i)->k8s_namespace)
			return true;
	return false;
}

void gh_run_containers_free(struct gh_run_containers *rc)
{
	if (!rc)
		return;
	if (rc->g && gh_container_fields_bound(&rc->g->schema) == rc->cc)
		gh_container_fields_bind(&rc->g->schema, NULL);
	gh_hook_server_free(rc->hooks);
	gh_container_exits_free(rc->exits);
	gh_container_watch_free(rc->watch);
	gh_containers_free(rc->cc);
	for (size_t i = 0; i < rc->n_netns_users; i++)
		free(rc->netns_users[i].id);
	free(rc->netns_users);
	free(rc->initial);
	free(rc->skip);
	free(rc->host);
	free(rc);
}

int gh_run_containers_each_netns(struct gh_run_containers *rc, gh_netns_visit_fn fn, void *ctx)
{
	int ret = 0;

	if (rc->opts.host)
		ret = fn(ctx, "/proc/self/ns/net", 0);
	for (size_t i = 0; !ret && rc->opts.netns_paths && rc->opts.netns_paths[i]; i++)
		ret = fn(ctx, rc->opts.netns_paths[i], 0);
	for (size_t i = 0; !ret && i < gh_containers_count(rc->cc); i++) {
		const struct gh_container *c = gh_containers_at(rc->cc, i);
		char path[64];

		if (c->gone || c->pid <= 0 ||
		    (!rc->opts.host && !gh_container_selected(&rc->opts.select, c)))
			continue;
		snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)c->pid);
		ret = fn(ctx, path, c->mntns);
	}
	return ret;
}
