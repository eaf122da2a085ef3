/* test_remote.c - the daemon's request checks (run_request.c) and the
 * fan-out merge (fanout.c), without a daemon. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "daemon/fanout.h"
#include "daemon/run_request.h"

static void json_node(const char *line, const char *want)
{
	struct gh_buf b = GH_BUF_INIT;

	assert_int_equal(gh_fanout_json_node(&b, line, strlen(line), "n\"1"), 0);
	assert_string_equal(b.p, want);
	gh_buf_free(&b);
}

static void test_json_node(void **state)
{
	/* into the top-level k8s object, not a nested one or a string */
	json_node("{\"a\":{\"k8s\":{}},\"s\":\"\\\"k8s\\\":{\",\"k8s\":{\"namespace\":\"x\"}}",
		  "{\"a\":{\"k8s\":{}},\"s\":\"\\\"k8s\\\":{\",\"k8s\":{\"node\":\"n\\\"1\","
		  "\"namespace\":\"x\"}}");
	json_node("{\"k8s\":{}}", "{\"k8s\":{\"node\":\"n\\\"1\"}}");
	json_node("{\"pid\":1}", "{\"k8s\":{\"node\":\"n\\\"1\"},\"pid\":1}");
	json_node("{}", "{\"k8s\":{\"node\":\"n\\\"1\"}}");
	/* a value "k8s" is not a key */
	json_node("{\"x\":\"k8s\",\"y\":[\"k8s\",{\"k8s\":{}}]}",
		  "{\"k8s\":{\"node\":\"n\\\"1\"},\"x\":\"k8s\",\"y\":[\"k8s\",{\"k8s\":{}}]}");
	json_node("not json", "not json");
}

static void test_columns_merge(void **state)
{
	struct gh_fanout f = {.fmt = GH_FANOUT_COLUMNS, .node_width = 8};
	struct gh_fanout_source a = {.node = "a"}, b = {.node = "bb"};

	assert_int_equal(gh_fanout_feed(&f, &a, "PID COMM\n1 x", 12), 0);
	assert_int_equal(gh_fanout_feed(&f, &b, "PID COMM\n", 9), 0);
	assert_int_equal(gh_fanout_feed(&f, &a, "y\n", 2), 0);
	assert_int_equal(gh_fanout_feed(&f, &b, "2 z", 3), 0);
	assert_int_equal(gh_fanout_end(&f, &b), 0);
	assert_int_equal(gh_fanout_end(&f, &a), 0);
	assert_string_equal(f.out.p, "K8S.NODE PID COMM\n"
				     "a        1 xy\n"
				     "bb       2 z\n");
	gh_buf_free(&f.out);
}

static int parse(const char *body, bool inline_ok, struct gh_run_request *r, char *err)
{
	struct gh_run_remote_policy p = {.allow_inline_lua = inline_ok,
					 .max_lua_memory = 64 << 20,
					 .max_lua_instructions = 10000000,
					 .max_lua_time_ms = 5000};

	return gh_run_request_parse(body, strlen(body), &p, r, err, 256);
}

static bool has_arg(const struct gh_run_request *r, const char *arg)
{
	for (size_t i = 0; i < r->argc; i++)
		if (!strcmp(r->argv[i], arg))
			return true;
	return false;
}

