/* lua_guard.c - memory and instruction limits, and layers, for script states. */
#include "script/lua_guard.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>

#include "base/log.h"
#include "script/lua_sandbox.h"
#include "script/lua_watchdog.h"
#include "script/spec_types.h"

/* Instructions between two runs of the count hook: the limits' grain. */
#define HOOK_PERIOD 1000

static struct gh_lua_config config = {
	.memory_limit = GH_LUA_MEMORY_LIMIT_DEFAULT,
	.instruction_limit = GH_LUA_INSTRUCTION_LIMIT_DEFAULT,
	.time_limit_ms = GH_LUA_TIME_LIMIT_MS_DEFAULT,
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

static void format_ms(uint64_t ms, char *buf, size_t len)
{
	if (ms % 1000 == 0)
		snprintf(buf, len, "%llu s", (unsigned long long)(ms / 1000));
	else
		snprintf(buf, len, "%llu ms", (unsigned long long)ms);
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

static void count_hook(lua_State *L, lua_Debug *ar);

static void set_period(lua_State *L, int period)
{
	lua_sethook(L, count_hook, LUA_MASKCOUNT, period);
}

/* Raise in the script, where it runs now; "SCRIPT:LINE: HOOK: WHY". */
static int raise_limit(lua_State *L, struct gh_lua_guard *g)
{
	lua_Debug here;

	if (lua_getstack(L, 0, &here) && lua_getinfo(L, "Sl", &here) && here.currentline > 0)
		return luaL_error(L, "%s:%d: %s: %s", here.short_src, here.currentline, g->hook,
				  g->tripped);
	return luaL_error(L, "%s: %s: %s", g->script, g->hook, g->tripped);
}

/* Every g->period instructions of any coroutine of the state, and at
 * every instruction once a limit fired.  (Lua code runs only inside calls:
 * finalizers, which the collector runs with hooks off, are refused.) */
static void count_hook(lua_State *L, lua_Debug *ar)
{
	struct gh_lua_guard *g = guard_of(L);
	const char *why;

	g->spent += (uint64_t)lua_gethookcount(L);
	if (!g->tripped) {
		if (g->instruction_limit && g->spent > g->instruction_limit)
			g->tripped = g->limit_text;
		else if (gh_lua_watchdog_expired(&why))
			g->tripped = strcmp(why, "time limit exceeded") ? why : g->time_text;
	}
	if (!g->tripped) {
		if (lua_gethookcount(L) != g->period)
			set_period(L, g->period);
		return;
	}
	if (lua_gethookcount(L) != 1)
		set_period(L, 1);
	raise_limit(L, g);
}

/* An error outside any protected call: the state cannot go on. */
static int panic(lua_State *L)
{
	struct gh_lua_guard *g = guard_of(L);
	const char *msg = lua_tostring(L, -1);

	gh_log(GH_LOG_ERROR, "%s: Lua cannot go on: %s%s; exiting", g->script,
	       msg ? msg : "unprotected error", g->alloc.hit ? " (the memory limit, "
	       "--lua-memory-limit)" : "");
	exit(1);
	return 0;
}

/* debug.sethook would take the count hook away: refused, in every state. */
static int refuse_sethook(lua_State *L)
{
	return luaL_error(L, "debug.sethook is not available to gadget scripts (it would "
			  "remove the instruction limit)");
}

/* setmetatable and debug.setmetatable (the original is upvalue 1), but a
 * metatable with __gc is refused: Lua runs finalizers with hooks off,
 * where no limit could stop them. */
static int setmetatable_no_gc(lua_State *L)
{
	if (lua_istable(L, 2)) {
		lua_pushliteral(L, "__gc");
		if (lua_rawget(L, 2) != LUA_TNIL)
			return luaL_error(L, "__gc is not available to gadget scripts (finalizers "
					  "run where no limit can stop them)");
		lua_pop(L, 1);
	}
	lua_pushvalue(L, lua_upvalueindex(1));
	lua_insert(L, 1);
	lua_call(L, lua_gettop(L) - 1, LUA_MULTRET);
	return lua_gettop(L);
}

static void wrap_setmetatable(lua_State *L, int table)
{
	if (lua_getfield(L, table, "setmetatable") == LUA_TFUNCTION) {
		lua_pushcclosure(L, setmetatable_no_gc, 1);
		lua_setfield(L, table, "setmetatable");
	} else {
		lua_pop(L, 1);
	}
}

void gh_lua_guard_protect(lua_State *L)
{
	lua_pushglobaltable(L);
	wrap_setmetatable(L, lua_gettop(L));
	lua_pop(L, 1);
	if (lua_getglobal(L, "debug") == LUA_TTABLE) {
		lua_pushcfunction(L, refuse_sethook);
		lua_setfield(L, -2, "sethook");
		wrap_setmetatable(L, lua_gettop(L));
	}
	lua_pop(L, 1);
}

lua_State *gh_lua_guard_newstate(const char *script, struct gh_lua_guard **out)
{
	struct gh_lua_guard *g = calloc(1, sizeof(*g));
	char limit[32];
	lua_State *L;

	*out = NULL;
	if (!g)
		return NULL;
	g->alloc.limit = config.memory_limit;
	g->instruction_limit = config.instruction_limit;
	g->time_limit_ms = config.time_limit_ms;
	g->period = HOOK_PERIOD;
	if (g->instruction_limit && g->instruction_limit < HOOK_PERIOD)
		g->period = (int)g->instruction_limit;
	gh_lua_format_count(g->instruction_limit, limit, sizeof(limit));
	snprintf(g->limit_text, sizeof(g->limit_text), "instruction limit exceeded (%s)", limit);
	format_ms(g->time_limit_ms, limit, sizeof(limit));
	snprintf(g->time_text, sizeof(g->time_text), "time limit exceeded (%s, --lua-time-limit)",
		 limit);
	g->script = script;
	g->hook = "load";
	if (gh_lua_watchdog_start()) {
		free(g);
		return NULL;
	}
	L = lua_newstate(gh_lua_alloc, &g->alloc);
	if (!L) {
		free(g);
		return NULL;
	}
	*(struct gh_lua_guard **)lua_getextraspace(L) = g;
	lua_atpanic(L, panic);
	set_period(L, g->period);
	*out = g;
	return L;
}

static void enter(struct gh_lua_guard *g, const char *hook)
{
	g->hook = hook;
	g->alloc.hit = false;
	g->spent = 0;
	g->tripped = NULL;
	gh_lua_watchdog_enter(g->time_limit_ms, g->script, hook,
			      !strcmp(hook, "filter") || !strcmp(hook, "enrich") ||
			      !strcmp(hook, "format"));
}

static void leave(lua_State *L, struct gh_lua_guard *g)
{
	gh_lua_watchdog_leave();
	if (g->tripped) {
		g->tripped = NULL;
		set_period(L, g->period);
	}
}

int gh_lua_guard_call(lua_State *L, struct gh_lua_guard *g, const char *hook, int nargs,
		      int nresults)
{
	int status;

	enter(g, hook);
	status = lua_pcall(L, nargs, nresults, 0);
	leave(L, g);
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

void gh_lua_guard_close(lua_State *L, struct gh_lua_guard *g)
{
	if (L)
		lua_close(L);
	free(g);
}

/* The globals of a layer: the gadget table's keys, then _G's, read;
 * assignments go to the gadget table. */
static const char layer_env[] =
	"local gadget, G = ...\n"
	"return setmetatable({}, {\n"
	"  __index = function(_, k) local v = gadget[k]; if v == nil then v = G[k] end; return v end,\n"
	"  __newindex = gadget,\n"
	"})\n";

#define CODE_LAYER_NAME "--lua #" /* + N: the Nth --lua */

const char *gh_lua_layer_code(const char *source)
{
	const char *p = source[0] == '=' && !strncmp(source + 1, CODE_LAYER_NAME,
						     strlen(CODE_LAYER_NAME))
				? source + 1 + strlen(CODE_LAYER_NAME) : NULL;
	size_t want = 0, n = 0;

	for (; p && *p >= '0' && *p <= '9' && want < 1000; p++)
		want = want * 10 + (size_t)(*p - '0');
	if (!p || *p || !want)
		return NULL;
	for (size_t i = 0; i < config.n_layers; i++)
		if (config.layers[i].code && ++n == want)
			return config.layers[i].code;
	return NULL;
}

/* who is the layer in messages: its file, or "--lua #N" (the Nth --lua) */
static int run_layer(lua_State *L, struct gh_lua_guard *g, int table,
		     const struct gh_lua_layer *layer, const char *who)
{
	char chunk[32];
	int status;

	snprintf(chunk, sizeof(chunk), "=%.30s", who);
	if (layer->file)
		status = luaL_loadfilex(L, layer->file, "t");
	else
		status = luaL_loadbufferx(L, layer->code, strlen(layer->code), chunk, "t");
	if (status != LUA_OK)
		return status;
	status = luaL_loadbufferx(L, layer_env, sizeof(layer_env) - 1, "=layer env", "t");
	if (status != LUA_OK)
		return status;
	lua_pushvalue(L, table);
	if (config.sandbox_layers) {
		status = gh_lua_sandbox_push(L); /* a client's layer: not _G */
		if (status != LUA_OK)
			return status;
	} else {
		lua_pushglobaltable(L);
	}
	status = gh_lua_guard_call(L, g, "load", 2, 1);
	if (status != LUA_OK)
		return status;
	/* the chunk's first upvalue is its _ENV */
	if (!lua_setupvalue(L, -2, 1))
		lua_pop(L, 1);
	status = gh_lua_guard_call(L, g, layer->file ? "--lua-file" : "--lua", 0, 0);
	return status == LUA_OK ? gh_spec_check_types(L, table, who) : status;
}

int gh_lua_guard_layers(lua_State *L, struct gh_lua_guard *g)
{
	int table = lua_gettop(L);

	for (size_t i = 0, n_code = 0; i < config.n_layers; i++) {
		const struct gh_lua_layer *layer = &config.layers[i];
		char who[32];
		int status;

		if (!layer->file)
			snprintf(who, sizeof(who), CODE_LAYER_NAME "%zu", ++n_code);
		status = run_layer(L, g, table, layer, layer->file ? layer->file : who);

		if (status != LUA_OK)
			return status;
	}
	return LUA_OK;
}
