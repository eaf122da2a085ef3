/* daemon_runs.c - one `gadgethost run` child per remote run, streamed. */
#include "daemon/daemon_runs.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/log.h"
#include "base/text.h"
#include "daemon/child.h"
#include "daemon/child_stats.h"
#include "daemon/run_request.h"
#include "output/out.h"

#define MAX_EARLY_OUTPUT (1 << 20) /* stdout kept before ready or for a command */

struct run {
	struct run *next;
	struct gh_daemon_runs *rs;
	uint64_t id;
	bool is_run;           /* a gadget run (ready file), not a command */
	char *gadget;
	char *peer;
	char *inline_dir;      /* the inline script's directory, removed at the end */
	char *content_type;
	struct gh_http_conn *conn;
	struct gh_child child; /* its process, pipes and stop (child.h) */
	struct gh_buf early;   /* stdout before ready (or all of a command's) */
	uint64_t bytes;
};

struct gh_daemon_runs {
	uv_loop_t *loop;
	struct gh_daemon_runs_opts opts;
	struct run *runs;
	size_t active;
	uint64_t next_id;
	uint64_t dropped;
	void (*shutdown_done)(void *ctx);
	void *shutdown_ctx;
};

/* A line of the daemon's log, through base/log.h: the daemon command's
 * sink stamps it and escapes it (names in a line come from clients), so one
 * call is one line and a client forges none.  Not cut: a run's arguments
 * can be long. */
void gh_daemon_log(const char *fmt, ...)
{
	struct gh_buf line = GH_BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	gh_buf_vprintf(&line, fmt, ap);
	va_end(ap);
	gh_log(GH_LOG_NOTICE, "%s", line.p ? line.p : "(out of memory)");
	gh_buf_free(&line);
}

int gh_daemon_runs_new(struct gh_daemon_runs **out, uv_loop_t *loop,
		       const struct gh_daemon_runs_opts *opts)
{
	struct gh_daemon_runs *rs = calloc(1, sizeof(*rs));

	*out = NULL;
	if (!rs)
		return -ENOMEM;
	rs->loop = loop;
	rs->opts = *opts;
	rs->next_id = 1;
	*out = rs;
	return 0;
}

size_t gh_daemon_runs_active(const struct gh_daemon_runs *rs)
{
	return rs->active;
}

uint64_t gh_daemon_runs_dropped(const struct gh_daemon_runs *rs)
{
	return rs->dropped;
}

void gh_daemon_answer(struct gh_http_conn *c, int status, const char *fmt, ...)
{
	struct gh_buf b = GH_BUF_INIT;
	va_list ap;

	gh_buf_puts(&b, "gadgethost: ");
	va_start(ap, fmt);
	gh_buf_vprintf(&b, fmt, ap);
	va_end(ap);
	gh_buf_putc(&b, '\n');
	gh_http_respond(c, status, NULL, b.p ? b.p : "", b.len);
	gh_buf_free(&b);
}

static void remove_inline(struct run *r)
{
	struct gh_buf path = GH_BUF_INIT;

	if (!r->inline_dir)
		return;
	gh_buf_printf(&path, "%s/%s", r->inline_dir, strrchr(r->gadget, '/') ?
		      strrchr(r->gadget, '/') + 1 : r->gadget);
	if (path.p)
		unlink(path.p);
	rmdir(r->inline_dir);
	gh_buf_free(&path);
}

static void run_free(struct run *r)
{
	struct gh_daemon_runs *rs = r->rs;

	for (struct run **p = &rs->runs; *p; p = &(*p)->next) {
		if (*p == r) {
			*p = r->next;
			break;
		}
	}
	if (r->is_run) {
		rs->active--;
		gh_child_stats_ref(-1);
	}
	remove_inline(r);
	gh_child_free(&r->child);
	gh_buf_free(&r->early);
	free(r->gadget);
	free(r->peer);
	free(r->inline_dir);
	free(r->content_type);
	free(r);
	if (!rs->runs && rs->shutdown_done) {
		void (*fn)(void *) = rs->shutdown_done;

		rs->shutdown_done = NULL;
		fn(rs->shutdown_ctx);
	}
}

/* every handle of the child closed */
static void run_closed(void *ctx)
{
	run_free(ctx);
}

