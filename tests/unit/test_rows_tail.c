/* test_rows_tail.c - the rows a restarted daemon replays from an
 * instance's rotated files (daemon/rotating_file.h,
 * gh_rotating_file_tail): the newest whole rows across PATH, PATH.1, ...
 * within the row and byte budgets, oldest first. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/rotating_file.h"

static char dir[] = "/tmp/gh-rows-tail-XXXXXX";
static char path[256];

static void put(const char *suffix, const char *text)
{
	char name[300];
	FILE *f;

	snprintf(name, sizeof(name), "%s%s", path, suffix);
	f = fopen(name, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void drop(const char *suffix)
{
	char name[300];

	snprintf(name, sizeof(name), "%s%s", path, suffix);
	unlink(name);
}

static void expect_tail(unsigned files, size_t rows, size_t bytes, const char *want)
{
	struct gh_buf b = GH_BUF_INIT;

	assert_int_equal(gh_rotating_file_tail(path, files, rows, bytes, &b), 0);
	if (b.len != strlen(want))
		print_error("%u %zu %zu: got \"%.*s\"\n", files, rows, bytes, (int)b.len, b.p);
	assert_int_equal(b.len, strlen(want));
	if (b.len)
		assert_memory_equal(b.p, want, b.len);
	gh_buf_free(&b);
}

static void test_across_files(void **state)
{
	put("", "e\nf\n");
	put(".1", "c\nd\n");
	put(".2", "a\nb\n");
	expect_tail(2, 3, 1000, "d\ne\nf\n");      /* PATH, then one of PATH.1 */
	expect_tail(2, 100, 1000, "a\nb\nc\nd\ne\nf\n");
	expect_tail(1, 100, 1000, "c\nd\ne\nf\n"); /* PATH.2 is past the count */
	expect_tail(2, 2, 1000, "e\nf\n");         /* PATH.1 not needed */
	expect_tail(2, 0, 1000, "");
	drop(".1");                                /* no PATH.1: nothing older */
	expect_tail(2, 100, 1000, "e\nf\n");
	expect_tail(5, 100, 1000, "e\nf\n");
	drop(".2");
}

static void test_byte_budget_and_cut_rows(void **state)
{
	put("", "first\nsecond\npart");         /* a last row without its newline */
	put(".1", "old\n");
	expect_tail(1, 100, 1000, "old\nfirst\nsecond\n");
	/* 11 bytes from the end begin at "second", but whether a row starts
	 * there is not known without the byte before: not taken, and nothing
	 * older is read past a row not taken whole; 12 bytes know it */
	expect_tail(1, 100, 11, "");
	expect_tail(1, 100, 12, "second\n");
	put("", "");                             /* just rotated: PATH is empty */
	expect_tail(1, 100, 1000, "old\n");
	drop("");
	expect_tail(1, 100, 1000, "");           /* no PATH: no rows */
	drop(".1");
}

static int setup(void **state)
{
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/x.jsonl", dir);
	return 0;
}

static int teardown(void **state)
{
	return rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_across_files),
		cmocka_unit_test(test_byte_budget_and_cut_rows),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
