/* test_row_sort.c - sorting rows by several keys (numbers, strings,
 * descending, nulls), --max-rows, and the blocks a table prints: columns,
 * one JSON array per interval (top) or per snapshot. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "schema/field.h"
#include "output/out.h"
#include "output/out_table.h"
#include "schema/row_sort.h"

struct rec {
	uint32_t pid;
	int32_t delta;
	char comm[16];
	uint64_t bytes;
	double ratio;
};

enum { F_PID, F_DELTA, F_COMM, F_BYTES, F_RATIO, F_NOTHING, N_F };

#define FIELD(n, k, m)                                                              \
	{.name = (char *)(n), .kind = (k), .offset = offsetof(struct rec, m),       \
	 .size = sizeof(((struct rec *)0)->m), .map_source = -1, .lua_format_ref = -1}

static struct gh_field fields[N_F] = {
	[F_PID] = FIELD("pid", GH_KIND_UINT, pid),
	[F_DELTA] = FIELD("delta", GH_KIND_INT, delta),
	[F_COMM] = FIELD("comm", GH_KIND_STRING, comm),
	[F_BYTES] = FIELD("bytes", GH_KIND_UINT, bytes),
	[F_RATIO] = FIELD("ratio", GH_KIND_FLOAT, ratio),
	[F_NOTHING] = {.name = (char *)"nothing", .kind = GH_KIND_VIRTUAL, .map_source = -1,
		       .lua_format_ref = -1},
};

static struct gh_schema schema = {
	.struct_name = (char *)"rec", .struct_size = sizeof(struct rec), .fields = fields,
	.n_fields = N_F, .mntns_field = -1,
};

static const struct rec recs[] = {
	{1, -5, "cat", 300, 0.5},
	{2, 7, "bash", 100, 1.5},
	{3, -1, "cat", 300, 0.25},
	{4, 0, "awk", 200, 2.0},
	{5, 3, "bash", 300, 1.0},
};
#define N_RECS (sizeof(recs) / sizeof(recs[0]))

/* The pids of the rows, in order, after sorting by text. */
static void sorted_pids(const char *by, char *out, size_t len)
{
	struct gh_sort_spec spec;
	struct gh_rows rows;
	char err[256], text[16];
	size_t at = 0;

	assert_int_equal(gh_sort_parse(&schema, by, &spec, err, sizeof(err)), 0);
	gh_rows_init(&rows, &spec);
	for (size_t i = 0; i < N_RECS; i++) {
		struct gh_event ev = {.data = (const uint8_t *)&recs[i], .len = sizeof(recs[i])};

		snprintf(text, sizeof(text), "%u", recs[i].pid);
		assert_int_equal(gh_rows_add(&rows, &schema, &ev, text, strlen(text)), 0);
	}
	gh_rows_sort(&rows);
	out[0] = '\0';
	for (size_t i = 0; i < rows.n; i++) {
		size_t n;
		const char *p = gh_rows_text(&rows, i, &n);

		at += (size_t)snprintf(out + at, len - at, "%s%.*s", i ? "," : "", (int)n, p);
	}
	gh_rows_free(&rows);
	gh_sort_free(&spec);
}

static void expect_order(const char *by, const char *want)
{
	char got[64];

	sorted_pids(by, got, sizeof(got));
	if (strcmp(got, want))
		fail_msg("--sort %s: got %s, want %s", by, got, want);
}

static void test_one_key(void **state)
{
	expect_order("pid", "1,2,3,4,5");
	expect_order("-pid", "5,4,3,2,1");
	expect_order("+bytes", "2,4,1,3,5"); /* ties keep arrival order */
	expect_order("delta", "1,3,4,5,2");  /* signed */
	expect_order("-delta", "2,5,4,3,1");
	expect_order("ratio", "3,1,5,2,4");  /* floating point */
	expect_order("", "1,2,3,4,5");       /* arrival order */
}

static void test_strings(void **state)
{
	expect_order("comm", "4,2,5,1,3");
	expect_order("-comm", "1,3,2,5,4");
}

static void test_several_keys(void **state)
{
	expect_order("-bytes,comm", "5,1,3,4,2");
	expect_order("-bytes,comm,-pid", "5,3,1,4,2");
	expect_order("comm,-delta", "4,2,5,3,1");
}

static void test_nulls_last(void **state)
{
	/* a field without a value sorts after every value, either way */
	expect_order("nothing,pid", "1,2,3,4,5");
	expect_order("-nothing,-pid", "5,4,3,2,1");
}

