/* http_server.c - HTTP/1.1 requests on libuv, parsed by libhttp-parser. */
#include "http_server.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <arpa/inet.h>
#include <unistd.h>

#include "buf.h"
#include "unix_socket.h"

struct gh_http_server {
	uv_loop_t *loop;
	union {
		uv_pipe_t pipe;
		uv_tcp_t tcp;
		uv_stream_t stream;
	} h;
	bool is_unix;
	char *path;
	struct gh_http_server_opts opts;
	struct gh_http_conn *conns; /* open connections, for free() */
};

enum conn_state { READING, ANSWERING, STREAMING, LINGERING, CLOSING };

#define LINGER_MS 2000 /* after an answer: what the peer still sends is read and dropped */

struct gh_http_conn {
	union {
		uv_pipe_t pipe;
		uv_tcp_t tcp;
		uv_stream_t stream;
		uv_handle_t handle;
	} h;
	struct gh_http_server_opts opts;
	struct gh_http_server *server; /* NULL once the server is gone */
	struct gh_http_conn *next;
	bool is_unix;
	uid_t peer_uid;
	http_parser parser;
	enum conn_state state;
	size_t header_bytes;
	bool in_value;        /* the last header callback was a value */
	bool header_is_auth;
	struct gh_buf url, field, auth, body;
	int error_status;     /* set by a callback: answer this and close */
	uv_shutdown_t shutdown_req;
	uv_timer_t linger;
	bool linger_init;
	void (*close_fn)(void *ctx);
	void *close_ctx;
};

struct write_req {
	uv_write_t req;
	struct gh_http_conn *c;
	bool close_after;
	char data[];
};

const char *gh_http_status_text(int status)
{
	switch (status) {
	case 200: return "OK";
	case 204: return "No Content";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 409: return "Conflict";
	case 413: return "Payload Too Large";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 503: return "Service Unavailable";
	default: return "Unknown";
	}
}

static void conn_unlink(struct gh_http_conn *c)
{
	if (!c->server)
		return;
	for (struct gh_http_conn **p = &c->server->conns; *p; p = &(*p)->next) {
		if (*p == c) {
			*p = c->next;
			break;
		}
	}
	c->server = NULL;
}

static void on_linger_closed(uv_handle_t *h)
{
	struct gh_http_conn *c = h->data;

	gh_buf_free(&c->url);
	gh_buf_free(&c->field);
	gh_buf_free(&c->auth);
	gh_buf_free(&c->body);
	free(c);
}

static void on_conn_closed(uv_handle_t *h)
{
	struct gh_http_conn *c = h->data;

	if (c->linger_init) {
		uv_close((uv_handle_t *)&c->linger, on_linger_closed);
		return;
	}

	gh_buf_free(&c->url);
	gh_buf_free(&c->field);
	gh_buf_free(&c->auth);
	gh_buf_free(&c->body);
	free(c);
}

static void conn_close(struct gh_http_conn *c)
{
	void (*fn)(void *) = c->close_fn;

	if (c->state == CLOSING)
		return;
	conn_unlink(c);
	c->state = CLOSING;
	c->close_fn = NULL;
	if (fn)
		fn(c->close_ctx);
	uv_close(&c->h.handle, on_conn_closed);
}

void gh_http_conn_abort(struct gh_http_conn *c)
{
	conn_close(c);
}

void gh_http_conn_on_close(struct gh_http_conn *c, void (*fn)(void *ctx), void *ctx)
{
	c->close_fn = fn;
	c->close_ctx = ctx;
}

uid_t gh_http_conn_peer_uid(const struct gh_http_conn *c)
{
	return c->peer_uid;
}

bool gh_http_conn_is_unix(const struct gh_http_conn *c)
{
	return c->is_unix;
}

void gh_http_conn_describe(const struct gh_http_conn *c, char *buf, size_t len)
{
	struct sockaddr_storage sa;
	int salen = sizeof(sa);
	char ip[64] = "?";
	int port = 0;

	if (c->is_unix) {
		snprintf(buf, len, "unix uid %d", (int)c->peer_uid);
		return;
	}
	if (!uv_tcp_getpeername(&c->h.tcp, (struct sockaddr *)&sa, &salen)) {
		if (sa.ss_family == AF_INET) {
			uv_ip4_name((struct sockaddr_in *)&sa, ip, sizeof(ip));
			port = ntohs(((struct sockaddr_in *)&sa)->sin_port);
		} else {
			uv_ip6_name((struct sockaddr_in6 *)&sa, ip, sizeof(ip));
			port = ntohs(((struct sockaddr_in6 *)&sa)->sin6_port);
		}
	}
	snprintf(buf, len, "tcp %s:%d", ip, port);
}

