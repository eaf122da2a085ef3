/* test_lua_filter_c.c - which filter(ev) functions are judged in C as -F
 * conditions (script/lua_filter_c.h), the conditions they become, and
 * the ones that must stay Lua calls. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>

#include "schema/filter.h"
#include "script/lua_filter_c.h"
#include "script/lua_guard.h"

struct rec {
	uint32_t pid;
	char comm[16];
	int32_t err;
	uint64_t big;
	int64_t delta;
	char tail[8]; /* the last member: a variable record may end before it */
};

static void field(struct gh_schema *s, const char *name, enum gh_kind kind,
		  enum gh_special special, uint32_t offset, uint32_t size)
{
	s->fields[s->n_fields++] = (struct gh_field){.name = strdup(name), .kind = kind,
						     .special = special, .offset = offset,
						     .size = size, .map_source = -1,
						     .lua_format_ref = -1};
}

static void make_schema(struct gh_schema *s)
{
	memset(s, 0, sizeof(*s));
	s->struct_name = strdup("rec");
	s->struct_size = sizeof(struct rec);
	s->mntns_field = -1;
	s->fields = calloc(6, sizeof(*s->fields));
	assert_non_null(s->fields);
	field(s, "pid", GH_KIND_UINT, GH_SPECIAL_NONE, offsetof(struct rec, pid), 4);
	field(s, "comm", GH_KIND_STRING, GH_SPECIAL_NONE, offsetof(struct rec, comm), 16);
	field(s, "err", GH_KIND_INT, GH_SPECIAL_ERRNO, offsetof(struct rec, err), 4);
	field(s, "big", GH_KIND_UINT, GH_SPECIAL_NONE, offsetof(struct rec, big), 8);
	field(s, "delta", GH_KIND_INT, GH_SPECIAL_NONE, offsetof(struct rec, delta), 8);
	field(s, "tail", GH_KIND_STRING, GH_SPECIAL_NONE, offsetof(struct rec, tail), 8);
}

/* Run chunk (a string chunk, or the file path when path is set) and
 * compile the function it returns: the result, its -F text or reason. */
static int compile(const char *chunk, const char *path, char *desc_out, size_t len)
{
	struct gh_schema s;
	struct gh_filter *f = NULL;
	struct gh_buf desc = GH_BUF_INIT;
	lua_State *L = luaL_newstate();
	int ret;

	luaL_openlibs(L);
	make_schema(&s);
	if (path)
		assert_int_equal(luaL_loadfile(L, path), LUA_OK);
	else
		assert_int_equal(luaL_loadstring(L, chunk), LUA_OK);
	assert_int_equal(lua_pcall(L, 0, 1, 0), LUA_OK);
	assert_int_equal(lua_type(L, -1), LUA_TFUNCTION);
	ret = gh_lua_filter_c(L, &s, &f, &desc);
	assert_int_equal(lua_type(L, -1), LUA_TFUNCTION); /* left there */
	assert_true((ret == 1) == (f != NULL));
	snprintf(desc_out, len, "%s", desc.p ? desc.p : "");
	gh_buf_free(&desc);
	gh_filter_free(f);
	gh_schema_free(&s);
	lua_close(L);
	return ret;
}

static void compiled(const char *chunk, const char *want)
{
	char desc[256];

	if (compile(chunk, NULL, desc, sizeof(desc)) != 1)
		fail_msg("not compiled (%s): %s", desc, chunk);
	if (strcmp(desc, want))
		fail_msg("compiled to '%s', wanted '%s': %s", desc, want, chunk);
}

static void stays_lua(const char *chunk)
{
	char desc[256];

	if (compile(chunk, NULL, desc, sizeof(desc)) != 0)
		fail_msg("compiled to '%s', wanted a Lua call: %s", desc, chunk);
}

