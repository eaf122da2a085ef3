/* daemon_traceloop.h - the node service's traceloop endpoints: the rings
 * of a traceloop recorder running on the node (gadgethost traceloop
 * start), asked over its socket (traceloop_client.h).
 *
 *   GET    /v1/traceloop        the recorded containers, JSON lines
 *                               (?o=columns: as `traceloop list`)
 *   GET    /v1/traceloop/NAME   NAME's ring, strace-like lines
 *   DELETE /v1/traceloop/NAME   forget an exited container's ring
 *
 * No recorder on the node: 503.  An unknown container: 404. */
#ifndef GH_DAEMON_TRACELOOP_H
#define GH_DAEMON_TRACELOOP_H

#include <stdbool.h>

#include "http_server.h"

/* Whether path is one of the endpoints above (then it answered c). */
bool gh_daemon_traceloop(struct gh_http_conn *c, const struct gh_http_request *req,
			 const char *socket_path);

#endif
