/* tracefs.h - the tracing filesystem, mounted when missing. */
#ifndef GH_TRACEFS_H
#define GH_TRACEFS_H

#include <stdbool.h>

/* Mount tracefs at /sys/kernel/tracing unless a tracefs is already there
 * (or at /sys/kernel/debug/tracing).  0 or -errno. */
int gh_tracefs_ensure(void);
/* The tracefs root in use, after gh_tracefs_ensure(). */
const char *gh_tracefs_root(void);
/* Does the kernel have tracepoint category/name? */
bool gh_tracepoint_exists(const char *category, const char *name);

#endif
