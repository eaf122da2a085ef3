/* traceloop_client.h - asking a running traceloop recorder (gadgethost
 * traceloop start) over its socket; for the traceloop commands and for
 * any other service of the node (the daemon) that shows its rings.
 *
 * Requests (request_server.h), one line each:
 *   list          one line per ring: NAME TAB ID TAB STATE TAB RECORDS TAB MNTNS
 *   dump NAME     the ring of container NAME (a name, an id or its prefix)
 *                 as strace-like lines (traceloop_format.h)
 *   delete NAME   forget an exited container's ring
 */
#ifndef GH_TRACELOOP_CLIENT_H
#define GH_TRACELOOP_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define GH_TRACELOOP_SOCKET "/run/gadgethost/traceloop.sock"

struct gh_traceloop_entry {
	char *name;
	char *id;
	bool running;       /* else exited */
	uint64_t records;   /* held in the ring now */
	uint64_t mntns;
};

/* path NULL: GH_TRACELOOP_SOCKET.  0, or -errno with err saying why. */
int gh_traceloop_client_list(const char *path, struct gh_traceloop_entry **out, size_t *n,
			     char *err, size_t errlen);
void gh_traceloop_entries_free(struct gh_traceloop_entry *e, size_t n);
int gh_traceloop_client_dump(const char *path, const char *name, struct gh_buf *out,
			     char *err, size_t errlen);
int gh_traceloop_client_delete(const char *path, const char *name, char *err, size_t errlen);
/* The entries as columns (a header, a line each) or JSON lines
 * ({"name","id","state","records","mntns"}), appended to b. */
void gh_traceloop_format_list(const struct gh_traceloop_entry *e, size_t n, bool json,
			      struct gh_buf *b);
/* Parse a list answer (for tests and clients that got it otherwise). */
int gh_traceloop_parse_list(const char *text, struct gh_traceloop_entry **out, size_t *n);

#endif
