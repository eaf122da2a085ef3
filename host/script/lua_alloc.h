/* lua_alloc.h - a lua_Alloc with a limit: a script cannot take the host's
 * memory.  Past the limit an allocation fails, and Lua raises its memory
 * error ("not enough memory") in the code that asked: a hook call fails
 * (its event is dropped), the state stays usable, and what the failed
 * call built is garbage the collector takes back.
 */
#ifndef GH_LUA_ALLOC_H
#define GH_LUA_ALLOC_H

#include <stdbool.h>
#include <stddef.h>

#define GH_LUA_MEMORY_LIMIT_DEFAULT (64u << 20)

struct gh_lua_alloc {
	size_t limit;   /* bytes; 0: no limit */
	size_t used;
	size_t peak;
	bool hit;       /* an allocation was refused (cleared by the caller) */
};

/* lua_Alloc: ud is a struct gh_lua_alloc. */
void *gh_lua_alloc(void *ud, void *ptr, size_t osize, size_t nsize);

#endif
