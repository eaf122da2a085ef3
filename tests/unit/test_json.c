/* test_json.c - the strict JSON parser: values, escapes, numbers, paths,
 * error messages, truncated and mutated input, runc and Docker documents. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"

/* Parse from an exact-size heap copy, so reading past len trips ASan. */
static int parse_copy(const char *text, size_t len, struct gh_json **out, char *err,
		      size_t errlen)
{
	char *copy = malloc(len ? len : 1);
	int ret;

	assert_non_null(copy);
	memcpy(copy, text, len);
	ret = gh_json_parse(copy, len, out, err, errlen);
	free(copy);
	return ret;
}

static struct gh_json *parse_ok(const char *text)
{
	struct gh_json *j = NULL;
	char err[256] = "";

	if (parse_copy(text, strlen(text), &j, err, sizeof(err)))
		fail_msg("%s: %s", text, err);
	assert_non_null(j);
	return j;
}

static void assert_parse_error(const char *text, size_t len, const char *expect)
{
	struct gh_json *j = (struct gh_json *)&j;
	char err[256] = "";

	if (parse_copy(text, len, &j, err, sizeof(err)) != -EINVAL)
		fail_msg("%s: parsed, expected \"%s\"", text, expect);
	assert_null(j);
	assert_string_equal(err, expect);
}

/* sizeof, not strlen: some inputs hold NUL bytes. */
#define ERR(text, expect) assert_parse_error(text, sizeof(text) - 1, expect)

static void test_scalars(void **state)
{
	struct gh_json *j;

	j = parse_ok("null");
	assert_int_equal(gh_json_type(j), GH_JSON_NULL);
	assert_null(gh_json_str(j));
	assert_false(gh_json_bool(j));
	assert_true(isnan(gh_json_double(j)));
	gh_json_free(j);

	j = parse_ok(" true ");
	assert_int_equal(gh_json_type(j), GH_JSON_BOOL);
	assert_true(gh_json_bool(j));
	gh_json_free(j);

	j = parse_ok("\t\r\nfalse\n");
	assert_int_equal(gh_json_type(j), GH_JSON_BOOL);
	assert_false(gh_json_bool(j));
	gh_json_free(j);

	j = parse_ok("-12.5e-1");
	assert_int_equal(gh_json_type(j), GH_JSON_NUMBER);
	assert_true(gh_json_double(j) == -1.25);
	assert_null(gh_json_str(j));
	gh_json_free(j);

	j = parse_ok("\"hello\"");
	assert_int_equal(gh_json_type(j), GH_JSON_STRING);
	assert_string_equal(gh_json_str(j), "hello");
	assert_int_equal(gh_json_str_len(j), 5);
	assert_false(gh_json_bool(j));
	assert_int_equal(gh_json_len(j), 0);
	assert_null(gh_json_at(j, 0));
	assert_null(gh_json_get(j, "hello"));
	gh_json_free(j);

	j = parse_ok("\"\"");
	assert_string_equal(gh_json_str(j), "");
	assert_int_equal(gh_json_str_len(j), 0);
	gh_json_free(j);

	/* every accessor takes NULL */
	assert_int_equal(gh_json_type(NULL), GH_JSON_NULL);
	assert_null(gh_json_get(NULL, "a"));
	assert_null(gh_json_path(NULL, "a.b"));
	assert_int_equal(gh_json_len(NULL), 0);
	assert_null(gh_json_at(NULL, 0));
	assert_null(gh_json_key_at(NULL, 0));
	assert_null(gh_json_str(NULL));
	assert_int_equal(gh_json_str_len(NULL), 0);
	assert_true(isnan(gh_json_double(NULL)));
	assert_false(gh_json_bool(NULL));
	gh_json_free(NULL);
}

