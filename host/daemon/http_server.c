/* http_server.c - HTTP/1.1 requests on libuv, parsed by libhttp-parser,
 * bounded in connections, time and memory (http_server.h). */
#include "daemon/http_server.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <arpa/inet.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/log.h"
#include "base/unix_socket.h"
#include "daemon/http_peers.h"
#include "daemon/tls.h"

#define LINGER_MS 2000     /* after an answer: what the peer still sends is read and dropped */
#define TCP_BACKLOG 1024   /* a burst of connects waits here, not in SYN retries */
#define LOG_BURST 20       /* refusals logged at once, then LOG_PER_S a second */
#define LOG_PER_S 5
#define PEERS_REMEMBERED 4096 /* peers without connections kept for their failures */

struct gh_http_server {
	uv_loop_t *loop;
	union {
		uv_pipe_t pipe;
		uv_tcp_t tcp;
		uv_stream_t stream;
		uv_handle_t handle;
	} h;
	bool is_unix;
	bool listener_closed;
	char *path;
	char *token;
	struct gh_http_server_opts opts;
	struct gh_http_peers *peers; /* TCP */
	struct gh_http_conn *oldest, *newest; /* open connections, in accept order */
	unsigned nconns;          /* open (not closing) connections */
	unsigned refs;            /* connections not yet freed */
	size_t body_bytes;        /* bodies held (or promised by Content-Length) */
	uint64_t log_credit_ms;   /* the log budget, in ms of LOG_PER_S */
	uint64_t log_at_ms;
	uint64_t log_dropped;
};

enum conn_state {
	READING,     /* the request is coming */
	DELAYING,    /* refused; the answer waits (a failed token) */
	ANSWERING,   /* the handler has the request */
	STREAMING,   /* a chunked answer goes on */
	LINGERING,   /* the answer is queued: sent, then what comes is dropped */
	CLOSING,
};

struct gh_http_conn {
	union {
		uv_pipe_t pipe;
		uv_tcp_t tcp;
		uv_stream_t stream;
		uv_handle_t handle;
	} h;
	uv_timer_t timer;          /* the deadline of the state */
	struct gh_http_server *s;
	struct gh_http_conn *prev, *next;
	struct gh_http_peer *peer; /* TCP */
	struct gh_tls_conn *tls;
	int open_handles;
	bool is_unix;
	uid_t peer_uid;
	char desc[80];             /* "tcp 10.1.2.3:40000" */
	enum conn_state state;
	http_parser parser;
	uint64_t deadline_ms;      /* READING: the whole request by then */
	uint64_t last_read_ms;
	size_t header_bytes;
	bool in_value;             /* the last header callback was a value */
	bool header_is_auth;
	struct gh_buf url, field, auth, body;
	size_t body_counted;       /* of s->body_bytes */
	int reject_status;         /* set by a callback: answer this and close */
	char reject_why[160];
	uint64_t reject_retry_s;   /* 429: Retry-After */
	uint64_t reject_delay_ms;  /* 401: the answer waits this long */
	uv_shutdown_t shutdown_req;
	void (*close_fn)(void *ctx);
	void *close_ctx;
};

struct write_req {
	uv_write_t req;
	struct gh_http_conn *c;
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
	case 408: return "Request Timeout";
	case 409: return "Conflict";
	case 413: return "Payload Too Large";
	case 429: return "Too Many Requests";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	case 504: return "Gateway Timeout";
	default: return "Unknown";
	}
}

/* ---- the log: refusals, a few a second ---- */

