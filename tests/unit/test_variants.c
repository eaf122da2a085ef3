/* test_variants.c - reading a script's variants table and choosing, per
 * group, the first alternative a (pretend) kernel supports. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <lauxlib.h>
#include <lualib.h>

#include "kernel/variants.h"

/* the gadget table `return { ... }` evaluated; variants read from it */
static int read_table(const char *lua_src, struct gh_variants **v, char *err, size_t errlen)
{
	lua_State *L = luaL_newstate();
	int ret;

	assert_int_equal(luaL_dostring(L, lua_src), LUA_OK);
	ret = gh_variants_read(L, "x.lua", v, err, errlen);
	assert_int_equal(lua_gettop(L), 1); /* the stack as it was */
	lua_close(L);
	return ret;
}

/* a kernel: the programs it can attach, NULL-terminated */
static bool supported(void *ctx, const char *prog, char *why, size_t whylen)
{
	for (const char *const *p = ctx; *p; p++)
		if (!strcmp(*p, prog))
			return true;
	snprintf(why, whylen, "hook of %s", prog);
	return false;
}

static const char script[] =
	"return { variants = {\n"
	"  cap = { 'tp_cap', 'fexit_cap', { 'kprobe_cap', 'kretprobe_cap' } },\n"
	"  victim = { 'tp_btf_victim' },\n"
	"} }";

static void test_first_supported_wins(void **state)
{
	const char *new_kernel[] = { "tp_cap", "fexit_cap", "kprobe_cap", "kretprobe_cap",
				     "tp_btf_victim", NULL };
	const char *old_kernel[] = { "kprobe_cap", "kretprobe_cap", "tp_btf_victim", NULL };
	struct gh_variants *v;
	char err[512] = "", buf[256];
	bool load;

	assert_int_equal(read_table(script, &v, err, sizeof(err)), 0);
	assert_int_equal(v->n_groups, 2);
	assert_string_equal(v->groups[0].name, "cap"); /* sorted by name */
	assert_int_equal(v->groups[0].n_alts, 3);
	assert_int_equal(v->groups[0].alts[2].n_progs, 2);

	assert_int_equal(gh_variants_choose(v, supported, new_kernel, err, sizeof(err)), 0);
	gh_variants_describe(v, buf, sizeof(buf));
	assert_string_equal(buf, "cap=tp_cap victim=tp_btf_victim");
	assert_true(gh_variants_has(v, "tp_cap", &load) && load);
	assert_true(gh_variants_has(v, "fexit_cap", &load) && !load);
	assert_true(gh_variants_has(v, "kretprobe_cap", &load) && !load);
	assert_false(gh_variants_has(v, "other", &load));

	/* no tracepoint, no fentry: the pair of kprobes, and why not the others */
	assert_int_equal(gh_variants_choose(v, supported, old_kernel, err, sizeof(err)), 0);
	gh_variants_describe(v, buf, sizeof(buf));
	assert_string_equal(buf, "cap=kprobe_cap+kretprobe_cap victim=tp_btf_victim");
	assert_string_equal(v->groups[0].alts[0].why, "hook of tp_cap");
	assert_string_equal(v->groups[0].alts[1].why, "hook of fexit_cap");
	assert_true(gh_variants_has(v, "kretprobe_cap", &load) && load);
	assert_true(gh_variants_has(v, "tp_cap", &load) && !load);
	gh_variants_free(v);
}

static void test_a_pair_needs_both(void **state)
{
	const char *half[] = { "kprobe_cap", "tp_btf_victim", NULL };
	struct gh_variants *v;
	char err[512] = "", buf[256];

	assert_int_equal(read_table(script, &v, err, sizeof(err)), 0);
	assert_int_equal(gh_variants_choose(v, supported, half, err, sizeof(err)), -ENOENT);
	assert_string_equal(err, "no variant of cap works on this kernel: tp_cap needs hook of "
			    "tp_cap; fexit_cap needs hook of fexit_cap; kprobe_cap+kretprobe_cap "
			    "needs hook of kretprobe_cap");
	gh_variants_describe(v, buf, sizeof(buf));
	assert_string_equal(buf, "cap=(none) victim=tp_btf_victim");
	gh_variants_free(v);
}

static void test_no_variants(void **state)
{
	struct gh_variants *v = (void *)1;
	char err[128], buf[16] = "x";
	bool load;

	assert_int_equal(read_table("return { name = 'x' }", &v, err, sizeof(err)), 0);
	assert_null(v);
	assert_int_equal(gh_variants_choose(NULL, supported, NULL, err, sizeof(err)), 0);
	assert_false(gh_variants_has(NULL, "p", &load));
	gh_variants_describe(NULL, buf, sizeof(buf));
	assert_string_equal(buf, "");
	gh_variants_free(NULL);
}

static void test_bad_tables(void **state)
{
	static const struct {
		const char *src, *err;
	} cases[] = {
		{ "return { variants = 'x' }",
		  "x.lua: 'variants' must be a table (name = { program, ... })" },
		{ "return { variants = { 'a' } }", "x.lua: the keys of 'variants' must be names" },
		{ "return { variants = { g = 'a' } }",
		  "x.lua: variants.g must be a list of alternatives, best first" },
		{ "return { variants = { g = {} } }",
		  "x.lua: variants.g must be a list of alternatives, best first" },
		{ "return { variants = { g = { 'a', 3 } } }",
		  "x.lua: variants.g[2] must be a program name or a list of program names" },
		{ "return { variants = { g = { 'a', {} } } }",
		  "x.lua: variants.g[2] must be a program name or a list of program names" },
		{ "return { variants = { g = { { 'a', true } } } }",
		  "x.lua: variants.g[1][2] must be a program name" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		struct gh_variants *v = (void *)1;
		char err[256] = "";

		assert_int_equal(read_table(cases[i].src, &v, err, sizeof(err)), -EINVAL);
		assert_null(v);
		assert_string_equal(err, cases[i].err);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_first_supported_wins),
		cmocka_unit_test(test_a_pair_needs_both),
		cmocka_unit_test(test_no_variants),
		cmocka_unit_test(test_bad_tables),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