static void test_containers(void **state)
{
	struct gh_json *j = parse_ok("{\"a\": [1, [], {}, [true, null]], \"b\": {\"c\": {\"d\": \"e\"}},"
				     " \"a\": \"last\", \"\": 0}");
	const struct gh_json *a, *b;

	assert_int_equal(gh_json_type(j), GH_JSON_OBJECT);
	assert_int_equal(gh_json_len(j), 4);
	assert_string_equal(gh_json_key_at(j, 0), "a");
	assert_string_equal(gh_json_key_at(j, 1), "b");
	assert_string_equal(gh_json_key_at(j, 2), "a");
	assert_string_equal(gh_json_key_at(j, 3), "");
	assert_null(gh_json_key_at(j, 4));
	assert_null(gh_json_at(j, 4));

	/* duplicates: every member is kept, get returns the last */
	assert_string_equal(gh_json_str(gh_json_get(j, "a")), "last");
	a = gh_json_at(j, 0);
	assert_int_equal(gh_json_type(a), GH_JSON_ARRAY);
	assert_int_equal(gh_json_len(a), 4);
	assert_int_equal(gh_json_type(gh_json_at(a, 1)), GH_JSON_ARRAY);
	assert_int_equal(gh_json_len(gh_json_at(a, 1)), 0);
	assert_int_equal(gh_json_type(gh_json_at(a, 2)), GH_JSON_OBJECT);
	assert_int_equal(gh_json_len(gh_json_at(a, 2)), 0);
	assert_true(gh_json_bool(gh_json_at(gh_json_at(a, 3), 0)));
	assert_int_equal(gh_json_type(gh_json_at(gh_json_at(a, 3), 1)), GH_JSON_NULL);
	assert_null(gh_json_at(a, 4));
	assert_null(gh_json_key_at(a, 0)); /* arrays have no keys */
	assert_null(gh_json_get(a, "0"));

	b = gh_json_get(j, "b");
	assert_string_equal(gh_json_key_at(b, 0), "c");
	assert_string_equal(gh_json_str(gh_json_get(gh_json_get(b, "c"), "d")), "e");
	assert_null(gh_json_get(b, "C"));
	assert_non_null(gh_json_get(j, ""));
	assert_null(gh_json_get(j, NULL));
	gh_json_free(j);

	j = parse_ok("[]");
	assert_int_equal(gh_json_type(j), GH_JSON_ARRAY);
	assert_int_equal(gh_json_len(j), 0);
	gh_json_free(j);

	/* growth past the first few members */
	j = parse_ok("[0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20]");
	assert_int_equal(gh_json_len(j), 21);
	assert_true(gh_json_double(gh_json_at(j, 20)) == 20);
	gh_json_free(j);
}

static void assert_string_value(const char *json, const char *expect, size_t expect_len)
{
	struct gh_json *j = parse_ok(json);

	assert_int_equal(gh_json_str_len(j), expect_len);
	assert_memory_equal(gh_json_str(j), expect, expect_len + 1); /* and the NUL */
	gh_json_free(j);
}

#define STR(json, expect) assert_string_value(json, expect, sizeof(expect) - 1)

static void test_strings(void **state)
{
	STR("\"\\\" \\\\ \\/ \\b \\f \\n \\r \\t\"", "\" \\ / \b \f \n \r \t");
	STR("\"\\u0041\\u00e9\\u00E9\\u20ac\"", "A\xc3\xa9\xc3\xa9\xe2\x82\xac");
	STR("\"a\\u0000b\"", "a\0b");
	/* U+1F600 as a surrogate pair, both cases of hex */
	STR("\"\\ud83d\\ude00!\"", "\xf0\x9f\x98\x80!");
	STR("\"\\uD83D\\uDE00\"", "\xf0\x9f\x98\x80");
	STR("\"\\udbff\\udfff\"", "\xf4\x8f\xbf\xbf"); /* U+10FFFF */
	/* lone surrogates become U+FFFD */
	STR("\"\\ud800\"", "\xef\xbf\xbd");
	STR("\"\\ud800x\"", "\xef\xbf\xbdx");
	STR("\"\\udc00\\ud83d\"", "\xef\xbf\xbd\xef\xbf\xbd");
	STR("\"\\ud83d\\u0041\"", "\xef\xbf\xbd" "A");
	STR("\"\\ud83d\\n\"", "\xef\xbf\xbd\n");
	/* raw UTF-8 passes through; DEL is not a control character in JSON */
	STR("\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \x7f\"", "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \x7f");
	STR("\"\xf4\x8f\xbf\xbf\"", "\xf4\x8f\xbf\xbf");

	/* keys decode the same way; a key with \u0000 never matches a C string */
	struct gh_json *j = parse_ok("{\"k\\u00e9y\": 1, \"a\\u0000b\": 2}");

	assert_non_null(gh_json_get(j, "k\xc3\xa9y"));
	assert_null(gh_json_get(j, "a"));
	assert_memory_equal(gh_json_key_at(j, 1), "a\0b", 4);
	gh_json_free(j);
}