static void server_log(struct gh_http_server *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void server_log(struct gh_http_server *s, const char *fmt, ...)
{
	uint64_t now = uv_now(s->loop), max = LOG_BURST * 1000;
	char msg[600];
	va_list ap;

	s->log_credit_ms += (now - s->log_at_ms) * LOG_PER_S;
	s->log_credit_ms = s->log_credit_ms > max ? max : s->log_credit_ms;
	s->log_at_ms = now;
	if (s->log_credit_ms < 1000) {
		s->log_dropped++;
		return;
	}
	s->log_credit_ms -= 1000;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (s->log_dropped)
		gh_log(GH_LOG_WARNING, "%s (and %" PRIu64 " refusals not logged before it)", msg,
		       s->log_dropped);
	else
		gh_log(GH_LOG_WARNING, "%s", msg);
	s->log_dropped = 0;
}

/* ---- connections: their list, closing, freeing ---- */

static void server_maybe_free(struct gh_http_server *s)
{
	if (!s->listener_closed || s->refs)
		return;
	gh_http_peers_free(s->peers);
	free(s->path);
	free(s->token);
	free(s);
}

static void body_release(struct gh_http_conn *c)
{
	c->s->body_bytes -= c->body_counted;
	c->body_counted = 0;
	gh_buf_free(&c->body);
}

static void request_bufs_free(struct gh_http_conn *c)
{
	gh_buf_free(&c->url);
	gh_buf_free(&c->field);
	gh_buf_free(&c->auth);
	body_release(c);
}

static void on_handle_closed(uv_handle_t *h)
{
	struct gh_http_conn *c = h->data;
	struct gh_http_server *s = c->s;

	if (--c->open_handles)
		return;
	request_bufs_free(c);
	gh_tls_conn_free(c->tls);
	free(c);
	s->refs--;
	server_maybe_free(s);
}

static void conn_unlink(struct gh_http_conn *c)
{
	struct gh_http_server *s = c->s;

	if (c->prev)
		c->prev->next = c->next;
	else
		s->oldest = c->next;
	if (c->next)
		c->next->prev = c->prev;
	else
		s->newest = c->prev;
	c->prev = c->next = NULL;
	s->nconns--;
	if (c->peer)
		gh_http_peer_put(s->peers, c->peer, uv_now(s->loop));
	c->peer = NULL;
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
	uv_close((uv_handle_t *)&c->timer, on_handle_closed);
	uv_close(&c->h.handle, on_handle_closed);
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
	snprintf(buf, len, "%s", c->desc);
}

size_t gh_http_conn_queued(const struct gh_http_conn *c)
{
	return uv_stream_get_write_queue_size(&c->h.stream);
}

/* ---- writing ---- */

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf);
static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf);

static void on_written(uv_write_t *req, int status)
{
	struct write_req *w = (struct write_req *)req;
	struct gh_http_conn *c = w->c;

	if (status < 0 && c->state != CLOSING)
		conn_close(c);
	free(w);
}

/* Queue n pieces as one write, as they are (ciphertext, or plain HTTP). */
static int raw_write(struct gh_http_conn *c, const uv_buf_t *pieces, int n)
{
	struct write_req *w;
	size_t len = 0, at = 0;
	uv_buf_t buf;
	int ret;

	for (int i = 0; i < n; i++)
		len += pieces[i].len;
	w = malloc(sizeof(*w) + len);
	if (!w) {
		conn_close(c);
		return -ENOMEM;
	}
	w->c = c;
	for (int i = 0; i < n; i++) {
		if (pieces[i].len)
			memcpy(w->data + at, pieces[i].base, pieces[i].len);
		at += pieces[i].len;
	}
	buf = uv_buf_init(w->data, (unsigned)len);
	ret = uv_write(&w->req, &c->h.stream, &buf, 1, on_written);
	if (ret) {
		free(w);
		conn_close(c);
	}
	return ret;
}

/* TLS records on their way out (tls.h's send function). */
static int send_records(void *ctx, const char *data, size_t len)
{
	struct gh_http_conn *c = ctx;
	uv_buf_t b = uv_buf_init((char *)data, (unsigned)len);

	if (c->state == CLOSING)
		return -EPIPE;
	return raw_write(c, &b, 1);
}

