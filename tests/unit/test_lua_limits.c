/* test_lua_limits.c - the Lua states' limits (memory, instructions), the
 * layers' globals, and the error reports' rate limit. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>
#include <lualib.h>

#include "script/lua_alloc.h"
#include "script/lua_guard.h"
#include "base/rate_limit.h"

/* run code in a guarded state; the status, the message in msg */
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

static lua_State *new_state(size_t mem, uint64_t insns, struct gh_lua_guard **g)
{
	struct gh_lua_config c = {.memory_limit = mem, .instruction_limit = insns};
	lua_State *L;

	gh_lua_set_config(&c);
	L = gh_lua_guard_newstate("t.lua", g);
	assert_non_null(L);
	luaL_openlibs(L);
	return L;
}

static void test_alloc_counts_and_refuses(void **state)
{
	struct gh_lua_alloc a = {.limit = 100};
	void *p = gh_lua_alloc(&a, NULL, LUA_TSTRING, 60); /* osize: a type tag */
	void *q;

	assert_non_null(p);
	assert_int_equal(a.used, 60);
	assert_null(gh_lua_alloc(&a, NULL, LUA_TTABLE, 41));
	assert_true(a.hit);
	assert_int_equal(a.used, 60);
	q = gh_lua_alloc(&a, p, 60, 100);         /* growing to the limit is fine */
	assert_non_null(q);
	assert_int_equal(a.used, 100);
	assert_null(gh_lua_alloc(&a, q, 100, 101));
	q = gh_lua_alloc(&a, q, 100, 10);         /* shrinking never fails */
	assert_non_null(q);
	assert_int_equal(a.used, 10);
	assert_int_equal(a.peak, 100);
	assert_null(gh_lua_alloc(&a, q, 10, 0));
	assert_int_equal(a.used, 0);
}

static void test_memory_limit_leaves_state_usable(void **state)
{
	struct gh_lua_guard *g;
	lua_State *L = new_state(4u << 20, 0, &g);
	char msg[256];

	assert_int_equal(run(L, g, "local t = {} for i = 1, 1e9 do t[i] = ('x'):rep(64) .. i end",
			     msg, sizeof(msg)), LUA_ERRMEM);
	assert_string_equal(msg, "t.lua: filter: memory limit exceeded (4 MiB, --lua-memory-limit)");
	assert_true(g->alloc.used <= g->alloc.limit);
	/* the failed call's table is garbage: the next call works */
	lua_gc(L, LUA_GCCOLLECT);
	assert_int_equal(run(L, g, "x = ('y'):rep(1000)", msg, sizeof(msg)), LUA_OK);
	lua_close(L);
	assert_int_equal(g->alloc.used, 0);
	free(g);
}

static void test_instruction_limit(void **state)
{
	struct gh_lua_guard *g;
	lua_State *L = new_state(0, 100000, &g);
	char msg[256];

	assert_int_equal(run(L, g, "local n = 0\nwhile true do n = n + 1 end", msg, sizeof(msg)),
			 LUA_ERRRUN);
	assert_string_equal(msg, "[string \"local n = 0...\"]:2: filter: instruction limit "
				 "exceeded (100K instructions)");
	/* the budget is per call: a shorter loop runs, again and again */
	for (int i = 0; i < 5; i++)
		assert_int_equal(run(L, g, "for i = 1, 10000 do end", msg, sizeof(msg)), LUA_OK);
	lua_close(L);
	free(g);
}

static void test_no_limits(void **state)
{
	struct gh_lua_guard *g;
	lua_State *L = new_state(0, 0, &g);
	char msg[256];

	assert_int_equal(run(L, g, "for i = 1, 3e7 do end", msg, sizeof(msg)), LUA_OK);
	lua_close(L);
	free(g);
}

static void test_layers_see_the_gadget_table(void **state)
{
	struct gh_lua_layer layers[] = {
		{.code = "local f = filter; filter = function(ev) return f(ev) and ev > 1 end"},
		{.code = "fields.x.width = 3; name = name .. ' (edited)'; helper = string.upper('k')"},
	};
	struct gh_lua_config c = {.instruction_limit = 1000000, .layers = layers, .n_layers = 2};
	struct gh_lua_guard *g;
	lua_State *L;

	gh_lua_set_config(&c);
	L = gh_lua_guard_newstate("t.lua", &g);
	luaL_openlibs(L);
	assert_int_equal(luaL_dostring(L, "return { name = 'g', fields = { x = {} },"
					  " filter = function(ev) return ev < 10 end }"), LUA_OK);
	assert_int_equal(gh_lua_guard_layers(L, g), LUA_OK);
	lua_setglobal(L, "g");
	assert_int_equal(luaL_dostring(L, "return g.filter(5), g.filter(1), g.filter(20), g.name,"
					  " g.fields.x.width, g.helper, rawget(_G, 'helper')"), LUA_OK);
	assert_true(lua_toboolean(L, 1));
	assert_false(lua_toboolean(L, 2));
	assert_false(lua_toboolean(L, 3));
	assert_string_equal(lua_tostring(L, 4), "g (edited)");
	assert_int_equal(lua_tointeger(L, 5), 3);
	assert_string_equal(lua_tostring(L, 6), "K");
	assert_true(lua_isnil(L, 7)); /* Lua's globals are read, never written */
	lua_close(L);
	free(g);
}

