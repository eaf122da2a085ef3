/* lua_sandbox.h - the globals of Lua code a client sent.
 *
 * Scripts a user runs locally are theirs and keep Lua's whole standard
 * library.  Code that came over a socket (an inline gadget, a layer in a
 * run request, with the daemon's --allow-inline-lua) runs with these
 * globals instead of _G:
 *
 *   kept:     assert error getmetatable ipairs next pairs pcall rawequal
 *             rawget rawlen rawset select setmetatable tonumber tostring
 *             type xpcall collectgarbage _VERSION, and copies of string
 *             (no dump), table, math, utf8, coroutine
 *   narrowed: os = { time, clock, date, difftime }; load (text chunks
 *             only, with these globals unless given others); require
 *             (the host's own library only: gadget, gadget.*)
 *   left out: io, debug, package, dofile, loadfile, print, os.execute and
 *             the rest of os, string.dump
 *
 * The limits (lua_guard.h) hold in both kinds of state.
 */
#ifndef GH_LUA_SANDBOX_H
#define GH_LUA_SANDBOX_H

#include <lua.h>

/* Push the sandbox's globals table (made once per state, then the same
 * table).  Needs luaL_openlibs() first.  LUA_OK, or an error status with
 * the message pushed instead. */
int gh_lua_sandbox_push(lua_State *L);
/* Load a text chunk (a file, or code when file is NULL; name as in
 * luaL_loadbufferx) with the sandbox as its globals: as luaL_loadfilex. */
int gh_lua_sandbox_load(lua_State *L, const char *file, const char *code, const char *name);

#endif
