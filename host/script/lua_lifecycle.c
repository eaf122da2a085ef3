/* lua_lifecycle.c - on_interval, on_container, on_stop (see lua_lifecycle.h). */
#include "script/lua_lifecycle.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <lauxlib.h>

#include "base/log.h"
#include "script/lua_host.h"
#include "script/lua_script.h"

/* Push field key of the script's table; returns its type. */
static int push_field(const struct gh_lua *lua, const char *key)
{
	lua_State *L = gh_lua_state(lua);
	int type;

	gh_lua_push_table(lua);
	type = lua_getfield(L, -1, key);
	lua_remove(L, -2);
	return type;
}

bool gh_lua_has_hook(const struct gh_lua *lua, const char *name)
{
	bool has = push_field(lua, name) == LUA_TFUNCTION;

	lua_pop(gh_lua_state(lua), 1);
	return has;
}

bool gh_lua_documents_only(const struct gh_lua *lua)
{
	bool yes;

	push_field(lua, "documents_only");
	yes = lua_toboolean(gh_lua_state(lua), -1);
	lua_pop(gh_lua_state(lua), 1);
	return yes;
}

enum gh_out_format gh_lua_document_format(const struct gh_lua *lua, enum gh_out_format fmt)
{
	lua_State *L = gh_lua_state(lua);
	enum gh_out_format doc = GH_OUT_YAML;

	if (fmt != GH_OUT_COLUMNS)
		return fmt;
	if (push_field(lua, "document_format") == LUA_TSTRING)
		gh_out_format_parse(lua_tostring(L, -1), &doc);
	lua_pop(L, 1);
	return doc;
}

/* Push ctx: {emit = gadget.emit, tick = tick, final = final}. */
static void push_ctx(lua_State *L, uint64_t tick, bool final)
{
	lua_createtable(L, 0, 3);
	lua_getglobal(L, "require");
	lua_pushliteral(L, "gadget.host");
	if (lua_pcall(L, 1, 1, 0) == LUA_OK && lua_istable(L, -1))
		lua_getfield(L, -1, "emit");
	else
		lua_pushnil(L);
	lua_setfield(L, -3, "emit");
	lua_pop(L, 1);
	lua_pushinteger(L, (lua_Integer)tick);
	lua_setfield(L, -2, "tick");
	lua_pushboolean(L, final);
	lua_setfield(L, -2, "final");
}

/* The hook and its ctx are pushed, then nargs - 1 more arguments. */
static int call(struct gh_lua *lua, const char *hook, int nargs)
{
	lua_State *L = gh_lua_state(lua);

	/* the limits of filter and enrich hold here too (lua_guard.h) */
	if (gh_lua_call_guarded(lua, hook, nargs, 0) == LUA_OK)
		return 0;
	gh_log(GH_LOG_ERROR, "%s (in %s)", lua_tostring(L, -1) ? lua_tostring(L, -1) : "error",
	       hook);
	lua_pop(L, 1);
	return -EINVAL;
}

int gh_lua_call_interval(struct gh_lua *lua, uint64_t tick)
{
	if (push_field(lua, "on_interval") != LUA_TFUNCTION) {
		lua_pop(gh_lua_state(lua), 1);
		return 0;
	}
	push_ctx(gh_lua_state(lua), tick, false);
	return call(lua, "on_interval", 1);
}

int gh_lua_call_stop(struct gh_lua *lua)
{
	if (push_field(lua, "on_stop") != LUA_TFUNCTION) {
		lua_pop(gh_lua_state(lua), 1);
		return 0;
	}
	push_ctx(gh_lua_state(lua), 0, true);
	return call(lua, "on_stop", 1);
}

int gh_lua_call_container(struct gh_lua *lua, const struct gh_lua_host *h,
			  const struct gh_container *c, bool added)
{
	lua_State *L = gh_lua_state(lua);

	if (push_field(lua, "on_container") != LUA_TFUNCTION) {
		lua_pop(L, 1);
		return 0;
	}
	push_ctx(L, 0, false);
	gh_lua_host_push_container(L, h, c);
	lua_pushboolean(L, added);
	return call(lua, "on_container", 3);
}
