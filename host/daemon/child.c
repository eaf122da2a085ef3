/* child.c - a gadgethost child of the daemon: started with its pipes,
 * read, stopped, and closed (child.h). */
#include "daemon/child.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char **gh_child_run_args(const struct gh_run_request *req, const char *const *daemon_args,
			       bool report)
{
	size_t n = 0, extra = 0;
	const char **args;

	while (daemon_args && daemon_args[extra])
		extra++;
	args = calloc(req->argc + extra + 4, sizeof(*args));
	if (!args)
		return NULL;
	args[n++] = "run";
	for (size_t i = 0; i < req->argc; i++)
		args[n++] = req->argv[i];
	for (size_t i = 0; i < extra; i++)
		args[n++] = daemon_args[i];
	args[n++] = "--ready-file=/dev/fd/3";
	if (report)
		args[n++] = "--report-fd=4";
	return args;
}

/* Before ready: kept in errtext, up to max bytes, for the reason the
 * child did not start.  After: cut into lines in errline (a partial one
 * waits there; past max it is dropped), each handed to line(). */
static void err_take(struct gh_buf *errtext, struct gh_buf *errline, bool ready,
		     const char *data, size_t n, size_t max,
		     void (*line)(void *ctx, const char *s, size_t len), void *ctx)
{
	char *nl;

	if (!ready) {
		if (errtext->len + n <= max)
			gh_buf_append(errtext, data, n);
		return;
	}
	if (errline->len + n > max)
		gh_buf_reset(errline);
	gh_buf_append(errline, data, n);
	while (errline->p && (nl = memchr(errline->p, '\n', errline->len))) {
		size_t len = (size_t)(nl - errline->p);

		if (line)
			line(ctx, errline->p, len);
		memmove(errline->p, nl + 1, errline->len - len - 1);
		errline->len -= len + 1;
		errline->p[errline->len] = '\0';
	}
}

/* Each whole report block (run/run_report.h: ended by "# EOF") replaces
 * *last; a block past max bytes is dropped.  0 or -ENOMEM. */
static int report_take(struct gh_buf *partial, const char *data, size_t n, size_t max,
		       struct gh_buf *last)
{
	static const char eof[] = "# EOF\n";
	char *end;
	int ret;

	if (partial->len + n > max)
		gh_buf_reset(partial);
	ret = gh_buf_append(partial, data, n);
	while (!ret && partial->p && (end = strstr(partial->p, eof))) {
		size_t len = (size_t)(end - partial->p), rest = partial->len - len - strlen(eof);

		gh_buf_reset(last);
		ret = gh_buf_append(last, partial->p, len);
		memmove(partial->p, end + strlen(eof), rest);
		partial->len = rest;
		partial->p[rest] = '\0';
	}
	return ret;
}

void gh_child_init(struct gh_child *c, uv_loop_t *loop, const struct gh_child_ops *ops,
		   void *ctx)
{
	c->loop = loop;
	c->ops = ops;
	c->ctx = ctx;
	uv_timer_init(loop, &c->kill_timer);
	c->kill_timer.data = c;
	c->open_handles = 1;
}

static void on_closed(uv_handle_t *h)
{
	struct gh_child *c = h->data;

	if (--c->open_handles == 0)
		c->ops->closed(c->ctx);
}

static void close_handle(struct gh_child *c, void *h)
{
	((uv_handle_t *)h)->data = c;
	uv_close(h, on_closed);
}

static void close_if_open(struct gh_child *c, void *h, bool *open)
{
	if (*open) {
		*open = false;
		close_handle(c, h);
	}
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	static char slab[65536];

	buf->base = slab;
	buf->len = sizeof(slab);
}

/* Exited, its stdout and stderr at their end: the owner's word, then
 * its handles closed. */
static void maybe_end(struct gh_child *c)
{
	if (!c->exited || !c->out_eof || !c->err_eof)
		return;
	if (c->ops->ended)
		c->ops->ended(c->ctx);
	close_handle(c, &c->proc);
	close_handle(c, &c->kill_timer);
	close_if_open(c, &c->ready, &c->ready_open);
	close_if_open(c, &c->report, &c->report_open);
}

static void on_exit_cb(uv_process_t *p, int64_t status, int sig)
{
	struct gh_child *c = p->data;

	c->exited = true;
	c->status = status;
	c->sig = sig;
	uv_timer_stop(&c->kill_timer);
	maybe_end(c);
}

static void on_stdout(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
	struct gh_child *c = s->data;

	if (n < 0) {
		c->out_eof = true;
		if (c->ops->out)
			c->ops->out(c->ctx, NULL, 0);
		close_handle(c, s);
		maybe_end(c);
	} else if (n > 0 && c->ops->out) {
		c->ops->out(c->ctx, buf->base, (size_t)n);
	}
}

static void on_stderr(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
	struct gh_child *c = s->data;

	if (n < 0) {
		if (c->errline.len && c->ops->err_line)
			c->ops->err_line(c->ctx, c->errline.p, c->errline.len);
		c->err_eof = true;
		close_handle(c, s);
		maybe_end(c);
		return;
	}
	err_take(&c->errtext, &c->errline, c->ready_seen, buf->base, (size_t)n,
		 GH_CHILD_MAX_STDERR, c->ops->err_line, c->ctx);
}

