/* child.h - a `gadgethost` child of the daemon: its stdout and stderr on
 * pipes the loop reads, and up to two descriptors handed to it as fd 3
 * and fd 4 (a run's ready file, an instance's report pipe).
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

struct gh_child_spawn {
	const char *exe;          /* the gadgethost binary */
	const char *const *args;  /* after argv[0], NULL terminated */
	int fd3, fd4;             /* handed as 3 and 4; -1: none */
	uv_exit_cb on_exit;
};

/* uv_pipe_init() out and err, spawn into proc (whose data the caller
 * set): 0, or a libuv error; in both cases the three handles are open
 * and the caller closes them, but for UV_ENOMEM: nothing was opened. */
int gh_child_spawn(uv_loop_t *loop, uv_process_t *proc, uv_pipe_t *out, uv_pipe_t *err,
		   const struct gh_child_spawn *o);

/* A run child's arguments: run, the request's argv, the daemon's own run
 * options (NULL terminated, or NULL), the ready file on fd 3 and, with
 * report, the run's numbers to fd 4.  NULL terminated, the strings
 * borrowed; NULL: out of memory. */
const char **gh_child_run_args(const struct gh_run_request *req, const char *const *daemon_args,
			       bool report);

/* A run child's --report-fd pipe: n more bytes read into partial; each
 * whole block (run/run_report.h: ended by "# EOF") replaces *last, which
 * then holds the newest.  A block past max bytes is dropped.  0 or
 * -ENOMEM. */
int gh_child_report_take(struct gh_buf *partial, const char *data, size_t n, size_t max,
			 struct gh_buf *last);

/* A child's stderr, n more bytes: before it is ready (ready false) kept
 * in errtext, up to max bytes, for the reason it did not start; after,
 * cut into lines in errline (a partial one waits there; past max it is
 * dropped), each whole line handed to line() without its newline. */
void gh_child_stderr_take(struct gh_buf *errtext, struct gh_buf *errline, bool ready,
			  const char *data, size_t n, size_t max,
			  void (*line)(void *ctx, const char *s, size_t len), void *ctx);

#endif