size_t gh_http_conn_queued(const struct gh_http_conn *c)
{
	return uv_stream_get_write_queue_size(&c->h.stream);
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf);
static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf);

static void on_linger_timer(uv_timer_t *t)
{
	conn_close(t->data);
}

static void on_shutdown(uv_shutdown_t *req, int status)
{
	struct gh_http_conn *c = req->data;

	if (c->state == CLOSING)
		return;
	if (status < 0) {
		conn_close(c);
		return;
	}
	/* a close with unread input would reset the connection, and the peer
	 * might lose the answer: read until it closes, for a while */
	c->state = LINGERING;
	uv_timer_init(c->h.handle.loop, &c->linger);
	c->linger.data = c;
	c->linger_init = true;
	uv_timer_start(&c->linger, on_linger_timer, LINGER_MS, 0);
	if (uv_read_start(&c->h.stream, on_alloc, on_read))
		conn_close(c);
}

static void on_written(uv_write_t *req, int status)
{
	struct write_req *w = (struct write_req *)req;
	struct gh_http_conn *c = w->c;

	if (c->state != CLOSING && c->state != LINGERING && (status < 0 || w->close_after)) {
		if (status < 0) {
			conn_close(c);
		} else {
			c->close_fn = NULL; /* the response ended as it should */
			uv_read_stop(&c->h.stream);
			c->shutdown_req.data = c;
			c->state = LINGERING;
			if (uv_shutdown(&c->shutdown_req, &c->h.stream, on_shutdown))
				conn_close(c);
		}
	}
	free(w);
}

/* Queue head and data (either may be empty) as one write. */
static int conn_write(struct gh_http_conn *c, const char *head, size_t hlen, const char *data,
		      size_t dlen, const char *tail, size_t tlen, bool close_after)
{
	struct write_req *w;
	uv_buf_t buf;
	int ret;

	if (c->state == CLOSING || c->state == LINGERING)
		return -EPIPE;
	w = malloc(sizeof(*w) + hlen + dlen + tlen);
	if (!w)
		return -ENOMEM;
	w->c = c;
	w->close_after = close_after;
	memcpy(w->data, head, hlen);
	if (dlen)
		memcpy(w->data + hlen, data, dlen);
	memcpy(w->data + hlen + dlen, tail, tlen);
	buf = uv_buf_init(w->data, (unsigned)(hlen + dlen + tlen));
	ret = uv_write(&w->req, &c->h.stream, &buf, 1, on_written);
	if (ret) {
		free(w);
		conn_close(c);
	}
	return ret;
}

int gh_http_respond(struct gh_http_conn *c, int status, const char *content_type,
		    const char *body, size_t len)
{
	char head[512];
	int n;

	if (c->state != ANSWERING && c->state != READING)
		return -EINVAL;
	c->state = ANSWERING;
	n = snprintf(head, sizeof(head),
		     "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
		     "Connection: close\r\n\r\n",
		     status, gh_http_status_text(status),
		     content_type ? content_type : "text/plain; charset=utf-8", len);
	uv_read_stop(&c->h.stream);
	return conn_write(c, head, (size_t)n, body, len, "", 0, true);
}

int gh_http_stream_start(struct gh_http_conn *c, int status, const char *content_type,
			 const char *extra_headers)
{
	struct gh_buf head = GH_BUF_INIT;
	int ret;

	if (c->state != ANSWERING)
		return -EINVAL;
	c->state = STREAMING;
	ret = gh_buf_printf(&head,
			    "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nTransfer-Encoding: chunked\r\n"
			    "Cache-Control: no-cache\r\nConnection: close\r\n%s\r\n",
			    status, gh_http_status_text(status), content_type,
			    extra_headers ? extra_headers : "");
	if (!ret)
		ret = conn_write(c, head.p, head.len, NULL, 0, "", 0, false);
	gh_buf_free(&head);
	return ret;
}

int gh_http_stream_write(struct gh_http_conn *c, const char *data, size_t len)
{
	char head[32];
	int n;

	if (c->state != STREAMING)
		return -EPIPE;
	if (!len)
		return 0;
	n = snprintf(head, sizeof(head), "%zx\r\n", len);
	return conn_write(c, head, (size_t)n, data, len, "\r\n", 2, false);
}

int gh_http_stream_end(struct gh_http_conn *c)
{
	if (c->state != STREAMING)
		return -EPIPE;
	return conn_write(c, "0\r\n\r\n", 5, NULL, 0, "", 0, true);
}

/* ---- parsing ---- */

static struct gh_http_conn *conn_of(http_parser *p)
{
	return p->data;
}

static int count_header(struct gh_http_conn *c, size_t len)
{
	c->header_bytes += len;
	if (c->header_bytes > c->opts.max_header) {
		c->error_status = 431;
		return -1;
	}
	return 0;
}

