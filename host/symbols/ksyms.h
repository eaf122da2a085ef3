/* ksyms.h - kernel addresses to function names, from /proc/kallsyms. */
#ifndef GH_KSYMS_H
#define GH_KSYMS_H

#include <stdint.h>

struct gh_ksyms;

/* Read a kallsyms file ("ADDR TYPE NAME [MODULE]" lines): its text
 * symbols, sorted.  0 or -errno (-ENODATA: no symbol with an address,
 * as when kptr_restrict hides them). */
int gh_ksyms_load(struct gh_ksyms **out, const char *path);
/* The function addr is in (and addr's offset in it), or NULL below the
 * first symbol. */
const char *gh_ksyms_lookup(const struct gh_ksyms *k, uint64_t addr, uint64_t *offset);
void gh_ksyms_free(struct gh_ksyms *k);

#endif
