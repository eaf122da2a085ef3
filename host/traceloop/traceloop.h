/* traceloop.h - the traceloop flight recorder: every selected container's
 * recent syscalls, kept in a ring of its own in the kernel
 * (bpf/traceloop/traceloop.bpf.c), read only when someone asks.
 *
 *   open()     load and attach the gadget traceloop/traceloop.lua (its
 *              object declares GADGET_TRACELOOP), read the syscall formats,
 *              find the containers
 *   run()      the one run loop (run/run_loop.h) until --timeout or a
 *              signal: a ring is made for each container that appears,
 *              and kept when it exits
 *   list(), dump(), delete()   what the socket and the commands serve;
 *              a dump's records go through the script's filter and enrich
 *   free()     detach and free every ring
 */
#ifndef GH_TRACELOOP_H
#define GH_TRACELOOP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "base/buf.h"
#include "containers/container_select.h"
#include "run/run.h"

#define GH_TRACELOOP_ENTRIES_DEFAULT 4096 /* records per container */
#define GH_TRACELOOP_KEEP_DEFAULT 16      /* exited containers kept */

struct gh_traceloop_opts {
	struct gh_container_select select;
	uint32_t entries;               /* rounded up to a power of two */
	size_t keep;                    /* exited containers kept, the most recent */
	const char *syscall_filters;    /* "openat,execve": only these calls; NULL: all */
	const char *const *runc_roots;  /* NULL: the defaults */
	const char *docker_socket;
	const char *hook_dir;
	bool verbose;
};

struct gh_traceloop;

int gh_traceloop_open(struct gh_traceloop **out, const struct gh_traceloop_opts *opts,
		      char *err, size_t errlen);
/* Record until opts->timeout_ms or SIGINT/SIGTERM (opts: loop,
 * ready_file, timeout_ms, verbose).  0 or -errno. */
int gh_traceloop_run(struct gh_traceloop *tl, struct gh_run_opts *opts);
/* One line per container with a ring: NAME TAB ID TAB running|exited TAB
 * records held TAB mount namespace id TAB Kubernetes namespace TAB pod
 * (both empty for a container of no pod). */
int gh_traceloop_list(struct gh_traceloop *tl, struct gh_buf *out);
/* The container's records as strace-like lines (traceloop_format.h);
 * name is a container name, an id or id prefix, or NAMESPACE/POD/NAME
 * (an empty part matches any).  Of one container's rings (restarts) the
 * running one, else the most recently exited.  -ENOENT: no such ring;
 * -ENOTUNIQ: the rings of more than one container, err lists them;
 * -EINVAL: not a name (err). */
int gh_traceloop_dump(struct gh_traceloop *tl, const char *name, struct gh_buf *out,
		      char *err, size_t errlen);
/* Forget an exited container's ring (name as for dump; -EBUSY: running). */
int gh_traceloop_delete(struct gh_traceloop *tl, const char *name, char *err, size_t errlen);
/* The loop must run once more afterwards, to close handles. */
void gh_traceloop_free(struct gh_traceloop *tl);

#endif
