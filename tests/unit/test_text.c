/* test_text.c - escaping text for terminals and logs (base/text.h), and
 * files written whole (base/write_file.h). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/text.h"
#include "base/write_file.h"

static void check_escape(const char *in, size_t len, const char *want)
{
	struct gh_buf b = {0};

	assert_int_equal(gh_text_escape(&b, in, len), 0);
	assert_string_equal(b.p ? b.p : "", want);
	assert_int_equal(gh_text_is_plain(in, len), strcmp(want, in) == 0 && strlen(in) == len);
	gh_buf_free(&b);
}

static void test_escapes(void **state)
{
	check_escape("plain text", 10, "plain text");
	check_escape("caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac", 12, "caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac");
	check_escape("a\nb\tc\rd", 7, "a\\nb\\tc\\rd");
	check_escape("\x1b[31mred", 8, "\\x1b[31mred");
	check_escape("nul\0x", 5, "nul\\x00x");
	check_escape("del\x7f", 4, "del\\x7f");
	check_escape("c1\xc2\x9b", 4, "c1\\u009b");                 /* CSI as C1 */
	check_escape("\xe2\x80\xae" "evil", 7, "\\u202eevil");     /* RIGHT-TO-LEFT OVERRIDE */
	check_escape("\xe2\x81\xa6x\xe2\x81\xa9", 7, "\\u2066x\\u2069"); /* isolates */
	check_escape("\xe2\x80\x8e\xe2\x80\x8f", 6, "\\u200e\\u200f");
	check_escape("\xd8\x9c", 2, "\\u061c");
	check_escape("l\xe2\x80\xa8p\xe2\x80\xa9", 8, "l\\u2028p\\u2029");
	check_escape("bad\xff\xc3", 5, "bad\\xff\\xc3");            /* invalid, truncated */
	check_escape("\xed\xa0\x80", 3, "\\xed\\xa0\\x80");          /* a surrogate */
	check_escape("\xe2\x80\x94", 3, "\xe2\x80\x94");            /* EM DASH stays */
}

static void test_escape_to_cuts_whole_units(void **state)
{
	char d[8];

	assert_string_equal(gh_text_escape_to(d, sizeof(d), "abc\x1b"), "abc\\x1b");
	assert_string_equal(gh_text_escape_to(d, sizeof(d), "abcd\x1b"), "abcd");
	assert_string_equal(gh_text_escape_to(d, sizeof(d), "ab\xe2\x80\xae"), "ab");
	assert_string_equal(gh_text_escape_to(d, 1, "abc"), "");
}

static void test_units(void **state)
{
	size_t w;

	assert_int_equal(gh_text_unit((const unsigned char *)"a", 1, &w), 1);
	assert_int_equal(w, 1);
	assert_int_equal(gh_text_unit((const unsigned char *)"\xe2\x80\xae", 3, &w), 3);
	assert_int_equal(w, 6);
	assert_int_equal(gh_text_unit((const unsigned char *)"\xc3\xa9", 2, &w), 2);
	assert_int_equal(w, 1);
	assert_int_equal(gh_text_unit((const unsigned char *)"\xff", 1, &w), 1);
	assert_int_equal(w, 4);
}

static size_t width_of(const char *s)
{
	size_t w, len = strlen(s);

	assert_int_equal(gh_text_unit((const unsigned char *)s, len, &w), len);
	return w;
}

/* Whether a locale's files are mapped into this process (glibc maps
 * LC_CTYPE and the rest from /usr/lib/locale when one is loaded). */
static bool locale_mapped(void)
{
	char line[512];
	bool found = false;
	FILE *f = fopen("/proc/self/maps", "r");

	assert_non_null(f);
	while (fgets(line, sizeof(line), f))
		if (strstr(line, "/usr/lib/locale/") || strstr(line, "/locale-archive"))
			found = true;
	fclose(f);
	return found;
}

/* The cells of a character come from the built-in table: no locale is
 * loaded for them, so they are the same where there are no locale files
 * (the test would fail on a wcwidth() in C.UTF-8). */
static void test_widths_without_locale(void **state)
{
	assert_false(locale_mapped());
	assert_int_equal(width_of("a"), 1);
	assert_int_equal(width_of("~"), 1);
	assert_int_equal(width_of("\xe6\x97\xa5"), 2);     /* U+65E5 CJK (sun, day) */
	assert_int_equal(width_of("\xea\xb0\x80"), 2);     /* U+AC00 HANGUL GA */
	assert_int_equal(width_of("\xf0\x9f\x98\x80"), 2); /* U+1F600 GRINNING FACE */
	assert_int_equal(width_of("\xf0\x9f\xab\xa8"), 2); /* U+1FAE8 SHAKING FACE (15.0) */
	assert_int_equal(width_of("\xcc\x81"), 0);         /* U+0301 COMBINING ACUTE */
	assert_int_equal(width_of("\xe2\x80\x8b"), 0);     /* U+200B ZERO WIDTH SPACE */
	assert_int_equal(width_of("\xc2\xad"), 1);         /* U+00AD SOFT HYPHEN: seen */
	assert_int_equal(width_of("\xd8\x80"), 1);         /* U+0600 ARABIC NUMBER SIGN */
	assert_int_equal(width_of("\xc3\xa9"), 1);         /* U+00E9 e acute, precomposed */
	assert_int_equal(width_of("\xe2\x80\x94"), 1);     /* U+2014 EM DASH */
	assert_int_equal(width_of("\x07"), 4);             /* a control: shown as \x07 */
	assert_int_equal(width_of("\xc2\x85"), 6);         /* C1 NEL: shown as \u0085 */
	assert_false(locale_mapped());
}

/* A symbolic link at the path is replaced, its target never written. */
static void test_write_file_atomic(void **state)
{
	char dir[] = "/tmp/gh-test-write-XXXXXX", path[128], target[128], got[64];
	struct stat st;
	FILE *f;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/ready", dir);
	snprintf(target, sizeof(target), "%s/precious", dir);
	f = fopen(target, "w");
	fputs("keep me\n", f);
	fclose(f);
	assert_int_equal(symlink(target, path), 0);
	assert_int_equal(gh_write_file_atomic(path, "ready\n", 6, 0644, 1), 0);
	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0644);
	f = fopen(target, "r");
	assert_non_null(fgets(got, sizeof(got), f));
	fclose(f);
	assert_string_equal(got, "keep me\n");
	f = fopen(path, "r");
	assert_non_null(fgets(got, sizeof(got), f));
	fclose(f);
	assert_string_equal(got, "ready\n");
	/* a folder that is not there: an error, nothing left behind */
	snprintf(path, sizeof(path), "%s/no/ready", dir);
	assert_int_equal(gh_write_file_atomic(path, "x", 1, 0600, 0), -ENOENT);
	unlink(target);
	snprintf(path, sizeof(path), "%s/ready", dir);
	unlink(path);
	assert_int_equal(rmdir(dir), 0); /* nothing else was left there */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escapes),
		cmocka_unit_test(test_escape_to_cuts_whole_units),
		cmocka_unit_test(test_units),
		cmocka_unit_test(test_widths_without_locale),
		cmocka_unit_test(test_write_file_atomic),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
