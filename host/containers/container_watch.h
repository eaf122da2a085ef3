/* container_watch.h - finding containers through the runc state they leave
 * on disk, and keeping the collection up to date as they come and go.
 *
 * Each root is a runc --root: ROOT/ID/state.json, or ROOT/NS/ID/state.json
 * where a runtime keeps one runc root per namespace (containerd:
 * /run/containerd/runc/NS, docker: EXEC_ROOT/runtime-runc/moby).  A root
 * that does not exist (yet) is looked for again every second.
 */
#ifndef GH_CONTAINER_WATCH_H
#define GH_CONTAINER_WATCH_H

#include <stdbool.h>
#include <stdio.h>

#include <uv.h>

#include "containers/container.h"

/* The roots watched when none are given. */
#define GH_RUNC_ROOTS_DEFAULT {"/run/runc", "/run/containerd/runc", "/run/docker/runtime-runc", NULL}

struct gh_watch_opts {
	const char *const *runc_roots; /* NULL terminated; NULL: the defaults */
	const char *docker_socket;     /* NULL: /run/docker.sock */
	bool quiet;                    /* no warnings about malformed state files */
};

struct gh_container_watch;

int gh_container_watch_new(struct gh_container_watch **out, struct gh_containers *cc,
			   const struct gh_watch_opts *opts);
/* Scan every root now: add containers found, remove those gone. */
void gh_container_watch_scan(struct gh_container_watch *w);
/* Only add the containers found (cheap: state files already read are not
 * read again); removes nothing, so it may run while events are drained. */
void gh_container_watch_discover(struct gh_container_watch *w);
/* Keep scanning on loop: on inotify events and every second. */
int gh_container_watch_start(struct gh_container_watch *w, uv_loop_t *loop);
/* Stop and free; the loop must run once more to finish closing handles. */
void gh_container_watch_free(struct gh_container_watch *w);
/* One line per root: watched, or missing (list-containers --verbose). */
void gh_container_watch_describe(const struct gh_container_watch *w, FILE *f);

#endif
