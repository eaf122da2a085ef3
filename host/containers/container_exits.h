/* container_exits.h - remove a container from the collection as soon as
 * its init process exits (a pidfd per container on the loop), instead of
 * at the next once-a-second liveness check.
 *
 *   start()  watches every live container, and each one added later
 *   free()   stops; the loop must run once more to close the handles
 */
#ifndef GH_CONTAINER_EXITS_H
#define GH_CONTAINER_EXITS_H

#include <uv.h>

struct gh_containers;
struct gh_container_exits;

int gh_container_exits_start(struct gh_container_exits **out, struct gh_containers *cc,
			     uv_loop_t *loop);
void gh_container_exits_free(struct gh_container_exits *ex);

#endif
