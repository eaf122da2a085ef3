/* remote_client.h - one HTTP/1.1 request to a gadgethost daemon, its
 * answer parsed by libhttp-parser (chunked bodies decoded).
 *
 * URLs: unix:///run/gadgethost.sock, tcp://HOST:PORT (a TCP daemon wants
 * the bearer token).  The socket is left blocking for gh_remote_wait; a
 * caller with several requests polls gh_remote_fd and calls
 * gh_remote_read when it is readable.
 */
#ifndef GH_REMOTE_CLIENT_H
#define GH_REMOTE_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <http_parser.h>

#include "buf.h"

struct gh_remote {
	int fd;
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

/* The token for url: tcp:// needs one, from token_file or $GADGETHOST_TOKEN.
 * malloc'd into *token (NULL for unix://); 0 or 1 after saying why. */
int gh_remote_token(const char *url, const char *token_file, char **token);

#endif
