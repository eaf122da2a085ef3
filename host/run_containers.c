/* run_containers.c - containers for one gadget run (see run_containers.h). */
#include "run_containers.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "container.h"
#include "container_watch.h"
#include "hook.h"
#include "packet_socket.h"

struct gh_run_containers {
	struct gh_gadget *g;
	struct gh_run_containers_opts opts;
	struct gh_containers *cc;
	struct gh_container_watch *watch;
	struct gh_hook_server *hooks;
	uint64_t *initial;    /* selected mount namespaces at the first scan */
	size_t n_initial;
	bool loaded;          /* the kernel filter map exists */
	/* network namespaces whose packets the gadget's socket programs see:
	 * the container (by id) or the host (id NULL) that holds each */
	struct netns_user *netns_users;
	size_t n_netns_users;
};

struct netns_user {
	char *id;
	uint64_t netns;
};

/* Is another live, selected container in this mount namespace? */
static bool mntns_still_selected(struct gh_run_containers *rc, const struct gh_container *gone)
{
	for (size_t i = 0; i < gh_containers_count(rc->cc); i++) {
		const struct gh_container *c = gh_containers_at(rc->cc, i);

		if (c != gone && c->mntns == gone->mntns &&
		    gh_container_selected(&rc->opts.select, c))
			return true;
	}
	return false;
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
		fprintf(stderr, "gadgethost: %s%s: no packet socket in network namespace %s: %s\n",
			id ? "warning: container " : "", id ? id : "", path ? path : "of the host",
			strerror(-ret));
		return ret;
	}
	if (rc->opts.verbose)
		fprintf(stderr, "gadgethost: socket programs attached in netns %" PRIu64 " (%s)\n",
			u.netns, id ? id : path ? path : "host");
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
	int ret = 0;

	if (rc->opts.verbose)
		fprintf(stderr, "gadgethost: container %s %s (%s %s, mntns %" PRIu64 ")%s\n",
			c->name, added ? "started" : "stopped", c->runtime ? c->runtime : "?", c->id,
			c->mntns, selected ? "" : ", not selected");
	if (!rc->loaded || !selected)
		return;
	if (added && c->pid > 0)
		netns_hold_container(rc, c);
	else if (!added)
		netns_release(rc, c->id);
	if (rc->opts.host || !c->mntns)
		return;
	if (added)
		ret = gh_gadget_trace_mntns(rc->g, c->mntns, true);
	else if (!mntns_still_selected(rc, c))
		ret = gh_gadget_trace_mntns(rc->g, c->mntns, false);
	if (ret)
		fprintf(stderr, "gadgethost: warning: container %s: updating the kernel filter: %s\n",
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
		uint64_t *grown;

		if (!gh_container_selected(&opts->select, c) || !c->mntns)
			continue;
		grown = realloc(rc->initial, (rc->n_initial + 1) * sizeof(*grown));
		if (!grown) {
			gh_run_containers_free(rc);
			return -ENOMEM;
		}
		rc->initial = grown;
		rc->initial[rc->n_initial++] = c->mntns;
	}
	g->schema.containers = rc->cc;
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
	free(rc->initial);
	rc->initial = all;
	rc->n_initial += kf->n_mntns;
	kf->mntns = rc->initial;
	kf->n_mntns = rc->n_initial;
	kf->mntns_on = true;
	return 0;
}

int gh_run_containers_start(struct gh_run_containers *rc, uv_loop_t *loop)
{
	int ret;

	rc->loaded = true;
	if (rc->opts.netns_paths && rc->opts.netns_paths[0] && !rc->g->packet_sockets) {
		fprintf(stderr, "gadgethost: --netns: %s has no socket programs\n", rc->g->name);
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
		ret = gh_container_watch_start(rc->watch, loop);
	if (ret)
		return ret;
	ret = gh_hook_server_start(&rc->hooks, loop, rc->cc, rc->opts.hook_dir,
				   rc->opts.docker_socket);
	if (ret)
		fprintf(stderr, "gadgethost: warning: no OCI hook socket in %s: %s (containers are "
			"still found from the runtimes' state)\n",
			rc->opts.hook_dir ? rc->opts.hook_dir : GH_HOOK_DIR, uv_strerror(ret));
	return 0;
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
	if (rc->g && rc->g->schema.containers == rc->cc)
		rc->g->schema.containers = NULL;
	gh_hook_server_free(rc->hooks);
	gh_container_watch_free(rc->watch);
	gh_containers_free(rc->cc);
	for (size_t i = 0; i < rc->n_netns_users; i++)
		free(rc->netns_users[i].id);
	free(rc->netns_users);
	free(rc->initial);
	free(rc);
}
