/* run_lib_uprobes.h - during a run, the library uprobes of a gadget
 * (gadget/lib_uprobes.h) follow the processes: each exec is looked at as
 * it happens (the process events connector: its root's library
 * directories), so is each new container's init (the container
 * collection: its root and maps), and every half second the processes
 * not seen yet, every process's root (a stat each) and the maps of the
 * ones that exec'ed since (what their dynamic linker mapped from
 * elsewhere).  Without the connector (no CAP_NET_ADMIN, another network
 * namespace; execs in a container's pid namespace are not always
 * reported) the other two.
 */
#ifndef GH_RUN_LIB_UPROBES_H
#define GH_RUN_LIB_UPROBES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uv.h>

struct gh_containers;
struct gh_containers;
struct gh_lib_uprobes;

#define GH_RUN_LIB_RESCAN_MS 500
#define GH_RUN_LIB_PENDING 1024 /* execs whose maps the next look reads;
				   more: every process's maps are read */

struct gh_run_lib_uprobes {
	struct gh_lib_uprobes *u; /* NULL: the gadget has none, nothing runs */
	struct gh_containers *containers; /* NULL: none watched */
	uv_timer_t rescan;
	uv_poll_t execs;
	int exec_fd;              /* -1: no connector */
	uint32_t pending[GH_RUN_LIB_PENDING];
	size_t n_pending;
	bool overflow;            /* more execs than pending: look at all */
	bool started;
};

/* Start following (u NULL: nothing to do).  Failures are said through
 * base/log.h; the run goes on with what was attached. */
void gh_run_lib_uprobes_start(struct gh_run_lib_uprobes *r, uv_loop_t *loop,
			      struct gh_lib_uprobes *u, struct gh_containers *containers);
/* Stop the handles (before the gadget detaches). */
void gh_run_lib_uprobes_stop(struct gh_run_lib_uprobes *r);
/* Close the handles (the loop runs once more before r is freed). */
void gh_run_lib_uprobes_close(struct gh_run_lib_uprobes *r);

#endif