/* fd 3, the child's --ready-file: "ready\n" */
static void on_ready(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
	struct gh_child *c = s->data;

	if (n > 0 && !c->ready_seen) {
		c->ready_seen = true;
		if (c->ops->ready)
			c->ops->ready(c->ctx);
		gh_buf_reset(&c->errtext);
	}
	if (n != 0)
		close_if_open(c, s, &c->ready_open);
}

/* fd 4, --report-fd: the run's counters, the last block kept */
static void on_report(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
	struct gh_child *c = s->data;

	if (n > 0)
		report_take(&c->rep, buf->base, (size_t)n, GH_CHILD_MAX_REPORT, &c->last_report);
	else if (n < 0)
		close_if_open(c, s, &c->report_open);
}

/* Read fd (a pipe's end the child does not hold) on p. */
static void read_pipe(struct gh_child *c, uv_pipe_t *p, int fd, bool *open, uv_read_cb cb)
{
	uv_pipe_init(c->loop, p, 0);
	p->data = c;
	c->open_handles++;
	*open = true;
	uv_pipe_open(p, fd);
	uv_read_start((uv_stream_t *)p, on_alloc, cb);
}

/* uv_pipe_init() out and err, spawn: 0, or a libuv error; in both cases
 * proc, out and err are open, but for UV_ENOMEM: nothing was opened. */
static int spawn(struct gh_child *c, const char *exe, const char *const *args, int fd3,
		 int fd4)
{
	uv_stdio_container_t stdio[5];
	uv_process_options_t po = {0};
	const char **argv;
	size_t n = 0;
	int ret;

	while (args[n])
		n++;
	argv = calloc(n + 2, sizeof(*argv));
	if (!argv)
		return UV_ENOMEM;
	uv_pipe_init(c->loop, &c->out, 0);
	uv_pipe_init(c->loop, &c->err, 0);
	c->proc.data = c->out.data = c->err.data = c;
	c->open_handles += 3;
	argv[0] = exe;
	memcpy(argv + 1, args, n * sizeof(*argv));
	stdio[0].flags = UV_IGNORE;
	stdio[1].flags = UV_CREATE_PIPE | UV_WRITABLE_PIPE;
	stdio[1].data.stream = (uv_stream_t *)&c->out;
	stdio[2].flags = UV_CREATE_PIPE | UV_WRITABLE_PIPE;
	stdio[2].data.stream = (uv_stream_t *)&c->err;
	stdio[3].flags = fd3 >= 0 ? UV_INHERIT_FD : UV_IGNORE;
	stdio[3].data.fd = fd3;
	stdio[4].flags = fd4 >= 0 ? UV_INHERIT_FD : UV_IGNORE;
	stdio[4].data.fd = fd4;
	po.file = exe;
	po.args = (char **)argv;
	po.cwd = "/";
	po.flags = UV_PROCESS_DETACHED;
	po.stdio = stdio;
	po.stdio_count = fd4 >= 0 ? 5 : 4;
	po.exit_cb = on_exit_cb;
	ret = uv_spawn(c->loop, &c->proc, &po);
	free(argv);
	return ret;
}

int gh_child_start(struct gh_child *c, const char *exe, const char *const *args, bool pipes)
{
	int ready[2] = {-1, -1}, report[2] = {-1, -1};
	int ret = 0;

	if (pipes && (pipe2(ready, O_CLOEXEC) || pipe2(report, O_CLOEXEC)))
		ret = -errno;
	if (!ret)
		ret = spawn(c, exe, args, ready[1], report[1]);
	if (!ret) {
		uv_read_start((uv_stream_t *)&c->out, on_alloc, on_stdout);
		uv_read_start((uv_stream_t *)&c->err, on_alloc, on_stderr);
	}
	if (!ret && pipes) {
		read_pipe(c, &c->report, report[0], &c->report_open, on_report);
		read_pipe(c, &c->ready, ready[0], &c->ready_open, on_ready);
		ready[0] = report[0] = -1;
	}
	for (int i = 0; i < 2; i++) {
		if (ready[i] >= 0)
			close(ready[i]);
		if (report[i] >= 0)
			close(report[i]);
	}
	if (ret && c->open_handles > 1) { /* spawn failed: proc, out and err open */
		close_handle(c, &c->proc);
		close_handle(c, &c->out);
		close_handle(c, &c->err);
	}
	if (ret)
		gh_child_abandon(c);
	return ret;
}

void gh_child_abandon(struct gh_child *c)
{
	if (uv_is_closing((uv_handle_t *)&c->kill_timer))
		return;
	c->exited = c->out_eof = c->err_eof = true;
	close_handle(c, &c->kill_timer);
}

static void on_kill_timer(uv_timer_t *t)
{
	struct gh_child *c = t->data;

	if (!c->exited)
		uv_process_kill(&c->proc, SIGKILL);
}

void gh_child_stop(struct gh_child *c)
{
	if (c->stopping || c->exited)
		return;
	c->stopping = true;
	uv_process_kill(&c->proc, SIGTERM);
	uv_timer_start(&c->kill_timer, on_kill_timer, GH_CHILD_KILL_AFTER_MS, 0);
}

void gh_child_free(struct gh_child *c)
{
	gh_buf_free(&c->errtext);
	gh_buf_free(&c->errline);
	gh_buf_free(&c->rep);
	gh_buf_free(&c->last_report);
}
