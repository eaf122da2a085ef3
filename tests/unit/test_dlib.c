/* test_dlib.c - optional libraries opened at first use (base/dlib.h): a
 * real library mapped only once opened, its functions callable; one line
 * naming a missing library or function. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "base/dlib.h"
#include "base/read_file.h"

#define CURL_FNS(X) X(curl_version)
CURL_FNS(GH_DLIB_STATIC_FN)
static const struct gh_dlib_sym curl_syms[] = {CURL_FNS(GH_DLIB_SYM)};

/* whether a file whose name holds name is mapped into this process */
static bool mapped(const char *name)
{
	char *maps = NULL;
	size_t len = 0;
	bool found;

	assert_int_equal(gh_read_file("/proc/self/maps", 1 << 24, &maps, &len), 0);
	found = strstr(maps, name) != NULL;
	free(maps);
	return found;
}

static void test_opens_at_first_use(void **state)
{
	struct gh_dlib lib = GH_DLIB("libcurl.so.4", "the test", curl_syms);
	char err[256] = "";
	void *handle;

	assert_false(mapped("libcurl.so"));     /* not linked: not there before */
	assert_false(gh_dlib_is_open(&lib));
	assert_int_equal(gh_dlib_open(&lib, err, sizeof(err)), 0);
	assert_true(gh_dlib_is_open(&lib));
	assert_true(mapped("libcurl.so"));
	assert_non_null(sym_curl_version);
	assert_memory_equal(sym_curl_version(), "libcurl/", 8);
	handle = lib.handle;
	assert_int_equal(gh_dlib_open(&lib, err, sizeof(err)), 0); /* once */
	assert_ptr_equal(lib.handle, handle);
}

static void test_missing_library(void **state)
{
	static const struct gh_dlib_sym none[] = {{"curl_version", (void **)&sym_curl_version}};
	struct gh_dlib lib = GH_DLIB("libgadgethost-no-such.so.7", "the test", none);
	char err[256] = "";

	assert_int_equal(gh_dlib_open(&lib, err, sizeof(err)), -ENOENT);
	assert_false(gh_dlib_is_open(&lib));
	assert_non_null(strstr(err, "libgadgethost-no-such.so.7 (for the test) cannot be loaded"));
	assert_null(strchr(err, '\n'));
}

static void test_missing_function(void **state)
{
	void *fn = NULL;
	const struct gh_dlib_sym syms[] = {{"gh_no_such_function", &fn}};
	struct gh_dlib lib = GH_DLIB("libz.so.1", "the test", syms);
	char err[256] = "";

	assert_int_equal(gh_dlib_open(&lib, err, sizeof(err)), -ENOSYS);
	assert_false(gh_dlib_is_open(&lib));
	assert_null(fn);
	assert_non_null(strstr(err, "libz.so.1 (for the test) has no function gh_no_such_function"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_opens_at_first_use),
		cmocka_unit_test(test_missing_library),
		cmocka_unit_test(test_missing_function),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