/* Write n pieces of the answer (encrypted on TLS). */
static int conn_write(struct gh_http_conn *c, const uv_buf_t *pieces, int n)
{
	struct gh_buf plain = GH_BUF_INIT;
	int ret = 0;

	if (c->state == CLOSING || c->state == LINGERING)
		return -EPIPE;
	if (!c->tls)
		return raw_write(c, pieces, n);
	for (int i = 0; i < n && !ret; i++)
		ret = gh_buf_append(&plain, pieces[i].base, pieces[i].len);
	if (!ret)
		ret = gh_tls_conn_encrypt(c->tls, plain.p ? plain.p : "", plain.len);
	gh_buf_free(&plain);
	if (ret && c->state != CLOSING)
		conn_close(c);
	return ret;
}

static void on_timer(uv_timer_t *t);

static void timer_in(struct gh_http_conn *c, uint64_t ms)
{
	uv_timer_start(&c->timer, on_timer, ms, 0);
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
	timer_in(c, LINGER_MS);
	if (uv_read_start(&c->h.stream, on_alloc, on_read))
		conn_close(c);
}

/* The answer is all queued: once the peer took it (within send_ms),
 * shut our side down and linger. */
static void end_response(struct gh_http_conn *c)
{
	if (c->state == CLOSING || c->state == LINGERING)
		return;
	c->close_fn = NULL; /* the response ended as it should */
	if (c->tls)
		gh_tls_conn_close_notify(c->tls);
	if (c->state == CLOSING)
		return;
	c->state = LINGERING;
	request_bufs_free(c);
	uv_read_stop(&c->h.stream);
	timer_in(c, c->s->opts.limits.send_ms);
	c->shutdown_req.data = c;
	if (uv_shutdown(&c->shutdown_req, &c->h.stream, on_shutdown))
		conn_close(c);
}

static int respond_headers(struct gh_http_conn *c, int status, const char *content_type,
			   const char *extra, const char *body, size_t len)
{
	char head[600];
	uv_buf_t pieces[2];
	int n, ret;

	if (c->state != ANSWERING && c->state != READING && c->state != DELAYING)
		return -EINVAL;
	c->state = ANSWERING;
	uv_timer_stop(&c->timer);
	n = snprintf(head, sizeof(head),
		     "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
		     "%sConnection: close\r\n\r\n",
		     status, gh_http_status_text(status),
		     content_type ? content_type : "text/plain; charset=utf-8", len,
		     extra ? extra : "");
	uv_read_stop(&c->h.stream);
	pieces[0] = uv_buf_init(head, (unsigned)n);
	pieces[1] = uv_buf_init((char *)body, (unsigned)len);
	ret = conn_write(c, pieces, 2);
	if (!ret)
		end_response(c);
	return ret;
}

int gh_http_respond(struct gh_http_conn *c, int status, const char *content_type,
		    const char *body, size_t len)
{
	return respond_headers(c, status, content_type, NULL, body, len);
}

int gh_http_stream_start(struct gh_http_conn *c, int status, const char *content_type,
			 const char *extra_headers)
{
	struct gh_buf head = GH_BUF_INIT;
	uv_buf_t piece;
	int ret;

	if (c->state != ANSWERING)
		return -EINVAL;
	c->state = STREAMING;
	ret = gh_buf_printf(&head,
			    "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nTransfer-Encoding: chunked\r\n"
			    "Cache-Control: no-cache\r\nConnection: close\r\n%s\r\n",
			    status, gh_http_status_text(status), content_type,
			    extra_headers ? extra_headers : "");
	piece = uv_buf_init(head.p, (unsigned)head.len);
	if (!ret)
		ret = conn_write(c, &piece, 1);
	gh_buf_free(&head);
	return ret;
}

int gh_http_stream_write(struct gh_http_conn *c, const char *data, size_t len)
{
	char head[32];
	uv_buf_t pieces[3];
	int n;

	if (c->state != STREAMING)
		return -EPIPE;
	if (!len)
		return 0;
	n = snprintf(head, sizeof(head), "%zx\r\n", len);
	pieces[0] = uv_buf_init(head, (unsigned)n);
	pieces[1] = uv_buf_init((char *)data, (unsigned)len);
	pieces[2] = uv_buf_init("\r\n", 2);
	return conn_write(c, pieces, 3);
}