static void test_integers(void **state)
{
	struct gh_json *j = parse_ok("[18446744073709551615, 18446744073709551616, -9223372036854775808,"
				     " -9223372036854775809, 9223372036854775807, 9223372036854775808,"
				     " 0, -0, -5, 1.0, 1e3, \"7\", 99999999999999999999999.5]");
	int64_t i = 42;
	uint64_t u = 42;

	assert_int_equal(gh_json_uint(gh_json_at(j, 0), &u), 0);
	assert_true(u == UINT64_MAX);
	assert_int_equal(gh_json_int(gh_json_at(j, 0), &i), -ERANGE);
	assert_int_equal(gh_json_uint(gh_json_at(j, 1), &u), -ERANGE);
	assert_int_equal(gh_json_int(gh_json_at(j, 2), &i), 0);
	assert_true(i == INT64_MIN);
	assert_int_equal(gh_json_uint(gh_json_at(j, 2), &u), -ERANGE);
	assert_int_equal(gh_json_int(gh_json_at(j, 3), &i), -ERANGE);
	assert_int_equal(gh_json_int(gh_json_at(j, 4), &i), 0);
	assert_true(i == INT64_MAX);
	assert_int_equal(gh_json_int(gh_json_at(j, 5), &i), -ERANGE);
	assert_int_equal(gh_json_uint(gh_json_at(j, 5), &u), 0);
	assert_true(u == 9223372036854775808u);
	assert_int_equal(gh_json_int(gh_json_at(j, 6), &i), 0);
	assert_true(i == 0);
	assert_int_equal(gh_json_int(gh_json_at(j, 7), &i), 0);
	assert_true(i == 0);
	assert_int_equal(gh_json_uint(gh_json_at(j, 7), &u), 0);
	assert_true(u == 0);
	assert_int_equal(gh_json_int(gh_json_at(j, 8), &i), 0);
	assert_true(i == -5);
	assert_int_equal(gh_json_uint(gh_json_at(j, 8), &u), -ERANGE);
	/* a fraction or an exponent is not integer text, even when integral */
	assert_int_equal(gh_json_int(gh_json_at(j, 9), &i), -EINVAL);
	assert_int_equal(gh_json_uint(gh_json_at(j, 10), &u), -EINVAL);
	assert_true(gh_json_double(gh_json_at(j, 10)) == 1000.0);
	assert_int_equal(gh_json_int(gh_json_at(j, 11), &i), -EINVAL);
	assert_true(isnan(gh_json_double(gh_json_at(j, 11))));
	assert_int_equal(gh_json_int(gh_json_at(j, 12), &i), -EINVAL);
	assert_int_equal(gh_json_int(j, &i), -EINVAL);
	assert_int_equal(gh_json_uint(NULL, &u), -EINVAL);
	assert_true(i == -5 && u == 0); /* failures leave *out alone */
	gh_json_free(j);

	j = parse_ok("[1e999, -1E+2, 0.5, 3]");
	assert_true(isinf(gh_json_double(gh_json_at(j, 0))));
	assert_true(gh_json_double(gh_json_at(j, 1)) == -100.0);
	assert_true(gh_json_double(gh_json_at(j, 2)) == 0.5);
	assert_true(gh_json_double(gh_json_at(j, 3)) == 3.0);
	gh_json_free(j);
}

