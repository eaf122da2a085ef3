/* request_async.h - the client end of request_server.h on the libuv
 * loop: connect, send one line, read the answer, without blocking.
 *
 * One deadline covers all of it and the answer has a size cap, so a
 * server that is stuck (accepts and never answers) or floods costs the
 * loop a socket for a while and nothing else: every other client of the
 * loop is served meanwhile.
 */
#ifndef GH_REQUEST_ASYNC_H
#define GH_REQUEST_ASYNC_H

#include <stddef.h>

#include <uv.h>

#include "base/buf.h"

struct gh_request_async;

/* ret 0: body holds what followed "ok"; else -errno with err saying why:
 * the server's error line (-EREMOTEIO), no server (-ENOENT,
 * -ECONNREFUSED), -ETIMEDOUT, -EFBIG (the answer past its cap). */
typedef void (*gh_request_done_fn)(void *ctx, int ret, const struct gh_buf *body,
				   const char *err);

/* Start the request; done(ctx, ...) is called once, later (never from
 * within this call).  0, or -errno (nothing started). */
int gh_request_async(struct gh_request_async **out, uv_loop_t *loop, const char *path,
		     const char *line, unsigned timeout_ms, size_t max_answer,
		     gh_request_done_fn done, void *ctx);
/* Give up on it: done is not called. */
void gh_request_async_cancel(struct gh_request_async *r);

#endif
