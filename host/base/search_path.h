/* search_path.h - where gadgets, their objects and the Lua library live.
 *
 * A name starting with /, ./ or ../ is that path.  Any other name, like
 * "trace/exec.lua", is looked up, in order, in:
 *   1. every directory of $GADGETHOST_PATH (colon separated);
 *   2. the installed share dir (<prefix>/share/gadgethost/gadgets);
 *   3. from the build tree only: the source tree's gadgets/;
 *   4. the current directory.
 * (gadgethost --help prints this list as the program sees it.)
 * A name without ".lua" ("trace/exec", as Inspektor Gadget's users type
 * it) is looked up as given, then with ".lua".
 * An object ("trace/exec.bpf.o") is looked up next to the script first,
 * then in the same roots, then in the build tree's bpf/.
 */
#ifndef GH_SEARCH_PATH_H
#define GH_SEARCH_PATH_H

#include <stdbool.h>
#include <stddef.h>

/* The gadget roots, in search order; returns the count, fills up to max. */
size_t gh_gadget_roots(const char **roots, size_t max);
/* Resolve a gadget script name to a malloc'd absolute path, or NULL. */
char *gh_find_gadget(const char *name);
/* Inspektor Gadget's name of a gadget ("trace_exec": the first "_" a "/",
 * then ".lua") into guess (len bytes): whether the search path has it. */
bool gh_ig_name_guess(const char *name, char *guess, size_t len);
/* Resolve an object name for a script in script_dir; malloc'd or NULL. */
char *gh_find_object(const char *name, const char *script_dir);
/* Directory of the Lua library (lua/), for package.path. */
const char *gh_lua_lib_dir(void);
/* True when running from the build tree. */
int gh_running_from_build_tree(void);

#endif
