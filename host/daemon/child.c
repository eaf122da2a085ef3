/* child.c - spawning a gadgethost child with its pipes (child.h). */
#include "daemon/child.h"

#include <stdlib.h>
#include <string.h>

int gh_child_spawn(uv_loop_t *loop, uv_process_t *proc, uv_pipe_t *out, uv_pipe_t *err,
		   const struct gh_child_spawn *o)
{
	uv_stdio_container_t stdio[5];
	uv_process_options_t po = {0};
	const char **argv;
	size_t n = 0;
	int ret;

	while (o->args[n])
		n++;
	argv = calloc(n + 2, sizeof(*argv));
	if (!argv)
		return UV_ENOMEM;
	uv_pipe_init(loop, out, 0);
	uv_pipe_init(loop, err, 0);
	argv[0] = o->exe;
	memcpy(argv + 1, o->args, n * sizeof(*argv));
	stdio[0].flags = UV_IGNORE;
	stdio[1].flags = UV_CREATE_PIPE | UV_WRITABLE_PIPE;
	stdio[1].data.stream = (uv_stream_t *)out;
	stdio[2].flags = UV_CREATE_PIPE | UV_WRITABLE_PIPE;
	stdio[2].data.stream = (uv_stream_t *)err;
	stdio[3].flags = o->fd3 >= 0 ? UV_INHERIT_FD : UV_IGNORE;
	stdio[3].data.fd = o->fd3;
	stdio[4].flags = o->fd4 >= 0 ? UV_INHERIT_FD : UV_IGNORE;
	stdio[4].data.fd = o->fd4;
	po.file = o->exe;
	po.args = (char **)argv;
	po.cwd = "/";
	po.flags = UV_PROCESS_DETACHED;
	po.stdio = stdio;
	po.stdio_count = o->fd4 >= 0 ? 5 : 4;
	po.exit_cb = o->on_exit;
	ret = uv_spawn(loop, proc, &po);
	free(argv);
	return ret;
}

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

void gh_child_stderr_take(struct gh_buf *errtext, struct gh_buf *errline, bool ready,
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

		line(ctx, errline->p, len);
		memmove(errline->p, nl + 1, errline->len - len - 1);
		errline->len -= len + 1;
		errline->p[errline->len] = '\0';
	}
}

int gh_child_report_take(struct gh_buf *partial, const char *data, size_t n, size_t max,
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
