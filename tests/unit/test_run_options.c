/* test_run_options.c - run's option table (run_options.c): the parser,
 * the Lua options read from it, the argv builder, the remote policy and
 * the help, without a gadget. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "run/run_options.h"

static char err[512];

static int parse(struct gh_run_config *c, const char *const *argv)
{
	int argc = 0;

	while (argv[argc])
		argc++;
	gh_run_config_init(c);
	return gh_run_config_parse(c, argc, (char *const *)argv, err, sizeof(err));
}

static void test_fields(void **state)
{
	static const char *const argv[] = {
		"trace/exec.lua", "--pid", "7", "--uid=0", "-c", "web", "--containername=db*",
		"--timeout", "2.5", "-v", "--lua", "a=1", "--lua-file", "x.lua", "--lua=b=2",
		"--lua-memory-limit", "2M", "--lua-instruction-limit=5K", "--mntnsid", "11,12",
		"--mntnsid=13", "-F", "pid==1", "--filter", "comm==x", "--comm", "sh",
		"--max-rows", "3", "--sort", "-pid", "--ready-file", "/tmp/r", NULL};
	struct gh_run_config c;

	assert_int_equal(parse(&c, argv), 0);
	assert_string_equal(c.gadget, "trace/exec.lua");
	assert_int_equal(c.kf.pid, 7);
	assert_true(c.kf.uid_on);
	assert_int_equal(c.kf.uid, 0);
	assert_false(c.kf.gid_on);
	assert_int_equal(c.copts.select.n_names, 2);
	assert_string_equal(c.copts.select.names[1], "db*");
	assert_null(c.copts.select.names[2]);
	/* one option, one place: every kind's run reads it there */
	assert_int_equal(c.run.timeout_ms, 2500);
	assert_true(c.run.verbose);
	assert_string_equal(c.run.ready_file, "/tmp/r");
	assert_int_equal(c.lua.memory_limit, 2 << 20);
	assert_int_equal(c.lua.instruction_limit, 5000);
	/* layers in the order given, --lua and --lua-file mixed */
	assert_int_equal(c.lua.n_layers, 3);
	assert_ptr_equal(c.lua.layers, c.layers);
	assert_string_equal(c.layers[0].code, "a=1");
	assert_string_equal(c.layers[1].file, "x.lua");
	assert_string_equal(c.layers[2].code, "b=2");
	assert_int_equal(c.kf.n_mntns, 3);
	assert_ptr_equal(c.kf.mntns, c.mntns);
	assert_int_equal(c.mntns[2], 13);
	assert_int_equal(c.n_filters, 2);
	assert_string_equal(c.filters[1], "comm==x");
	assert_true(c.kf.comm_on);
	assert_string_equal(c.kf.comm, "sh");
	assert_int_equal(c.run.max_rows, 3);
	assert_string_equal(c.sort, "-pid");
	assert_true(c.table_option);
	gh_run_config_free(&c);
}

/* The Lua options come from the same parser: a value of -o or -F is
 * never read as one (issue: the old pre-scan looked at every argument). */
static void test_lua_only_where_given(void **state)
{
	static const char *const argv[] = {
		"trace/exec.lua", "-o", "--lua", "-F", "--lua-file=/etc/shadow", "--fields",
		"--lua-memory-limit=0", "--k=--lua=x", NULL};
	struct gh_run_config c;

	assert_int_equal(parse(&c, argv), 0);
	assert_int_equal(c.lua.n_layers, 0);
	assert_int_equal(c.lua.memory_limit, GH_LUA_MEMORY_LIMIT_DEFAULT);
	assert_string_equal(c.output, "--lua");
	assert_string_equal(c.filters[0], "--lua-file=/etc/shadow");
	assert_string_equal(c.fields, "--lua-memory-limit=0");
	assert_int_equal(c.n_params, 1);
	assert_string_equal(c.params[0].key, "k");
	assert_string_equal(c.params[0].value, "--lua=x");
	gh_run_config_free(&c);
}

/* as a gadget decides (run_params.c): "flag" is a bool, which takes
 * only a bool's word */
static bool takes(void *ctx, const char *key, const char *word)
{
	return strcmp(key, "flag") || !strcmp(word, "false") || !strcmp(word, "true");
}

/* The gadget is the first word after no bare --KEY; the gadget decides
 * whether a bare --KEY takes the word after it. */
