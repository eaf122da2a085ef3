/* traceloop_client.h - asking a running traceloop recorder (gadgethost
 * traceloop start) over its socket; for the traceloop commands and for
 * any other service of the node (the daemon) that shows its rings.
 *
 * Requests (request_server.h), one line each:
 *   list          one line per ring: NAME TAB ID TAB STATE TAB RECORDS TAB MNTNS
 *                 TAB K8S NAMESPACE TAB K8S POD (empty: no pod's)
 *   dump NAME     the ring of container NAME (a name, an id or its prefix,
 *                 or NAMESPACE/POD/NAME) as strace-like lines
 *                 (traceloop_format.h); a NAME of more than one container
 *                 is an error that lists them
 *   delete NAME   forget an exited container's ring
 */
#ifndef GH_TRACELOOP_CLIENT_H
#define GH_TRACELOOP_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"

#define GH_TRACELOOP_SOCKET "/run/gadgethost/traceloop.sock"

struct gh_traceloop_entry {
	char *name;
	char *id;
	bool running;       /* else exited */
	uint64_t records;   /* held in the ring now */
	uint64_t mntns;
	char *k8s_namespace; /* "" when not a pod's */
	char *k8s_pod;
};

/* path NULL: GH_TRACELOOP_SOCKET.  0, or -errno with err saying why. */
int gh_traceloop_client_list(const char *path, struct gh_traceloop_entry **out, size_t *n,
			     char *err, size_t errlen);
void gh_traceloop_entries_free(struct gh_traceloop_entry *e, size_t n);
int gh_traceloop_client_dump(const char *path, const char *name, struct gh_buf *out,
			     char *err, size_t errlen);
int gh_traceloop_client_delete(const char *path, const char *name, char *err, size_t errlen);
/* The entries as columns (a header, a line each) or JSON lines
 * ({"name","id","state","records","mntns","k8s":{"namespace","podName"}}),
 * appended to b. */
void gh_traceloop_format_list(const struct gh_traceloop_entry *e, size_t n, bool json,
			      struct gh_buf *b);
/* For clients that send the requests themselves (the daemon, on its
 * loop: base/request_async.h): the socket path (NULL: the default); the
 * request line of verb ("list"; "dump", "delete" with a name), 0 or
 * -EINVAL with err; and err rewritten for a failed request to path when
 * it means that no recorder runs there. */
const char *gh_traceloop_socket(const char *path);
int gh_traceloop_request_line(const char *verb, const char *name, char *line, size_t len,
			      char *err, size_t errlen);
void gh_traceloop_explain(const char *path, int ret, char *err, size_t errlen);
/* Parse a list answer (for tests and clients that got it otherwise). */
int gh_traceloop_parse_list(const char *text, struct gh_traceloop_entry **out, size_t *n);

#endif