static void test_path(void **state)
{
	struct gh_json *j = parse_ok("{\"config\": {\"labels\": [\"a=b\", {\"x\": [10, 20]}],"
				     " \"a.b\": 1, \"\": {\"e\": true}}}");

	assert_int_equal(gh_json_len(gh_json_path(j, "config.labels")), 2);
	assert_string_equal(gh_json_str(gh_json_path(j, "config.labels.0")), "a=b");
	assert_true(gh_json_double(gh_json_path(j, "config.labels.1.x.1")) == 20);
	assert_true(gh_json_path(j, "config") == gh_json_get(j, "config"));
	assert_true(gh_json_bool(gh_json_path(j, "config..e")));
	assert_null(gh_json_path(j, "config.labels.2"));
	assert_null(gh_json_path(j, "config.labels.-1"));
	assert_null(gh_json_path(j, "config.labels.1x"));
	assert_null(gh_json_path(j, "config.labels."));
	assert_null(gh_json_path(j, "config.labels.99999999999999999999999"));
	assert_null(gh_json_path(j, "config.labels.0.more"));
	assert_null(gh_json_path(j, "config.nope"));
	assert_null(gh_json_path(j, "nope.labels"));
	assert_null(gh_json_path(j, "config.a.b")); /* dotted keys need gh_json_get */
	assert_non_null(gh_json_get(gh_json_path(j, "config"), "a.b"));
	assert_null(gh_json_path(j, ""));
	assert_null(gh_json_path(j, NULL));
	gh_json_free(j);
}

