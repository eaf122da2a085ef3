/* daemon_traceloop.h - the node service's traceloop endpoints: the rings
 * of a traceloop recorder running on the node (gadgethost traceloop
 * start), asked over its socket (traceloop_client.h).
 *
 *   GET    /v1/traceloop        the recorded containers, JSON lines
 *                               (?o=columns: as `traceloop list`)
 *   GET    /v1/traceloop/NAME   NAME's ring, strace-like lines (NAME: a
 *                               container name, an id, NAMESPACE/POD/NAME)
 *   DELETE /v1/traceloop/NAME   forget an exited container's ring
 *
 * No recorder on the node: 503.  An unknown container: 404.  The
 * recorder is asked on the loop (base/request_async.h), never waited
 * for: a recorder that does not answer within 5 s gets 504, one whose
 * answer passes 8 MiB 502, and at most 8 requests wait on it at once
 * (503 beyond); the daemon's other clients are served meanwhile. */
#ifndef GH_DAEMON_TRACELOOP_H
#define GH_DAEMON_TRACELOOP_H

#include <stdbool.h>

#include <uv.h>

#include "daemon/http_server.h"

struct gh_daemon_traceloop;

/* socket_path NULL: traceloop_client.h's default. */
int gh_daemon_traceloop_new(struct gh_daemon_traceloop **out, uv_loop_t *loop,
			    const char *socket_path);
/* Whether req is for one of the endpoints above (then c is answered, now
 * or once the recorder did). */
bool gh_daemon_traceloop(struct gh_daemon_traceloop *t, struct gh_http_conn *c,
			 const struct gh_http_request *req);
/* Answer what still waits with 503 and free. */
void gh_daemon_traceloop_free(struct gh_daemon_traceloop *t);

#endif
