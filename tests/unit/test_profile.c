/* test_profile.c - the profile kinds' pure parts: log2 histogram charts
 * and JSON buckets, kallsyms look-ups, /proc/PID/maps lines, and ELF
 * address -> symbol look-ups on this very binary (built with a marker
 * function) through its own mappings. */
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

#include "symbols/elf_syms.h"
#include "output/hist_render.h"
#include "symbols/ksyms.h"
#include "symbols/usyms.h"

static void test_slot_ranges(void **state)
{
	uint64_t lo, hi;

	gh_hist_slot_range(0, &lo, &hi);
	assert_true(lo == 0 && hi == 1);
	gh_hist_slot_range(1, &lo, &hi);
	assert_true(lo == 2 && hi == 3);
	gh_hist_slot_range(10, &lo, &hi);
	assert_true(lo == 1024 && hi == 2047);
	gh_hist_slot_range(40, &lo, &hi);
	assert_true(lo == 1ULL << 40 && hi == (1ULL << 41) - 1);
}

static void test_chart(void **state)
{
	/* slot 3 the largest: 40 stars; 1 of 8 is 5 stars; 3 of 8 is 15 */
	const uint32_t slots[6] = {0, 1, 3, 8, 0, 0};
	struct gh_buf b = GH_BUF_INIT;

	assert_int_equal(gh_hist_render_text(&b, slots, 6, "usecs"), 0);
	assert_string_equal(b.p,
		"     usecs               : count    distribution\n"
		"         0 -> 1          : 0        |                                        |\n"
		"         2 -> 3          : 1        |*****                                   |\n"
		"         4 -> 7          : 3        |***************                         |\n"
		"         8 -> 15         : 8        |****************************************|\n");
	gh_buf_free(&b);
}

static void test_chart_empty_and_wide(void **state)
{
	uint32_t slots[40] = {0};
	struct gh_buf b = GH_BUF_INIT;
	char line[128];

	assert_int_equal(gh_hist_render_text(&b, slots, 40, "usecs"), 0);
	assert_int_equal(b.len, 0); /* nothing counted: no chart, as biolatency */
	slots[33] = 2;
	assert_int_equal(gh_hist_render_text(&b, slots, 40, "nsecs"), 0);
	/* past slot 32: wider columns, 20 stars */
	assert_true(!strncmp(b.p, "               nsecs                        "
			     " : count    distribution\n", 69));
	snprintf(line, sizeof(line), "%20llu -> %-20llu : %-8u |%s|\n", 1ULL << 33,
		 (1ULL << 34) - 1, 2, "********************");
	assert_non_null(strstr(b.p, line));
	gh_buf_free(&b);
}

static void test_json(void **state)
{
	const uint32_t slots[5] = {2, 0, 7, 0, 0};
	const uint32_t none[3] = {0};
	struct gh_buf b = GH_BUF_INIT;

	assert_int_equal(gh_hist_render_json(&b, slots, 5), 0);
	assert_string_equal(b.p, "[{\"start\":0,\"end\":1,\"count\":2},"
			    "{\"start\":2,\"end\":3,\"count\":0},"
			    "{\"start\":4,\"end\":7,\"count\":7}]");
	gh_buf_reset(&b);
	assert_int_equal(gh_hist_render_json(&b, none, 3), 0);
	assert_string_equal(b.p, "[]");
	assert_int_equal(gh_hist_total(slots, 5), 9);
	gh_buf_free(&b);
}

static char *write_temp(const char *text)
{
	char *path = strdup("/tmp/gh-test-profile-XXXXXX");
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return path;
}

static void test_kallsyms(void **state)
{
	char *path = write_temp("0000000000000000 A fixed_percpu_data\n"
				"ffffffff81000000 T _stext\n"
				"ffffffff81000100 t helper_a\n"
				"ffffffff81002000 D some_data\n"
				"ffffffff81001000 T do_work\n"
				"ffffffffc0001000 t mod_func\t[loop]\n"
				"garbage line\n");
	struct gh_ksyms *k = NULL;
	uint64_t off = 0;

	assert_int_equal(gh_ksyms_load(&k, path), 0);
	assert_null(gh_ksyms_lookup(k, 0xffffffff80ffffffULL, &off));
	assert_string_equal(gh_ksyms_lookup(k, 0xffffffff81000000ULL, &off), "_stext");
	assert_int_equal(off, 0);
	assert_string_equal(gh_ksyms_lookup(k, 0xffffffff81000180ULL, &off), "helper_a");
	assert_int_equal(off, 0x80);
	/* data symbols are not functions: still in do_work */
	assert_string_equal(gh_ksyms_lookup(k, 0xffffffff81002010ULL, &off), "do_work");
	assert_int_equal(off, 0x1010);
	assert_string_equal(gh_ksyms_lookup(k, 0xffffffffc0001004ULL, NULL), "mod_func");
	gh_ksyms_free(k);
	unlink(path);
	free(path);

	/* every address hidden (kptr_restrict): no data */
	path = write_temp("0000000000000000 T _stext\n0000000000000000 T do_work\n");
	assert_int_equal(gh_ksyms_load(&k, path), -ENODATA);
	unlink(path);
	free(path);
	assert_int_equal(gh_ksyms_load(&k, "/nonexistent/kallsyms"), -ENOENT);
}

/* The real /proc/kallsyms, as root: a known function is found by an
 * address inside it. */