static int on_url(http_parser *p, const char *at, size_t len)
{
	struct gh_http_conn *c = conn_of(p);

	if (count_header(c, len))
		return -1;
	return gh_buf_append(&c->url, at, len) ? -1 : 0;
}

static int on_header_field(http_parser *p, const char *at, size_t len)
{
	struct gh_http_conn *c = conn_of(p);

	if (count_header(c, len))
		return -1;
	if (c->in_value) {
		gh_buf_reset(&c->field);
		c->in_value = false;
	}
	return gh_buf_append(&c->field, at, len) ? -1 : 0;
}

static int on_header_value(http_parser *p, const char *at, size_t len)
{
	struct gh_http_conn *c = conn_of(p);

	if (count_header(c, len))
		return -1;
	if (!c->in_value) {
		c->in_value = true;
		c->header_is_auth = c->field.p && !strcasecmp(c->field.p, "authorization");
		if (c->header_is_auth)
			gh_buf_reset(&c->auth);
	}
	if (c->header_is_auth)
		return gh_buf_append(&c->auth, at, len) ? -1 : 0;
	return 0;
}

static int on_headers_complete(http_parser *p)
{
	struct gh_http_conn *c = conn_of(p);

	if (p->content_length != ULLONG_MAX && p->content_length > c->opts.max_body) {
		c->error_status = 413;
		return -1;
	}
	return 0;
}

static int on_body(http_parser *p, const char *at, size_t len)
{
	struct gh_http_conn *c = conn_of(p);

	if (c->body.len + len > c->opts.max_body) {
		c->error_status = 413;
		return -1;
	}
	return gh_buf_append(&c->body, at, len) ? -1 : 0;
}

static int on_message_complete(http_parser *p)
{
	struct gh_http_conn *c = conn_of(p);
	struct gh_http_request req = {.method = (enum http_method)p->method};
	struct http_parser_url u;
	char *path = NULL, *query = NULL;

	http_parser_pause(p, 1); /* one request per connection */
	c->state = ANSWERING;
	uv_read_stop(&c->h.stream);
	http_parser_url_init(&u);
	if (!c->url.p || http_parser_parse_url(c->url.p, c->url.len, 0, &u) ||
	    !(u.field_set & (1 << UF_PATH))) {
		gh_http_respond(c, 400, NULL, "gadgethost: bad request target\n", 31);
		return 0;
	}
	path = strndup(c->url.p + u.field_data[UF_PATH].off, u.field_data[UF_PATH].len);
	query = u.field_set & (1 << UF_QUERY)
			? strndup(c->url.p + u.field_data[UF_QUERY].off, u.field_data[UF_QUERY].len)
			: strdup("");
	if (!path || !query) {
		gh_http_respond(c, 500, NULL, "gadgethost: out of memory\n", 26);
	} else {
		req.path = path;
		req.query = query;
		req.authorization = c->auth.p;
		req.body = c->body.p ? c->body.p : "";
		req.body_len = c->body.len;
		/* reading again: a peer that leaves while we answer is seen */
		uv_read_start(&c->h.stream, on_alloc, on_read);
		c->opts.handler(c->opts.ctx, c, &req);
	}
	free(path);
	free(query);
	return 0;
}

static const http_parser_settings settings = {
	.on_url = on_url,
	.on_header_field = on_header_field,
	.on_header_value = on_header_value,
	.on_headers_complete = on_headers_complete,
	.on_body = on_body,
	.on_message_complete = on_message_complete,
};

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	static char slab[65536]; /* one thread, and read callbacks do not nest */

	buf->base = slab;
	buf->len = sizeof(slab);
}

static void reject(struct gh_http_conn *c, int status, const char *why)
{
	char body[256];
	int n = snprintf(body, sizeof(body), "gadgethost: %s\n", why);

	gh_http_respond(c, status, NULL, body, (size_t)n);
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
	struct gh_http_conn *c = s->data;
	size_t done;

	if (nread < 0) {
		conn_close(c);
		return;
	}
	if (c->state != READING) {
		/* after the request: the peer has nothing more to say; what it
		 * sends is ignored, its going away is seen (nread < 0) */
		return;
	}
	done = http_parser_execute(&c->parser, &settings, buf->base, (size_t)nread);
	if (c->state != READING)
		return;
	if (HTTP_PARSER_ERRNO(&c->parser) != HPE_OK || done != (size_t)nread) {
		int st = c->error_status ? c->error_status : 400;
		char why[200];

		if (st == 431)
			snprintf(why, sizeof(why), "request headers longer than %zu bytes",
				 c->opts.max_header);
		else if (st == 413)
			snprintf(why, sizeof(why), "request body longer than %zu bytes",
				 c->opts.max_body);
		else
			snprintf(why, sizeof(why), "malformed HTTP request: %s",
				 http_errno_description(HTTP_PARSER_ERRNO(&c->parser)));
		reject(c, st, why);
	}
}