static void test_words(void **state)
{
	static const char *const before[] = {"--proto", "tcp", "snapshot/socket.lua", "--flag",
					     "--k", "v", NULL};
	static const char *const only[] = {"--flag", "trace/exec.lua", NULL};
	static const char *const extra[] = {"trace/exec.lua", "--flag", "extra", NULL};
	static const char *const negative[] = {"--min", "-1", "g", "--flag", "-2", NULL};
	static const char *const bool_word[] = {"--flag", "false", "g", "--flag", "x", NULL};
	struct gh_run_config c;

	assert_int_equal(parse(&c, before), 0);
	assert_string_equal(c.gadget, "snapshot/socket.lua");
	assert_int_equal(gh_run_config_take_words(&c, takes, NULL, err, sizeof(err)), 0);
	assert_string_equal(c.params[0].value, "tcp");
	assert_null(c.params[1].value);
	assert_string_equal(c.params[2].value, "v");
	gh_run_config_free(&c);

	assert_int_equal(parse(&c, only), 0);
	assert_string_equal(c.gadget, "trace/exec.lua");
	assert_int_equal(gh_run_config_take_words(&c, NULL, NULL, err, sizeof(err)), 0);
	assert_null(c.params[0].value); /* the gadget is nobody's value */
	gh_run_config_free(&c);

	assert_int_equal(parse(&c, extra), 0);
	assert_int_equal(gh_run_config_take_words(&c, takes, NULL, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "unexpected argument \"extra\"");
	gh_run_config_free(&c);

	/* "-1" after a bare --KEY is no option: a value, if the gadget says */
	assert_int_equal(parse(&c, negative), 0);
	assert_string_equal(c.gadget, "g");
	assert_int_equal(gh_run_config_take_words(&c, takes, NULL, err, sizeof(err)), -EINVAL);
	assert_string_equal(c.params[0].value, "-1");
	assert_string_equal(err, "unexpected argument \"-2\"");
	gh_run_config_free(&c);

	/* a bool takes false/true as a separate word, and nothing else */
	assert_int_equal(parse(&c, bool_word), 0);
	assert_string_equal(c.gadget, "g");
	assert_int_equal(gh_run_config_take_words(&c, takes, NULL, err, sizeof(err)), -EINVAL);
	assert_string_equal(c.params[0].value, "false");
	assert_string_equal(err, "unexpected argument \"x\"");
	gh_run_config_free(&c);
}

static void test_errors(void **state)
{
	static const struct {
		const char *argv[4];
		const char *want;
	} cases[] = {
		{{"g", "--timeout", NULL}, "--timeout needs a value"},
		{{"g", "--timeout", "soon", NULL}, "--timeout: \"soon\" is not a positive number of seconds"},
		{{"g", "--pid", "-3", NULL}, "--pid: \"-3\" is not a number"},
		{{"g", "--pid", "4294967296", NULL}, "--pid: 4294967296 is out of range (0 to 4294967295)"},
		{{"g", "--pid", "99999999999999999999999", NULL},
		 "--pid: 99999999999999999999999 is out of range (0 to 4294967295)"},
		{{"g", "--comm", "0123456789abcdef", NULL},
		 "--comm: \"0123456789abcdef\" is longer than 15 bytes (the kernel keeps 15)"},
		{{"g", "--mntnsid", "1,x", NULL}, "--mntnsid: \"x\" is not a mount namespace id"},
		{{"g", "--lua-memory-limit", "1K", NULL},
		 "--lua-memory-limit: at least 1M (the libraries take hundreds of KiB), or 0 for no "
		 "limit"},
		{{"g", "--lua-instruction-limit", "3G", NULL}, "--lua-instruction-limit: at most 2G"},
		{{"g", "--lua-memory-limit", "99999999999G", NULL}, "is not an amount"},
		{{"g", "--host=yes", NULL}, "--host takes no value"},
		{{"g", "-x", NULL}, "unknown option -x"},
		{{"g", "--", NULL}, "unknown option --"},
		{{"g", "--a!b", NULL}, "unknown option --a!b"},
		{{"g", "-c", "web[", NULL}, "-c \"web[\": a [ that no ] closes"},
		{{"g", "--k8s-podname=a[]", NULL}, "--k8s-podname \"a[]\": a [ that no ] closes"},
		{{"g", "--containername", "web\\", NULL},
		 "--containername \"web\\\": a \\ at the end escapes nothing"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct gh_run_config c;

		assert_int_equal(parse(&c, cases[i].argv), -EINVAL);
		if (!strstr(err, cases[i].want))
			fail_msg("case %zu: \"%s\" lacks \"%s\"", i, err, cases[i].want);
		gh_run_config_free(&c);
	}
}

/* config -> argv -> config: the same argv again, every value after "=". */
static void test_argv_round_trip(void **state)
{
	static const char *const argv[] = {
		"trace/exec.lua", "-o", "json", "-F", "a==1", "-F", "-b", "--timeout", "0.0004",
		"--interval=1.25", "--pid", "1", "--gid", "4294967295", "--comm", "sh", "-c", "x",
		"--host", "--k8s-podname", "p*", "--mntnsid", "5,6", "--lua", "x=1", "--lua-file",
		"f.lua", "--lua", "y=2", "--lua-instruction-limit", "7K", "--watch", "--netns", "/n",
		"--bool", "--k", "v", "--e=", "-h", NULL};
	struct gh_run_config c, again;
	struct gh_run_argv a = {0}, b = {0};

	assert_int_equal(parse(&c, argv), 0);
	assert_int_equal(gh_run_config_take_words(&c, takes, NULL, err, sizeof(err)), 0);
	assert_int_equal(gh_run_config_argv(&c, &a), 0);
	assert_string_equal(a.v[0], "trace/exec.lua");
	for (size_t i = 1; i < a.n; i++)
		assert_true(!strncmp(a.v[i], "--", 2));
	assert_int_equal(parse(&again, (const char *const *)a.v), 0);
	assert_int_equal(gh_run_config_take_words(&again, NULL, NULL, err, sizeof(err)), 0);
	assert_int_equal(gh_run_config_argv(&again, &b), 0);
	assert_int_equal(a.n, b.n);
	for (size_t i = 0; i < a.n; i++)
		assert_string_equal(a.v[i], b.v[i]);
	assert_null(b.v[b.n]);
	assert_int_equal(again.run.timeout_ms, 1); /* at least a millisecond */
	assert_int_equal(again.run.interval_ms, 1250);
	assert_string_equal(again.layers[1].file, "f.lua");
	assert_string_equal(again.filters[1], "-b");
	assert_int_equal(again.n_params, 3);
	assert_string_equal(again.params[1].value, "v");
	assert_string_equal(again.params[2].value, "");
	assert_null(again.params[0].value);
	gh_run_argv_free(&a);
	gh_run_argv_free(&b);
	gh_run_config_free(&c);
	gh_run_config_free(&again);
}

static void test_remote_policy(void **state)
{
	struct gh_run_remote_policy p = {.max_lua_memory = 64 << 20,
					 .max_lua_instructions = 1000};
	static const char *const refused[][3] = {
		{"--lua", "x", "--lua is not allowed in a remote run: inline Lua"},
		{"--lua-file", "/etc/shadow", "--lua-file is not allowed in a remote run: it names a file"},
		{"--netns", "/run/netns/x", "--netns is not allowed in a remote run: it opens a path"},
		{"--watch", NULL, "--watch is not allowed in a remote run"},
		{"--ready-file", "/x", "--ready-file is not allowed"},
		{"--hook-dir", "/x", "--hook-dir is not allowed"},
		{"--runc-root", "/x", "--runc-root is not allowed"},
		{"--docker-socket", "/x", "--docker-socket is not allowed"},
		{"--lua-memory-limit", "0", "0 (no limit) is not allowed remotely"},
		{"--lua-memory-limit", "65M", "68157440 is above this daemon's 67108864"},
		{"--lua-instruction-limit", "0", "0 (no limit)"},
		{"--lua-instruction-limit", "1001", "1001 is above this daemon's 1000"},
	};

	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		const char *argv[] = {refused[i][0], refused[i][1], NULL};
		struct gh_run_config c;

		gh_run_config_init(&c);
		c.gadget = "g";
		c.remote = &p;
		assert_int_equal(gh_run_config_parse(&c, refused[i][1] ? 2 : 1, (char **)argv, err,
						     sizeof(err)), -EPERM);
		if (!strstr(err, refused[i][2]))
			fail_msg("%s: \"%s\" lacks \"%s\"", refused[i][0], err, refused[i][2]);
		gh_run_config_free(&c);
	}
	/* what a client may pass */
	static const char *const ok[] = {"--comm", "sh", "-c", "web", "--host", "--timeout", "1",
					 "--lua-memory-limit", "64M", "--lua-instruction-limit",
					 "1000", "--k", "v", NULL};
	struct gh_run_config c;

	gh_run_config_init(&c);
	c.gadget = "g";
	c.remote = &p;
	assert_int_equal(gh_run_config_parse(&c, 13, (char **)ok, err, sizeof(err)), 0);
	gh_run_config_free(&c);
	p.allow_inline_lua = true;
	gh_run_config_init(&c);
	c.gadget = "g";
	c.remote = &p;
	assert_int_equal(gh_run_config_parse(&c, 2, (char *[]){"--lua", "x=1", NULL}, err,
					     sizeof(err)), 0);
	assert_int_equal(c.lua.n_layers, 1);
	gh_run_config_free(&c);
}

/* -h: every option of the table, once each */
static void test_help(void **state)
{
	struct gh_buf b = GH_BUF_INIT;

	assert_int_equal(gh_run_options_help(&b), 0);
	for (size_t i = 0; i < gh_run_n_options; i++) {
		const struct gh_run_option *o = &gh_run_options[i];
		char name[64];
		size_t n = 0;

		snprintf(name, sizeof(name), "\n  %s%s%s", o->alias ? o->alias : "",
			 o->alias ? ", " : "", o->name);
		for (const char *at = b.p; (at = strstr(at, name)); at++)
			n += at[strlen(name)] == ' ' || at[strlen(name)] == '\n';
		assert_int_equal(n, 1);
		assert_non_null(o->help);
		assert_ptr_equal(gh_run_option_find(o->name), o);
		if (o->alias)
			assert_ptr_equal(gh_run_option_find(o->alias), o);
		if (o->remote == GH_RUN_REMOTE_NO || o->remote == GH_RUN_REMOTE_CLIENT)
			assert_non_null(o->remote_why);
	}
	gh_buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fields),
		cmocka_unit_test(test_lua_only_where_given),
		cmocka_unit_test(test_words),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_argv_round_trip),
		cmocka_unit_test(test_remote_policy),
		cmocka_unit_test(test_help),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