static void test_comparisons(void **state)
{
	(void)state;
	compiled("return function(ev) return ev.pid ~= 1 and ev.comm ~= \"systemd\" end",
		 "pid!=1,comm!=systemd");
	/* constant first: the operator turns round */
	compiled("return function(e) return 10 < e.pid and -1 ~= e.delta end",
		 "pid>10,delta!=-1");
	compiled("return function(ev) return ev.delta <= -5 and ev.pid > 0x10 end",
		 "delta<=-5,pid>16");
	/* a named function over several lines, single quotes */
	compiled("local t = {}\nfunction t.f(ev)\n  return ev.comm == 'cat'\n"
		 "     and 0 <= ev.pid\nend\nreturn t.f",
		 "comm==cat,pid>=0");
	/* commas and operators in a string are its text, not -F syntax */
	compiled("return function(ev) return ev.comm == 'a,b==c' end", "comm==a,b==c");
	/* the second function on a line is the filter: the first one's text
	 * does not compile to it */
	compiled("local h = function(ev) return ev.pid == 2 end "
		 "return function(ev) return ev.pid ~= 1 end", "pid!=1");
}

static void test_stays_lua(void **state)
{
	(void)state;
	stays_lua("return function(ev) return ev.err == 0 end");     /* errno: -F's names */
	stays_lua("return function(ev) return ev.big > 1 end");      /* u64: wraps in Lua */
	stays_lua("return function(ev) return ev.tail == 'x' end");  /* may be absent */
	stays_lua("return function(ev) return ev.comm < 'x' end");   /* locale order */
	stays_lua("return function(ev) return ev.comm == '' end");   /* absent is "" to -F */
	stays_lua("return function(ev) return ev.comm == 'a\\n' end");
	stays_lua("return function(ev) return ev.pid == '1' end");   /* never true in Lua */
	stays_lua("return function(ev) return ev.pid == 1 or ev.pid == 2 end");
	stays_lua("return function(ev) return not (ev.pid == 1) end");
	stays_lua("return function(ev) return ev.pid == 1.5 end");
	stays_lua("return function(ev) return ev.pid == 1e3 end");
	stays_lua("return function(ev) return ev.pid == 010 end");
	stays_lua("return function(ev) return ev.pid == 99999999999999999999 end");
	stays_lua("local x = 3 return function(ev) return ev.pid == x end");
	stays_lua("return function(ev) return ev.pid == 1 -- one\nend");
	stays_lua("return function(ev) return ev.nope == 1 end");
	stays_lua("return function(ev, x) return ev.pid == 1 end");
	stays_lua("return function(ev) local p = ev.pid return p == 1 end");
	stays_lua("return function(ev) print(1) return ev.pid == 1 end");
	stays_lua("return print");
}

/* A file edited after it was loaded: the text no longer compiles to the
 * function that runs, so it stays a Lua call. */
static void test_edited_file(void **state)
{
	char path[] = "/tmp/gh-filter-c-XXXXXX", desc[256];
	struct gh_schema s;
	struct gh_filter *f = NULL;
	struct gh_buf b = GH_BUF_INIT;
	lua_State *L = luaL_newstate();
	int fd = mkstemp(path);
	FILE *out;

	(void)state;
	assert_true(fd >= 0);
	out = fdopen(fd, "w");
	fputs("return function(ev) return ev.pid ~= 1 end\n", out);
	fclose(out);
	assert_int_equal(compile(NULL, path, desc, sizeof(desc)), 1);
	assert_string_equal(desc, "pid!=1");

	luaL_openlibs(L);
	make_schema(&s);
	assert_int_equal(luaL_loadfile(L, path), LUA_OK);
	assert_int_equal(lua_pcall(L, 0, 1, 0), LUA_OK);
	out = fopen(path, "w");
	fputs("return function(ev) return ev.pid ~= 2 end\n", out);
	fclose(out);
	assert_int_equal(gh_lua_filter_c(L, &s, &f, &b), 0);
	assert_null(f);
	gh_buf_free(&b);
	gh_schema_free(&s);
	lua_close(L);
	unlink(path);
}

