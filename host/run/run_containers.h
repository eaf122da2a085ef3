/* run_containers.h - the containers side of `gadgethost run`: find the
 * containers, aim the gadget's kernel filter at the selected ones and
 * keep it aimed as containers come and go, and enrich events with
 * runtime.* and k8s.* fields.
 *
 *   open()       the collection, its first scan (before load, so the
 *                kernel filter holds the containers already running)
 *   configure()  the kernel filter: every selected container's mount
 *                namespace (unless --host: no container filter)
 *   start()      after load: live updates (runc state watch, OCI hooks)
 *   free()       stop; the loop must run once more to close handles
 */
#ifndef GH_RUN_CONTAINERS_H
#define GH_RUN_CONTAINERS_H

#include <stdbool.h>
#include <stdint.h>

#include <uv.h>

#include "containers/container_select.h"
#include "gadget/gadget.h"

struct gh_run_containers_opts {
	struct gh_container_select select;
	bool host;                    /* --host: host processes too, no filter */
	const char *const *runc_roots; /* NULL: the defaults */
	const char *docker_socket;
	const char *hook_dir;
	/* --netns: network namespaces (paths) the gadget's socket programs
	 * see besides the containers' (and the host's, with --host) */
	const char *const *netns_paths;
};

struct gh_run_containers;

int gh_run_containers_open(struct gh_run_containers **out, struct gh_gadget *g,
			   const struct gh_run_containers_opts *opts);
/* Fill kf's mount namespace filter; -ENOTSUP if the gadget has no mount
 * namespace field to filter or enrich by. */
int gh_run_containers_configure(struct gh_run_containers *rc, struct gh_kfilter *kf);
int gh_run_containers_start(struct gh_run_containers *rc, uv_loop_t *loop);
/* The pipeline's accept hook (gh_run_opts.accept): whether an event the
 * kernel filter passed comes from a selected container.  The kernel passes
 * events of mount namespaces it does not know yet, so that a container is
 * traced from its very first exec even when no OCI hook announced it:
 * those are judged here, after a look at the runtimes' state. */
struct gh_event;
bool gh_run_containers_accept(void *ctx, const struct gh_event *ev, uint64_t drain);
/* Visit each network namespace to look at: the host's (--host), each
 * --netns, each selected container's (every container's with --host),
 * with the container's mount namespace (0: none).  Namespaces shared by
 * several containers come once per container.  Stops at fn's first
 * non-zero return, which it returns. */
typedef int (*gh_netns_visit_fn)(void *ctx, const char *netns_path, uint64_t mntns);
int gh_run_containers_each_netns(struct gh_run_containers *rc, gh_netns_visit_fn fn, void *ctx);
/* The collection of containers (the container fields look in it). */
struct gh_containers *gh_run_containers_collection(const struct gh_run_containers *rc);
/* Whether any known container has Kubernetes metadata. */
bool gh_run_containers_any_k8s(const struct gh_run_containers *rc);
void gh_run_containers_free(struct gh_run_containers *rc);
/* The mount namespace id of process pid ("1", "self"), or 0. */
uint64_t gh_process_mntns(const char *pid);

#endif