int gh_http_stream_end(struct gh_http_conn *c)
{
	uv_buf_t piece = uv_buf_init("0\r\n\r\n", 5);
	int ret;

	if (c->state != STREAMING)
		return -EPIPE;
	ret = conn_write(c, &piece, 1);
	if (!ret)
		end_response(c);
	return ret;
}

/* ---- refusing ---- */

static const char *method_name(const struct gh_http_conn *c)
{
	return http_method_str((enum http_method)c->parser.method);
}

/* the request target for the log: cut, the log's sink escapes it */
static const char *target_of(const struct gh_http_conn *c)
{
	return c->url.p ? c->url.p : "";
}

/* A refusal (status, why) for a callback to return -1 after. */
static int refuse(struct gh_http_conn *c, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int refuse(struct gh_http_conn *c, int status, const char *fmt, ...)
{
	va_list ap;

	c->reject_status = status;
	va_start(ap, fmt);
	vsnprintf(c->reject_why, sizeof(c->reject_why), fmt, ap);
	va_end(ap);
	return -1;
}

/* Answer the refusal a callback set (or a parser error). */
static void answer_refusal(struct gh_http_conn *c)
{
	char body[256], extra[64] = "";
	int n;

	n = snprintf(body, sizeof(body), "gadgethost: %s\n", c->reject_why);
	if (c->reject_status == 401)
		snprintf(extra, sizeof(extra), "WWW-Authenticate: Bearer\r\n");
	else if (c->reject_status == 429)
		snprintf(extra, sizeof(extra), "Retry-After: %" PRIu64 "\r\n", c->reject_retry_s);
	respond_headers(c, c->reject_status, NULL, extra, body, (size_t)n);
}

/* Log and answer a refused request, at once or after delay_ms. */
static void reject(struct gh_http_conn *c, uint64_t delay_ms)
{
	if (!c->reject_status) {
		c->reject_status = 400;
		snprintf(c->reject_why, sizeof(c->reject_why), "malformed HTTP request: %s",
			 http_errno_description(HTTP_PARSER_ERRNO(&c->parser)));
	}
	if (c->url.p)
		server_log(c->s, "%s: %d %s %.200s: %s", c->desc, c->reject_status,
			   method_name(c), target_of(c), c->reject_why);
	else
		server_log(c->s, "%s: %d: %s", c->desc, c->reject_status, c->reject_why);
	if (!delay_ms) {
		answer_refusal(c);
		return;
	}
	c->state = DELAYING;
	uv_read_stop(&c->h.stream);
	timer_in(c, delay_ms);
}

/* ---- parsing ---- */

static struct gh_http_conn *conn_of(http_parser *p)
{
	return p->data;
}

static int count_header(struct gh_http_conn *c, size_t len)
{
	c->header_bytes += len;
	if (c->header_bytes > c->s->opts.limits.max_header)
		return refuse(c, 431, "request headers longer than %zu bytes",
			      c->s->opts.limits.max_header);
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
	if (c->field.len > 32)
		return 0; /* longer than any name we look for */
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

static bool constant_time_equal(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	unsigned char diff = la != lb;

	for (size_t i = 0; i < la; i++)
		diff |= (unsigned char)(a[i] ^ b[i % (lb ? lb : 1)]);
	return !diff;
}

/* The peer's right to be answered, known once the headers are complete. */
static int authenticate(struct gh_http_conn *c, uint64_t *delay_ms)
{
	struct gh_http_server *s = c->s;
	uint64_t now = uv_now(s->loop), wait;
	const char *auth = c->auth.p;
	unsigned failures;

	*delay_ms = 0;
	if (c->is_unix) {
		if (s->opts.root_only && c->peer_uid != 0)
			return refuse(c, 403, "the socket is root's only");
		return 0;
	}
	if (!s->token)
		return 0;
	wait = c->peer ? gh_http_peer_wait_ms(c->peer, now) : 0;
	if (wait) {
		c->reject_retry_s = (wait + 999) / 1000;
		return refuse(c, 429, "authentication failed lately from %s: no token is tried "
			      "before %" PRIu64 " ms", gh_http_peer_name(c->peer), wait);
	}
	if (auth && !strncmp(auth, "Bearer ", 7) && constant_time_equal(auth + 7, s->token)) {
		if (c->peer)
			gh_http_peer_succeeded(c->peer);
		return 0;
	}
	failures = c->peer ? gh_http_peer_failed(c->peer, now, delay_ms) : 1;
	return refuse(c, 401, "%s (failure %u in a row from %s; answered after %" PRIu64 " ms)",
		      auth ? "wrong bearer token" : "a bearer token is needed (Authorization: "
		      "Bearer TOKEN)", failures, c->peer ? gh_http_peer_name(c->peer) : "?",
		      *delay_ms);
}

/* Room in the listener's body budget for len more bytes. */
static int count_body(struct gh_http_conn *c, size_t len)
{
	const struct gh_http_limits *l = &c->s->opts.limits;

	if (c->s->body_bytes + len > l->max_body_total)
		return refuse(c, 503, "busy: request bodies of %zu bytes are held already",
			      c->s->body_bytes);
	c->s->body_bytes += len;
	c->body_counted += len;
	return 0;
}

static int on_headers_complete(http_parser *p)
{
	struct gh_http_conn *c = conn_of(p);
	const struct gh_http_limits *l = &c->s->opts.limits;
	if (authenticate(c, &c->reject_delay_ms))
		return -1;
	if (p->content_length != ULLONG_MAX && p->content_length > l->max_body)
		return refuse(c, 413, "request body longer than %zu bytes", l->max_body);
	/* a body that is announced is counted whole, before it comes */
	if (p->content_length != ULLONG_MAX && p->content_length)
		return count_body(c, (size_t)p->content_length);
	return 0;
}

static int on_body(http_parser *p, const char *at, size_t len)
{
	struct gh_http_conn *c = conn_of(p);

	if (c->body.len + len > c->s->opts.limits.max_body)
		return refuse(c, 413, "request body longer than %zu bytes",
			      c->s->opts.limits.max_body);
	if (c->body.len + len > c->body_counted && count_body(c, c->body.len + len -
							       c->body_counted))
		return -1;
	if (!c->body.cap && gh_buf_reserve(&c->body, c->body_counted))
		return -1;
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
	uv_timer_stop(&c->timer);
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
		req.body = c->body.p ? c->body.p : "";
		req.body_len = c->body.len;
		/* reading again: a peer that leaves while we answer is seen */
		uv_read_start(&c->h.stream, on_alloc, on_read);
		c->s->opts.handler(c->s->opts.ctx, c, &req);
	}
	free(path);
	free(query);
	/* the handler took what it needs: nothing of the request is kept */
	request_bufs_free(c);
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

/* Plaintext of the request: parse it; nonzero once it is not wanted. */
static int on_input(void *ctx, const char *data, size_t len)
{
	struct gh_http_conn *c = ctx;
	size_t done;

	if (c->state != READING)
		return 1;
	done = http_parser_execute(&c->parser, &settings, data, len);
	if (c->state != READING)
		return 1;
	if (HTTP_PARSER_ERRNO(&c->parser) != HPE_OK || done != len) {
		reject(c, c->reject_delay_ms);
		return 1;
	}
	return 0;
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	static char slab[65536]; /* one thread, and read callbacks do not nest */

	buf->base = slab;
	buf->len = sizeof(slab);
}

static void on_read(uv_stream_t *st, ssize_t nread, const uv_buf_t *buf)
{
	struct gh_http_conn *c = st->data;
	char why[160];
	int ret;

	if (nread < 0) {
		conn_close(c);
		return;
	}
	if (c->state != READING || !nread) {
		/* after the request: the peer has nothing more to say; what it
		 * sends is ignored, its going away is seen (nread < 0) */
		return;
	}
	c->last_read_ms = uv_now(c->s->loop);
	if (c->tls && !gh_tls_conn_established(c->tls) && buf->base[0] >= 'A' &&
	    buf->base[0] <= 'Z') {
		/* plain HTTP on the TLS port: say so in plain HTTP */
		gh_tls_conn_free(c->tls);
		c->tls = NULL;
		refuse(c, 400, "this port speaks TLS: use https:// or tls://");
		reject(c, 0);
		return;
	}
	if (!c->tls) {
		on_input(c, buf->base, (size_t)nread);
		return;
	}
	ret = gh_tls_conn_input(c->tls, buf->base, (size_t)nread, on_input, c, why, sizeof(why));
	if (ret < 0 && c->state == READING) {
		/* logged, not counted as a failed token: it tells nothing of it */
		server_log(c->s, "%s: TLS handshake refused: %s", c->desc, why);
		end_response(c); /* the alert, if any, is queued: send it, then close */
	} else if (ret == 1 && c->state == READING) {
		conn_close(c);
	}
}

/* ---- deadlines ---- */

static void arm_reading_timer(struct gh_http_conn *c)
{
	uint64_t now = uv_now(c->s->loop);
	uint64_t idle_end = c->last_read_ms + c->s->opts.limits.idle_ms;
	uint64_t end = idle_end < c->deadline_ms ? idle_end : c->deadline_ms;

	timer_in(c, end > now ? end - now : 0);
}

static void request_timed_out(struct gh_http_conn *c, const char *why)
{
	server_log(c->s, "%s: 408: %s", c->desc, why);
	/* an answer needs HTTP to be spoken: not in a TLS handshake */
	if (c->tls && !gh_tls_conn_established(c->tls)) {
		conn_close(c);
		return;
	}
	c->reject_status = 408;
	snprintf(c->reject_why, sizeof(c->reject_why), "%s", why);
	answer_refusal(c);
}

static void on_timer(uv_timer_t *t)
{
	struct gh_http_conn *c = t->data;
	const struct gh_http_limits *l = &c->s->opts.limits;
	uint64_t now = uv_now(c->s->loop);
	char why[96];

	switch (c->state) {
	case READING:
		if (now >= c->deadline_ms) {
			snprintf(why, sizeof(why), "the request did not come within %u ms",
				 l->request_ms);
			request_timed_out(c, why);
		} else if (now >= c->last_read_ms + l->idle_ms) {
			snprintf(why, sizeof(why), "nothing came for %u ms", l->idle_ms);
			request_timed_out(c, why);
		} else {
			arm_reading_timer(c);
		}
		break;
	case DELAYING:
		answer_refusal(c);
		break;
	case LINGERING:
		conn_close(c); /* the answer not taken in time, or the linger ended */
		break;
	default:
		break;
	}
}

/* ---- accepting ---- */

/* Close the oldest connection whose request is still coming (or whose
 * answer is done), other than c, for c: false if there is none. */
static bool evict_for(struct gh_http_server *s, struct gh_http_conn *c)
{
	for (struct gh_http_conn *o = s->oldest; o; o = o->next) {
		if (o == c || (o->state != READING && o->state != DELAYING && o->state != LINGERING))
			continue;
		server_log(s, "%s: closed: %u connections open, the most allowed; %s is newer",
			   o->desc, s->nconns - 1, c->desc);
		conn_close(o);
		return true;
	}
	return false;
}

static void describe_tcp(struct gh_http_conn *c, const struct sockaddr_storage *sa)
{
	char ip[INET6_ADDRSTRLEN] = "?";
	int port = 0;

	if (sa->ss_family == AF_INET) {
		inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, ip, sizeof(ip));
		port = ntohs(((const struct sockaddr_in *)sa)->sin_port);
	} else if (sa->ss_family == AF_INET6) {
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, ip, sizeof(ip));
		port = ntohs(((const struct sockaddr_in6 *)sa)->sin6_port);
	}
	snprintf(c->desc, sizeof(c->desc), "%s %s%s%s:%d", c->s->opts.tls ? "tls" : "tcp",
		 sa->ss_family == AF_INET6 ? "[" : "", ip, sa->ss_family == AF_INET6 ? "]" : "",
		 port);
}

