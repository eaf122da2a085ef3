/* lua_guard.h - Lua states a gadget script cannot crash or hang the host with.
 *
 * Every state gets a memory limit (lua_alloc.h) and every call into the
 * script (its load, filter, enrich, format...) an instruction budget and a
 * wall-clock limit (lua_watchdog.h): a count hook raises "SCRIPT:LINE:
 * HOOK: instruction limit exceeded (10M instructions)" in the script when
 * the budget is spent, so an infinite loop costs one event, not the host.
 * The limits hold against the script itself:
 *
 *   - the budget is the call's, whichever coroutine spends it (a new
 *     coroutine starts with no fresh count);
 *   - once a limit fired, the call keeps raising at every instruction
 *     until it returns: pcall cannot swallow it;
 *   - debug.sethook, which would remove the hook, is refused;
 *   - a metatable with __gc is refused (setmetatable, debug.setmetatable):
 *     Lua runs finalizers with hooks off, out of every limit's reach.
 *
 * The limits are the process's, set once from the command line
 * (--lua-memory-limit, --lua-instruction-limit, --lua-time-limit).
 *
 * Layers (--lua CODE, --lua-file FILE) run after the script, in order,
 * with the gadget table the script returned as their globals: reading a
 * name reads the gadget table's key (then Lua's own globals: string,
 * require...), assigning a name sets the gadget table's key.  So
 * `filter = function(ev) return ev.uid ~= 0 end` replaces the filter, and
 * `local f = filter; filter = function(ev) return f(ev) and ... end`
 * wraps it.
 */
#ifndef GH_LUA_GUARD_H
#define GH_LUA_GUARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <lua.h>

#include "script/lua_alloc.h"

#define GH_LUA_INSTRUCTION_LIMIT_DEFAULT 10000000ULL
#define GH_LUA_TIME_LIMIT_MS_DEFAULT 5000

struct gh_lua_layer {
	const char *code;   /* --lua CODE, or NULL */
	const char *file;   /* --lua-file FILE, or NULL */
};

struct gh_lua_config {
	size_t memory_limit;         /* bytes per state; 0: none */
	uint64_t instruction_limit;  /* per call; 0: none */
	uint64_t time_limit_ms;      /* wall clock per call; 0: none */
	/* code a client sent (lua_sandbox.h): the gadget's script itself
	 * (an inline gadget), and the layers */
	bool sandbox_script;
	bool sandbox_layers;
	const struct gh_lua_layer *layers;
	size_t n_layers;
};

/* The process's settings (copied; layers are kept, not copied). */
void gh_lua_set_config(const struct gh_lua_config *c);
const struct gh_lua_config *gh_lua_config(void);
/* The code of the --lua layer a chunk's source names ("=--lua #N", as
 * layers are loaded), or NULL. */
const char *gh_lua_layer_code(const char *source);

struct gh_lua_guard {
	struct gh_lua_alloc alloc;
	uint64_t instruction_limit;
	uint64_t time_limit_ms;
	int period;          /* instructions between two runs of the count hook */
	uint64_t spent;      /* instructions of the call running now */
	const char *tripped; /* the limit that fired in this call, or NULL */
	const char *script;  /* for messages */
	const char *hook;    /* the call running now */
	char limit_text[64], time_text[96];
};

/* A new state with the process's limits, for script (its path, kept);
 * *out the guard to pass to gh_lua_guard_call() and to free after
 * lua_close().  NULL when out of memory. */
lua_State *gh_lua_guard_newstate(const char *script, struct gh_lua_guard **out);
/* lua_pcall under the instruction budget.  On an error the message is on
 * the stack; a memory error's says which limit.  Returns the status. */
int gh_lua_guard_call(lua_State *L, struct gh_lua_guard *g, const char *hook, int nargs,
		      int nresults);
/* After luaL_openlibs: debug.sethook refused (it would take the hook),
 * setmetatable and debug.setmetatable refuse __gc. */
void gh_lua_guard_protect(lua_State *L);
/* lua_close(L), then free g. */
void gh_lua_guard_close(lua_State *L, struct gh_lua_guard *g);
/* Run the process's layers on the gadget table at the top of the stack.
 * LUA_OK, or a status with the message pushed. */
int gh_lua_guard_layers(lua_State *L, struct gh_lua_guard *g);
/* "64 MiB", "10M instructions": the limits as said in messages. */
void gh_lua_format_bytes(size_t n, char *buf, size_t len);
void gh_lua_format_count(uint64_t n, char *buf, size_t len);

#endif