/* layers on an empty gadget table: their status, the message in msg */
static int run_layers(struct gh_lua_layer *layers, size_t n, char *msg, size_t len)
{
	struct gh_lua_config c = {.layers = layers, .n_layers = n};
	struct gh_lua_guard *g;
	lua_State *L;
	int status;

	gh_lua_set_config(&c);
	L = gh_lua_guard_newstate("t.lua", &g);
	luaL_openlibs(L);
	lua_newtable(L);
	status = gh_lua_guard_layers(L, g);
	snprintf(msg, len, "%s", status == LUA_OK ? "" : lua_tostring(L, -1));
	lua_close(L);
	free(g);
	return status;
}

/* "--lua #N" is the Nth --lua; a wrong type a layer leaves is its error */
static void test_layer_error_names_the_layer(void **state)
{
	struct gh_lua_layer syntax[] = {{.code = "local x = 1"},
					{.code = "filter = function(ev) return ev.uid ~= 0"}};
	struct gh_lua_layer width[] = {{.code = "fields = { comm = { width = 8 } }"},
				       {.code = "fields.comm.width = 'wide'"}};
	struct gh_lua_layer not_table[] = {{.code = "fields = { comm = 3 }"}};
	struct gh_lua_layer filter[] = {{.code = "filter = 3"}};
	char msg[256];

	assert_int_equal(run_layers(syntax, 2, msg, sizeof(msg)), LUA_ERRSYNTAX);
	assert_string_equal(msg, "--lua #2:1: 'end' expected near <eof>");
	assert_int_equal(run_layers(width, 2, msg, sizeof(msg)), LUA_ERRRUN);
	assert_string_equal(msg, "--lua #2: fields.comm.width must be a positive integer (it is a "
				 "string)");
	assert_int_equal(run_layers(not_table, 1, msg, sizeof(msg)), LUA_ERRRUN);
	assert_string_equal(msg, "--lua #1: fields.comm must be a table (it is a number)");
	assert_int_equal(run_layers(filter, 1, msg, sizeof(msg)), LUA_ERRRUN);
	assert_string_equal(msg, "--lua #1: filter must be a function (it is 3)");
	assert_int_equal(run_layers(width, 1, msg, sizeof(msg)), LUA_OK);
}

static void test_rate_limit(void **state)
{
	struct gh_rate_limit rl;
	const uint64_t s = 1000000000ULL;
	uint64_t held = 99;

	gh_rate_limit_init(&rl, s);
	assert_true(gh_rate_limit_allow(&rl, 5 * s, &held));      /* the first: at once */
	assert_int_equal(held, 0);
	for (int i = 0; i < 1000; i++)
		assert_false(gh_rate_limit_allow(&rl, 5 * s + i * 1000, &held));
	assert_false(gh_rate_limit_allow(&rl, 6 * s - 1, &held));
	assert_true(gh_rate_limit_allow(&rl, 6 * s, &held));      /* a second later */
	assert_int_equal(held, 1001);
	assert_true(gh_rate_limit_allow(&rl, 60 * s, &held));     /* quiet since: none held */
	assert_int_equal(held, 0);
	assert_false(gh_rate_limit_allow(&rl, 60 * s + 1, &held));
}

static void test_formats(void **state)
{
	char b[64];

	gh_lua_format_bytes(64u << 20, b, sizeof(b));
	assert_string_equal(b, "64 MiB");
	gh_lua_format_bytes(1536, b, sizeof(b));
	assert_string_equal(b, "1536 bytes");
	gh_lua_format_count(10000000, b, sizeof(b));
	assert_string_equal(b, "10M instructions");
	gh_lua_format_count(1234, b, sizeof(b));
	assert_string_equal(b, "1234 instructions");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_alloc_counts_and_refuses),
		cmocka_unit_test(test_memory_limit_leaves_state_usable),
		cmocka_unit_test(test_instruction_limit),
		cmocka_unit_test(test_no_limits),
		cmocka_unit_test(test_layers_see_the_gadget_table),
		cmocka_unit_test(test_layer_error_names_the_layer),
		cmocka_unit_test(test_rate_limit),
		cmocka_unit_test(test_formats),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
