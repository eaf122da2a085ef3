/* request_client.h - the client end of request_server.h: send one line,
 * read the answer. */
#ifndef GH_REQUEST_CLIENT_H
#define GH_REQUEST_CLIENT_H

#include <stddef.h>

#include "buf.h"

/* Send line (no newline in it) to the server at path; body gets what
 * follows "ok".  0, or -errno with err saying why: the server's error
 * line (-EREMOTEIO), no server (-ENOENT, -ECONNREFUSED), a timeout. */
int gh_request(const char *path, const char *line, struct gh_buf *body, int timeout_ms,
	       char *err, size_t errlen);

#endif
