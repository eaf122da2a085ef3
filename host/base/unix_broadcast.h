/* unix_broadcast.h - one message to many Unix stream sockets at once, an
 * answer line back from each, all within one deadline.
 *
 * For a client that must tell every server in a directory and must not
 * wait long (the OCI hook: the runtime waits for it before the container
 * starts): the servers are connected, written to and read from at the
 * same time, without blocking, so n servers that never answer cost the
 * deadline once, not n times, and one that trickles its answer byte by
 * byte costs no more than one that says nothing.
 */
#ifndef GH_UNIX_BROADCAST_H
#define GH_UNIX_BROADCAST_H

#include <stddef.h>

#define GH_BROADCAST_ANSWER 256 /* bytes of an answer kept, the rest dropped */

struct gh_broadcast_target {
	char path[108];                   /* in: the socket */
	int ret;                          /* out: 0 (answer complete), or -errno:
					   * -ECONNREFUSED/-ENOENT (no server),
					   * -EAGAIN (its backlog is full),
					   * -ETIMEDOUT (no whole answer in time) */
	char answer[GH_BROADCAST_ANSWER]; /* out: what it answered, NUL terminated */
};

/* Connect to every target, send msg (len bytes) and shut the writing
 * side down, read each answer to its end; what has not ended timeout_ms
 * after the call is cut off.  Returns when every target is done. */
void gh_unix_broadcast(struct gh_broadcast_target *t, size_t n, const char *msg, size_t len,
		       int timeout_ms);

#endif