static void test_bad_keys(void **state)
{
	struct gh_sort_spec spec;
	char err[256];

	assert_int_equal(gh_sort_parse(&schema, "-rbytes", &spec, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "--sort: unknown field \"rbytes\"");
	assert_int_equal(gh_sort_parse(&schema, "pid,,comm", &spec, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "empty"));
	assert_int_equal(gh_sort_parse(&schema, "-", &spec, err, sizeof(err)), -EINVAL);
}

/* A table over a pipe: the bytes one block writes. */
static char *table_block(enum gh_out_format fmt, const char *by, size_t max_rows, bool live,
			 size_t blocks)
{
	static const int cols[] = {F_PID, F_COMM, F_BYTES};
	struct gh_sort_spec spec;
	struct gh_table *t;
	struct gh_out *out;
	char err[256];
	int fds[2];
	char *buf = calloc(1, 65536);
	ssize_t n, got = 0;

	assert_int_equal(pipe(fds), 0);
	assert_int_equal(gh_sort_parse(&schema, by, &spec, err, sizeof(err)), 0);
	assert_int_equal(gh_out_new(&out, fmt, &schema, cols, 3, fds[1]), 0);
	struct gh_table_opts o = {.sort = &spec, .max_rows = max_rows, .live = live};

	assert_int_equal(gh_table_new(&t, out, &o), 0);
	for (size_t b = 0; b < blocks; b++) {
		for (size_t i = 0; i < N_RECS; i++) {
			struct gh_event ev = {.data = (const uint8_t *)&recs[i],
					      .len = sizeof(recs[i])};

			assert_int_equal(gh_table_row(t, &ev), 0);
		}
		assert_int_equal(gh_table_pending(t), N_RECS);
		assert_int_equal(gh_table_end(t, fmt == GH_OUT_COLUMNS ? "TITLE" : NULL), 0);
		assert_int_equal(gh_table_pending(t), 0);
	}
	assert_int_equal(gh_out_flush(out), 0);
	close(fds[1]);
	while ((n = read(fds[0], buf + got, 65535 - got)) > 0)
		got += n;
	close(fds[0]);
	gh_table_free(t);
	gh_out_free(out);
	gh_sort_free(&spec);
	return buf;
}

static void test_json_array_per_interval(void **state)
{
	char *s = table_block(GH_OUT_JSON, "-bytes,comm", 2, false, 2);

	assert_string_equal(s, "[{\"pid\":5,\"comm\":\"bash\",\"bytes\":300},"
			       "{\"pid\":1,\"comm\":\"cat\",\"bytes\":300}]\n"
			       "[{\"pid\":5,\"comm\":\"bash\",\"bytes\":300},"
			       "{\"pid\":1,\"comm\":\"cat\",\"bytes\":300}]\n");
	free(s);
}

static void test_json_snapshot_array(void **state)
{
	char *s = table_block(GH_OUT_JSON, "comm,pid", 0, false, 1);

	assert_string_equal(s, "[{\"pid\":4,\"comm\":\"awk\",\"bytes\":200},"
			       "{\"pid\":2,\"comm\":\"bash\",\"bytes\":100},"
			       "{\"pid\":5,\"comm\":\"bash\",\"bytes\":300},"
			       "{\"pid\":1,\"comm\":\"cat\",\"bytes\":300},"
			       "{\"pid\":3,\"comm\":\"cat\",\"bytes\":300}]\n");
	free(s);
}

static void test_jsonpretty_array(void **state)
{
	char *s = table_block(GH_OUT_JSONPRETTY, "-pid", 2, false, 1);

	/* each object one level in, as jq prints a list */
	assert_string_equal(s, "[\n  {\n    \"pid\": 5,\n    \"comm\": \"bash\",\n    \"bytes\": 300\n  },\n"
			       "  {\n    \"pid\": 4,\n    \"comm\": \"awk\",\n    \"bytes\": 200\n  }\n]\n");
	free(s);
}

static void test_columns_blocks(void **state)
{
	char *s = table_block(GH_OUT_COLUMNS, "-pid", 2, false, 2);
	char *second = strstr(s, "\n\nTITLE\n");

	/* title, header, two rows; the second block after a blank line */
	assert_true(!strncmp(s, "TITLE\nPID", 9));
	assert_non_null(second);
	assert_null(strstr(second + 2, "\n\nTITLE"));
	assert_non_null(strstr(s, "5"));
	assert_null(strstr(s, "cat")); /* pids 3 and 1 come third: cut */
	{
		/* rows in order: 5 then 4 */
		char *r5 = strstr(s, "bash"), *r4 = strstr(s, "awk");

		assert_non_null(r5);
		assert_non_null(r4);
		assert_true(r5 < r4);
	}
	free(s);
}

static void test_columns_live(void **state)
{
	char *s = table_block(GH_OUT_COLUMNS, "pid", 0, true, 2);
	char *second = strstr(s + 1, "\033[H\033[2J");

	assert_true(!strncmp(s, "\033[H\033[2JTITLE\n", 12));
	assert_non_null(second);
	assert_true(!strncmp(second, "\033[H\033[2JTITLE\n", 12));
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_one_key),
		cmocka_unit_test(test_strings),
		cmocka_unit_test(test_several_keys),
		cmocka_unit_test(test_nulls_last),
		cmocka_unit_test(test_bad_keys),
		cmocka_unit_test(test_json_array_per_interval),
		cmocka_unit_test(test_json_snapshot_array),
		cmocka_unit_test(test_jsonpretty_array),
		cmocka_unit_test(test_columns_blocks),
		cmocka_unit_test(test_columns_live),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