static void test_errors(void **state)
{
	ERR("", "line 1, column 1: empty input, expected a JSON value");
	ERR("  \n ", "line 2, column 2: empty input, expected a JSON value");
	ERR("{\"a\" 1}", "line 1, column 6: expected ':' after an object key, found '1'");
	ERR("{\n  \"a\": 1,\n  \"b\" 2\n}",
	    "line 3, column 7: expected ':' after an object key, found '2'");
	ERR("\"abc", "line 1, column 1: unterminated string");
	ERR("[\"abc\\\"]", "line 1, column 2: unterminated string");
	ERR("\"abc\\", "line 1, column 1: unterminated string");
	ERR("\"a\\qb\"",
	    "line 1, column 4: expected one of \" \\ / b f n r t u after '\\', found 'q'");
	ERR("\"a\\\x01\"",
	    "line 1, column 4: expected one of \" \\ / b f n r t u after '\\', found byte 0x01");
	ERR("\"\\u12g4\"", "line 1, column 2: invalid \\u escape: expected 4 hex digits");
	ERR("\"\\u12\"", "line 1, column 2: invalid \\u escape: expected 4 hex digits");
	ERR("\"\\ud800\\u12\"", "line 1, column 8: invalid \\u escape: expected 4 hex digits");
	ERR("\"a\tb\"", "line 1, column 3: control character 0x09 in a string must be escaped");
	ERR("\"a\nb\"", "line 1, column 3: control character 0x0a in a string must be escaped");
	ERR("\"a\0b\"", "line 1, column 3: control character 0x00 in a string must be escaped");
	ERR("[1,2,]", "line 1, column 6: trailing comma before ']'");
	ERR("{\"a\":1,}", "line 1, column 8: trailing comma before '}'");
	ERR("[,1]", "line 1, column 2: expected a value, found ','");
	ERR("01", "line 1, column 1: leading zeros are not allowed in numbers");
	ERR("[-007]", "line 1, column 3: leading zeros are not allowed in numbers");
	ERR("{} x", "line 1, column 4: trailing characters after the JSON value");
	ERR("[1]\0", "line 1, column 4: trailing characters after the JSON value");
	ERR("1 2", "line 1, column 3: trailing characters after the JSON value");
	ERR("truex", "line 1, column 5: trailing characters after the JSON value");
	ERR("[1 2]", "line 1, column 4: expected ',' or ']' after an array element, found '2'");
	ERR("{\"a\":1 \"b\":2}",
	    "line 1, column 8: expected ',' or '}' after an object member, found '\"'");
	ERR("{1:2}", "line 1, column 2: expected a string as the object key, found '1'");
	ERR("{'a':2}", "line 1, column 2: expected a string as the object key, found '''");
	ERR("1.", "line 1, column 3: unexpected end of input, expected a digit after '.'");
	ERR("1.e5", "line 1, column 3: expected a digit after '.', found 'e'");
	ERR("1e+", "line 1, column 4: unexpected end of input, expected a digit in the exponent");
	ERR("-", "line 1, column 2: unexpected end of input, expected a digit");
	ERR("-x", "line 1, column 2: expected a digit, found 'x'");
	ERR("+1", "line 1, column 1: expected a value, found '+'");
	ERR(".5", "line 1, column 1: expected a value, found '.'");
	ERR("tru", "line 1, column 4: unexpected end of input, expected 'true'");
	ERR("nul1", "line 1, column 4: expected 'null', found '1'");
	ERR("False", "line 1, column 1: expected a value, found 'F'");
	ERR("[NaN]", "line 1, column 2: expected a value, found 'N'");
	ERR("[Infinity]", "line 1, column 2: expected a value, found 'I'");
	ERR("\xef\xbb\xbf{}", "line 1, column 1: expected a value, found byte 0xef");
	ERR("[1,\x01]", "line 1, column 4: expected a value, found byte 0x01");
	ERR("\f1", "line 1, column 1: expected a value, found byte 0x0c");
	ERR("// c\n{}", "line 1, column 1: expected a value, found '/'");
	ERR("[", "line 1, column 2: unexpected end of input, expected a value");
	ERR("{\"a\":1", "line 1, column 7: unexpected end of input, expected ',' or '}' after an object member");
	ERR("{\"a\":", "line 1, column 6: unexpected end of input, expected a value");
	ERR("{\"a\"", "line 1, column 5: unexpected end of input, expected ':' after an object key");
	ERR("[1}", "line 1, column 3: expected ',' or ']' after an array element, found '}'");
	ERR("{\"a\":1]", "line 1, column 7: expected ',' or '}' after an object member, found ']'");

	/* invalid UTF-8: overlong, encoded surrogate, above U+10FFFF, stray
	 * continuation, truncated sequence, bytes that never appear */
	ERR("\"\xc0\x80\"", "line 1, column 2: invalid UTF-8 in a string");
	ERR("\"\xe0\x80\xaf\"", "line 1, column 2: invalid UTF-8 in a string");
	ERR("\"ab\xed\xa0\x80\"", "line 1, column 4: invalid UTF-8 in a string");
	ERR("\"\xf4\x90\x80\x80\"", "line 1, column 2: invalid UTF-8 in a string");
	ERR("\"\x80\"", "line 1, column 2: invalid UTF-8 in a string");
	ERR("\"\xe2\x82\"", "line 1, column 2: invalid UTF-8 in a string");
	ERR("\"\xff\"", "line 1, column 2: invalid UTF-8 in a string");
}

static void test_error_buffer(void **state)
{
	struct gh_json *j;
	char small[8];

	/* err is optional and truncated to errlen, always terminated */
	assert_int_equal(gh_json_parse("[1,]", 4, &j, NULL, 0), -EINVAL);
	assert_null(j);
	memset(small, 'x', sizeof(small));
	assert_int_equal(gh_json_parse("[1,]", 4, &j, small, sizeof(small)), -EINVAL);
	assert_string_equal(small, "line 1,");
	assert_int_equal(gh_json_parse(NULL, 0, &j, small, sizeof(small)), -EINVAL);
	assert_int_equal(gh_json_parse(NULL, 3, &j, small, sizeof(small)), -EINVAL);
	assert_null(j);
	/* the length is what counts, not a NUL */
	assert_int_equal(gh_json_parse("[1]garbage", 3, &j, NULL, 0), 0);
	assert_int_equal(gh_json_len(j), 1);
	gh_json_free(j);
}

