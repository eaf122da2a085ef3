/* daemon_runs.h - the daemon's runs: one `gadgethost run` child process
 * per client, its stdout streamed to the client as chunked HTTP.
 *
 * The child is told to create its ready file on a pipe (--ready-file
 * /dev/fd/3).  Until then nothing is sent: a child that exits first
 * failed to start (its stderr becomes the 400 answer) or printed its
 * help (exit 0: its stdout becomes the 200 answer).  Once ready, the
 * answer is 200 with the header X-Gadgethost-Run: ID, then the child's
 * stdout as it comes, then the last chunk when it exits.
 *
 * A client that goes away, or DELETE /v1/runs/ID, stops the child with
 * SIGTERM (SIGKILL 5 s later); its eBPF objects go with the process.  A
 * client that lets more than client_buffer bytes wait is dropped, so a
 * slow reader never holds up the child (whose ring buffer would fill).
 */
#ifndef GH_DAEMON_RUNS_H
#define GH_DAEMON_RUNS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <uv.h>

#include "base/buf.h"
#include "daemon/http_server.h"
#include "run/run_options.h"

struct gh_daemon_runs_opts {
	const char *exe;          /* the gadgethost binary the children run */
	size_t client_buffer;     /* bytes a client may leave waiting */
	size_t max_runs;
	/* what clients may pass: inline Lua, Lua limits (run_options.h) */
	struct gh_run_remote_policy policy;
	const char *inline_dir;   /* where inline scripts are written */
	/* the daemon's own run options (--hook-dir, --runc-root, ...), given
	 * to every run after the client's; NULL terminated, or NULL */
	const char *const *run_args;
};

struct gh_daemon_runs;

int gh_daemon_runs_new(struct gh_daemon_runs **out, uv_loop_t *loop,
		       const struct gh_daemon_runs_opts *opts);
/* POST /v1/runs: answer c (now with an error, or once the run started). */
void gh_daemon_runs_start(struct gh_daemon_runs *rs, struct gh_http_conn *c, const char *body,
			  size_t len, const char *peer);
/* A child that is not a run (e.g. `list -o json`): its stdout is the 200
 * answer once it exits 0, its stderr the 500 answer otherwise. */
void gh_daemon_runs_command(struct gh_daemon_runs *rs, struct gh_http_conn *c,
			    const char *const *args, const char *content_type);
/* DELETE /v1/runs/ID: 0, or -ENOENT. */
int gh_daemon_runs_stop(struct gh_daemon_runs *rs, uint64_t id);
/* GET /v1/runs: one JSON object per line. */
int gh_daemon_runs_list(struct gh_daemon_runs *rs, struct gh_buf *b);
/* Each run's process and programs (child_stats.h), run="ID". */
struct gh_prom_set;
int gh_daemon_runs_metrics(struct gh_daemon_runs *rs, struct gh_prom_set *p);
size_t gh_daemon_runs_active(const struct gh_daemon_runs *rs);
uint64_t gh_daemon_runs_dropped(const struct gh_daemon_runs *rs);
/* Stop every child; done(ctx) runs once the last one is gone. */
void gh_daemon_runs_shutdown(struct gh_daemon_runs *rs, void (*done)(void *ctx), void *ctx);
void gh_daemon_runs_free(struct gh_daemon_runs *rs);

/* The daemon's log: one line on stderr, with the time. */
void gh_daemon_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* An error answer: status, "gadgethost: " and the message on one line. */
void gh_daemon_answer(struct gh_http_conn *c, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
