/* http_server.h - HTTP/1.1 on the libuv loop: listeners (a Unix socket, a
 * TCP address), requests parsed by libhttp-parser, and responses either
 * whole or streamed with chunked transfer encoding.
 *
 * One request per connection: every response says "Connection: close" and
 * the connection closes once it is written.  A request whose headers pass
 * max_header bytes gets 431, a body past max_body 413, anything the parser
 * rejects 400; the server stays up.  A connection that goes away (EOF, an
 * error, or gh_http_conn_abort) calls its close hook once, so whatever it
 * was streaming can stop.
 */
#ifndef GH_HTTP_SERVER_H
#define GH_HTTP_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include <http_parser.h>
#include <uv.h>

struct gh_http_conn;
struct gh_http_server;

struct gh_http_request {
	enum http_method method;
	const char *path;          /* without the query */
	const char *query;         /* after '?', or "" */
	const char *authorization; /* the header, or NULL */
	const char *body;          /* NUL terminated */
	size_t body_len;
};

/* Called once per complete request; answer with gh_http_respond or
 * gh_http_stream_start (now or later). */
typedef void (*gh_http_handler)(void *ctx, struct gh_http_conn *c,
				const struct gh_http_request *req);

struct gh_http_server_opts {
	gh_http_handler handler;
	void *ctx;
	size_t max_header;  /* bytes of request line and headers */
	size_t max_body;
};

/* Listen on a Unix socket (an old socket file is replaced), chmod mode. */
int gh_http_listen_unix(struct gh_http_server **out, uv_loop_t *loop, const char *path, int mode,
			const struct gh_http_server_opts *opts);
/* Listen on TCP host:port (numeric IPv4 or IPv6 address). */
int gh_http_listen_tcp(struct gh_http_server **out, uv_loop_t *loop, const char *host, int port,
		       const struct gh_http_server_opts *opts);
/* Stop listening, remove a Unix socket file; open connections stay. */
void gh_http_server_free(struct gh_http_server *s);

/* The peer's uid on a Unix socket (SO_PEERCRED); -1 on TCP. */
uid_t gh_http_conn_peer_uid(const struct gh_http_conn *c);
bool gh_http_conn_is_unix(const struct gh_http_conn *c);
/* "unix uid 0", "tcp 10.1.2.3:40000": for the log. */
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
