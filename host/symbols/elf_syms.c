/* elf_syms.c - one ELF file's function symbols, through libelf.
 *
 * Both .symtab (when the file is not stripped) and .dynsym are read; only
 * defined functions are kept (STT_FUNC, STT_GNU_IFUNC).  A sampled
 * address is first turned from a file offset into a virtual address with
 * the PT_LOAD program headers, then looked up by bisection.
 */
#include "symbols/elf_syms.h"

#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/buf.h"

struct esym {
	uint64_t addr, size;
	size_t name; /* offset in names */
};

struct segment {
	uint64_t off, vaddr, filesz;
};

struct gh_elf_syms {
	struct esym *syms;
	size_t n, cap;
	struct segment *segs;
	size_t n_segs;
	struct gh_buf names;
};

static int cmp_esym(const void *a, const void *b)
{
	const struct esym *x = a, *y = b;

	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	/* at one address, the sized symbol last: it is the one found */
	return x->size < y->size ? -1 : x->size > y->size;
}

static int add(struct gh_elf_syms *e, uint64_t addr, uint64_t size, const char *name)
{
	if (e->n == e->cap) {
		size_t cap = e->cap ? e->cap * 2 : 256;
		struct esym *grown = realloc(e->syms, cap * sizeof(*grown));

		if (!grown)
			return -ENOMEM;
		e->syms = grown;
		e->cap = cap;
	}
	e->syms[e->n].addr = addr;
	e->syms[e->n].size = size;
	e->syms[e->n].name = e->names.len;
	e->n++;
	return gh_buf_append(&e->names, name, strlen(name) + 1);
}

static int read_symtab(struct gh_elf_syms *e, Elf *elf, Elf_Scn *scn, const GElf_Shdr *sh)
{
	Elf_Data *data = elf_getdata(scn, NULL);
	size_t n = sh->sh_entsize ? sh->sh_size / sh->sh_entsize : 0;

	for (size_t i = 0; data && i < n; i++) {
		GElf_Sym sym;
		const char *name;
		int type, ret;

		if (!gelf_getsym(data, (int)i, &sym))
			break;
		type = GELF_ST_TYPE(sym.st_info);
		if ((type != STT_FUNC && type != STT_GNU_IFUNC) || sym.st_shndx == SHN_UNDEF ||
		    !sym.st_value)
			continue;
		name = elf_strptr(elf, sh->sh_link, sym.st_name);
		if (!name || !*name)
			continue;
		ret = add(e, sym.st_value, sym.st_size, name);
		if (ret)
			return ret;
	}
	return 0;
}

static int read_segments(struct gh_elf_syms *e, Elf *elf)
{
	size_t n;

	if (elf_getphdrnum(elf, &n))
		return -ENOEXEC;
	e->segs = calloc(n ? n : 1, sizeof(*e->segs));
	if (!e->segs)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(elf, (int)i, &ph) || ph.p_type != PT_LOAD)
			continue;
		e->segs[e->n_segs].off = ph.p_offset;
		e->segs[e->n_segs].vaddr = ph.p_vaddr;
		e->segs[e->n_segs].filesz = ph.p_filesz;
		e->n_segs++;
	}
	return 0;
}

int gh_elf_syms_load(struct gh_elf_syms **out, const char *path)
{
	struct gh_elf_syms *e = calloc(1, sizeof(*e));
	Elf *elf = NULL;
	Elf_Scn *scn = NULL;
	int fd = -1, ret = 0;

	if (!e)
		return -ENOMEM;
	if (elf_version(EV_CURRENT) == EV_NONE) {
		ret = -ENOSYS;
		goto out;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		goto out;
	}
	elf = elf_begin(fd, ELF_C_READ, NULL);
	if (!elf || elf_kind(elf) != ELF_K_ELF) {
		ret = -ENOEXEC;
		goto out;
	}
	ret = read_segments(e, elf);
	while (!ret && (scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;

		if (!gelf_getshdr(scn, &sh))
			continue;
		if (sh.sh_type == SHT_SYMTAB || sh.sh_type == SHT_DYNSYM)
			ret = read_symtab(e, elf, scn, &sh);
	}
	if (!ret && e->n) /* a stripped static binary may have none */
		qsort(e->syms, e->n, sizeof(*e->syms), cmp_esym);
out:
	if (elf)
		elf_end(elf);
	if (fd >= 0)
		close(fd);
	if (ret) {
		gh_elf_syms_free(e);
		return ret;
	}
	*out = e;
	return 0;
}

int gh_elf_syms_vaddr(const struct gh_elf_syms *e, uint64_t off, uint64_t *vaddr)
{
	for (size_t i = 0; i < e->n_segs; i++) {
		const struct segment *s = &e->segs[i];

		if (off >= s->off && off < s->off + s->filesz) {
			*vaddr = off - s->off + s->vaddr;
			return 0;
		}
	}
	return -ENOENT;
}

int gh_elf_syms_func_offset(const struct gh_elf_syms *e, const char *name, uint64_t *off)
{
	size_t len = strlen(name);

	for (size_t i = 0; i < e->n; i++) {
		const char *sym = e->names.p + e->syms[i].name;
		uint64_t vaddr = e->syms[i].addr;

		if (strncmp(sym, name, len) || (sym[len] && sym[len] != '@'))
			continue;
		for (size_t j = 0; j < e->n_segs; j++) {
			const struct segment *s = &e->segs[j];

			if (vaddr >= s->vaddr && vaddr < s->vaddr + s->filesz) {
				*off = vaddr - s->vaddr + s->off;
				return 0;
			}
		}
	}
	return -ENOENT;
}

const char *gh_elf_syms_lookup(const struct gh_elf_syms *e, uint64_t vaddr, uint64_t *offset)
{
	size_t lo = 0, hi = e->n;
	const struct esym *s;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (e->syms[mid].addr <= vaddr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo)
		return NULL;
	s = &e->syms[lo - 1];
	/* past a sized function's end: in none (padding, a stripped one) */
	if (s->size && vaddr >= s->addr + s->size)
		return NULL;
	if (offset)
		*offset = vaddr - s->addr;
	return e->names.p + s->name;
}

size_t gh_elf_syms_count(const struct gh_elf_syms *e)
{
	return e->n;
}

void gh_elf_syms_free(struct gh_elf_syms *e)
{
	if (!e)
		return;
	free(e->syms);
	free(e->segs);
	gh_buf_free(&e->names);
	free(e);
}
