/* daemon_runs.c - one `gadgethost run` child per remote run, streamed. */
#include "daemon/daemon_runs.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
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

#define KILL_AFTER_MS 5000
#define READY_FD 3
#define MAX_EARLY_OUTPUT (1 << 20) /* stdout kept before ready or for a command */
#define MAX_REPORT (4 << 20)       /* a --report-fd block */
#define MAX_STDERR (64 << 10)

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
	uv_process_t proc;
	uv_pipe_t out, err, ready, report;
	uv_timer_t kill_timer;
	int open_handles;
	bool exited, out_eof, err_eof, ready_seen, ready_open, report_open, stopping;
	int64_t exit_status;
	int term_signal;
	struct gh_buf early;   /* stdout before ready (or all of a command's) */
	struct gh_buf errtext; /* stderr before ready */
	struct gh_buf errline; /* stderr after ready: a partial line for the log */
	struct gh_buf rep, last_report; /* --report-fd: the block being read, the last */
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

static void answer_text(struct gh_http_conn *c, int status, const char *fmt, ...)
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
	gh_buf_free(&r->early);
	gh_buf_free(&r->errtext);
	gh_buf_free(&r->errline);
	gh_buf_free(&r->rep);
	gh_buf_free(&r->last_report);
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

static void on_handle_closed(uv_handle_t *h)
{
	struct run *r = h->data;

	if (--r->open_handles == 0)
		run_free(r);
}

static void on_kill_timer(uv_timer_t *t)
{
	struct run *r = t->data;

	if (!r->exited)
		uv_process_kill(&r->proc, SIGKILL);
}

static void stop_with_timer(struct run *r)
{
	if (r->stopping || r->exited)
		return;
	r->stopping = true;
	uv_process_kill(&r->proc, SIGTERM);
	uv_timer_start(&r->kill_timer, on_kill_timer, KILL_AFTER_MS, 0);
}

/* The client went away: stop the child, drop what it still prints. */
static void on_conn_gone(void *ctx)
{
	struct run *r = ctx;

	r->conn = NULL;
	if (r->is_run && !r->exited)
		gh_daemon_log("run %" PRIu64 " (%s): client gone, stopping", r->id, r->gadget);
	stop_with_timer(r);
}

/* A child that ended before it was ready: its stderr says why, or this. */
static void say_why_not_started(struct run *r)
{
	if (!r->errtext.len)
		gh_buf_printf(&r->errtext, "gadgethost: the run ended (%s %d) before it started\n",
			      r->term_signal ? "signal" : "exit",
			      r->term_signal ? r->term_signal : (int)r->exit_status);
}

static void finish(struct run *r)
{
	struct gh_http_conn *c = r->conn;
	bool failed = r->exit_status || r->term_signal;

	if (!r->exited || !r->out_eof || !r->err_eof)
		return;
	if (r->is_run && !r->ready_seen && failed) {
		size_t n;

		say_why_not_started(r);
		for (n = r->errtext.len; n && r->errtext.p[n - 1] == '\n'; n--)
			;
		gh_daemon_log("run %" PRIu64 " (%s) for %s did not start: %.*s", r->id, r->gadget,
			      r->peer, (int)n, r->errtext.p ? r->errtext.p : "");
	}
	if (r->is_run)
		gh_daemon_log("run %" PRIu64 " (%s) ended: %s %d, %" PRIu64 " bytes sent", r->id,
			      r->gadget, r->term_signal ? "signal" : "exit",
			      r->term_signal ? r->term_signal : (int)r->exit_status, r->bytes);
	if (c) {
		gh_http_conn_on_close(c, NULL, NULL);
		r->conn = NULL;
		if (r->ready_seen) {
			gh_http_stream_end(c);
		} else if (!failed) {
			gh_http_respond(c, 200, r->content_type, r->early.p ? r->early.p : "",
					r->early.len);
		} else {
			int st = r->exit_status == 1 ? 400 : 500;

			say_why_not_started(r);
			gh_http_respond(c, st, NULL, r->errtext.p, r->errtext.len);
		}
	}
	uv_close((uv_handle_t *)&r->proc, on_handle_closed);
	uv_close((uv_handle_t *)&r->kill_timer, on_handle_closed);
	if (r->ready_open) {
		r->ready_open = false;
		uv_close((uv_handle_t *)&r->ready, on_handle_closed);
	}
	if (r->report_open) {
		r->report_open = false;
		uv_close((uv_handle_t *)&r->report, on_handle_closed);
	}
}

static void on_exit_cb(uv_process_t *p, int64_t status, int term_signal)
{
	struct run *r = p->data;

	r->exited = true;
	r->exit_status = status;
	r->term_signal = term_signal;
	uv_timer_stop(&r->kill_timer);
	finish(r);
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	static char slab[65536];

	buf->base = slab;
	buf->len = sizeof(slab);
}