/* The client went away: stop the child, drop what it still prints. */
static void on_conn_gone(void *ctx)
{
	struct run *r = ctx;

	r->conn = NULL;
	if (r->is_run && !r->child.exited)
		gh_daemon_log("run %" PRIu64 " (%s): client gone, stopping", r->id, r->gadget);
	gh_child_stop(&r->child);
}

/* A child that ended before it was ready: its stderr says why, or this. */
static void say_why_not_started(struct run *r)
{
	struct gh_child *ch = &r->child;

	if (!ch->errtext.len)
		gh_buf_printf(&ch->errtext, "gadgethost: the run ended (%s %d) before it started\n",
			      ch->sig ? "signal" : "exit", ch->sig ? ch->sig : (int)ch->status);
}

/* The child exited, its output read: the answer's end, the log's line. */
static void run_ended(void *ctx)
{
	struct run *r = ctx;
	struct gh_child *ch = &r->child;
	struct gh_http_conn *c = r->conn;
	bool failed = ch->status || ch->sig;

	if (r->is_run && !ch->ready_seen && failed) {
		size_t n;

		say_why_not_started(r);
		for (n = ch->errtext.len; n && ch->errtext.p[n - 1] == '\n'; n--)
			;
		gh_daemon_log("run %" PRIu64 " (%s) for %s did not start: %.*s", r->id, r->gadget,
			      r->peer, (int)n, ch->errtext.p ? ch->errtext.p : "");
	}
	if (r->is_run)
		gh_daemon_log("run %" PRIu64 " (%s) ended: %s %d, %" PRIu64 " bytes sent", r->id,
			      r->gadget, ch->sig ? "signal" : "exit",
			      ch->sig ? ch->sig : (int)ch->status, r->bytes);
	if (c) {
		gh_http_conn_on_close(c, NULL, NULL);
		r->conn = NULL;
		if (ch->ready_seen) {
			gh_http_stream_end(c);
		} else if (!failed) {
			gh_http_respond(c, 200, r->content_type, r->early.p ? r->early.p : "",
					r->early.len);
		} else {
			int st = ch->status == 1 ? 400 : 500;

			say_why_not_started(r);
			gh_http_respond(c, st, NULL, ch->errtext.p, ch->errtext.len);
		}
	}
}

/* The child's --ready-file said "ready": the stream starts, with what
 * was printed before. */
static void run_ready(void *ctx)
{
	struct run *r = ctx;
	struct gh_child *ch = &r->child;
	char extra[64];

	if (r->conn) {
		snprintf(extra, sizeof(extra), "X-Gadgethost-Run: %" PRIu64 "\r\n", r->id);
		gh_http_stream_start(r->conn, 200, r->content_type, extra);
		if (r->early.len) {
			gh_http_stream_write(r->conn, r->early.p, r->early.len);
			r->bytes += r->early.len;
		}
		gh_buf_free(&r->early);
	}
	if (ch->errtext.len) /* warnings before ready: the log has them */
		gh_daemon_log("run %" PRIu64 ": %.*s", r->id, (int)ch->errtext.len - 1,
			      ch->errtext.p);
}

static void run_out(void *ctx, const char *data, size_t n)
{
	struct run *r = ctx;
	struct gh_daemon_runs *rs = r->rs;

	if (!data || !r->conn)
		return;
	if (!r->child.ready_seen) {
		if (r->early.len + n > MAX_EARLY_OUTPUT)
			gh_child_stop(&r->child);
		else
			gh_buf_append(&r->early, data, n);
		return;
	}
	gh_http_stream_write(r->conn, data, n);
	r->bytes += n;
	if (r->conn && gh_http_conn_queued(r->conn) > rs->opts.client_buffer) {
		rs->dropped++;
		gh_daemon_log("run %" PRIu64 " (%s): client %s too slow (%zu bytes not taken): "
			      "dropped; %" PRIu64 " slow client%s dropped so far", r->id, r->gadget,
			      r->peer, gh_http_conn_queued(r->conn), rs->dropped,
			      rs->dropped == 1 ? "" : "s");
		gh_http_conn_abort(r->conn); /* on_conn_gone stops the child */
	}
}

