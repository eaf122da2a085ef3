/* core_btf.c - a gadget object's minimal BTF for the running kernel (see
 * core_btf.h). */
#include "kernel/core_btf.h"

#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <glob.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/read_file.h"

#define NT_GNU_BUILD_ID 3

/* The head of an object's .BTF.ext section (the kernel's btf_ext_header;
 * core_relo_* since it is 32 bytes long). */
struct btf_ext_head {
	uint16_t magic;
	uint8_t version, flags;
	uint32_t hdr_len;
	uint32_t func_info_off, func_info_len;
	uint32_t line_info_off, line_info_len;
	uint32_t core_relo_off, core_relo_len;
};
#define NOTE_ALIGN(n) (((n) + 3u) & ~(size_t)3u)

int gh_build_id_from_notes(const void *notes, size_t len, char *hex, size_t hexlen)
{
	const unsigned char *p = notes;
	size_t off = 0;

	while (len - off >= 12) {
		uint32_t namesz, descsz, type;
		size_t name_off, desc_off;

		memcpy(&namesz, p + off, 4);
		memcpy(&descsz, p + off + 4, 4);
		memcpy(&type, p + off + 8, 4);
		name_off = off + 12;
		if (NOTE_ALIGN(namesz) > len - name_off)
			return -ENOENT;
		desc_off = name_off + NOTE_ALIGN(namesz);
		if (NOTE_ALIGN(descsz) > len - desc_off)
			return -ENOENT;
		off = desc_off + NOTE_ALIGN(descsz);
		if (type != NT_GNU_BUILD_ID || namesz != 4 || memcmp(p + name_off, "GNU", 4) ||
		    !descsz)
			continue;
		if (hexlen < 2 * (size_t)descsz + 1)
			return -ENOSPC;
		for (uint32_t i = 0; i < descsz; i++)
			snprintf(hex + 2 * i, 3, "%02x", p[desc_off + i]);
		return 0;
	}
	return -ENOENT;
}

const char *gh_kernel_build_id(void)
{
	static char hex[2 * 64 + 1];
	static bool tried, found;
	char *notes;
	size_t len;

	if (!tried) {
		tried = true;
		if (!gh_read_file("/sys/kernel/notes", 64 << 10, &notes, &len)) {
			found = !gh_build_id_from_notes(notes, len, hex, sizeof(hex));
			free(notes);
		}
	}
	return found ? hex : NULL;
}

int gh_core_btf_path(const char *object_path, char *out, size_t outlen)
{
	const char *id = gh_kernel_build_id();
	size_t stem = strlen(object_path);
	int n;

	if (!id)
		return -ENODATA;
	if (stem > 2 && !strcmp(object_path + stem - 2, ".o"))
		stem -= 2;
	n = snprintf(out, outlen, "%.*s.%s.btf", (int)stem, object_path, id);
	if (n < 0 || (size_t)n >= outlen)
		return -ENAMETOOLONG;
	return access(out, R_OK) ? -ENOENT : 0;
}

void gh_core_btf_forget(const char *object_path)
{
	size_t stem = strlen(object_path);
	char pattern[PATH_MAX];
	glob_t g;

	if (stem > 2 && !strcmp(object_path + stem - 2, ".o"))
		stem -= 2;
	/* a path with glob's own characters in it is left alone */
	if (strpbrk(object_path, "*?[\\") ||
	    snprintf(pattern, sizeof(pattern), "%.*s.*.btf", (int)stem, object_path) >=
		    (int)sizeof(pattern))
		return;
	if (glob(pattern, 0, NULL, &g))
		return;
	for (size_t i = 0; i < g.gl_pathc; i++)
		unlink(g.gl_pathv[i]);
	globfree(&g);
}

/* The .BTF.ext section's CO-RE relocation bytes of an open ELF. */
static int core_relo_len(Elf *elf)
{
	struct btf_ext_head head;
	Elf_Scn *scn = NULL;
	size_t strndx;

	if (elf_getshdrstrndx(elf, &strndx))
		return -EINVAL;
	while ((scn = elf_nextscn(elf, scn))) {
		const char *name;
		Elf_Data *data;
		GElf_Shdr sh;

		if (!gelf_getshdr(scn, &sh) || !(name = elf_strptr(elf, strndx, sh.sh_name)) ||
		    strcmp(name, ".BTF.ext"))
			continue;
		data = elf_getdata(scn, NULL);
		if (!data || data->d_size < sizeof(head))
			return 0; /* too old a header to have any */
		memcpy(&head, data->d_buf, sizeof(head));
		return head.hdr_len >= sizeof(head) && head.core_relo_len ? 1 : 0;
	}
	return 0;
}

int gh_object_has_core_relocs(const char *object_path)
{
	int fd, ret;
	Elf *elf;

	if (elf_version(EV_CURRENT) == EV_NONE)
		return -EINVAL;
	fd = open(object_path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	elf = elf_begin(fd, ELF_C_READ, NULL);
	ret = elf ? core_relo_len(elf) : -EINVAL;
	elf_end(elf);
	close(fd);
	return ret;
}