static char *nested(int depth, const char *open, const char *inner, const char *close)
{
	size_t lo = strlen(open), lc = strlen(close), li = strlen(inner);
	char *s = malloc(depth * (lo + lc) + li + 1), *p = s;

	assert_non_null(s);
	for (int i = 0; i < depth; i++, p += lo)
		memcpy(p, open, lo);
	memcpy(p, inner, li);
	p += li;
	for (int i = 0; i < depth; i++, p += lc)
		memcpy(p, close, lc);
	*p = '\0';
	return s;
}

static void test_depth(void **state)
{
	struct gh_json *j = NULL;
	const struct gh_json *n;
	char err[256];
	char *s;
	int d;

	s = nested(GH_JSON_MAX_DEPTH, "[", "1", "]");
	j = parse_ok(s);
	for (n = j, d = 0; gh_json_type(n) == GH_JSON_ARRAY; n = gh_json_at(n, 0))
		d++;
	assert_int_equal(d, 64);
	assert_true(gh_json_double(n) == 1);
	gh_json_free(j);
	free(s);

	s = nested(65, "[", "1", "]");
	assert_int_equal(parse_copy(s, strlen(s), &j, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "line 1, column 65: arrays and objects nest deeper than 64 levels");
	free(s);

	s = nested(64, "{\"k\":", "{}", "}");
	assert_int_equal(parse_copy(s, strlen(s), &j, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "line 1, column 321: arrays and objects nest deeper than 64 levels");
	free(s);

	/* far too deep fails at the limit, not by exhausting the stack */
	s = nested(1000000, "[", "", "");
	assert_int_equal(parse_copy(s, strlen(s), &j, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "line 1, column 65: arrays and objects nest deeper than 64 levels");
	assert_null(j);
	free(s);
}

/* runc's state.json, trimmed (runc/libcontainer/container_linux.go State). */
static const char runc_state[] =
	"{\n"
	"  \"id\": \"3f2c9e0a7b\",\n"
	"  \"init_process_pid\": 48213,\n"
	"  \"init_process_start\": 18446744073709551615,\n"
	"  \"created\": \"2024-05-01T12:00:00.123456789Z\",\n"
	"  \"config\": {\n"
	"    \"no_pivot_root\": false,\n"
	"    \"rootfs\": \"/run/containerd/io.containerd.runtime.v2.task/k8s.io/3f2c/rootfs\",\n"
	"    \"labels\": [\"bundle=/x\", \"io.kubernetes.cri.sandbox-name=p=q\"],\n"
	"    \"hostname\": \"web-0\",\n"
	"    \"oom_score_adj\": -998,\n"
	"    \"cgroups\": {\"path\": \"/kubepods/besteffort/pod1\", \"memory\": 0.0, \"devices\": null},\n"
	"    \"description\": \"tab\\there \\\"quoted\\\" \\u00e9 \\ud83d\\ude00\"\n"
	"  },\n"
	"  \"rootless\": false,\n"
	"  \"cgroup_paths\": {\"\": \"/sys/fs/cgroup/kubepods/besteffort/pod1/3f2c\"},\n"
	"  \"namespace_paths\": {\n"
	"    \"NEWNS\": \"/proc/1/ns/mnt\",\n"
	"    \"NEWPID\": \"/proc/48213/ns/pid\"\n"
	"  },\n"
	"  \"external_descriptors\": [\"/dev/null\", \"pipe:[6789]\", \"pipe:[6790]\"]\n"
	"}";

static void test_runc_state(void **state)
{
	struct gh_json *j = parse_ok(runc_state);
	const struct gh_json *labels = gh_json_path(j, "config.labels");
	const char *label, *eq;
	int64_t pid = 0, adj = 0;
	uint64_t start = 0;

	assert_int_equal(gh_json_int(gh_json_get(j, "init_process_pid"), &pid), 0);
	assert_int_equal(pid, 48213);
	assert_int_equal(gh_json_uint(gh_json_get(j, "init_process_start"), &start), 0);
	assert_true(start == UINT64_MAX);
	assert_int_equal(gh_json_int(gh_json_path(j, "config.oom_score_adj"), &adj), 0);
	assert_int_equal(adj, -998);
	assert_string_equal(gh_json_str(gh_json_get(j, "id")), "3f2c9e0a7b");
	assert_int_equal(gh_json_type(labels), GH_JSON_ARRAY);
	assert_int_equal(gh_json_len(labels), 2);
	assert_string_equal(gh_json_str(gh_json_at(labels, 0)), "bundle=/x");
	label = gh_json_str(gh_json_at(labels, 1));
	assert_string_equal(label, "io.kubernetes.cri.sandbox-name=p=q");
	eq = strchr(label, '='); /* the first '=' splits name from value */
	assert_int_equal(eq - label, strlen("io.kubernetes.cri.sandbox-name"));
	assert_string_equal(eq + 1, "p=q");
	assert_string_equal(gh_json_str(gh_json_path(j, "namespace_paths.NEWNS")), "/proc/1/ns/mnt");
	assert_string_equal(gh_json_str(gh_json_path(j, "config.hostname")), "web-0");
	assert_string_equal(gh_json_str(gh_json_path(j, "config.description")),
			    "tab\there \"quoted\" \xc3\xa9 \xf0\x9f\x98\x80");
	assert_int_equal(gh_json_type(gh_json_path(j, "config.cgroups.devices")), GH_JSON_NULL);
	assert_non_null(gh_json_path(j, "config.cgroups.devices"));
	assert_false(gh_json_bool(gh_json_path(j, "config.no_pivot_root")));
	assert_string_equal(gh_json_str(gh_json_path(j, "cgroup_paths.")),
			    "/sys/fs/cgroup/kubepods/besteffort/pod1/3f2c");
	assert_string_equal(gh_json_str(gh_json_path(j, "external_descriptors.1")), "pipe:[6789]");
	gh_json_free(j);
}

/* Every proper prefix of a valid document must fail cleanly. */
static void test_truncated(void **state)
{
	size_t len = strlen(runc_state);

	for (size_t n = 0; n < len; n++) {
		struct gh_json *j = (struct gh_json *)&j;
		char err[256] = "";

		if (parse_copy(runc_state, n, &j, err, sizeof(err)) != -EINVAL)
			fail_msg("prefix of %zu bytes parsed", n);
		assert_null(j);
		assert_memory_equal(err, "line ", 5);
	}
}

/* Overwrite each byte in turn with bytes that matter to the grammar: any
 * outcome is fine but a crash, a leak or a read out of bounds. */
static void test_mutated(void **state)
{
	static const char bytes[] = {'\0', '"', '\\', '[', '{', ']', '}', ',', ':', '0', 'u',
				     ' ', '\x80', '\xff'};
	size_t len = strlen(runc_state);
	char *doc = malloc(len);
	int parsed = 0;

	assert_non_null(doc);
	for (size_t i = 0; i < len; i++) {
		for (size_t b = 0; b < sizeof(bytes); b++) {
			struct gh_json *j;
			char err[256] = "";
			int ret;

			memcpy(doc, runc_state, len);
			doc[i] = bytes[b];
			ret = gh_json_parse(doc, len, &j, err, sizeof(err));
			assert_true(ret == 0 || (ret == -EINVAL && !strncmp(err, "line ", 5)));
			parsed += !ret;
			gh_json_free(j);
		}
	}
	assert_true(parsed > 0);
	free(doc);
}

/* GET /containers/json from the Docker Engine API, trimmed. */
static const char docker_containers[] =
	"[{\"Id\":\"8dfafdbc3a40\",\"Names\":[\"/boring_feynman\"],\"Image\":\"ubuntu:latest\","
	"\"ImageID\":\"sha256:d74508fb6632\",\"Command\":\"echo 1\",\"Created\":1367854155,"
	"\"State\":\"running\",\"Status\":\"Up 2 hours\","
	"\"Ports\":[{\"PrivatePort\":2222,\"PublicPort\":3333,\"Type\":\"tcp\"}],"
	"\"Labels\":{\"com.example.vendor\":\"Acme\",\"com.example.version\":\"1.0\"},"
	"\"SizeRw\":12288,\"SizeRootFs\":0,\"HostConfig\":{\"NetworkMode\":\"default\"},"
	"\"NetworkSettings\":{\"Networks\":{\"bridge\":{\"NetworkID\":\"7ea29fc1412292a2d7bba362f9253545fecdfa8ce9a6e37dd10ba8bee7129812\","
	"\"IPAddress\":\"172.17.0.2\",\"IPPrefixLen\":16,\"MacAddress\":\"02:42:ac:11:00:02\"}}},"
	"\"Mounts\":[{\"Name\":\"fac362\",\"Source\":\"/data\",\"Destination\":\"/data\","
	"\"Driver\":\"local\",\"Mode\":\"ro,Z\",\"RW\":false,\"Propagation\":\"\"}]},"
	"{\"Id\":\"9cd87474be90\",\"Names\":[\"/coolName\"],\"Image\":\"ubuntu:latest\","
	"\"Command\":\"echo 222222\",\"Created\":1367854155,\"State\":\"exited\","
	"\"Status\":\"Exit 0\",\"Ports\":[],\"Labels\":{},\"SizeRw\":12288,\"SizeRootFs\":0,"
	"\"HostConfig\":{\"NetworkMode\":\"default\"},\"NetworkSettings\":{\"Networks\":{}},"
	"\"Mounts\":[]}]\n";

static void test_docker_containers(void **state)
{
	struct gh_json *j = parse_ok(docker_containers);
	const struct gh_json *c0 = gh_json_at(j, 0), *c1 = gh_json_at(j, 1);
	int64_t created = 0, port = 0;

	assert_int_equal(gh_json_type(j), GH_JSON_ARRAY);
	assert_int_equal(gh_json_len(j), 2);
	assert_string_equal(gh_json_str(gh_json_get(c0, "Id")), "8dfafdbc3a40");
	assert_string_equal(gh_json_str(gh_json_path(c0, "Names.0")), "/boring_feynman");
	assert_int_equal(gh_json_int(gh_json_get(c0, "Created"), &created), 0);
	assert_int_equal(created, 1367854155);
	assert_int_equal(gh_json_int(gh_json_path(c0, "Ports.0.PublicPort"), &port), 0);
	assert_int_equal(port, 3333);
	/* label keys hold dots: reach them with gh_json_get */
	assert_string_equal(gh_json_str(gh_json_get(gh_json_get(c0, "Labels"), "com.example.vendor")),
			    "Acme");
	assert_string_equal(gh_json_str(gh_json_path(c0, "NetworkSettings.Networks.bridge.IPAddress")),
			    "172.17.0.2");
	assert_false(gh_json_bool(gh_json_path(c0, "Mounts.0.RW")));
	assert_string_equal(gh_json_str(gh_json_path(c0, "Mounts.0.Propagation")), "");
	assert_string_equal(gh_json_str(gh_json_get(c1, "State")), "exited");
	assert_int_equal(gh_json_len(gh_json_get(c1, "Labels")), 0);
	assert_int_equal(gh_json_type(gh_json_get(c1, "Ports")), GH_JSON_ARRAY);
	assert_null(gh_json_get(c1, "ImageID"));
	assert_null(gh_json_at(j, 2));
	gh_json_free(j);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scalars),
		cmocka_unit_test(test_containers),
		cmocka_unit_test(test_strings),
		cmocka_unit_test(test_integers),
		cmocka_unit_test(test_path),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_error_buffer),
		cmocka_unit_test(test_depth),
		cmocka_unit_test(test_runc_state),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_mutated),
		cmocka_unit_test(test_docker_containers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
