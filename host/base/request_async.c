/* request_async.c - one request to a request_server.h socket, on the loop. */
#include "base/request_async.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "base/request_client.h"
#include "base/request_server.h"

struct gh_request_async {
	uv_pipe_t pipe;
	uv_timer_t timer;
	uv_connect_t connect;
	uv_write_t write;
	int open_handles;
	bool finished;             /* done called, or cancelled */
	char *path;
	char line[GH_REQUEST_MAX + 1];
	size_t max_answer;
	struct gh_buf in;
	unsigned timeout_ms;
	gh_request_done_fn done;
	void *ctx;
};

static void on_closed(uv_handle_t *h)
{
	struct gh_request_async *r = h->data;

	if (--r->open_handles)
		return;
	gh_buf_free(&r->in);
	free(r->path);
	free(r);
}

/* Stop everything; call done unless cancelled. */
static void finish(struct gh_request_async *r, int ret, const char *err)
{
	struct gh_buf body = GH_BUF_INIT;
	char why[512] = "";

	if (r->finished)
		return;
	r->finished = true;
	if (!ret)
		ret = gh_request_answer(r->path, r->in.p, r->in.len, &body, why, sizeof(why));
	else
		gh_err(why, sizeof(why), ret, "%s: %s", r->path, err ? err : strerror(-ret));
	r->done(r->ctx, ret, &body, why);
	gh_buf_free(&body);
	uv_close((uv_handle_t *)&r->timer, on_closed);
	uv_close((uv_handle_t *)&r->pipe, on_closed);
}

void gh_request_async_cancel(struct gh_request_async *r)
{
	if (!r || r->finished)
		return;
	r->finished = true;
	uv_close((uv_handle_t *)&r->timer, on_closed);
	uv_close((uv_handle_t *)&r->pipe, on_closed);
}

static void on_timer(uv_timer_t *t)
{
	struct gh_request_async *r = t->data;
	char why[64];

	gh_err(why, sizeof(why), 0, "no answer within %u ms", r->timeout_ms);
	finish(r, -ETIMEDOUT, why);
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	struct gh_request_async *r = h->data;
	size_t room = 65536;

	if (gh_buf_reserve(&r->in, room)) {
		*buf = uv_buf_init(NULL, 0);
		return;
	}
	*buf = uv_buf_init(r->in.p + r->in.len, (unsigned)room);
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
	struct gh_request_async *r = s->data;

	if (r->finished)
		return;
	if (n == UV_EOF) {
		finish(r, 0, NULL);
		return;
	}
	if (n < 0) {
		finish(r, n == UV_ENOBUFS ? -ENOMEM : n, NULL);
		return;
	}
	r->in.len += (size_t)n;
	if (r->in.p)
		r->in.p[r->in.len] = '\0';
	if (r->in.len > r->max_answer) {
		char why[64];

		gh_err(why, sizeof(why), 0, "an answer longer than %zu bytes", r->max_answer);
		finish(r, -EFBIG, why);
	}
}

static void on_written(uv_write_t *w, int status)
{
	struct gh_request_async *r = w->data;

	if (r->finished)
		return;
	if (status < 0)
		finish(r, status, NULL);
}

static void on_connect(uv_connect_t *c, int status)
{
	struct gh_request_async *r = c->data;
	uv_buf_t buf = uv_buf_init(r->line, (unsigned)strlen(r->line));
	int ret;

	if (r->finished)
		return;
	if (status < 0) {
		finish(r, status, NULL);
		return;
	}
	r->write.data = r;
	ret = uv_write(&r->write, (uv_stream_t *)&r->pipe, &buf, 1, on_written);
	if (!ret)
		ret = uv_read_start((uv_stream_t *)&r->pipe, on_alloc, on_read);
	if (ret)
		finish(r, ret, NULL);
}

int gh_request_async(struct gh_request_async **out, uv_loop_t *loop, const char *path,
		     const char *line, unsigned timeout_ms, size_t max_answer,
		     gh_request_done_fn done, void *ctx)
{
	struct gh_request_async *r;
	size_t len = strlen(line);

	*out = NULL;
	if (strchr(line, '\n') || len + 1 > GH_REQUEST_MAX)
		return -EINVAL;
	r = calloc(1, sizeof(*r));
	if (!r || !(r->path = strdup(path))) {
		free(r);
		return -ENOMEM;
	}
	memcpy(r->line, line, len);
	r->line[len] = '\n';
	r->max_answer = max_answer;
	r->timeout_ms = timeout_ms;
	r->done = done;
	r->ctx = ctx;
	uv_pipe_init(loop, &r->pipe, 0);
	uv_timer_init(loop, &r->timer);
	r->pipe.data = r->timer.data = r->connect.data = r;
	r->open_handles = 2;
	uv_timer_start(&r->timer, on_timer, timeout_ms, 0);
	uv_pipe_connect(&r->connect, &r->pipe, r->path, on_connect);
	*out = r;
	return 0;
}
