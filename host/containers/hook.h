/* hook.h - OCI hooks: runtimes tell running hosts of containers.
 *
 * A runtime configured with `gadgethost hook prestart` (and poststop) runs
 * it with the container's OCI state on stdin.  The hook passes it to every
 * running host through the Unix sockets in GH_HOOK_DIR and waits for their
 * answers: runc waits for prestart hooks, so the host has the container's
 * mount namespace in its kernel filter before the container's first exec.
 * All hosts are told at once, and all must answer within one deadline
 * (GH_HOOK_TIMEOUT_MS): hosts that are stuck delay a container's start by
 * that much, however many they are.
 *
 * The hook never fails the container: with no host running, a host that
 * does not answer or a payload it cannot read, it says so on stderr and
 * exits 0.
 */
#ifndef GH_HOOK_H
#define GH_HOOK_H

#include <stddef.h>

#include <uv.h>

#include "base/unix_broadcast.h"
#include "containers/container.h"

#define GH_HOOK_DIR "/run/gadgethost/hooks"
#define GH_HOOK_TIMEOUT_MS 2000   /* every host's answer, all at once */
#define GH_HOOK_MSG_MAX (1u << 20)

struct gh_hook_server;

/* Listen on DIR/PID.sock (dir NULL: GH_HOOK_DIR, made if missing);
 * containers reported go into cc. */
int gh_hook_server_start(struct gh_hook_server **out, uv_loop_t *loop, struct gh_containers *cc,
			 const char *dir, const char *docker_socket);
/* Stop listening and remove the socket; the loop must run once more. */
void gh_hook_server_free(struct gh_hook_server *s);

/* Apply one hook message ("prestart"/"createRuntime"/... and the state
 * JSON) to cc.  0, or -errno with err saying why. */
int gh_hook_apply(struct gh_containers *cc, const char *kind, const char *state, size_t len,
		  const char *docker_socket, uint64_t now_ms, char *err, size_t errlen);

/* Send "KIND\n" and the OCI state to every host socket of dir (NULL:
 * GH_HOOK_DIR) at once; *out (freed by the caller) gets one target per
 * socket with its answer or error (unix_broadcast.h), all within
 * timeout_ms.  0 (no socket: *n is 0), or -errno (the directory). */
int gh_hook_notify(const char *dir, const char *kind, const char *state, size_t len,
		   int timeout_ms, struct gh_broadcast_target **out, size_t *n);

#endif