static void test_kallsyms_real(void **state)
{
	struct gh_ksyms *k = NULL;
	char line[512], name[256], type;
	unsigned long long addr = 0;
	FILE *f;

	if (geteuid() != 0 || gh_ksyms_load(&k, "/proc/kallsyms")) {
		skip();
		return;
	}
	f = fopen("/proc/kallsyms", "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%llx %c %255s", &addr, &type, name) == 3 &&
		    !strcmp(name, "vfs_read") && addr)
			break;
	fclose(f);
	assert_true(addr != 0);
	assert_string_equal(gh_ksyms_lookup(k, addr + 1, NULL), "vfs_read");
	gh_ksyms_free(k);
}

static void test_maps_line(void **state)
{
	char l1[] = "7f1c2a400000-7f1c2a428000 r-xp 00028000 fe:01 1835231    "
		    "/usr/lib/x86_64-linux-gnu/libc.so.6\n";
	char l2[] = "7ffd6b9e2000-7ffd6ba03000 rw-p 00000000 00:00 0   [stack]\n";
	char l3[] = "7f00-7f10 r-xp 0 00:00 0\n";
	char bad[] = "not a maps line\n";
	struct gh_maps_line m;

	assert_int_equal(gh_maps_parse_line(l1, &m), 0);
	assert_true(m.start == 0x7f1c2a400000ULL && m.end == 0x7f1c2a428000ULL);
	assert_true(m.pgoff == 0x28000 && m.inode == 1835231 && m.dev == (0xfeULL << 32 | 1));
	assert_string_equal(m.perms, "r-xp");
	assert_string_equal(m.path, "/usr/lib/x86_64-linux-gnu/libc.so.6");
	assert_int_equal(gh_maps_parse_line(l2, &m), 0);
	assert_string_equal(m.path, "[stack]");
	assert_int_equal(gh_maps_parse_line(l3, &m), 0);
	assert_string_equal(m.path, "");
	assert_int_equal(gh_maps_parse_line(bad, &m), -EINVAL);
}

/* the function this binary is asked about */
__attribute__((noinline, used)) int gh_unit_marker_fn(int x)
{
	return x * 3 + 1;
}

__attribute__((noinline, used)) static int gh_unit_local_fn(int x)
{
	return x * 5 + 2;
}

static void test_elf_self(void **state)
{
	struct gh_usyms *u = NULL;
	uint64_t off = 99;
	const char *module = NULL;
	uintptr_t fn = (uintptr_t)&gh_unit_marker_fn;

	assert_int_equal(gh_unit_marker_fn(1) + gh_unit_local_fn(1), 11);
	assert_int_equal(gh_usyms_new(&u), 0);
	/* the runtime address (PIE: wherever the loader put it) through this
	 * process's maps, the file offset, the ELF segments, .symtab */
	assert_string_equal(gh_usyms_lookup(u, (uint32_t)getpid(), fn, &off, &module),
			    "gh_unit_marker_fn");
	assert_int_equal(off, 0);
	assert_non_null(module);
	assert_non_null(strstr(module, "test_profile"));
	assert_string_equal(gh_usyms_lookup(u, (uint32_t)getpid(), fn + 2, &off, NULL),
			    "gh_unit_marker_fn");
	assert_int_equal(off, 2);
	/* a local (static) function: only in .symtab */
	assert_string_equal(gh_usyms_lookup(u, (uint32_t)getpid(),
					    (uintptr_t)&gh_unit_local_fn, NULL, NULL),
			    "gh_unit_local_fn");
	/* a shared library's exported function: its .dynsym */
	assert_string_equal(gh_usyms_lookup(u, (uint32_t)getpid(),
					    (uintptr_t)&_cmocka_run_group_tests, NULL, NULL),
			    "_cmocka_run_group_tests");
	/* anonymous memory, and a process that does not exist */
	assert_null(gh_usyms_lookup(u, (uint32_t)getpid(), (uintptr_t)&off, NULL, NULL));
	assert_null(gh_usyms_lookup(u, 0x7ffffff0, fn, NULL, NULL));
	assert_int_equal(gh_usyms_add_pid(u, 0x7ffffff0), 0); /* remembered as gone */
	assert_int_equal(gh_usyms_pids(u), 2);
	gh_usyms_free(u);
}

static void test_elf_file(void **state)
{
	struct gh_elf_syms *e = NULL;
	char *text = write_temp("not an ELF file at all, just text\n");
	uint64_t vaddr;

	assert_int_equal(gh_elf_syms_load(&e, text), -ENOEXEC);
	unlink(text);
	free(text);
	assert_int_equal(gh_elf_syms_load(&e, "/nonexistent/binary"), -ENOENT);
	assert_int_equal(gh_elf_syms_load(&e, "/proc/self/exe"), 0);
	assert_true(gh_elf_syms_count(e) > 10);
	/* file offset 0 is in the first PT_LOAD segment; past the file: none */
	assert_int_equal(gh_elf_syms_vaddr(e, 0, &vaddr), 0);
	assert_int_equal(gh_elf_syms_vaddr(e, 1ULL << 40, &vaddr), -ENOENT);
	assert_null(gh_elf_syms_lookup(e, 0, NULL));
	gh_elf_syms_free(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_slot_ranges),
		cmocka_unit_test(test_chart),
		cmocka_unit_test(test_chart_empty_and_wide),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_kallsyms),
		cmocka_unit_test(test_kallsyms_real),
		cmocka_unit_test(test_maps_line),
		cmocka_unit_test(test_elf_self),
		cmocka_unit_test(test_elf_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
