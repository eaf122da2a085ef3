/* request_server.h - a Unix socket on the loop that answers requests:
 * a client connects, writes its request, and reads the answer until the
 * server closes the connection.
 *
 *   request   one line: "list\n", "dump web\n" (a command, its argument);
 *             or (max_request > 0) everything until the client shuts its
 *             side down, as the OCI hooks send "KIND\n" and a JSON state
 *   answer    "ok\n" and the body, or "error: MESSAGE\n"
 *
 * The socket is made 0600 (root only) in a directory made if missing.
 */
#ifndef GH_REQUEST_SERVER_H
#define GH_REQUEST_SERVER_H

#include <uv.h>

#include "base/buf.h"

#define GH_REQUEST_MAX 4096 /* bytes of a request line */

/* Answer the request (a line without its newline, or the whole message;
 * NUL terminated, len bytes) into body: 0, or -errno with err (up to
 * errlen) saying why, sent as the error line. */
typedef int (*gh_request_fn)(void *ctx, const char *req, size_t len, struct gh_buf *body,
			     char *err, size_t errlen);

struct gh_request_server;

/* Listen on path; max_request 0: one-line requests (GH_REQUEST_MAX
 * bytes), else whole messages of up to max_request bytes.  -EADDRINUSE
 * when another server answers there (a stale socket file is replaced). */
int gh_request_server_start(struct gh_request_server **out, uv_loop_t *loop, const char *path,
			    size_t max_request, gh_request_fn fn, void *ctx);
/* Stop, remove the socket file; the loop must run once more. */
void gh_request_server_free(struct gh_request_server *s);

#endif