/* Who is at the other end, and may it have one more connection? */
static int admit(struct gh_http_conn *c)
{
	struct gh_http_server *s = c->s;
	const struct gh_http_limits *l = &s->opts.limits;

	if (c->is_unix) {
		struct ucred cred;
		socklen_t len = sizeof(cred);
		uv_os_fd_t fd;

		if (!uv_fileno(&c->h.handle, &fd) &&
		    !getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len))
			c->peer_uid = cred.uid;
		snprintf(c->desc, sizeof(c->desc), "unix uid %d", (int)c->peer_uid);
	} else {
		struct sockaddr_storage sa = {0};
		int salen = sizeof(sa);

		/* an answer is written in pieces (TLS records): none waits for an ACK */
		uv_tcp_nodelay(&c->h.tcp, 1);
		if (uv_tcp_getpeername(&c->h.tcp, (struct sockaddr *)&sa, &salen))
			return -ENOTCONN; /* gone already */
		describe_tcp(c, &sa);
		c->peer = gh_http_peer_get(s->peers, (struct sockaddr *)&sa, uv_now(s->loop));
		if (!c->peer) {
			server_log(s, "%s: refused: too many peers", c->desc);
			return -EBUSY;
		}
		if (l->max_conns_per_peer && gh_http_peer_conns(c->peer) > l->max_conns_per_peer) {
			server_log(s, "%s: refused: %s has %u connections open, the most allowed",
				   c->desc, gh_http_peer_name(c->peer), l->max_conns_per_peer);
			return -EBUSY;
		}
	}
	if (s->nconns > l->max_conns && !evict_for(s, c)) {
		server_log(s, "%s: refused: %u connections open, all being answered", c->desc,
			   s->nconns - 1);
		return -EBUSY;
	}
	return 0;
}

