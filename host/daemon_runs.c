/* daemon_runs.c - one `gadgethost run` child per remote run, streamed. */
#include "daemon_runs.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "out.h"
#include "run_request.h"

#define KILL_AFTER_MS 5000
#define READY_FD 3
#define MAX_EARLY_OUTPUT (1 << 20) /* stdout kept before ready or for a command */
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
	uv_pipe_t out, err, ready;
	uv_timer_t kill_timer;
	int open_handles;
	bool exited, out_eof, err_eof, ready_seen, ready_open, stopping;
	int64_t exit_status;
	int term_signal;
	struct gh_buf early;   /* stdout before ready (or all of a command's) */
	struct gh_buf errtext; /* stderr before ready */
	struct gh_buf errline; /* stderr after ready: a partial line for the log */
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

void gh_daemon_log(const char *fmt, ...)
{
	char when[32];
	time_t now = time(NULL);
	struct tm tm;
	va_list ap;

	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&now, &tm));
	fprintf(stderr, "%s gadgethost daemon: ", when);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	fflush(stderr);
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
	if (r->is_run)
		rs->active--;
	remove_inline(r);
	gh_buf_free(&r->early);
	gh_buf_free(&r->errtext);
	gh_buf_free(&r->errline);
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

static void finish(struct run *r)
{
	struct gh_http_conn *c = r->conn;

	if (!r->exited || !r->out_eof || !r->err_eof)
		return;
	if (r->is_run)
		gh_daemon_log("run %" PRIu64 " (%s) ended: %s %d, %" PRIu64 " bytes sent", r->id,
			      r->gadget, r->term_signal ? "signal" : "exit",
			      r->term_signal ? r->term_signal : (int)r->exit_status, r->bytes);
	if (c) {
		gh_http_conn_on_close(c, NULL, NULL);
		r->conn = NULL;
		if (r->ready_seen) {
			gh_http_stream_end(c);
		} else if (r->exit_status == 0 && !r->term_signal) {
			gh_http_respond(c, 200, r->content_type, r->early.p ? r->early.p : "",
					r->early.len);
		} else {
			int st = r->exit_status == 1 ? 400 : 500;

			if (!r->errtext.len)
				gh_buf_printf(&r->errtext, "gadgethost: the run ended (%s %d) before "
					      "it started\n", r->term_signal ? "signal" : "exit",
					      r->term_signal ? r->term_signal : (int)r->exit_status);
			gh_http_respond(c, st, NULL, r->errtext.p, r->errtext.len);
		}
	}
	uv_close((uv_handle_t *)&r->proc, on_handle_closed);
	uv_close((uv_handle_t *)&r->kill_timer, on_handle_closed);
	if (r->ready_open) {
		r->ready_open = false;
		uv_close((uv_handle_t *)&r->ready, on_handle_closed);
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

/* Before ready: kept for the error answer.  After: to the log by line. */
static void on_stderr(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
	struct run *r = s->data;
	char *nl;

	if (n < 0) {
		if (r->errline.len)
			gh_daemon_log("run %" PRIu64 ": %s", r->id, r->errline.p);
		r->err_eof = true;
		uv_close((uv_handle_t *)s, on_handle_closed);
		finish(r);
		return;
	}
	if (!r->ready_seen) {
		if (r->errtext.len + (size_t)n <= MAX_STDERR)
			gh_buf_append(&r->errtext, buf->base, (size_t)n);
		return;
	}
	if (r->errline.len + (size_t)n > MAX_STDERR)
		gh_buf_reset(&r->errline);
	gh_buf_append(&r->errline, buf->base, (size_t)n);
	while (r->errline.p && (nl = memchr(r->errline.p, '\n', r->errline.len))) {
		size_t len = (size_t)(nl - r->errline.p);

		gh_daemon_log("run %" PRIu64 ": %.*s", r->id, (int)len, r->errline.p);
		memmove(r->errline.p, nl + 1, r->errline.len - len - 1);
		r->errline.len -= len + 1;
		r->errline.p[r->errline.len] = '\0';
	}
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

/* Spawn exe with args (after argv[0]); ready_fd >= 0: passed as fd 3. */
static int spawn(struct run *r, const char *const *args, int ready_fd)
{
	struct gh_daemon_runs *rs = r->rs;
	const char *argv[300];
	uv_stdio_container_t stdio[4];
	uv_process_options_t po = {0};
	size_t n = 0;
	int ret;

	argv[n++] = rs->opts.exe;
	for (size_t i = 0; args[i] && n < 299; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	uv_pipe_init(rs->loop, &r->out, 0);
	uv_pipe_init(rs->loop, &r->err, 0);
	r->out.data = r->err.data = r;
	stdio[0].flags = UV_IGNORE;
	stdio[1].flags = UV_CREATE_PIPE | UV_WRITABLE_PIPE;
	stdio[1].data.stream = (uv_stream_t *)&r->out;
	stdio[2].flags = UV_CREATE_PIPE | UV_WRITABLE_PIPE;
	stdio[2].data.stream = (uv_stream_t *)&r->err;
	stdio[3].flags = ready_fd >= 0 ? UV_INHERIT_FD : UV_IGNORE;
	stdio[3].data.fd = ready_fd;
	po.file = rs->opts.exe;
	po.args = (char **)argv;
	po.cwd = "/";
	po.flags = UV_PROCESS_DETACHED;
	po.stdio = stdio;
	po.stdio_count = 4;
	po.exit_cb = on_exit_cb;
	r->proc.data = r;
	ret = uv_spawn(rs->loop, &r->proc, &po);
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

static const char *content_type_for(const struct gh_run_request *req)
{
	for (size_t i = 1; i + 1 < req->argc; i++)
		if (!strcmp(req->argv[i], "-o") || !strcmp(req->argv[i], "--output"))
			if (strcmp(req->argv[i + 1], "json"))
				return "text/plain; charset=utf-8";
	return "application/x-ndjson";
}

void gh_daemon_runs_start(struct gh_daemon_runs *rs, struct gh_http_conn *c, const char *body,
			  size_t len, const char *peer)
{
	struct gh_run_request req;
	struct run *r;
	char err[512];
	char *script_path = NULL;
	int fds[2] = {-1, -1};
	int ret;

	if (rs->shutdown_done) {
		answer_text(c, 503, "the daemon is stopping");
		return;
	}
	if (rs->active >= rs->opts.max_runs) {
		answer_text(c, 503, "%zu runs already (the daemon's --max-runs)", rs->active);
		return;
	}
	ret = gh_run_request_parse(body, len, rs->opts.allow_inline, &req, err, sizeof(err));
	if (ret) {
		answer_text(c, ret == -EPERM ? 403 : ret == -ENOMEM ? 500 : 400, "%s", err);
		return;
	}
	r = run_new(rs, c, true, content_type_for(&req));
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
	if (!ret && pipe2(fds, O_CLOEXEC))
		ret = -errno;
	if (!ret) {
		const char *args[300];
		size_t n = 0;

		args[n++] = "run";
		for (size_t i = 0; i < req.argc && n < 280; i++)
			args[n++] = req.argv[i];
		for (size_t i = 0; rs->opts.run_args && rs->opts.run_args[i] && n < 296; i++)
			args[n++] = rs->opts.run_args[i];
		args[n++] = "--ready-file";
		args[n++] = "/dev/fd/3";
		args[n] = NULL;
		ret = spawn(r, args, fds[1]);
	}
	if (fds[1] >= 0)
		close(fds[1]);
	if (!ret) {
		uv_pipe_init(rs->loop, &r->ready, 0);
		r->ready.data = r;
		r->open_handles++;
		r->ready_open = true;
		uv_pipe_open(&r->ready, fds[0]);
		uv_read_start((uv_stream_t *)&r->ready, on_alloc, on_ready);
		gh_http_conn_on_close(c, on_conn_gone, r);
		gh_daemon_log("run %" PRIu64 " (%s) for %s: pid %d", r->id, r->gadget, r->peer,
			      r->proc.pid);
	} else {
		if (fds[0] >= 0)
			close(fds[0]);
		answer_text(c, 500, "starting the run: %s", strerror(-ret));
		run_abandon(r);
	}
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
	ret = spawn(r, args, -1);
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
