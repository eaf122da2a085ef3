/* test_filter.c - -F parsing and evaluation, --fields selection. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <stdbool.h>
#include <string.h>

#include "schema/filter.h"

struct rec {
	uint32_t pid;
	int32_t ret;
	char comm[16];
	uint32_t uid;
	uint8_t ok;
	char args[32];
};

static struct gh_field fields[] = {
	{.name = "pid", .kind = GH_KIND_UINT, .offset = offsetof(struct rec, pid), .size = 4},
	{.name = "ret", .kind = GH_KIND_INT, .special = GH_SPECIAL_ERRNO,
	 .offset = offsetof(struct rec, ret), .size = 4},
	{.name = "comm", .kind = GH_KIND_STRING, .offset = offsetof(struct rec, comm), .size = 16},
	{.name = "uid", .kind = GH_KIND_UINT, .offset = offsetof(struct rec, uid), .size = 4},
	{.name = "ok", .kind = GH_KIND_BOOL, .offset = offsetof(struct rec, ok), .size = 1},
	{.name = "args", .kind = GH_KIND_STRLIST, .offset = offsetof(struct rec, args), .size = 32},
	{.name = "verdict", .kind = GH_KIND_VIRTUAL, .map_source = -1},
};

static struct gh_schema schema = {
	.struct_name = "rec", .fields = fields, .n_fields = sizeof(fields) / sizeof(fields[0]),
};

static struct rec cat = {.pid = 42, .ret = -2, .comm = "cat", .uid = 1000, .ok = 1,
			 .args = "cat\0/etc/hosts"};
static struct rec ls = {.pid = 7, .ret = 0, .comm = "ls", .uid = 0, .ok = 0, .args = "ls"};

static bool matches(const char *spec, const struct rec *r)
{
	struct gh_filter *f = gh_filter_new();
	struct gh_event ev = {.data = (const uint8_t *)r, .len = sizeof(*r)};
	char err[512] = "";
	bool m;

	if (gh_filter_add(f, &schema, spec, err, sizeof(err)))
		fail_msg("%s: %s", spec, err);
	m = gh_filter_match(f, &schema, &ev);
	gh_filter_free(f);
	return m;
}

static int add_error(const char *spec, char *err, size_t errlen)
{
	struct gh_filter *f = gh_filter_new();
	int ret = gh_filter_add(f, &schema, spec, err, errlen);

	gh_filter_free(f);
	return ret;
}

/* spec is refused with exactly this line */
static void refused(const char *spec, const char *want)
{
	char err[512];

	assert_int_equal(add_error(spec, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, want);
}

static void test_numbers(void **state)
{
	assert_true(matches("pid==42", &cat));
	assert_false(matches("pid==42", &ls));
	assert_true(matches("pid!=42", &ls));
	assert_true(matches("pid>=42", &cat));
	assert_true(matches("pid>7", &cat));
	assert_false(matches("pid>42", &cat));
	assert_true(matches("pid<=7", &ls));
	assert_true(matches("pid<8", &ls));
	assert_true(matches("pid==0x2a", &cat));
	/* an unsigned field against a negative number */
	assert_true(matches("uid>-1", &ls));
	assert_true(matches("ok==true", &cat));
	assert_true(matches("ok==0", &ls));
}

static void test_strings_and_regex(void **state)
{
	assert_true(matches("comm==cat", &cat));
	assert_false(matches("comm==cat", &ls));
	assert_true(matches("comm!=cat", &ls));
	assert_true(matches("comm~^c.t$", &cat));
	assert_false(matches("comm~^c.t$", &ls));
	assert_true(matches("comm<d", &cat)); /* lexicographic */
	assert_true(matches("args==cat /etc/hosts", &cat));
	assert_true(matches("args~hosts", &cat));
	assert_true(matches("pid~^4", &cat)); /* a regex on a number reads its text */
}

/* an errno field is a positive errno whichever sign the record has (cat's
 * is -2): a number or a name, nothing else */
static void test_errno_names(void **state)
{
	assert_true(matches("ret==ENOENT", &cat));
	assert_false(matches("ret==ENOENT", &ls));
	assert_true(matches("ret!=ENOENT", &ls));
	assert_true(matches("ret:ENOENT", &cat));
	assert_true(matches("ret==2", &cat));
	assert_true(matches("ret>0", &cat));
	assert_false(matches("ret>0", &ls));
	assert_true(matches("ret==0", &ls));
	assert_true(matches("ret~^ENO", &cat)); /* a regex reads the name */
	refused("ret==-2", "filter \"ret==-2\": ret is an errno: a positive number or a name "
				 "(2 or ENOENT), not \"-2\"");
	refused("ret==ENOENTT", "filter \"ret==ENOENTT\": ret is an errno: a positive number or a "
				 "name (2 or ENOENT), not \"ENOENTT\"");
	assert_false(matches("ret<0", &cat)); /* no errno is negative */
}

static void test_old_syntax(void **state)
{
	assert_true(matches("comm:cat", &cat));
	assert_true(matches("comm:!cat", &ls));
	assert_true(matches("pid:>=42", &cat));
	assert_true(matches("pid:>41", &cat));
	assert_true(matches("pid:<=7", &ls));
	assert_true(matches("pid:<8", &ls));
	assert_true(matches("comm:~^l", &ls));
}

/* spaces around names, operators and values are no part of them; an
 * operator glued to another is refused, not read as part of the value */
static void test_spaces_and_glued_operators(void **state)
{
	assert_true(matches("comm == cat", &cat));
	assert_true(matches(" comm==cat ", &cat));
	assert_true(matches("comm: cat", &cat));
	assert_true(matches("comm: !cat", &ls));
	assert_true(matches("pid: >=42", &cat));
	assert_true(matches("pid > 41", &cat));
	assert_true(matches("comm ~ ^c", &cat));
	refused("comm=~c", "filter \"comm=~c\": unknown operator \"=~\" "
				 "(use ==, !=, >=, >, <=, <, ~)");
	refused("comm== =cat", "filter \"comm== =cat\": unknown operator \"== =\" "
				 "(use ==, !=, >=, >, <=, <, ~)");
	refused("pid=>3", "filter \"pid=>3\": unknown operator \"=>\" "
				 "(use ==, !=, >=, >, <=, <, ~)");
}

static void test_and(void **state)
{
	struct gh_filter *f = gh_filter_new();
	struct gh_event ev = {.data = (const uint8_t *)&cat, .len = sizeof(cat)};
	char err[256];

	assert_true(matches("comm==cat,pid==42", &cat));
	assert_false(matches("comm==cat,pid==43", &cat));
	/* several -F options AND too */
	assert_int_equal(gh_filter_add(f, &schema, "comm==cat", err, sizeof(err)), 0);
	assert_int_equal(gh_filter_add(f, &schema, "uid>=1000", err, sizeof(err)), 0);
	assert_true(gh_filter_match(f, &schema, &ev));
	assert_int_equal(gh_filter_add(f, &schema, "ret==0", err, sizeof(err)), 0);
	assert_false(gh_filter_match(f, &schema, &ev));
	assert_false(gh_filter_empty(f));
	assert_true(gh_filter_has_stage(f, GH_FILTER_BEFORE_SCRIPT));
	assert_false(gh_filter_has_stage(f, GH_FILTER_AFTER_ENRICH));
	/* a field only enrich sets: judged after it, the others before */
	assert_int_equal(gh_filter_add(f, &schema, "verdict==x", err, sizeof(err)), 0);
	assert_true(gh_filter_has_stage(f, GH_FILTER_AFTER_ENRICH));
	assert_false(gh_filter_match_stage(f, &schema, &ev, GH_FILTER_BEFORE_SCRIPT));
	assert_true(gh_filter_match_stage(f, &schema, &ev, GH_FILTER_AFTER_ENRICH) ==
		    matches("verdict==x", &cat));
	gh_filter_free(f);
	f = gh_filter_new();
	assert_int_equal(gh_filter_add(f, &schema, "comm==cat,verdict!=x", err, sizeof(err)), 0);
	assert_true(gh_filter_match_stage(f, &schema, &ev, GH_FILTER_BEFORE_SCRIPT));
	gh_filter_free(f);
	assert_false(gh_filter_has_stage(NULL, GH_FILTER_BEFORE_SCRIPT));
	/* an escaped comma is part of the value */
	assert_true(matches("args~cat|x\\,y", &cat));
}

static void test_errors(void **state)
{
	char err[512];

	refused("foo==1", "unknown field \"foo\" in filter (known: pid, ret, comm, uid, ok, "
				 "args, verdict)");
	refused("comm", "filter \"comm\": no operator (use ==, !=, >=, >, <=, <, ~)");
	refused("==1", "filter condition with no field name before \"1\"");
	assert_int_equal(add_error("comm~(", err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "filter on \"comm\": bad regular expression \"(\""));
	refused("pid==abc", "filter \"pid==abc\": field \"pid\" is a number, \"abc\" is not");
	assert_int_equal(add_error("", err, sizeof(err)), -EINVAL);
	assert_int_equal(add_error("pid==1,,comm==x", err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "empty condition"));
}

/* an enum field: a name must be one of its names; a regular expression is
 * taken as it is */
static void test_enum_names(void **state)
{
	struct gh_enum_name names[] = {{2, "NOT_SPECIFIED"}, {3, "NO_SOCKET"}};
	struct gh_field enum_fields[] = {
		{.name = "reason", .kind = GH_KIND_ENUM, .offset = 0, .size = 4,
		 .enum_names = names, .n_enum_names = 2},
	};
	struct gh_schema es = {.struct_name = "drop", .fields = enum_fields, .n_fields = 1};
	uint32_t no_socket = 3;
	struct gh_event ev = {.data = (const uint8_t *)&no_socket, .len = 4};
	const char *ok[] = {"reason==NO_SOCKET", "reason!=NOT_SPECIFIED", "reason~SOCK"};
	char err[512] = "";

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		struct gh_filter *f = gh_filter_new();

		if (gh_filter_add(f, &es, ok[i], err, sizeof(err)))
			fail_msg("%s: %s", ok[i], err);
		assert_true(gh_filter_match(f, &es, &ev));
		gh_filter_free(f);
	}
	struct gh_filter *f = gh_filter_new();
	assert_int_equal(gh_filter_add(f, &es, "reason==NO_SOCKETS", err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "filter \"reason==NO_SOCKETS\": \"NO_SOCKETS\" is not a value of "
				 "reason (NOT_SPECIFIED, NO_SOCKET)");
	gh_filter_free(f);
}

static void test_fields_select(void **state)
{
	const int defaults[] = {0, 2, 5};
	int *out;
	size_t n;
	char err[512];

	assert_int_equal(gh_fields_select(&schema, defaults, 3, NULL, &out, &n, err, sizeof(err)), 0);
	assert_int_equal(n, 3);
	assert_int_equal(out[2], 5);
	free(out);
	assert_int_equal(gh_fields_select(&schema, defaults, 3, "uid,pid,uid", &out, &n, err,
					  sizeof(err)), 0);
	assert_int_equal(n, 2);
	assert_int_equal(out[0], 3);
	assert_int_equal(out[1], 0);
	free(out);
	assert_int_equal(gh_fields_select(&schema, defaults, 3, "+ret,-comm", &out, &n, err,
					  sizeof(err)), 0);
	assert_int_equal(n, 3);
	assert_int_equal(out[0], 0);
	assert_int_equal(out[1], 5);
	assert_int_equal(out[2], 1);
	free(out);
	assert_int_equal(gh_fields_select(&schema, defaults, 3, "pid,+ret", &out, &n, err,
					  sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "not both"));
	assert_int_equal(gh_fields_select(&schema, defaults, 3, "pid,nope", &out, &n, err,
					  sizeof(err)), -EINVAL);
	assert_string_equal(err, "unknown field \"nope\" in --fields (known: pid, ret, comm, uid, "
				 "ok, args, verdict)");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_numbers),
		cmocka_unit_test(test_strings_and_regex),
		cmocka_unit_test(test_errno_names),
		cmocka_unit_test(test_old_syntax),
		cmocka_unit_test(test_spaces_and_glued_operators),
		cmocka_unit_test(test_and),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_enum_names),
		cmocka_unit_test(test_fields_select),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
