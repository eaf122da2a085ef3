/* test_lua_escapes.c - a script cannot escape its limits (lua_guard.h,
 * lua_watchdog.h), and a client's code cannot reach past its sandbox
 * (lua_sandbox.h).  Each test is a way out that worked before. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <lauxlib.h>
#include <lualib.h>

#include "script/lua_guard.h"
#include "script/lua_sandbox.h"
#include "script/lua_watchdog.h"

static lua_State *new_state(uint64_t insns, uint64_t time_ms, struct gh_lua_guard **g)
{
	struct gh_lua_config c = {.memory_limit = 16u << 20, .instruction_limit = insns,
				  .time_limit_ms = time_ms};
	lua_State *L;

	gh_lua_set_config(&c);
	L = gh_lua_guard_newstate("t.lua", g);
	assert_non_null(L);
	luaL_openlibs(L);
	gh_lua_guard_protect(L);
	return L;
}

/* code run as a hook call ("filter"); status, message in msg */
static int run(lua_State *L, struct gh_lua_guard *g, const char *code, char *msg, size_t len)
{
	int status = luaL_loadstring(L, code);

	if (status == LUA_OK)
		status = gh_lua_guard_call(L, g, "filter", 0, 0);
	msg[0] = '\0';
	if (status != LUA_OK) {
		snprintf(msg, len, "%s", lua_tostring(L, -1));
		lua_pop(L, 1);
	}
	return status;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static lua_Integer global_int(lua_State *L, const char *name)
{
	lua_Integer v;

	lua_getglobal(L, name);
	v = lua_tointeger(L, -1);
	lua_pop(L, 1);
	return v;
}

/* Each coroutine used to start with a fresh count: a loop of coroutines
 * ran without end.  The budget is the call's. */
static void test_coroutines_share_the_budget(void **state)
{
	struct gh_lua_guard *g;
	lua_State *L = new_state(100000, 0, &g);
	char msg[256];

	assert_int_equal(run(L, g, "n = 0\n"
				"while true do\n"
				"  local co = coroutine.wrap(function() for i = 1, 5000 do n = n + 1 end end)\n"
				"  co()\n"
				"end", msg, sizeof(msg)), LUA_ERRRUN);
	assert_non_null(strstr(msg, "filter: instruction limit exceeded (100K instructions)"));
	/* 5000 additions cost about 4 instructions each: within the budget */
	assert_true(global_int(L, "n") <= 100000 / 3);
	gh_lua_guard_close(L, g);
}

/* pcall used to swallow the limit's error and the loop went on. */
static void test_pcall_cannot_swallow_the_limit(void **state)
{
	struct gh_lua_guard *g;
	lua_State *L = new_state(100000, 0, &g);
	char msg[256];

	assert_int_equal(run(L, g, "caught = 0\n"
				"while true do\n"
				"  if not pcall(function() while true do end end) then caught = caught + 1 end\n"
				"end", msg, sizeof(msg)), LUA_ERRRUN);
	assert_non_null(strstr(msg, "instruction limit exceeded"));
	assert_true(global_int(L, "caught") <= 1);
	/* the next call has its budget again */
	assert_int_equal(run(L, g, "for i = 1, 1000 do end", msg, sizeof(msg)), LUA_OK);
	gh_lua_guard_close(L, g);
}

/* xpcall's handler and error() inside it do not help either. */
static void test_xpcall_cannot_swallow_the_limit(void **state)
{
	struct gh_lua_guard *g;
	lua_State *L = new_state(50000, 0, &g);
	char msg[256];

	assert_int_equal(run(L, g, "while true do\n"
				"  xpcall(function() while true do end end, function(e) return e end)\n"
				"end", msg, sizeof(msg)), LUA_ERRRUN);
	assert_non_null(strstr(msg, "instruction limit exceeded"));
	gh_lua_guard_close(L, g);
}

/* debug.sethook() took the count hook away: refused. */
static void test_sethook_refused(void **state)
{
	struct gh_lua_guard *g;
	lua_State *L = new_state(100000, 0, &g);
	char msg[256];

	assert_int_equal(run(L, g, "debug.sethook()", msg, sizeof(msg)), LUA_ERRRUN);
	assert_non_null(strstr(msg, "debug.sethook is not available"));
	assert_int_equal(run(L, g, "pcall(debug.sethook)\nwhile true do end", msg, sizeof(msg)),
			 LUA_ERRRUN);
	assert_non_null(strstr(msg, "instruction limit exceeded"));
	gh_lua_guard_close(L, g);
}

/* Finalizers run with hooks off (the collector's rule): a looping __gc
 * ran on past every limit and --timeout.  A metatable with __gc is
 * refused, through setmetatable and debug.setmetatable alike. */
static void test_finalizers_refused(void **state)
{
	struct gh_lua_guard *g;
	lua_State *L = new_state(100000, 0, &g);
	char msg[256];

	assert_int_equal(run(L, g, "setmetatable({}, {__gc = function() while true do end end})",
			     msg, sizeof(msg)), LUA_ERRRUN);
	assert_non_null(strstr(msg, "__gc is not available to gadget scripts"));
	assert_int_equal(run(L, g, "debug.setmetatable(io.stdout, {__gc = function() end})",
			     msg, sizeof(msg)), LUA_ERRRUN);
	assert_non_null(strstr(msg, "__gc is not available"));
	/* other metatables still work, and __gc added later is never called */
	assert_int_equal(run(L, g, "local mt = {__index = {x = 1}}\n"
				"local t = setmetatable({}, mt)\n"
				"assert(t.x == 1)\n"
				"mt.__gc = function() while true do end end\n"
				"t = nil; collectgarbage()", msg, sizeof(msg)), LUA_OK);
	lua_gc(L, LUA_GCCOLLECT);
	gh_lua_guard_close(L, g);
}

/* A loop with no instruction limit still ends at the time limit. */
static void test_time_limit(void **state)
{
	struct gh_lua_guard *g;
	lua_State *L = new_state(0, 200, &g);
	char msg[256];
	double t0 = now_s(), took;

	assert_int_equal(run(L, g, "while true do end", msg, sizeof(msg)), LUA_ERRRUN);
	took = now_s() - t0;
	assert_non_null(strstr(msg, "filter: time limit exceeded (200 ms, --lua-time-limit)"));
	assert_true(took >= 0.15 && took < 1.0);
	/* and a short call afterwards is not cut */
	assert_int_equal(run(L, g, "for i = 1, 1000 do end", msg, sizeof(msg)), LUA_OK);
	gh_lua_guard_close(L, g);
}

/* The sandbox: what a client's code sees. */
static void test_sandbox_globals(void **state)
{
	struct gh_lua_guard *g;
	lua_State *L = new_state(1000000, 0, &g);
	static const char *const absent[] = {
		"io", "debug", "package", "dofile", "loadfile", "print", "os.execute", "os.remove",
		"os.getenv", "string.dump", "require('io')", "require('os')", "require('debug')",
		"require('gadget.x/../../etc')", "load('return io')()", "load('return os.exit')()",
		"_G.io", "getmetatable('').__index", NULL,
	};
	static const char *const present[] = {
		"os.time", "os.clock", "os.date", "string.format", "table.concat", "math.floor",
		"utf8.char", "coroutine.wrap", "pcall", "load('return 1')", "_G.pairs", NULL,
	};
	char code[256], msg[256];

	for (size_t i = 0; absent[i]; i++) {
		snprintf(code, sizeof(code), "local ok, v = pcall(function() return %s end)\n"
			 "if ok and v ~= nil then error('reached: ' .. tostring(v)) end", absent[i]);
		assert_int_equal(gh_lua_sandbox_load(L, NULL, code, "=client"), LUA_OK);
		if (gh_lua_guard_call(L, g, "load", 0, 0) != LUA_OK)
			fail_msg("%s: %s", absent[i], lua_tostring(L, -1));
	}
	for (size_t i = 0; present[i]; i++) {
		snprintf(code, sizeof(code), "assert(%s ~= nil)", present[i]);
		assert_int_equal(gh_lua_sandbox_load(L, NULL, code, "=client"), LUA_OK);
		if (gh_lua_guard_call(L, g, "load", 0, 0) != LUA_OK)
			fail_msg("%s: %s", present[i], lua_tostring(L, -1));
	}
	/* binary chunks are refused, whatever mode is asked for */
	assert_int_equal(gh_lua_sandbox_load(L, NULL,
		"local b = string.dump ~= nil and string.dump(function() end) or "
		"('').dump(function() end)\n"
		"local f, e = pcall(load, b, 'b', 'b')\n"
		"assert(not f and e:find('only text chunks'), e)\n"
		"local g2, e2 = load(b)\n"
		"assert(g2 == nil and e2:find('binary'), e2)", "=client"), LUA_OK);
	if (gh_lua_guard_call(L, g, "load", 0, 0) != LUA_OK)
		fail_msg("binary chunk: %s", lua_tostring(L, -1));
	/* what a client's code sets stays in its globals */
	assert_int_equal(gh_lua_sandbox_load(L, NULL, "string.format = nil; x = 1", "=client"),
			 LUA_OK);
	assert_int_equal(gh_lua_guard_call(L, g, "load", 0, 0), LUA_OK);
	assert_int_equal(run(L, g, "assert(string.format('%d', 1) == '1' and x == nil)", msg,
			     sizeof(msg)), LUA_OK);
	gh_lua_guard_close(L, g);
}

/* A client's layer reads the gadget table, then the sandbox: not _G. */
static void test_sandboxed_layers(void **state)
{
	struct gh_lua_layer layers[] = {
		{.code = "filter = function(ev) return io == nil and os.execute == nil end"},
	};
	struct gh_lua_config c = {.instruction_limit = 1000000, .sandbox_layers = true,
				  .layers = layers, .n_layers = 1};
	struct gh_lua_guard *g;
	lua_State *L;

	gh_lua_set_config(&c);
	L = gh_lua_guard_newstate("t.lua", &g);
	luaL_openlibs(L);
	assert_int_equal(luaL_dostring(L, "return { filter = function() return false end }"),
			 LUA_OK);
	assert_int_equal(gh_lua_guard_layers(L, g), LUA_OK);
	lua_getfield(L, -1, "filter");
	assert_int_equal(gh_lua_guard_call(L, g, "filter", 0, 1), LUA_OK);
	assert_true(lua_toboolean(L, -1));
	gh_lua_guard_close(L, g);
}

static int ask_stop(lua_State *L)
{
	gh_lua_watchdog_request_stop();
	return 0;
}

/* Last: a stop is for the whole process.  A call running when it comes
 * has one more second; that one cut, the script is stuck, and its
 * per-event hooks end at once; a lifecycle hook that begins after the
 * stop (on_stop) has its own time limit. */
static void test_stop_bounds_a_stuck_script(void **state)
{
	struct gh_lua_guard *g;
	lua_State *L = new_state(0, 2000, &g);
	char msg[256];
	double t0 = now_s(), took;

	lua_register(L, "ask_stop", ask_stop);
	assert_int_equal(run(L, g, "ask_stop()\nwhile true do end", msg, sizeof(msg)), LUA_ERRRUN);
	took = now_s() - t0;
	assert_non_null(strstr(msg, "filter: stopped (the run is ending)"));
	assert_true(took >= GH_LUA_STOP_GRACE_MS / 1000.0 - 0.1 &&
		    took < GH_LUA_STOP_GRACE_MS / 1000.0 + 0.5);
	t0 = now_s();
	assert_int_equal(run(L, g, "while true do end", msg, sizeof(msg)), LUA_ERRRUN);
	assert_true(now_s() - t0 < 0.2);
	/* on_stop: its own time limit (2 s here), and work that fits is done */
	assert_int_equal(luaL_loadstring(L, "for i = 1, 1e6 do end; done = true"), LUA_OK);
	assert_int_equal(gh_lua_guard_call(L, g, "on_stop", 0, 0), LUA_OK);
	assert_int_equal(luaL_loadstring(L, "while true do end"), LUA_OK);
	t0 = now_s();
	assert_int_equal(gh_lua_guard_call(L, g, "on_stop", 0, 0), LUA_ERRRUN);
	took = now_s() - t0;
	assert_non_null(strstr(lua_tostring(L, -1), "on_stop: time limit exceeded (2 s"));
	assert_true(took >= 1.9 && took < 2.5);
	lua_pop(L, 1);
	gh_lua_guard_close(L, g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_coroutines_share_the_budget),
		cmocka_unit_test(test_pcall_cannot_swallow_the_limit),
		cmocka_unit_test(test_xpcall_cannot_swallow_the_limit),
		cmocka_unit_test(test_sethook_refused),
		cmocka_unit_test(test_finalizers_refused),
		cmocka_unit_test(test_time_limit),
		cmocka_unit_test(test_sandbox_globals),
		cmocka_unit_test(test_sandboxed_layers),
		cmocka_unit_test(test_stop_bounds_a_stuck_script),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
