/* child.h - a `gadgethost` child of the daemon and its life: its stdout
 * and stderr on pipes the loop reads, a ready pipe handed to it as fd 3
 * and a report pipe as fd 4 (run/run_report.h), a stop (SIGTERM, then
 * SIGKILL after a delay), and one call once every handle is closed.
 * What the owner does with it (a run's HTTP stream, an instance's rows
 * and restarts) is in the callbacks of struct gh_child_ops.
 *
 * The child is started detached (a session of its own: a Ctrl-C on the
 * daemon's terminal is not its), with / as its directory and no stdin.
 */
#ifndef GH_CHILD_H
#define GH_CHILD_H

#include <stdbool.h>

#include <uv.h>

#include "base/buf.h"
#include "daemon/run_request.h"

#define GH_CHILD_KILL_AFTER_MS 5000 /* SIGKILL this long after SIGTERM */
#define GH_CHILD_MAX_STDERR (64 << 10)
#define GH_CHILD_MAX_REPORT (4 << 20) /* a --report-fd block */

/* What the owner does; ctx is the one given to gh_child_init().  Only
 * closed is required. */
struct gh_child_ops {
	/* n > 0 bytes of stdout; data NULL: its end */
	void (*out)(void *ctx, const char *data, size_t n);
	/* a line of stderr after ready, without its newline (the last one
	 * at the end, even without) */
	void (*err_line)(void *ctx, const char *s, size_t len);
	/* the ready byte (fd 3), once: ready_seen is set, errtext holds what
	 * stderr said before (emptied after this call) */
	void (*ready)(void *ctx);
	/* exited and its stdout and stderr at their end: status and sig say
	 * how; its handles are closed after this call */
	void (*ended)(void *ctx);
	/* every handle closed: the last call.  The owner calls
	 * gh_child_free() (status, sig, errtext can still be read before) and
	 * may then free the memory holding the struct. */
	void (*closed)(void *ctx);
};

struct gh_child {
	uv_loop_t *loop;
	const struct gh_child_ops *ops;
	void *ctx;
	uv_process_t proc;    /* proc.pid: its pid once started */
	uv_pipe_t out, err, ready, report;
	uv_timer_t kill_timer;
	int open_handles;
	bool exited, out_eof, err_eof, ready_seen, ready_open, report_open, stopping;
	int64_t status;       /* its exit status, or */
	int sig;              /* the signal that ended it */
	struct gh_buf errtext; /* stderr before ready (up to GH_CHILD_MAX_STDERR) */
	struct gh_buf errline; /* stderr after ready: a partial line */
	struct gh_buf rep;     /* the report block being read */
	struct gh_buf last_report; /* the last whole report block */
};

/* The kill timer made: one handle open already, so closed() comes even
 * if the child is never started (gh_child_abandon()). */
void gh_child_init(struct gh_child *c, uv_loop_t *loop, const struct gh_child_ops *ops,
		   void *ctx);

/* Start exe with args (after argv[0], NULL terminated), its pipes read;
 * with pipes, a ready pipe as fd 3 and a report pipe as fd 4.  0, or a
 * negative errno (a libuv error): then c is abandoned (closed() comes,
 * not ended()). */
int gh_child_start(struct gh_child *c, const char *exe, const char *const *args, bool pipes);

/* Not started and never will be: close the kill timer; closed() comes. */
void gh_child_abandon(struct gh_child *c);

/* SIGTERM now, SIGKILL after GH_CHILD_KILL_AFTER_MS; nothing once
 * stopping or exited. */
void gh_child_stop(struct gh_child *c);

/* Its buffers freed: from closed(). */
void gh_child_free(struct gh_child *c);

/* A run child's arguments: run, the request's argv, the daemon's own run
 * options (NULL terminated, or NULL), the ready file on fd 3 and, with
 * report, the run's numbers to fd 4.  NULL terminated, the strings
 * borrowed; NULL: out of memory. */
const char **gh_child_run_args(const struct gh_run_request *req, const char *const *daemon_args,
			       bool report);

#endif