static void log_stderr_line(void *ctx, const char *s, size_t len)
{
	gh_daemon_log("run %" PRIu64 ": %.*s", ((struct run *)ctx)->id, (int)len, s);
}

static const struct gh_child_ops run_ops = {
	.out = run_out,
	.err_line = log_stderr_line,
	.ready = run_ready,
	.ended = run_ended,
	.closed = run_closed,
};

static int write_inline(struct run *r, const struct gh_run_request *req, char **path)
{
	struct gh_buf b = GH_BUF_INIT;
	char *dir = NULL;
	int fd, ret = 0;

	*path = NULL;
	if (gh_buf_printf(&b, "%s/inline.XXXXXX", r->rs->opts.inline_dir))
		return -ENOMEM;
	mkdir(r->rs->opts.inline_dir, 0700);
	if (!mkdtemp(b.p)) {
		ret = -errno;
		gh_buf_free(&b);
		return ret;
	}
	dir = strdup(b.p);
	gh_buf_printf(&b, "/%s", req->argv[0]);
	fd = open(b.p, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0 || !dir || write(fd, req->script, req->script_len) != (ssize_t)req->script_len)
		ret = -EIO;
	if (fd >= 0)
		close(fd);
	r->inline_dir = dir;
	if (!ret)
		*path = strdup(b.p);
	gh_buf_free(&b);
	return ret ? ret : (*path ? 0 : -ENOMEM);
}

static struct run *run_new(struct gh_daemon_runs *rs, struct gh_http_conn *c, bool is_run,
			   const char *content_type)
{
	struct run *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	r->rs = rs;
	r->is_run = is_run;
	r->conn = c;
	r->content_type = strdup(content_type);
	gh_child_init(&r->child, rs->loop, &run_ops, r);
	r->next = rs->runs;
	rs->runs = r;
	if (is_run) {
		r->id = rs->next_id++;
		rs->active++;
		gh_child_stats_ref(1);
	}
	return r;
}

/* A run that did not start: release what it holds (no child). */
static void run_abandon(struct run *r)
{
	r->conn = NULL;
	gh_child_abandon(&r->child);
}

/* The child's arguments for the log: ["a","b"], each a JSON string. */
static void args_text(struct gh_buf *b, const char *const *args)
{
	gh_buf_putc(b, '[');
	for (size_t i = 0; args[i]; i++) {
		gh_buf_puts(b, i ? "," : "");
		gh_json_put_string(b, args[i], strlen(args[i]));
	}
	gh_buf_putc(b, ']');
}

void gh_daemon_runs_start(struct gh_daemon_runs *rs, struct gh_http_conn *c, const char *body,
			  size_t len, const char *peer)
{
	struct gh_run_request req;
	struct gh_buf argtext = GH_BUF_INIT;
	const char **args = NULL;
	struct run *r;
	char err[512];
	char *script_path = NULL;
	int ret;

	if (rs->shutdown_done) {
		gh_daemon_answer(c, 503, "the daemon is stopping");
		return;
	}
	if (rs->active >= rs->opts.max_runs) {
		gh_daemon_log("refused a run for %s (503): %zu runs already (--max-runs)", peer,
			      rs->active);
		gh_daemon_answer(c, 503, "%zu runs already (the daemon's --max-runs)", rs->active);
		return;
	}
	ret = gh_run_request_parse(body, len, &rs->opts.policy, &req, err, sizeof(err));
	if (ret) {
		int status = ret == -EPERM ? 403 : ret == -ENOMEM ? 500 : 400;

		gh_daemon_log("refused a run for %s (%d): %s", peer, status, err);
		gh_daemon_answer(c, status, "%s", err);
		return;
	}
	r = run_new(rs, c, true, req.json ? "application/x-ndjson" : "text/plain; charset=utf-8");
	if (!r) {
		gh_run_request_free(&req);
		gh_daemon_answer(c, 500, "out of memory");
		return;
	}
	r->gadget = strdup(req.gadget);
	r->peer = strdup(peer);
	if (req.script) {
		ret = write_inline(r, &req, &script_path);
		if (!ret) {
			free(req.argv[0]);
			req.argv[0] = script_path;
		} else {
			free(script_path);
		}
	}
	if (!ret) {
		args = gh_child_run_args(&req, rs->opts.run_args, true);
		ret = args ? gh_child_start(&r->child, rs->opts.exe, args, true) : UV_ENOMEM;
	}
	if (!ret) {
		gh_http_conn_on_close(c, on_conn_gone, r);
		args_text(&argtext, args);
		gh_daemon_log("run %" PRIu64 " (%s) for %s: pid %d: %s", r->id, r->gadget, r->peer,
			      r->child.proc.pid, argtext.p ? argtext.p : "(out of memory)");
		gh_buf_free(&argtext);
	} else {
		gh_daemon_log("run %" PRIu64 " (%s) for %s: starting it failed: %s", r->id,
			      r->gadget, r->peer, strerror(-ret));
		gh_daemon_answer(c, 500, "starting the run: %s", strerror(-ret));
		run_abandon(r);
	}
	free(args);
	gh_run_request_free(&req);
}