static void test_request(void **state)
{
	struct gh_run_request r;
	char err[256];

	assert_int_equal(parse("{\"gadget\":\"trace/exec.lua\",\"args\":[\"--host\"],"
			       "\"params\":{\"ignore-failed\":true},\"filters\":[\"pid==1\"],"
			       "\"timeout\":2.5}", false, &r, err), 0);
	assert_non_null(strstr(r.argv[0], "/gadgets/trace/exec.lua"));
	/* the table's order, every value after its =, the daemon's own */
	const char *want[] = {"--output=json", "--filter=pid==1", "--timeout=2.500", "--host",
			      "--lua-memory-limit=67108864", "--lua-instruction-limit=10000000",
			      "--lua-time-limit=5.000", "--lua-sandbox=layers",
			      "--ignore-failed=true"};
	assert_int_equal(r.argc, 10);
	for (size_t i = 0; i < 9; i++)
		assert_string_equal(r.argv[i + 1], want[i]);
	assert_null(r.argv[10]);
	assert_true(r.json);
	gh_run_request_free(&r);

	/* typed options; a word after a bare --KEY in "args" is its value */
	assert_int_equal(parse("{\"gadget\":\"trace/exec.lua\",\"output\":\"columns\","
			       "\"options\":{\"containername\":[\"a\",\"b\"],\"uid\":0,"
			       "\"lua-memory-limit\":\"2M\",\"verbose\":false},"
			       "\"args\":[\"--proto\",\"tcp\",\"--x\"],\"params\":{\"y\":null}}",
			       false, &r, err), 0);
	const char *want2[] = {"--output=columns", "--uid=0", "--containername=a",
			       "--containername=b", "--lua-memory-limit=2097152",
			       "--lua-instruction-limit=10000000", "--lua-time-limit=5.000",
			       "--lua-sandbox=layers", "--proto=tcp", "--x", "--y"};
	assert_int_equal(r.argc, 12);
	for (size_t i = 0; i < 11; i++)
		assert_string_equal(r.argv[i + 1], want2[i]);
	assert_false(r.json);
	gh_run_request_free(&r);

	assert_int_equal(parse("{\"gadget\":\"trace/../../../etc/passwd\"}", false, &r, err),
			 -EPERM);
	assert_int_equal(parse("{\"gadget\":\"/etc/passwd\"}", false, &r, err), -EPERM);
	assert_int_equal(parse("{\"gadget\":\"trace/exec.lua\",\"args\":[\"--ready-file=/x\"]}",
			       false, &r, err), -EPERM);
	assert_non_null(strstr(err, "--ready-file"));
	assert_int_equal(parse("{\"gadget\":\"trace/exec.lua\",\"params\":{\"runc-root\":\"/\"}}",
			       false, &r, err), -EPERM);
	assert_non_null(strstr(err, "--runc-root is not allowed in a remote run"));
	/* every way in for Lua, files and limits: 403 naming the option */
	static const char *const refused[][2] = {
		{"\"args\":[\"--lua\",\"os.exit(1)\"]", "--lua"},
		{"\"args\":[\"--lua=os.exit(1)\"]", "--lua"},
		{"\"args\":[\"--lua-file\",\"/etc/shadow\"]", "--lua-file"},
		{"\"params\":{\"lua\":\"os.exit(1)\"}", "--lua"},
		{"\"params\":{\"lua-file\":null}", "--lua-file"},
		{"\"options\":{\"lua\":[\"os.exit(1)\"]}", "--lua"},
		{"\"options\":{\"lua\":[[1]]}", "--lua"},
		{"\"args\":[\"--netns\",\"/run/netns/x\"]", "--netns"},
		{"\"options\":{\"netns\":7}", "--netns"},
		{"\"args\":[\"--watch\"]", "--watch"},
		{"\"options\":{\"watch\":true}", "--watch"},
		{"\"args\":[\"--hook-dir\"]", "--hook-dir"},
		{"\"args\":[\"--docker-socket=/x\"]", "--docker-socket"},
		{"\"args\":[\"--lua-memory-limit=0\"]", "--lua-memory-limit"},
		{"\"args\":[\"--lua-memory-limit=1G\"]", "--lua-memory-limit"},
		{"\"options\":{\"lua-instruction-limit\":0}", "--lua-instruction-limit"},
		{"\"options\":{\"lua-instruction-limit\":\"11M\"}", "--lua-instruction-limit"},
		{"\"args\":[\"--lua-time-limit=0\"]", "--lua-time-limit"},
		{"\"options\":{\"lua-time-limit\":6}", "--lua-time-limit"},
		{"\"args\":[\"--lua-sandbox=layers\"]", "--lua-sandbox"},
	};
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		char body[256];

		snprintf(body, sizeof(body), "{\"gadget\":\"trace/exec.lua\",%s}", refused[i][0]);
		assert_int_equal(parse(body, false, &r, err), -EPERM);
		assert_non_null(strstr(err, refused[i][1]));
	}
	/* inline Lua allowed: --lua passes as one argument */
	assert_int_equal(parse("{\"gadget\":\"trace/exec.lua\",\"args\":[\"--lua\",\"x=1\"]}",
			       true, &r, err), 0);
	assert_string_equal(r.argv[r.argc - 1], "--lua=x=1");
	gh_run_request_free(&r);
	/* values never become options: each is one argument after its = */
	assert_int_equal(parse("{\"gadget\":\"trace/exec.lua\",\"output\":\"--lua=x\","
			       "\"filters\":[\"--lua\"],\"params\":{\"k\":\"--lua=y\"}}",
			       false, &r, err), 0);
	assert_string_equal(r.argv[1], "--output=--lua=x");
	assert_string_equal(r.argv[2], "--filter=--lua");
	assert_string_equal(r.argv[r.argc - 1], "--k=--lua=y");
	gh_run_request_free(&r);
	/* a word in "args" that no bare --KEY takes */
	assert_int_equal(parse("{\"gadget\":\"trace/exec.lua\",\"args\":[\"x.lua\"]}", false,
			       &r, err), -EINVAL);
	assert_non_null(strstr(err, "unexpected argument \"x.lua\""));
	assert_int_equal(parse("{\"gadget\":\"trace/exec.lua\",\"options\":{\"bogus\":1}}",
			       false, &r, err), -EINVAL);
	assert_int_equal(parse("{\"gadget\":\"trace/exec.lua\",\"options\":{\"-o\":\"json\"}}",
			       false, &r, err), -EINVAL);
	assert_int_equal(parse("{\"gadget\":\"trace/exec.lua\",\"options\":{\"host\":\"yes\"}}",
			       false, &r, err), -EINVAL);
	assert_int_equal(parse("{\"gadget\":\"trace/exec.lua\",\"timeout\":true}", false, &r, err),
			 -EINVAL);
	assert_int_equal(parse("{\"gadget\":\"trace/exec.lua\",\"params\":{\"a b\":\"1\"}}",
			       false, &r, err), -EINVAL);
	assert_int_equal(parse("{\"gadget\":\"x.lua\",\"script\":\"return {}\"}", false, &r, err),
			 -EPERM);
	assert_int_equal(parse("{\"gadget\":\"x.lua\",\"script\":\"return {}\"}", true, &r, err), 0);
	assert_string_equal(r.argv[0], "x.lua");
	assert_true(has_arg(&r, "--lua-sandbox=all")); /* a client's script */
	assert_string_equal(r.script, "return {}");
	gh_run_request_free(&r);
	assert_int_equal(parse("{\"gadget\":\"../x.lua\",\"script\":\"\"}", true, &r, err), 0);
	assert_string_equal(r.argv[0], "x.lua"); /* the base name only */
	gh_run_request_free(&r);
	assert_int_equal(parse("[1]", false, &r, err), -EINVAL);
	assert_int_equal(parse("{\"gadget\":\"trace/exec.lua\",\"args\":[1]}", false, &r, err),
			 -EINVAL);
	assert_int_equal(parse("{\"gadget\":\"trace/exec.lua\",\"x\":1}", false, &r, err), -EINVAL);
	assert_non_null(strstr(err, "unknown request field \"x\""));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_node),
		cmocka_unit_test(test_columns_merge),
		cmocka_unit_test(test_request),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