static void on_connection(uv_stream_t *server, int status)
{
	struct gh_http_server *s = server->data;
	struct gh_http_conn *c;
	int ret;

	if (status < 0)
		return;
	c = calloc(1, sizeof(*c));
	if (!c)
		return;
	c->opts = s->opts;
	c->server = s;
	c->next = s->conns;
	s->conns = c;
	c->is_unix = s->is_unix;
	c->peer_uid = (uid_t)-1;
	if (s->is_unix)
		ret = uv_pipe_init(s->loop, &c->h.pipe, 0);
	else
		ret = uv_tcp_init(s->loop, &c->h.tcp);
	if (ret) {
		conn_unlink(c);
		free(c);
		return;
	}
	c->h.handle.data = c;
	if (uv_accept(server, &c->h.stream)) {
		conn_close(c);
		return;
	}
	if (s->is_unix) {
		struct ucred cred;
		socklen_t len = sizeof(cred);
		uv_os_fd_t fd;

		if (!uv_fileno(&c->h.handle, &fd) &&
		    !getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len))
			c->peer_uid = cred.uid;
	}
	http_parser_init(&c->parser, HTTP_REQUEST);
	c->parser.data = c;
	uv_read_start(&c->h.stream, on_alloc, on_read);
}

static int listen_common(struct gh_http_server *s)
{
	int ret;

	s->h.stream.data = s;
	ret = uv_listen(&s->h.stream, 128, on_connection);
	return ret;
}

static void on_server_closed(uv_handle_t *h)
{
	struct gh_http_server *s = h->data;

	free(s->path);
	free(s);
}

int gh_http_listen_unix(struct gh_http_server **out, uv_loop_t *loop, const char *path, int mode,
			const struct gh_http_server_opts *opts)
{
	struct gh_http_server *s = calloc(1, sizeof(*s));
	mode_t old;
	int fd, ret;

	*out = NULL;
	if (!s)
		return -ENOMEM;
	/* a daemon answers there: not ours to take over (its socket file
	 * would be unlinked under it) */
	fd = gh_unix_connect(path, 1000);
	if (fd >= 0) {
		close(fd);
		free(s);
		return UV_EADDRINUSE;
	}
	s->loop = loop;
	s->is_unix = true;
	s->opts = *opts;
	s->path = strdup(path);
	uv_pipe_init(loop, &s->h.pipe, 0);
	s->h.stream.data = s;
	unlink(path);
	old = umask(0177); /* never a moment with a wider mode */
	ret = s->path ? uv_pipe_bind(&s->h.pipe, path) : -ENOMEM;
	umask(old);
	if (!ret && chmod(path, (mode_t)mode))
		ret = -errno;
	if (!ret)
		ret = listen_common(s);
	if (ret) {
		if (ret != UV_EADDRINUSE && s->path)
			unlink(path); /* bound, then chmod or listen failed */
		free(s->path);
		s->path = NULL;
		uv_close((uv_handle_t *)&s->h.pipe, on_server_closed);
		return ret;
	}
	*out = s;
	return 0;
}

int gh_http_listen_tcp(struct gh_http_server **out, uv_loop_t *loop, const char *host, int port,
		       const struct gh_http_server_opts *opts)
{
	struct gh_http_server *s = calloc(1, sizeof(*s));
	struct sockaddr_storage addr;
	int ret;

	*out = NULL;
	if (!s)
		return -ENOMEM;
	s->loop = loop;
	s->opts = *opts;
	uv_tcp_init(loop, &s->h.tcp);
	s->h.stream.data = s;
	ret = uv_ip4_addr(host, port, (struct sockaddr_in *)&addr);
	if (ret)
		ret = uv_ip6_addr(host, port, (struct sockaddr_in6 *)&addr);
	if (!ret)
		ret = uv_tcp_bind(&s->h.tcp, (const struct sockaddr *)&addr, 0);
	if (!ret)
		ret = listen_common(s);
	if (ret) {
		uv_close((uv_handle_t *)&s->h.tcp, on_server_closed);
		return ret;
	}
	*out = s;
	return 0;
}

void gh_http_server_free(struct gh_http_server *s)
{
	if (!s)
		return;
	/* a connection still sending its request is closed; one being
	 * answered ends with its answer */
	while (s->conns) {
		struct gh_http_conn *c = s->conns;

		if (c->state == READING) {
			conn_close(c); /* unlinks it */
		} else {
			s->conns = c->next;
			c->server = NULL;
		}
	}
	if (s->path)
		unlink(s->path);
	uv_close((uv_handle_t *)&s->h.stream, on_server_closed);
}
