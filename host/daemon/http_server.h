/* http_server.h - HTTP/1.1 on the libuv loop: listeners (a Unix socket, a
 * TCP address, plain or TLS), requests parsed by libhttp-parser, and
 * responses either whole or streamed with chunked transfer encoding.
 *
 * One request per connection: every response says "Connection: close" and
 * the connection closes once it is written.  A connection that goes away
 * (EOF, an error, or gh_http_conn_abort) calls its close hook once, so
 * whatever it was streaming can stop.
 *
 * Bounded by design, whoever connects (docs/security.md):
 *   - a listener holds at most max_conns connections, and a TCP peer (an
 *     address, an IPv6 /64) at most max_conns_per_peer; past the first
 *     cap the oldest connection whose request is still coming is closed
 *     for the new one, past the second the new one is closed at once;
 *     the Unix listener has budgets of its own, so it is served whatever
 *     TCP clients do;
 *   - the peer is authenticated as soon as the headers are complete (a
 *     root peer on the Unix socket, the bearer token on TCP): 401 or 403
 *     before a byte of the body is read; a failed token slows its peer
 *     down (http_peers.h);
 *   - the whole request (TLS handshake, headers, body) must come within
 *     request_ms, with no silence longer than idle_ms (408), and a whole
 *     answer must be taken within send_ms;
 *   - headers past max_header bytes get 431, a body past max_body 413,
 *     bodies past max_body_total held at once by the listener's
 *     connections 503, anything the parser rejects 400;
 *   - nothing is kept per connection but its headers so far and its body;
 *     a read lands in one buffer shared by all;
 *   - every refusal is logged (base/log.h, at most a few lines a second,
 *     with a count of those left out).
 */
#ifndef GH_HTTP_SERVER_H
#define GH_HTTP_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <http_parser.h>
#include <uv.h>

struct gh_http_conn;
struct gh_http_server;
struct gh_tls_ctx;

struct gh_http_request {
	enum http_method method;
	const char *path;          /* without the query */
	const char *query;         /* after '?', or "" */
	const char *body;          /* NUL terminated */
	size_t body_len;
};

/* Called once per complete, authenticated request; answer with
 * gh_http_respond or gh_http_stream_start (now or later). */
typedef void (*gh_http_handler)(void *ctx, struct gh_http_conn *c,
				const struct gh_http_request *req);

struct gh_http_limits {
	size_t max_header;           /* bytes of request line and headers */
	size_t max_body;             /* bytes of one body */
	size_t max_body_total;       /* body bytes all connections hold at once */
	unsigned max_conns;          /* connections open at once */
	unsigned max_conns_per_peer; /* TCP: from one peer; 0: no cap */
	unsigned request_ms;         /* accept to the request's last byte */
	unsigned idle_ms;            /* silence while the request comes */
	unsigned send_ms;            /* a whole answer taken by the peer */
};

struct gh_http_server_opts {
	gh_http_handler handler;
	void *ctx;
	struct gh_http_limits limits;
	const char *token;           /* TCP: "Authorization: Bearer TOKEN" required */
	bool root_only;              /* Unix: peers of uid 0 only (SO_PEERCRED), else 403 */
	struct gh_tls_ctx *tls;      /* TCP: TLS with this server context; NULL: plain */
};

/* Listen on a Unix socket (an old socket file is replaced), chmod mode. */
int gh_http_listen_unix(struct gh_http_server **out, uv_loop_t *loop, const char *path, int mode,
			const struct gh_http_server_opts *opts);
/* Listen on TCP host:port (numeric IPv4 or IPv6 address). */
int gh_http_listen_tcp(struct gh_http_server **out, uv_loop_t *loop, const char *host, int port,
		       const struct gh_http_server_opts *opts);
/* Stop listening, remove a Unix socket file; connections still coming
 * are closed, those being answered end with their answer. */
void gh_http_server_free(struct gh_http_server *s);

/* The peer's uid on a Unix socket (SO_PEERCRED); -1 on TCP. */
uid_t gh_http_conn_peer_uid(const struct gh_http_conn *c);
bool gh_http_conn_is_unix(const struct gh_http_conn *c);
/* "unix uid 0", "tcp 10.1.2.3:40000", "tls 10.1.2.3:40000": for the log. */
void gh_http_conn_describe(const struct gh_http_conn *c, char *buf, size_t len);

/* A whole response, then close.  content_type NULL: text/plain. */
int gh_http_respond(struct gh_http_conn *c, int status, const char *content_type,
		    const char *body, size_t len);
/* Start a chunked response; extra_headers: "Name: value\r\n" lines or NULL. */
int gh_http_stream_start(struct gh_http_conn *c, int status, const char *content_type,
			 const char *extra_headers);
/* One chunk (len > 0). */
int gh_http_stream_write(struct gh_http_conn *c, const char *data, size_t len);
/* The last chunk, then close. */
int gh_http_stream_end(struct gh_http_conn *c);
/* Bytes written but not yet taken by the peer. */
size_t gh_http_conn_queued(const struct gh_http_conn *c);
/* Close now, without finishing the response. */
void gh_http_conn_abort(struct gh_http_conn *c);
/* fn(ctx) runs once when the connection goes away before the response
 * ended (peer left, error, abort); set NULL to stop hearing about it. */
void gh_http_conn_on_close(struct gh_http_conn *c, void (*fn)(void *ctx), void *ctx);

const char *gh_http_status_text(int status);

#endif
