/* test_core_btf.c - the build ID in a run of ELF notes (as
 * /sys/kernel/notes), the minimal BTF's name beside an object, whether an
 * object has CO-RE relocations, and the lazily loaded library's errors. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "kernel/core_btf.h"

/* one note: name "GNU\0" or another, type, desc bytes (4-byte padded) */
static size_t note(unsigned char *p, const char *name, uint32_t type, const unsigned char *desc,
		   uint32_t descsz)
{
	uint32_t namesz = strlen(name) + 1, head[3] = {namesz, descsz, type};
	size_t off = 0;

	memcpy(p, head, sizeof(head));
	off += sizeof(head);
	memset(p + off, 0, (namesz + 3) & ~3u);
	memcpy(p + off, name, namesz);
	off += (namesz + 3) & ~3u;
	memset(p + off, 0, (descsz + 3) & ~3u);
	memcpy(p + off, desc, descsz);
	return off + ((descsz + 3) & ~3u);
}

static void test_build_id_after_other_notes(void **state)
{
	static const unsigned char id[20] = {0x32, 0xa7, 0xf3, 0xba, 0xce, 0xe6, 0xbf, 0x69,
					     0xda, 0x94, 0xf4, 0x97, 0xa8, 0xa0, 0x76, 0x48,
					     0x3b, 0xae, 0xa2, 0x0e};
	unsigned char notes[256];
	char hex[64];
	size_t len = 0;

	(void)state;
	/* Xen's and Linux's notes first, as in a real kernel's */
	len += note(notes + len, "Linux", 0x100, (const unsigned char *)"6.1.0", 6);
	len += note(notes + len, "GNU", 1, id, 4); /* GNU, but not the build ID */
	len += note(notes + len, "GNU", 3, id, sizeof(id));
	assert_int_equal(gh_build_id_from_notes(notes, len, hex, sizeof(hex)), 0);
	assert_string_equal(hex, "32a7f3bacee6bf69da94f497a8a076483baea20e");
	assert_int_equal(gh_build_id_from_notes(notes, len, hex, 40), -ENOSPC);
}

static void test_build_id_missing_or_cut(void **state)
{
	static const unsigned char id[20] = {1, 2, 3};
	unsigned char notes[256];
	char hex[64];
	size_t len;

	(void)state;
	len = note(notes, "Linux", 3, id, sizeof(id)); /* type 3, but not GNU's */
	assert_int_equal(gh_build_id_from_notes(notes, len, hex, sizeof(hex)), -ENOENT);
	len = note(notes, "GNU", 3, id, sizeof(id));
	for (size_t cut = 0; cut < len; cut++)
		assert_int_equal(gh_build_id_from_notes(notes, cut, hex, sizeof(hex)), -ENOENT);
	assert_int_equal(gh_build_id_from_notes(notes, len, hex, sizeof(hex)), 0);
	assert_string_equal(hex, "0102030000000000000000000000000000000000");
}

static void test_path_beside_the_object(void **state)
{
	char path[4096], small[8];
	int ret;

	(void)state;
	ret = gh_core_btf_path("/nonexistent/trace/open.bpf.o", path, sizeof(path));
	if (ret == -ENODATA)
		skip(); /* this kernel has no build ID */
	assert_int_equal(ret, -ENOENT);
	assert_int_equal(strncmp(path, "/nonexistent/trace/open.bpf.", 28), 0);
	assert_int_equal(strlen(path), 28 + strlen(gh_kernel_build_id()) + 4);
	assert_memory_equal(path + 28, gh_kernel_build_id(), strlen(gh_kernel_build_id()));
	assert_string_equal(path + strlen(path) - 4, ".btf");
	assert_int_equal(gh_core_btf_path("/x/open.bpf.o", small, sizeof(small)), -ENAMETOOLONG);
}

static void test_core_relocs_of_objects(void **state)
{
	(void)state;
	assert_int_equal(gh_object_has_core_relocs(GH_BUILD_BPF_DIR "/trace/open.bpf.o"), 1);
	/* a global counter: nothing to relocate */
	assert_int_equal(gh_object_has_core_relocs(GH_BUILD_BPF_DIR "/bench/count.bpf.o"), 0);
	assert_int_equal(gh_object_has_core_relocs(GH_SOURCE_DIR "/meson.build"), -EINVAL);
	assert_int_equal(gh_object_has_core_relocs("/nonexistent/x.bpf.o"), -ENOENT);
}

static void *slot;

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_build_id_after_other_notes),
		cmocka_unit_test(test_build_id_missing_or_cut),
		cmocka_unit_test(test_path_beside_the_object),
		cmocka_unit_test(test_core_relocs_of_objects),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
