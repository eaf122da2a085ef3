/* request_server.c - one-line requests on a Unix socket (request_server.h). */
#include "base/request_server.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/unix_socket.h"

struct conn {
	struct gh_request_server *s;
	struct conn *next, *prev;
	uv_pipe_t pipe;
	uv_write_t wr;
	struct gh_buf in;
	struct gh_buf out;
	bool answered;
};

struct gh_request_server {
	uv_pipe_t pipe;
	char path[108];
	size_t max_request; /* 0: one line */
	gh_request_fn fn;
	void *ctx;
	struct conn *conns;
};

static void on_conn_closed(uv_handle_t *h)
{
	struct conn *c = h->data;

	gh_buf_free(&c->in);
	gh_buf_free(&c->out);
	free(c);
}

static void conn_close(struct conn *c)
{
	if (!c->s)
		return;
	if (c->prev)
		c->prev->next = c->next;
	else
		c->s->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	c->s = NULL;
	uv_close((uv_handle_t *)&c->pipe, on_conn_closed);
}

static void on_written(uv_write_t *wr, int status)
{
	conn_close(wr->data);
}

static void answer(struct conn *c, size_t len)
{
	struct gh_buf body = GH_BUF_INIT;
	char err[1024] = "";
	uv_buf_t b;
	int ret;

	c->answered = true;
	uv_read_stop((uv_stream_t *)&c->pipe);
	ret = c->s->fn(c->s->ctx, c->in.p ? c->in.p : "", len, &body, err, sizeof(err));
	if (ret)
		ret = gh_buf_printf(&c->out, "error: %s\n", err[0] ? err : strerror(-ret));
	else
		ret = gh_buf_puts(&c->out, "ok\n");
	if (!ret && body.len)
		ret = gh_buf_append(&c->out, body.p, body.len);
	gh_buf_free(&body);
	if (ret) {
		conn_close(c);
		return;
	}
	b = uv_buf_init(c->out.p, (unsigned)c->out.len);
	c->wr.data = c;
	if (uv_write(&c->wr, (uv_stream_t *)&c->pipe, &b, 1, on_written))
		conn_close(c);
}

static size_t in_max(const struct conn *c)
{
	return c->s->max_request ? c->s->max_request : GH_REQUEST_MAX;
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	struct conn *c = h->data;
	size_t room = 65536;

	if (!c->s || gh_buf_reserve(&c->in, room)) {
		*buf = uv_buf_init(NULL, 0);
		return;
	}
	*buf = uv_buf_init(c->in.p + c->in.len, (unsigned)room);
}

static void on_read(uv_stream_t *st, ssize_t n, const uv_buf_t *buf)
{
	struct conn *c = st->data;
	char *nl;

	if (!c->s || c->answered)
		return;
	if (n < 0) {
		/* a whole message ends here; so does a line without its newline */
		if (n == UV_EOF && (c->in.len || c->s->max_request))
			answer(c, c->in.len);
		else
			conn_close(c);
		return;
	}
	c->in.len += (size_t)n;
	if (c->in.p)
		c->in.p[c->in.len] = '\0';
	if (c->in.len > in_max(c)) {
		conn_close(c);
		return;
	}
	nl = c->s->max_request || !c->in.p ? NULL : memchr(c->in.p, '\n', c->in.len);
	if (nl) {
		*nl = '\0';
		answer(c, (size_t)(nl - c->in.p));
	}
}

static void on_connection(uv_stream_t *server, int status)
{
	struct gh_request_server *s = server->data;
	struct conn *c;

	if (status < 0)
		return;
	c = calloc(1, sizeof(*c));
	if (!c)
		return;
	c->s = s;
	c->next = s->conns;
	if (s->conns)
		s->conns->prev = c;
	s->conns = c;
	uv_pipe_init(server->loop, &c->pipe, 0);
	c->pipe.data = c;
	if (uv_accept(server, (uv_stream_t *)&c->pipe) ||
	    uv_read_start((uv_stream_t *)&c->pipe, on_alloc, on_read))
		conn_close(c);
}

/* mkdir -p of path's directory (0755: the hooks' directory is beside) */
static void make_parent(const char *path)
{
	char dir[108];

	for (size_t i = 1; path[i] && i < sizeof(dir); i++) {
		if (path[i] != '/')
			continue;
		snprintf(dir, sizeof(dir), "%.*s", (int)i, path);
		mkdir(dir, 0755);
	}
}

int gh_request_server_start(struct gh_request_server **out, uv_loop_t *loop, const char *path,
			    size_t max_request, gh_request_fn fn, void *ctx)
{
	struct gh_request_server *s;
	int fd, ret;

	*out = NULL;
	if (strlen(path) >= sizeof(s->path))
		return -ENAMETOOLONG;
	/* someone answers there: not ours to take over */
	fd = gh_unix_connect(path, 1000);
	if (fd >= 0) {
		close(fd);
		return -EADDRINUSE;
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	snprintf(s->path, sizeof(s->path), "%s", path);
	s->max_request = max_request;
	s->fn = fn;
	s->ctx = ctx;
	make_parent(path);
	unlink(path);
	uv_pipe_init(loop, &s->pipe, 0);
	s->pipe.data = s;
	ret = uv_pipe_bind(&s->pipe, s->path);
	if (!ret)
		ret = chmod(s->path, 0600) ? -errno : 0;
	if (!ret)
		ret = uv_listen((uv_stream_t *)&s->pipe, 16, on_connection);
	if (ret) {
		gh_request_server_free(s);
		return ret;
	}
	*out = s;
	return 0;
}

static void on_server_closed(uv_handle_t *h)
{
	free(h->data);
}

void gh_request_server_free(struct gh_request_server *s)
{
	if (!s)
		return;
	unlink(s->path);
	while (s->conns)
		conn_close(s->conns);
	uv_close((uv_handle_t *)&s->pipe, on_server_closed);
}