static void on_connection(uv_stream_t *server, int status)
{
	struct gh_http_server *s = server->data;
	struct gh_http_conn *c;
	int ret;

	if (status < 0) {
		server_log(s, "accept: %s", uv_strerror(status));
		return;
	}
	c = calloc(1, sizeof(*c));
	if (!c)
		return;
	c->s = s;
	c->is_unix = s->is_unix;
	c->peer_uid = (uid_t)-1;
	if (s->is_unix)
		ret = uv_pipe_init(s->loop, &c->h.pipe, 0);
	else
		ret = uv_tcp_init(s->loop, &c->h.tcp);
	if (ret) {
		free(c);
		return;
	}
	uv_timer_init(s->loop, &c->timer);
	c->h.handle.data = c;
	c->timer.data = c;
	c->open_handles = 2;
	s->refs++;
	s->nconns++;
	c->prev = s->newest;
	if (s->newest)
		s->newest->next = c;
	else
		s->oldest = c;
	s->newest = c;
	ret = uv_accept(server, &c->h.stream);
	if (!ret)
		ret = admit(c);
	if (!ret && s->opts.tls)
		ret = gh_tls_conn_new(&c->tls, s->opts.tls, send_records, c);
	if (ret) {
		conn_close(c);
		return;
	}
	http_parser_init(&c->parser, HTTP_REQUEST);
	c->parser.data = c;
	c->last_read_ms = uv_now(s->loop);
	c->deadline_ms = c->last_read_ms + s->opts.limits.request_ms;
	arm_reading_timer(c);
	if (uv_read_start(&c->h.stream, on_alloc, on_read))
		conn_close(c);
}

