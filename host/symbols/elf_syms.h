/* elf_syms.h - one ELF file's function symbols (.symtab and .dynsym),
 * and the file offset -> virtual address translation of its segments. */
#ifndef GH_ELF_SYMS_H
#define GH_ELF_SYMS_H

#include <stddef.h>
#include <stdint.h>

struct gh_elf_syms;

/* Read path's symbol tables and program headers (libelf).  0 or -errno
 * (-ENOEXEC: not an ELF file). */
int gh_elf_syms_load(struct gh_elf_syms **out, const char *path);
/* The virtual address (as in the symbol table) at file offset off: in
 * which PT_LOAD segment it lies.  0, or -ENOENT in none. */
int gh_elf_syms_vaddr(const struct gh_elf_syms *e, uint64_t off, uint64_t *vaddr);
/* The file offset of function name (or of a version of it, name@VER):
 * what a uprobe on it is attached at.  0, or -ENOENT. */
int gh_elf_syms_func_offset(const struct gh_elf_syms *e, const char *name, uint64_t *off);
/* The function vaddr is in, and its offset there; NULL when in none. */
const char *gh_elf_syms_lookup(const struct gh_elf_syms *e, uint64_t vaddr, uint64_t *offset);
/* Number of function symbols (tests, --verbose). */
size_t gh_elf_syms_count(const struct gh_elf_syms *e);
void gh_elf_syms_free(struct gh_elf_syms *e);

#endif
