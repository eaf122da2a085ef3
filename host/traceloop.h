/* traceloop.h - the traceloop flight recorder: every selected container's
 * recent syscalls, kept in a ring of its own in the kernel
 * (bpf/traceloop/traceloop.bpf.c), read only when someone asks.
 *
 *   open()     load and attach the eBPF side, read the syscall formats
 *   start()    the container collection on the loop: a ring is made for
 *              each container that appears, and kept when it exits
 *   list(), dump(), delete()   what the socket and the commands serve
 *   free()     detach and free every ring
 */
#ifndef GH_TRACELOOP_H
#define GH_TRACELOOP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "buf.h"
#include "container_select.h"

#define GH_TRACELOOP_ENTRIES_DEFAULT 4096 /* records per container */
#define GH_TRACELOOP_KEEP_DEFAULT 16      /* exited containers kept */

struct gh_traceloop_opts {
	struct gh_container_select select;
	uint32_t entries;               /* rounded up to a power of two */
	size_t keep;                    /* exited containers kept, the most recent */
	const char *const *runc_roots;  /* NULL: the defaults */
	const char *docker_socket;
	const char *hook_dir;
	bool verbose;
};

struct gh_traceloop;

int gh_traceloop_open(struct gh_traceloop **out, const struct gh_traceloop_opts *opts,
		      char *err, size_t errlen);
int gh_traceloop_start(struct gh_traceloop *tl, uv_loop_t *loop);
/* One line per container with a ring: NAME TAB ID TAB running|exited TAB
 * records held TAB mount namespace id. */
int gh_traceloop_list(struct gh_traceloop *tl, struct gh_buf *out);
/* The container's records as strace-like lines (traceloop_format.h);
 * name is a container name, id or id prefix.  -ENOENT: no such ring. */
int gh_traceloop_dump(struct gh_traceloop *tl, const char *name, struct gh_buf *out);
/* Forget a ring (running containers get a new, empty one). */
int gh_traceloop_delete(struct gh_traceloop *tl, const char *name);
/* The loop must run once more afterwards, to close handles. */
void gh_traceloop_free(struct gh_traceloop *tl);

#endif
