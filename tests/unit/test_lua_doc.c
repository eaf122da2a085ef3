/* test_lua_doc.c - Lua values as documents: compact and pretty JSON,
 * YAML; arrays, objects (sorted, ordered), scalars, errors. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include <lauxlib.h>
#include <lualib.h>

#include "script/lua_doc.h"

/* Evaluate "return EXPR" with gadget = the doc functions; write it. */
static int doc(const char *expr, enum gh_out_format fmt, struct gh_buf *b, char *err,
	       size_t errlen)
{
	lua_State *L = luaL_newstate();
	char code[2048];
	int ret;

	luaL_openlibs(L);
	lua_newtable(L);
	gh_lua_doc_register(L);
	lua_setglobal(L, "gadget");
	snprintf(code, sizeof(code), "return %s", expr);
	assert_int_equal(luaL_dostring(L, code), LUA_OK);
	gh_buf_reset(b);
	ret = gh_lua_doc_write(L, -1, fmt, b, err, errlen);
	assert_int_equal(lua_gettop(L), 1); /* the stack as it was */
	lua_close(L);
	return ret;
}

static void expect(const char *expr, enum gh_out_format fmt, const char *want)
{
	struct gh_buf b = GH_BUF_INIT;
	char err[256];

	assert_int_equal(doc(expr, fmt, &b, err, sizeof(err)), 0);
	assert_string_equal(b.p, want);
	gh_buf_free(&b);
}

static void expect_error(const char *expr, const char *want)
{
	struct gh_buf b = GH_BUF_INIT;
	char err[256];

	assert_int_equal(gh_buf_puts(&b, "before"), 0);
	assert_int_equal(doc(expr, GH_OUT_JSON, &b, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, want);
	gh_buf_free(&b);
}

static void test_json(void **state)
{
	(void)state;
	expect("{b = 1, a = {true, false}, c = 'x\"y'}", GH_OUT_JSON,
	       "{\"a\":[true,false],\"b\":1,\"c\":\"x\\\"y\"}\n");
	expect("{}", GH_OUT_JSON, "{}\n");
	expect("gadget.array({})", GH_OUT_JSON, "[]\n");
	expect("gadget.array()", GH_OUT_JSON, "[]\n");
	expect("{1.5, 0/0, 1/0, -3, gadget.null}", GH_OUT_JSON, "[1.5,null,null,-3,null]\n");
	/* integer keys of a table that is no sequence: strings */
	expect("{[1] = 'a', [3] = 'c'}", GH_OUT_JSON, "{\"1\":\"a\",\"3\":\"c\"}\n");
	expect("gadget.ordered({kind = 'K', apiVersion = 'v1', z = 0, a = 1}, {'kind', 'apiVersion'})",
	       GH_OUT_JSON, "{\"kind\":\"K\",\"apiVersion\":\"v1\",\"a\":1,\"z\":0}\n");
	expect("'\\xff'", GH_OUT_JSON, "\"\\udcff\"\n");
}

static void test_pretty(void **state)
{
	(void)state;
	expect("{a = {1, 2}, b = {}, c = {d = 'e'}}", GH_OUT_JSONPRETTY,
	       "{\n  \"a\": [\n    1,\n    2\n  ],\n  \"b\": {},\n  \"c\": {\n    \"d\": \"e\"\n  }\n}\n");
}

static void test_yaml(void **state)
{
	(void)state;
	expect("{kind = 'NetworkPolicy', spec = {ports = {{port = 80, protocol = 'TCP'}}, "
	       "labels = {app = 'true', n = '12'}}, empty = gadget.array({}), f = 2.0}",
	       GH_OUT_YAML,
	       /* n is a YAML 1.1 boolean: quoted, as a key too */
	       "---\nempty: []\nf: 2.0\nkind: NetworkPolicy\nspec:\n  labels:\n    app: 'true'\n"
	       "    'n': '12'\n  ports:\n  - port: 80\n    protocol: TCP\n");
	/* columns: YAML as well */
	expect("'plain'", GH_OUT_COLUMNS, "--- plain\n");
}

static void test_errors(void **state)
{
	(void)state;
	expect_error("{spec = {ingress = {{from = print}}}}",
		     "document at spec.ingress[1].from: a function cannot be written (strings, "
		     "numbers, booleans, tables, gadget.null)");
	expect_error("{[true] = 1}", "document: an object key must be a string or an integer, "
		     "not a boolean");
	expect_error("(function() local t = {} t.t = t return t end)()",
		     "document at t.t.t.t.t.t.t.t.t.t.t.t.t.t.t.t.t.t.t.t.t.t.t.t.t.t.t.t.t.t.t.t.t.t."
		     "t.t.t.t.t.t.t.t.t.t.t.t.t.t.t.t.t.t.t.t.t.t.t.t.t.t.t.t.t.t.t: nested deeper "
		     "than 64 levels (a table that contains itself?)");
}

/* a failed write leaves the buffer as it was */
static void test_error_keeps_buffer(void **state)
{
	struct gh_buf b = GH_BUF_INIT;
	lua_State *L = luaL_newstate();
	char err[256];

	(void)state;
	luaL_openlibs(L);
	assert_int_equal(gh_buf_puts(&b, "row\n"), 0);
	assert_int_equal(luaL_dostring(L, "return {a = 1, b = {c = print}}"), LUA_OK);
	assert_int_equal(gh_lua_doc_write(L, -1, GH_OUT_YAML, &b, err, sizeof(err)), -EINVAL);
	assert_string_equal(b.p, "row\n");
	assert_int_equal(gh_lua_doc_write(L, -1, GH_OUT_JSONPRETTY, &b, err, sizeof(err)), -EINVAL);
	assert_string_equal(b.p, "row\n");
	lua_close(L);
	gh_buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_pretty),
		cmocka_unit_test(test_yaml),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_error_keeps_buffer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
