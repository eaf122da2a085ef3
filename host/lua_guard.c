/* lua_guard.c - memory and instruction limits, and layers, for script states. */
#include "lua_guard.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>

static struct gh_lua_config config = {
	.memory_limit = GH_LUA_MEMORY_LIMIT_DEFAULT,
	.instruction_limit = GH_LUA_INSTRUCTION_LIMIT_DEFAULT,
};

void gh_lua_set_config(const struct gh_lua_config *c)
{
	config = *c;
}

const struct gh_lua_config *gh_lua_config(void)
{
	return &config;
}

void gh_lua_format_bytes(size_t n, char *buf, size_t len)
{
	if (n && n % (1u << 20) == 0)
		snprintf(buf, len, "%zu MiB", n >> 20);
	else if (n && n % 1024 == 0)
		snprintf(buf, len, "%zu KiB", n >> 10);
	else
		snprintf(buf, len, "%zu bytes", n);
}

void gh_lua_format_count(uint64_t n, char *buf, size_t len)
{
	if (n && n % 1000000 == 0)
		snprintf(buf, len, "%lluM instructions", (unsigned long long)(n / 1000000));
	else if (n && n % 1000 == 0)
		snprintf(buf, len, "%lluK instructions", (unsigned long long)(n / 1000));
	else
		snprintf(buf, len, "%llu instructions", (unsigned long long)n);
}

static struct gh_lua_guard *guard_of(lua_State *L)
{
	return *(struct gh_lua_guard **)lua_getextraspace(L);
}

/* The budget is spent: raise in the script, where it runs now. */
static void count_hook(lua_State *L, lua_Debug *ar)
{
	struct gh_lua_guard *g = guard_of(L);
	char limit[64];
	lua_Debug here;

	gh_lua_format_count(g->instruction_limit, limit, sizeof(limit));
	if (lua_getstack(L, 0, &here) && lua_getinfo(L, "Sl", &here) && here.currentline > 0)
		luaL_error(L, "%s:%d: %s: instruction limit exceeded (%s)", here.short_src,
			   here.currentline, g->hook, limit);
	luaL_error(L, "%s: %s: instruction limit exceeded (%s)", g->script, g->hook, limit);
}

/* An error outside any protected call: the state cannot go on. */
static int panic(lua_State *L)
{
	struct gh_lua_guard *g = guard_of(L);
	const char *msg = lua_tostring(L, -1);

	fprintf(stderr, "gadgethost: %s: Lua cannot go on: %s%s; exiting\n", g->script,
		msg ? msg : "unprotected error", g->alloc.hit ? " (the memory limit, "
		"--lua-memory-limit)" : "");
	exit(1);
	return 0;
}

lua_State *gh_lua_guard_newstate(const char *script, struct gh_lua_guard **out)
{
	struct gh_lua_guard *g = calloc(1, sizeof(*g));
	lua_State *L;

	*out = NULL;
	if (!g)
		return NULL;
	g->alloc.limit = config.memory_limit;
	g->instruction_limit = config.instruction_limit;
	if (g->instruction_limit > INT_MAX)
		g->instruction_limit = INT_MAX;
	g->script = script;
	g->hook = "load";
	L = lua_newstate(gh_lua_alloc, &g->alloc);
	if (!L) {
		free(g);
		return NULL;
	}
	*(struct gh_lua_guard **)lua_getextraspace(L) = g;
	lua_atpanic(L, panic);
	*out = g;
	return L;
}

int gh_lua_guard_call(lua_State *L, struct gh_lua_guard *g, const char *hook, int nargs,
		      int nresults)
{
	int status;

	g->hook = hook;
	g->alloc.hit = false;
	if (g->instruction_limit)
		lua_sethook(L, count_hook, LUA_MASKCOUNT, (int)g->instruction_limit);
	status = lua_pcall(L, nargs, nresults, 0);
	if (g->instruction_limit)
		lua_sethook(L, NULL, 0, 0);
	if (status == LUA_ERRMEM) {
		char limit[32];

		gh_lua_format_bytes(g->alloc.limit, limit, sizeof(limit));
		lua_pop(L, 1);
		/* the message itself must not fail: the collector has run */
		lua_pushfstring(L, "%s: %s: memory limit exceeded (%s, --lua-memory-limit)",
				g->script, hook, limit);
	}
	return status;
}

/* The globals of a layer: the gadget table's keys, then _G's, read;
 * assignments go to the gadget table. */
static const char layer_env[] =
	"local gadget, G = ...\n"
	"return setmetatable({}, {\n"
	"  __index = function(_, k) local v = gadget[k]; if v == nil then v = G[k] end; return v end,\n"
	"  __newindex = gadget,\n"
	"})\n";

static int run_layer(lua_State *L, struct gh_lua_guard *g, int table,
		     const struct gh_lua_layer *layer)
{
	int status;

	if (layer->file)
		status = luaL_loadfilex(L, layer->file, "t");
	else
		status = luaL_loadbufferx(L, layer->code, strlen(layer->code), "=--lua", "t");
	if (status != LUA_OK)
		return status;
	status = luaL_loadbufferx(L, layer_env, sizeof(layer_env) - 1, "=layer env", "t");
	if (status != LUA_OK)
		return status;
	lua_pushvalue(L, table);
	lua_pushglobaltable(L);
	status = gh_lua_guard_call(L, g, "load", 2, 1);
	if (status != LUA_OK)
		return status;
	/* the chunk's first upvalue is its _ENV */
	if (!lua_setupvalue(L, -2, 1))
		lua_pop(L, 1);
	return gh_lua_guard_call(L, g, layer->file ? "--lua-file" : "--lua", 0, 0);
}

int gh_lua_guard_layers(lua_State *L, struct gh_lua_guard *g)
{
	int table = lua_gettop(L);

	for (size_t i = 0; i < config.n_layers; i++) {
		int status = run_layer(L, g, table, &config.layers[i]);

		if (status != LUA_OK)
			return status;
	}
	return LUA_OK;
}
