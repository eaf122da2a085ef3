/* test_lib_uprobes.c - uprobes on a library: which file names are the
 * library, which sections name one, and the file offset a uprobe on a
 * function goes at (checked against where this process's own libc has
 * the function mapped). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "gadget/lib_uprobes.h"
#include "symbols/elf_syms.h"
#include "symbols/usyms.h"

static void test_name_matches(void **state)
{
	assert_true(gh_lib_uprobes_name_matches("libssl.so", "libssl.so"));
	assert_true(gh_lib_uprobes_name_matches("libssl.so.3", "libssl.so"));
	assert_true(gh_lib_uprobes_name_matches("libssl.so.1.1", "libssl.so"));
	assert_true(gh_lib_uprobes_name_matches("libgnutls.so.30.34.3", "libgnutls.so"));
	assert_false(gh_lib_uprobes_name_matches("libssl3.so", "libssl.so"));   /* NSS */
	assert_false(gh_lib_uprobes_name_matches("libssl.sox", "libssl.so"));
	assert_false(gh_lib_uprobes_name_matches("libssl.s", "libssl.so"));
	assert_true(gh_lib_uprobes_name_matches("libssl.so.3", "libssl.so.3"));
	assert_false(gh_lib_uprobes_name_matches("libssl.so.1.1", "libssl.so.3"));
}

/* the sections of trace/ssl's object: each names a library; the object's
 * other programs would not */
static void test_sections(void **state)
{
	struct bpf_object *obj = bpf_object__open_file(GH_BUILD_BPF_DIR "/trace/ssl.bpf.o", NULL);
	struct bpf_program *prog;
	int n = 0;

	assert_non_null(obj);
	assert_int_equal(libbpf_get_error(obj), 0);
	bpf_object__for_each_program(prog, obj) {
		assert_true(gh_lib_uprobes_is_per_library(prog));
		n++;
	}
	assert_int_equal(n, 12);
	bpf_object__close(obj);
	obj = bpf_object__open_file(GH_BUILD_BPF_DIR "/trace/open.bpf.o", NULL);
	assert_int_equal(libbpf_get_error(obj), 0);
	bpf_object__for_each_program(prog, obj)
		assert_false(gh_lib_uprobes_is_per_library(prog));
	bpf_object__close(obj);
}

/* getpid's offset in libc, from its ELF file, is where this process's
 * mapping of that file has getpid */
static void test_func_offset(void **state)
{
	uint64_t addr = (uint64_t)(uintptr_t)&getpid, off, vaddr;
	struct gh_elf_syms *e = NULL;
	struct gh_maps_line m;
	char *line = NULL, path[4096] = "";
	size_t cap = 0;
	FILE *maps = fopen("/proc/self/maps", "re");
	uint64_t want = 0;

	assert_non_null(maps);
	while (getline(&line, &cap, maps) > 0) {
		if (!gh_maps_parse_line(line, &m) && addr >= m.start && addr < m.end) {
			want = addr - m.start + m.pgoff;
			snprintf(path, sizeof(path), "%s", m.path);
			break;
		}
	}
	free(line);
	fclose(maps);
	assert_true(path[0] == '/');
	assert_int_equal(gh_elf_syms_load(&e, path), 0);
	assert_int_equal(gh_elf_syms_func_offset(e, "getpid", &off), 0);
	assert_true(off == want);
	/* and back: the symbol at that place is getpid */
	assert_int_equal(gh_elf_syms_vaddr(e, off, &vaddr), 0);
	assert_string_equal(gh_elf_syms_lookup(e, vaddr, NULL), "getpid");
	assert_int_equal(gh_elf_syms_func_offset(e, "no_such_function_here", &off), -ENOENT);
	assert_int_equal(gh_elf_syms_func_offset(e, "getpi", &off), -ENOENT);
	gh_elf_syms_free(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_name_matches),
		cmocka_unit_test(test_sections),
		cmocka_unit_test(test_func_offset),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