/* A --lua layer's filter: its code is the text (the chunk is named
 * "=--lua #N", as layers are loaded), the 2nd code layer here. */
static void test_layer(void **state)
{
	static const char code[] = "filter = function(ev) return ev.pid ~= 0 end";
	static const struct gh_lua_layer layers[] = {
		{.code = "x = 1"}, {.file = "/nonexistent.lua"}, {.code = code},
	};
	struct gh_lua_config c = {.layers = layers, .n_layers = 3};
	struct gh_schema s;
	struct gh_filter *f = NULL;
	struct gh_buf b = GH_BUF_INIT;
	lua_State *L = luaL_newstate();

	(void)state;
	gh_lua_set_config(&c);
	assert_ptr_equal(gh_lua_layer_code("=--lua #2"), code);
	assert_null(gh_lua_layer_code("=--lua #3"));
	assert_null(gh_lua_layer_code("=--lua #2x"));
	assert_null(gh_lua_layer_code("@--lua #2"));
	luaL_openlibs(L);
	make_schema(&s);
	assert_int_equal(luaL_loadbufferx(L, code, strlen(code), "=--lua #2", "t"), LUA_OK);
	assert_int_equal(lua_pcall(L, 0, 0, 0), LUA_OK);
	lua_getglobal(L, "filter");
	assert_int_equal(gh_lua_filter_c(L, &s, &f, &b), 1);
	assert_string_equal(b.p, "pid!=0");
	gh_filter_free(f);
	gh_buf_free(&b);
	gh_schema_free(&s);
	lua_close(L);
	c.n_layers = 0;
	gh_lua_set_config(&c);
}

/* Chunk names a script chooses (load(code, "@PATH")): a FIFO is never
 * opened to block the run, and a client's sandboxed code has no file
 * read for it at all, even one that holds the very function. */
static void test_chunk_names(void **state)
{
	static const char code[] = "return function(ev) return ev.pid ~= 1 end";
	char dir[] = "/tmp/gh-filter-c-XXXXXX", fifo[64], file[64];
	struct gh_lua_config c = {.sandbox_layers = true};
	struct gh_schema s;
	struct gh_filter *f = NULL;
	struct gh_buf b = GH_BUF_INIT;
	lua_State *L = luaL_newstate();
	FILE *out;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(fifo, sizeof(fifo), "@%s/fifo", dir);
	snprintf(file, sizeof(file), "@%s/f.lua", dir);
	assert_int_equal(mkfifo(fifo + 1, 0600), 0);
	out = fopen(file + 1, "w");
	fputs(code, out);
	fclose(out);
	luaL_openlibs(L);
	make_schema(&s);

	assert_int_equal(luaL_loadbufferx(L, code, strlen(code), fifo, "t"), LUA_OK);
	assert_int_equal(lua_pcall(L, 0, 1, 0), LUA_OK);
	assert_int_equal(gh_lua_filter_c(L, &s, &f, &b), 0); /* and it returned */
	assert_null(f);
	lua_pop(L, 1);

	assert_int_equal(luaL_loadbufferx(L, code, strlen(code), file, "t"), LUA_OK);
	assert_int_equal(lua_pcall(L, 0, 1, 0), LUA_OK);
	gh_lua_set_config(&c);
	assert_int_equal(gh_lua_filter_c(L, &s, &f, &b), 0); /* sandboxed: not read */
	c.sandbox_layers = false;
	gh_lua_set_config(&c);
	assert_int_equal(gh_lua_filter_c(L, &s, &f, &b), 1); /* the same, trusted */
	gh_filter_free(f);

	gh_buf_free(&b);
	gh_schema_free(&s);
	lua_close(L);
	unlink(fifo + 1);
	unlink(file + 1);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_comparisons),
		cmocka_unit_test(test_stays_lua),
		cmocka_unit_test(test_edited_file),
		cmocka_unit_test(test_layer),
		cmocka_unit_test(test_chunk_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