/* ---- listeners ---- */

/* A server without its listener yet (NULL: out of memory). */
static struct gh_http_server *server_new(uv_loop_t *loop, bool is_unix, const char *path,
					 const struct gh_http_server_opts *opts)
{
	struct gh_http_server *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->loop = loop;
	s->is_unix = is_unix;
	s->opts = *opts;
	s->log_at_ms = uv_now(loop);
	s->log_credit_ms = LOG_BURST * 1000;
	s->token = opts->token ? strdup(opts->token) : NULL;
	s->opts.token = s->token;
	s->path = path ? strdup(path) : NULL;
	if ((opts->token && !s->token) || (path && !s->path) ||
	    (!is_unix && gh_http_peers_new(&s->peers, opts->limits.max_conns + PEERS_REMEMBERED))) {
		s->listener_closed = true;
		server_maybe_free(s);
		return NULL;
	}
	return s;
}

static void on_listener_closed(uv_handle_t *h)
{
	struct gh_http_server *s = h->data;

	s->listener_closed = true;
	server_maybe_free(s);
}

int gh_http_listen_unix(struct gh_http_server **out, uv_loop_t *loop, const char *path, int mode,
			const struct gh_http_server_opts *opts)
{
	struct gh_http_server *s;
	mode_t old;
	int fd, ret;

	*out = NULL;
	/* a daemon answers there: not ours to take over (its socket file
	 * would be unlinked under it) */
	fd = gh_unix_connect(path, 1000);
	if (fd >= 0) {
		close(fd);
		return UV_EADDRINUSE;
	}
	s = server_new(loop, true, path, opts);
	if (!s)
		return -ENOMEM;
	uv_pipe_init(loop, &s->h.pipe, 0);
	s->h.stream.data = s;
	unlink(path);
	old = umask(0177); /* never a moment with a wider mode */
	ret = uv_pipe_bind(&s->h.pipe, path);
	umask(old);
	if (!ret && chmod(path, (mode_t)mode))
		ret = -errno;
	if (!ret)
		ret = uv_listen(&s->h.stream, 128, on_connection);
	if (ret) {
		if (ret != UV_EADDRINUSE)
			unlink(path); /* bound, then chmod or listen failed */
		uv_close(&s->h.handle, on_listener_closed);
		return ret;
	}
	*out = s;
	return 0;
}

