/* test_kconfig.c - the kernel config reader: gzip and plain files, both
 * line forms, comments, bad lines, the lookup. */
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
#include <unistd.h>

#include <zlib.h>

#include "kernel/kconfig.h"

static const char sample[] =
	"#\n"
	"# Automatically generated file; DO NOT EDIT.\n"
	"# Linux/x86 6.1.0 Kernel Configuration\n"
	"#\n"
	"CONFIG_CC_VERSION_TEXT=\"gcc (Debian 12.2.0-14) 12.2.0\"\n"
	"CONFIG_BPF_SYSCALL=y\n"
	"\n"
	"# CONFIG_KPROBES is not set\n"
	"CONFIG_VETH=m\n"
	"CONFIG_LOG_BUF_SHIFT=18\n"
	"# end of General setup\n"
	"CONFIG_DEBUG_INFO_BTF=y";  /* no newline at the end */

/* write text to a temp file, gzip-compressed or not; the path */
static char *temp_file(const char *text, bool gz)
{
	char *path = strdup("/tmp/gh-kconfig-XXXXXX");
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	if (gz) {
		gzFile f = gzdopen(fd, "wb");

		assert_non_null(f);
		assert_int_equal(gzwrite(f, text, strlen(text)), (int)strlen(text));
		assert_int_equal(gzclose(f), Z_OK);
	} else {
		assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
		close(fd);
	}
	return path;
}

static void check_sample(const struct gh_kconfig *cfg, const char *path)
{
	assert_string_equal(cfg->source, path);
	assert_int_equal(cfg->n, 6);
	assert_string_equal(gh_kconfig_value(cfg, "CONFIG_BPF_SYSCALL"), "y");
	assert_string_equal(gh_kconfig_value(cfg, "CONFIG_VETH"), "m");
	assert_string_equal(gh_kconfig_value(cfg, "CONFIG_LOG_BUF_SHIFT"), "18");
	assert_string_equal(gh_kconfig_value(cfg, "CONFIG_DEBUG_INFO_BTF"), "y");
	assert_string_equal(gh_kconfig_value(cfg, "CONFIG_CC_VERSION_TEXT"),
			    "\"gcc (Debian 12.2.0-14) 12.2.0\"");
	/* "is not set", and a name the file never mentions */
	assert_non_null(gh_kconfig_find(cfg, "CONFIG_KPROBES"));
	assert_null(gh_kconfig_find(cfg, "CONFIG_KPROBES")->value);
	assert_string_equal(gh_kconfig_value(cfg, "CONFIG_KPROBES"), "is not set");
	assert_null(gh_kconfig_find(cfg, "CONFIG_NOPE"));
	assert_string_equal(gh_kconfig_value(cfg, "CONFIG_NOPE"), "is not set");
	/* a prefix of a name is not the name */
	assert_null(gh_kconfig_find(cfg, "CONFIG_BPF"));
}

static void test_gzip(void **state)
{
	char *path = temp_file(sample, true);
	struct gh_kconfig cfg;

	assert_int_equal(gh_kconfig_read(&cfg, path, NULL), 0);
	check_sample(&cfg, path);
	gh_kconfig_free(&cfg);
	unlink(path);
	free(path);
}

static void test_plain(void **state)
{
	char *path = temp_file(sample, false);
	struct gh_kconfig cfg;

	assert_int_equal(gh_kconfig_read(&cfg, path, NULL), 0);
	check_sample(&cfg, path);
	gh_kconfig_free(&cfg);
	unlink(path);
	free(path);
}

static void test_bad_line(void **state)
{
	char *path = temp_file("CONFIG_A=y\nCONFIG_B y\n", true);
	struct gh_kconfig cfg;
	size_t line = 0;

	assert_int_equal(gh_kconfig_read(&cfg, path, &line), -EINVAL);
	assert_int_equal(line, 2);
	assert_int_equal(cfg.n, 0);
	assert_null(cfg.entries);
	unlink(path);
	free(path);
	path = temp_file("not a config\n", false);
	assert_int_equal(gh_kconfig_read(&cfg, path, &line), -EINVAL);
	assert_int_equal(line, 1);
	unlink(path);
	free(path);
}

static void test_missing(void **state)
{
	struct gh_kconfig cfg;

	assert_int_equal(gh_kconfig_read(&cfg, "/nonexistent/config.gz", NULL), -ENOENT);
	assert_int_equal(gh_kconfig_find(&cfg, "CONFIG_A") == NULL, 1);
}

/* the running kernel's, when it exposes one: the options eBPF needs */
static void test_running_kernel(void **state)
{
	struct gh_kconfig cfg;
	int ret = gh_kconfig_load(&cfg);

	if (ret == -ENOENT)
		skip();
	assert_int_equal(ret, 0);
	assert_true(cfg.n > 100);
	assert_string_equal(gh_kconfig_value(&cfg, "CONFIG_BPF_SYSCALL"), "y");
	gh_kconfig_free(&cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gzip),
		cmocka_unit_test(test_plain),
		cmocka_unit_test(test_bad_line),
		cmocka_unit_test(test_missing),
		cmocka_unit_test(test_running_kernel),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
