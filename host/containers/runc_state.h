/* runc_state.h - a container from runc's state.json.
 *
 * runc writes DIR/ID/state.json when it creates a container (atomically:
 * a temporary file renamed), before the container's process runs.  Every
 * runtime here uses runc, so this one file finds them all; see
 * container_meta.h for telling them apart. */
#ifndef GH_RUNC_STATE_H
#define GH_RUNC_STATE_H

#include <stddef.h>

#include "containers/container.h"

/* Read path (a state.json).  -ESRCH: the container's init process is gone
 * (or its pid now belongs to another process); -EINVAL: a malformed file,
 * err says why in a few words. */
int gh_runc_state_read(const char *path, const char *docker_socket, struct gh_container **out,
		       char *err, size_t errlen);

#endif
