/* search_path.h - where gadgets, their objects and the Lua library live.
 *
 * A gadget name like "trace/exec.lua" is looked up, in order, in:
 *   1. the current directory, if the name is a path that exists there;
 *   2. every directory of $GADGETHOST_PATH (colon separated);
 *   3. the installed share dir (<prefix>/share/gadgethost/gadgets);
 *   4. from the build tree only: the source tree's gadgets/.
 * An object ("trace/exec.bpf.o") is looked up next to the script first,
 * then in the same roots, then in the build tree's bpf/.
 */
#ifndef GH_SEARCH_PATH_H
#define GH_SEARCH_PATH_H

#include <stddef.h>

/* The gadget roots, in search order; returns the count, fills up to max. */
size_t gh_gadget_roots(const char **roots, size_t max);
/* Resolve a gadget script name to a malloc'd absolute path, or NULL. */
char *gh_find_gadget(const char *name);
/* Resolve an object name for a script in script_dir; malloc'd or NULL. */
char *gh_find_object(const char *name, const char *script_dir);
/* Directory of the Lua library (lua/), for package.path. */
const char *gh_lua_lib_dir(void);
/* True when running from the build tree. */
int gh_running_from_build_tree(void);

#endif
