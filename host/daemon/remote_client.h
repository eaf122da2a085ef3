/* remote_client.h - one HTTP/1.1 request to a gadgethost daemon, its
 * answer parsed by libhttp-parser (chunked bodies decoded).
 *
 * URLs: unix:///run/gadgethost.sock, tls://HOST:PORT (TLS: the server's
 * certificate checked against gh_remote_tls_setup's CA, or the system's),
 * tcp://HOST:PORT (plain: to a loopback address only, since the bearer
 * token a TCP daemon wants would cross the network in clear).  The socket
 * is left blocking for gh_remote_wait; a caller with several requests
 * polls r->fd and calls gh_remote_read when it is readable.
 */
#ifndef GH_REMOTE_CLIENT_H
#define GH_REMOTE_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <http_parser.h>

#include "base/buf.h"
#include "daemon/tls.h"

struct gh_remote {
	int fd;
	struct gh_tls_client *tls; /* tls:// */
	char tls_error[160];    /* why the TLS session broke off, or "" */
	http_parser parser;
	int status;             /* once the headers came */
	uint64_t run_id;        /* X-Gadgethost-Run, 0 if none */
	bool headers_done;
	bool complete;          /* the whole answer came */
	/* the body of a 2xx answer, as it comes; other answers go to err_body */
	void (*on_body)(void *ctx, const char *data, size_t len);
	void *ctx;
	struct gh_buf err_body;
	struct gh_buf field;
	bool in_value, is_run_header;
	struct gh_buf run_header;
};

/* Connect and send; 0 or -errno with err set ("tcp://a:1: connect: ..."). */
int gh_remote_request(struct gh_remote *r, const char *url, const char *token,
		      const char *method, const char *path, const char *body, size_t len,
		      char *err, size_t errlen);
/* Read once (blocking unless the fd was made non-blocking): 0 more to
 * come, 1 the answer is complete, -errno (EPROTO: not HTTP). */
int gh_remote_read(struct gh_remote *r);
/* Read until complete. */
int gh_remote_wait(struct gh_remote *r);
void gh_remote_close(struct gh_remote *r);

/* A whole request: the answer's status, body into out (NULL: dropped).
 * -errno with err set when the daemon could not be reached. */
int gh_remote_simple(const char *url, const char *token, const char *method, const char *path,
		     struct gh_buf *out, char *err, size_t errlen);

/* The token for url: tcp:// and tls:// need one, from token_file (mode
 * 0600) or $GADGETHOST_TOKEN.  malloc'd into *token (NULL for unix://);
 * 0, or -errno with err saying why. */
int gh_remote_token(const char *url, const char *token_file, char **token, char *err,
		    size_t errlen);

/* The TLS client options of every tls:// URL this process reaches (one
 * client, one set of credentials: --ca, --cert, --key, --server-name);
 * without a call, the system's CAs and no client certificate.  0, or
 * -errno with err naming the file at fault. */
int gh_remote_tls_setup(const struct gh_tls_client_opts *o, char *err, size_t errlen);
void gh_remote_tls_cleanup(void);

#endif
