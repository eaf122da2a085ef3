/* test_remote.c - the daemon's request checks (run_request.c) and the
 * fan-out merge (fanout.c), without a daemon. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fanout.h"
#include "run_request.h"

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
	return gh_run_request_parse(body, strlen(body), inline_ok, r, err, 256);
}

static void test_request(void **state)
{
	struct gh_run_request r;
	char err[256];

	assert_int_equal(parse("{\"gadget\":\"trace/exec.lua\",\"args\":[\"--host\"],"
			       "\"params\":{\"ignore-failed\":true},\"filters\":[\"pid==1\"],"
			       "\"timeout\":2.5}", false, &r, err), 0);
	assert_non_null(strstr(r.argv[0], "/gadgets/trace/exec.lua"));
	const char *want[] = {"-o", "json", "--host", "--ignore-failed=true", "-F", "pid==1",
			      "--timeout", "2.5"};
	assert_int_equal(r.argc, 9);
	for (size_t i = 0; i < 8; i++)
		assert_string_equal(r.argv[i + 1], want[i]);
	gh_run_request_free(&r);

	assert_int_equal(parse("{\"gadget\":\"trace/../../../etc/passwd\"}", false, &r, err),
			 -EPERM);
	assert_int_equal(parse("{\"gadget\":\"/etc/passwd\"}", false, &r, err), -EPERM);
	assert_int_equal(parse("{\"gadget\":\"trace/exec.lua\",\"args\":[\"--ready-file=/x\"]}",
			       false, &r, err), -EPERM);
	assert_non_null(strstr(err, "--ready-file"));
	assert_int_equal(parse("{\"gadget\":\"trace/exec.lua\",\"params\":{\"runc-root\":\"/\"}}",
			       false, &r, err), -EPERM);
	assert_int_equal(parse("{\"gadget\":\"trace/exec.lua\",\"params\":{\"a b\":\"1\"}}",
			       false, &r, err), -EINVAL);
	assert_int_equal(parse("{\"gadget\":\"x.lua\",\"script\":\"return {}\"}", false, &r, err),
			 -EPERM);
	assert_int_equal(parse("{\"gadget\":\"x.lua\",\"script\":\"return {}\"}", true, &r, err), 0);
	assert_string_equal(r.argv[0], "x.lua");
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