int gh_http_listen_tcp(struct gh_http_server **out, uv_loop_t *loop, const char *host, int port,
		       const struct gh_http_server_opts *opts)
{
	struct gh_http_server *s;
	struct sockaddr_storage addr;
	int ret;

	*out = NULL;
	s = server_new(loop, false, NULL, opts);
	if (!s)
		return -ENOMEM;
	uv_tcp_init(loop, &s->h.tcp);
	s->h.stream.data = s;
	ret = uv_ip4_addr(host, port, (struct sockaddr_in *)&addr);
	if (ret)
		ret = uv_ip6_addr(host, port, (struct sockaddr_in6 *)&addr);
	if (!ret)
		ret = uv_tcp_bind(&s->h.tcp, (const struct sockaddr *)&addr, 0);
	if (!ret)
		ret = uv_listen(&s->h.stream, TCP_BACKLOG, on_connection);
	if (ret) {
		uv_close(&s->h.handle, on_listener_closed);
		return ret;
	}
	*out = s;
	return 0;
}

void gh_http_server_free(struct gh_http_server *s)
{
	struct gh_http_conn *c, *next;

	if (!s)
		return;
	/* a connection still sending its request is closed; one being
	 * answered ends with its answer */
	for (c = s->oldest; c; c = next) {
		next = c->next;
		if (c->state == READING || c->state == DELAYING)
			conn_close(c);
	}
	if (s->path)
		unlink(s->path);
	uv_close(&s->h.handle, on_listener_closed);
}