static void go_ready(struct run *r)
{
	char extra[64];

	if (r->ready_seen)
		return;
	r->ready_seen = true;
	if (!r->conn)
		return;
	snprintf(extra, sizeof(extra), "X-Gadgethost-Run: %" PRIu64 "\r\n", r->id);
	gh_http_stream_start(r->conn, 200, r->content_type, extra);
	if (r->early.len) {
		gh_http_stream_write(r->conn, r->early.p, r->early.len);
		r->bytes += r->early.len;
	}
	gh_buf_free(&r->early);
}

static void on_stdout(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
	struct run *r = s->data;
	struct gh_daemon_runs *rs = r->rs;

	if (n < 0) {
		r->out_eof = true;
		uv_close((uv_handle_t *)s, on_handle_closed);
		finish(r);
		return;
	}
	if (!n || !r->conn)
		return;
	if (!r->ready_seen) {
		if (r->early.len + (size_t)n > MAX_EARLY_OUTPUT)
			stop_with_timer(r);
		else
			gh_buf_append(&r->early, buf->base, (size_t)n);
		return;
	}
	gh_http_stream_write(r->conn, buf->base, (size_t)n);
	r->bytes += (size_t)n;
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

/* Before ready: kept for the error answer.  After: to the log by line. */
static void on_stderr(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
	struct run *r = s->data;

	if (n < 0) {
		if (r->errline.len)
			gh_daemon_log("run %" PRIu64 ": %s", r->id, r->errline.p);
		r->err_eof = true;
		uv_close((uv_handle_t *)s, on_handle_closed);
		finish(r);
		return;
	}
	gh_child_stderr_take(&r->errtext, &r->errline, r->ready_seen, buf->base, (size_t)n,
			     MAX_STDERR, log_stderr_line, r);
}

static void on_ready(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
	struct run *r = s->data;

	if (n > 0) {
		/* the child's --ready-file: "ready\n" */
		go_ready(r);
		if (r->errtext.len) { /* warnings before ready: the log has them */
			gh_daemon_log("run %" PRIu64 ": %.*s", r->id, (int)r->errtext.len - 1,
				      r->errtext.p);
			gh_buf_reset(&r->errtext);
		}
	}
	if (n != 0 && r->ready_open) {
		r->ready_open = false;
		uv_close((uv_handle_t *)s, on_handle_closed);
	}
}

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

/* Read fd (a pipe's end the child does not hold) on p. */
static void read_pipe(struct run *r, uv_pipe_t *p, int fd, bool *open, uv_read_cb cb)
{
	uv_pipe_init(r->rs->loop, p, 0);
	p->data = r;
	r->open_handles++;
	*open = true;
	uv_pipe_open(p, fd);
	uv_read_start((uv_stream_t *)p, on_alloc, cb);
}

/* --report-fd: the run's counters (run/run_report.h), the last block kept */
static void on_report(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
	struct run *r = s->data;

	if (n > 0) {
		gh_child_report_take(&r->rep, buf->base, (size_t)n, MAX_REPORT, &r->last_report);
	} else if (n < 0 && r->report_open) {
		r->report_open = false;
		uv_close((uv_handle_t *)s, on_handle_closed);
	}
}

/* Spawn exe with args (after argv[0], NULL terminated); ready_fd >= 0:
 * passed as fd 3, report_fd as fd 4. */
static int spawn(struct run *r, const char *const *args, int ready_fd, int report_fd)
{
	struct gh_daemon_runs *rs = r->rs;
	struct gh_child_spawn o = {.exe = rs->opts.exe, .args = args, .fd3 = ready_fd,
				   .fd4 = report_fd, .on_exit = on_exit_cb};
	int ret;

	r->proc.data = r;
	ret = gh_child_spawn(rs->loop, &r->proc, &r->out, &r->err, &o);
	if (ret == UV_ENOMEM)
		return ret;
	r->out.data = r->err.data = r;
	r->open_handles += 3; /* out, err, proc */
	if (ret) {
		uv_close((uv_handle_t *)&r->proc, on_handle_closed);
		uv_close((uv_handle_t *)&r->out, on_handle_closed);
		uv_close((uv_handle_t *)&r->err, on_handle_closed);
		return ret;
	}
	uv_read_start((uv_stream_t *)&r->out, on_alloc, on_stdout);
	uv_read_start((uv_stream_t *)&r->err, on_alloc, on_stderr);
	return 0;
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
	uv_timer_init(rs->loop, &r->kill_timer);
	r->kill_timer.data = r;
	r->ready.data = r;
	r->open_handles = 1; /* kill_timer */
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
	r->exited = r->out_eof = r->err_eof = true;
	uv_close((uv_handle_t *)&r->kill_timer, on_handle_closed);
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
	int fds[2] = {-1, -1}, rep[2] = {-1, -1};
	int ret;

	if (rs->shutdown_done) {
		answer_text(c, 503, "the daemon is stopping");
		return;
	}
	if (rs->active >= rs->opts.max_runs) {
		gh_daemon_log("refused a run for %s (503): %zu runs already (--max-runs)", peer,
			      rs->active);
		answer_text(c, 503, "%zu runs already (the daemon's --max-runs)", rs->active);
		return;
	}
	ret = gh_run_request_parse(body, len, &rs->opts.policy, &req, err, sizeof(err));
	if (ret) {
		int status = ret == -EPERM ? 403 : ret == -ENOMEM ? 500 : 400;

		gh_daemon_log("refused a run for %s (%d): %s", peer, status, err);
		answer_text(c, status, "%s", err);
		return;
	}
	r = run_new(rs, c, true, req.json ? "application/x-ndjson" : "text/plain; charset=utf-8");
	if (!r) {
		gh_run_request_free(&req);
		answer_text(c, 500, "out of memory");
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
	if (!ret && (pipe2(fds, O_CLOEXEC) || pipe2(rep, O_CLOEXEC)))
		ret = -errno;
	if (!ret) {
		args = gh_child_run_args(&req, rs->opts.run_args, true);
		ret = args ? spawn(r, args, fds[1], rep[1]) : UV_ENOMEM;
	}
	if (fds[1] >= 0)
		close(fds[1]);
	if (rep[1] >= 0)
		close(rep[1]);
	if (!ret) {
		read_pipe(r, &r->report, rep[0], &r->report_open, on_report);
		read_pipe(r, &r->ready, fds[0], &r->ready_open, on_ready);
		gh_http_conn_on_close(c, on_conn_gone, r);
		args_text(&argtext, args);
		gh_daemon_log("run %" PRIu64 " (%s) for %s: pid %d: %s", r->id, r->gadget, r->peer,
			      r->proc.pid, argtext.p ? argtext.p : "(out of memory)");
		gh_buf_free(&argtext);
	} else {
		if (fds[0] >= 0)
			close(fds[0]);
		if (rep[0] >= 0)
			close(rep[0]);
		gh_daemon_log("run %" PRIu64 " (%s) for %s: starting it failed: %s", r->id,
			      r->gadget, r->peer, strerror(-ret));
		answer_text(c, 500, "starting the run: %s", strerror(-ret));
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
		answer_text(c, 500, "out of memory");
		return;
	}
	r->gadget = strdup(args[0]);
	ret = spawn(r, args, -1, -1);
	if (ret) {
		answer_text(c, 500, "%s: %s", args[0], strerror(-ret));
		run_abandon(r);
		return;
	}
	gh_http_conn_on_close(c, on_conn_gone, r);
}

int gh_daemon_runs_stop(struct gh_daemon_runs *rs, uint64_t id)
{
	for (struct run *r = rs->runs; r; r = r->next) {
		if (r->is_run && r->id == id && !r->exited) {
			gh_daemon_log("run %" PRIu64 " (%s): stop asked", r->id, r->gadget);
			stop_with_timer(r);
			return 0;
		}
	}
	return -ENOENT;
}

int gh_daemon_runs_list(struct gh_daemon_runs *rs, struct gh_buf *b)
{
	int ret = 0;

	for (struct run *r = rs->runs; r && !ret; r = r->next) {
		if (!r->is_run || r->exited)
			continue;
		ret = gh_buf_printf(b, "{\"id\":%" PRIu64 ",\"pid\":%d,\"gadget\":", r->id,
				    r->proc.pid);
		if (!ret)
			ret = gh_json_put_string(b, r->gadget, strlen(r->gadget));
		if (!ret)
			ret = gh_buf_printf(b, ",\"client\":");
		if (!ret)
			ret = gh_json_put_string(b, r->peer ? r->peer : "", r->peer ? strlen(r->peer) : 0);
		if (!ret)
			ret = gh_buf_printf(b, ",\"started\":%s,\"bytes\":%" PRIu64 "}\n",
					    r->ready_seen ? "true" : "false", r->bytes);
	}
	return ret;
}

int gh_daemon_runs_metrics(struct gh_daemon_runs *rs, struct gh_prom_set *p)
{
	int ret = 0;

	for (struct run *r = rs->runs; r && !ret; r = r->next) {
		struct gh_buf l = GH_BUF_INIT;

		if (!r->is_run || r->exited || !r->ready_seen)
			continue;
		ret = gh_buf_printf(&l, "run=\"%" PRIu64 "\"", r->id);
		ret = ret ? ret : gh_child_stats_metrics(p, r->proc.pid, l.p);
		if (!ret && r->last_report.len)
			ret = gh_prom_set_merge(p, r->last_report.p, r->last_report.len, l.p);
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
		stop_with_timer(r);
}

void gh_daemon_runs_free(struct gh_daemon_runs *rs)
{
	free(rs);
}