void gh_daemon_runs_command(struct gh_daemon_runs *rs, struct gh_http_conn *c,
			    const char *const *args, const char *content_type)
{
	struct run *r = run_new(rs, c, false, content_type);
	int ret;

	if (!r) {
		gh_daemon_answer(c, 500, "out of memory");
		return;
	}
	r->gadget = strdup(args[0]);
	ret = gh_child_start(&r->child, rs->opts.exe, args, false);
	if (ret) {
		gh_daemon_answer(c, 500, "%s: %s", args[0], strerror(-ret));
		run_abandon(r);
		return;
	}
	gh_http_conn_on_close(c, on_conn_gone, r);
}

int gh_daemon_runs_stop(struct gh_daemon_runs *rs, uint64_t id)
{
	for (struct run *r = rs->runs; r; r = r->next) {
		if (r->is_run && r->id == id && !r->child.exited) {
			gh_daemon_log("run %" PRIu64 " (%s): stop asked", r->id, r->gadget);
			gh_child_stop(&r->child);
			return 0;
		}
	}
	return -ENOENT;
}

int gh_daemon_runs_list(struct gh_daemon_runs *rs, struct gh_buf *b)
{
	int ret = 0;

	for (struct run *r = rs->runs; r && !ret; r = r->next) {
		if (!r->is_run || r->child.exited)
			continue;
		ret = gh_buf_printf(b, "{\"id\":%" PRIu64 ",\"pid\":%d,\"gadget\":", r->id,
				    r->child.proc.pid);
		if (!ret)
			ret = gh_json_put_string(b, r->gadget, strlen(r->gadget));
		if (!ret)
			ret = gh_buf_printf(b, ",\"client\":");
		if (!ret)
			ret = gh_json_put_string(b, r->peer ? r->peer : "", r->peer ? strlen(r->peer) : 0);
		if (!ret)
			ret = gh_buf_printf(b, ",\"started\":%s,\"bytes\":%" PRIu64 "}\n",
					    r->child.ready_seen ? "true" : "false", r->bytes);
	}
	return ret;
}

int gh_daemon_runs_metrics(struct gh_daemon_runs *rs, struct gh_prom_set *p)
{
	int ret = 0;

	for (struct run *r = rs->runs; r && !ret; r = r->next) {
		struct gh_buf l = GH_BUF_INIT;
		const struct gh_buf *rep;

		if (!r->is_run || r->child.exited || !r->child.ready_seen)
			continue;
		ret = gh_buf_printf(&l, "run=\"%" PRIu64 "\"", r->id);
		ret = ret ? ret : gh_child_stats_metrics(p, r->child.proc.pid, l.p);
		rep = &r->child.last_report;
		if (!ret && rep->len)
			ret = gh_prom_set_merge(p, rep->p, rep->len, l.p);
		gh_buf_free(&l);
	}
	return ret;
}

void gh_daemon_runs_shutdown(struct gh_daemon_runs *rs, void (*done)(void *ctx), void *ctx)
{
	rs->shutdown_done = done;
	rs->shutdown_ctx = ctx;
	if (!rs->runs) {
		rs->shutdown_done = NULL;
		done(ctx);
		return;
	}
	for (struct run *r = rs->runs; r; r = r->next)
		gh_child_stop(&r->child);
}

void gh_daemon_runs_free(struct gh_daemon_runs *rs)
{
	free(rs);
}
