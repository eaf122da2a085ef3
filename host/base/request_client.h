/* request_client.h - the client end of request_server.h: send one line,
 * read the answer. */
#ifndef GH_REQUEST_CLIENT_H
#define GH_REQUEST_CLIENT_H

#include <stddef.h>

#include "base/buf.h"

/* Send line (no newline in it) to the server at path; body gets what
 * follows "ok".  0, or -errno with err saying why: the server's error
 * line (-EREMOTEIO), no server (-ENOENT, -ECONNREFUSED), a timeout. */
int gh_request(const char *path, const char *line, struct gh_buf *body, int timeout_ms,
	       char *err, size_t errlen);
/* The answer in (len bytes) as gh_request reads it: what follows "ok"
 * into body, or -EREMOTEIO with the error line in err. */
int gh_request_answer(const char *path, const char *in, size_t len, struct gh_buf *body,
		      char *err, size_t errlen);

#endif
