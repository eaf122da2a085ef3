/* run_lib_uprobes.c - library uprobes that follow the processes
 * (run_lib_uprobes.h). */
#include "run/run_lib_uprobes.h"

#include <errno.h>
#include <string.h>

#include "base/log.h"
#include "containers/container.h"
#include "gadget/lib_uprobes.h"
#include "kernel/proc_exec.h"

static void report(int ret, const char *when)
{
	if (ret < 0)
		gh_log(GH_LOG_ERROR, "uprobes on libraries, %s: %s", when, strerror(-ret));
	else if (ret > 0)
		gh_log(GH_LOG_INFO, "uprobes on libraries: %d new files (%s)", ret, when);
}

/* every GH_RUN_LIB_RESCAN_MS: new processes, and the maps of those that
 * exec'ed since */
static void on_rescan(uv_timer_t *h)
{
	struct gh_run_lib_uprobes *r = h->data;
	int ret;

	if (r->overflow) {
		r->overflow = false;
		r->n_pending = 0;
		report(gh_lib_uprobes_scan_all(r->u), "every process");
		return;
	}
	for (size_t i = 0; i < r->n_pending; i++)
		report(gh_lib_uprobes_scan_pid(r->u, r->pending[i]), "after an exec");
	r->n_pending = 0;
	ret = gh_lib_uprobes_scan_new(r->u);
	report(ret, "new processes");
}

static void on_execs(uv_poll_t *h, int status, int events)
{
	struct gh_run_lib_uprobes *r = h->data;
	uint32_t pids[64];
	int n, lost;

	if (status < 0)
		return;
	while ((n = gh_proc_exec_read(r->exec_fd, pids, 64, &lost)) > 0 || lost) {
		if (lost)
			r->overflow = true;
		for (int i = 0; i < n; i++) {
			/* its maps hold the program and the loader yet:
			 * read at the next look */
			report(gh_lib_uprobes_scan_root(r->u, pids[i]), "an exec");
			if (r->n_pending < GH_RUN_LIB_PENDING)
				r->pending[r->n_pending++] = pids[i];
			else
				r->overflow = true;
		}
		if (n < 64)
			break;
	}
}

/* a container's init is in its root before its first exec */
static void on_container(void *ctx, const struct gh_container *c, bool added)
{
	struct gh_run_lib_uprobes *r = ctx;

	if (added && c->pid > 0)
		report(gh_lib_uprobes_scan_pid(r->u, (uint32_t)c->pid), "a new container");
}

void gh_run_lib_uprobes_start(struct gh_run_lib_uprobes *r, uv_loop_t *loop,
			      struct gh_lib_uprobes *u, struct gh_containers *containers)
{
	memset(r, 0, sizeof(*r));
	r->exec_fd = -1;
	r->u = u;
	if (!u)
		return;
	uv_timer_init(loop, &r->rescan);
	r->rescan.data = r;
	uv_timer_start(&r->rescan, on_rescan, GH_RUN_LIB_RESCAN_MS, GH_RUN_LIB_RESCAN_MS);
	r->started = true;
	if (containers && !gh_containers_subscribe(containers, on_container, r))
		r->containers = containers;
	r->exec_fd = gh_proc_exec_open();
	if (r->exec_fd < 0) {
		gh_log(GH_LOG_INFO, "uprobes on libraries: no exec events (%s): new processes "
		       "are looked at every %d ms", strerror(-r->exec_fd), GH_RUN_LIB_RESCAN_MS);
		return;
	}
	uv_poll_init(loop, &r->execs, r->exec_fd);
	r->execs.data = r;
	uv_poll_start(&r->execs, UV_READABLE, on_execs);
}

void gh_run_lib_uprobes_stop(struct gh_run_lib_uprobes *r)
{
	if (!r->started)
		return;
	uv_timer_stop(&r->rescan);
	if (r->exec_fd >= 0)
		uv_poll_stop(&r->execs);
	if (r->containers)
		gh_containers_unsubscribe(r->containers, on_container, r);
	r->containers = NULL;
}

void gh_run_lib_uprobes_close(struct gh_run_lib_uprobes *r)
{
	if (!r->started)
		return;
	r->started = false;
	uv_close((uv_handle_t *)&r->rescan, NULL);
	if (r->exec_fd >= 0) {
		uv_close((uv_handle_t *)&r->execs, NULL);
		gh_proc_exec_close(r->exec_fd);
		r->exec_fd = -1;
	}
}
