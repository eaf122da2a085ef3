/* lua_sandbox.c - the globals of Lua code a client sent (lua_sandbox.h). */
#include "script/lua_sandbox.h"

#include <string.h>

#include <lauxlib.h>

/* registry key of the sandbox table */
static const char sandbox_key = 0;

/* Made with the real globals at hand; returns the sandbox table.  The
 * functions it defines are trusted code closing over the real load and
 * require, and hand client code only what the header lists. */
static const char make_sandbox[] =
	"local G = ...\n"
	"local function copy(t, leave)\n"
	"  local c = {}\n"
	"  for k, v in pairs(t) do if not (leave and leave[k]) then c[k] = v end end\n"
	"  return c\n"
	"end\n"
	"local S = {}\n"
	"for _, k in ipairs({'assert', 'error', 'getmetatable', 'ipairs', 'next', 'pairs',\n"
	"    'pcall', 'rawequal', 'rawget', 'rawlen', 'rawset', 'select', 'setmetatable',\n"
	"    'tonumber', 'tostring', 'type', 'xpcall', 'collectgarbage', '_VERSION'}) do\n"
	"  S[k] = G[k]\n"
	"end\n"
	"S.string = copy(G.string, {dump = true})\n"
	"S.table = copy(G.table)\n"
	"S.math = copy(G.math)\n"
	"S.utf8 = copy(G.utf8)\n"
	"S.coroutine = copy(G.coroutine)\n"
	"S.os = {time = G.os.time, clock = G.os.clock, date = G.os.date, difftime = G.os.difftime}\n"
	"S._G = S\n"
	"local real_load, real_require, preload = G.load, G.require, G.package.preload\n"
	"S.load = function(chunk, name, mode, env)\n"
	"  if mode ~= nil and mode ~= 't' then\n"
	"    error('load: only text chunks (mode \"t\") may be loaded here', 2)\n"
	"  end\n"
	"  if env == nil then env = S end\n"
	"  return real_load(chunk, name, 't', env)\n"
	"end\n"
	"S.require = function(name)\n"
	"  if type(name) ~= 'string' or not (name == 'gadget' or preload[name] or\n"
	"      name:match('^gadget%.[%w_]+$')) then\n"
	"    error(\"require: '\" .. tostring(name) .. \"' is not available here (the host's \" ..\n"
	"      'library only: gadget, gadget.*)', 2)\n"
	"  end\n"
	"  return real_require(name)\n"
	"end\n"
	"-- strings' methods are the real string table's: keep client code from\n"
	"-- replacing them under trusted code\n"
	"getmetatable('').__metatable = false\n"
	"return S\n";

int gh_lua_sandbox_push(lua_State *L)
{
	int status;

	if (lua_rawgetp(L, LUA_REGISTRYINDEX, &sandbox_key) == LUA_TTABLE)
		return LUA_OK;
	lua_pop(L, 1);
	status = luaL_loadbufferx(L, make_sandbox, sizeof(make_sandbox) - 1, "=sandbox", "t");
	if (status != LUA_OK)
		return status;
	lua_pushglobaltable(L);
	status = lua_pcall(L, 1, 1, 0);
	if (status != LUA_OK)
		return status;
	lua_pushvalue(L, -1);
	lua_rawsetp(L, LUA_REGISTRYINDEX, &sandbox_key);
	return LUA_OK;
}

int gh_lua_sandbox_load(lua_State *L, const char *file, const char *code, const char *name)
{
	int status = file ? luaL_loadfilex(L, file, "t")
			  : luaL_loadbufferx(L, code, strlen(code), name, "t");

	if (status != LUA_OK)
		return status;
	status = gh_lua_sandbox_push(L);
	if (status != LUA_OK) {
		lua_remove(L, -2);
		return status;
	}
	/* a main chunk's first upvalue is its _ENV */
	if (!lua_setupvalue(L, -2, 1))
		lua_pop(L, 1);
	return LUA_OK;
}
