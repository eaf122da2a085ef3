/* watch.h - `run --watch`: follow a gadget's files while it runs.
 *
 * The directories of the script, of each --lua-file and of the object's
 * source (NAME.bpf.c next to NAME.bpf.o) are watched with inotify
 * (uv_fs_event: editors replace a file by renaming a new one over it, so
 * the directory is what is watched).  A change settles for a moment, then:
 *
 *   the script or a --lua-file: reloaded in place (gh_lua_reload); the
 *     eBPF programs stay attached and the ring buffer keeps every event
 *     meanwhile, so events before the swap go through the old script and
 *     events after it through the new one; a script that fails to load
 *     leaves the old one running, with the error on stderr;
 *   the .bpf.c: rebuilt (gadgethost build) into a temporary object that
 *     the verifier is asked to accept; if it does, it replaces the object
 *     and the run restarts with it (gh_watch_restart()); if not, the
 *     compiler's or verifier's errors are printed and the old programs
 *     stay attached.
 */
#ifndef GH_WATCH_H
#define GH_WATCH_H

#include <stdbool.h>

#include <uv.h>

struct gh_gadget;
struct gh_watch;

/* Start watching g's files on loop.  0 or -errno. */
int gh_watch_start(struct gh_watch **out, uv_loop_t *loop, struct gh_gadget *g, bool verbose);
/* Whether the object was rebuilt: the run stopped to load it again. */
bool gh_watch_restart(const struct gh_watch *w);
/* Stop watching; the handles close on the loop's next run. */
void gh_watch_free(struct gh_watch *w);

#endif
