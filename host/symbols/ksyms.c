/* ksyms.c - kernel addresses to function names, from /proc/kallsyms.
 *
 * Only text symbols (t, T, w, W) are kept: a sampled kernel address is
 * code.  Names live in one growing arena; the table is sorted once and
 * searched by bisection.
 */
#include "symbols/ksyms.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"

struct ksym {
	uint64_t addr;
	size_t name; /* offset in names */
};

struct gh_ksyms {
	struct ksym *syms;
	size_t n, cap;
	struct gh_buf names;
};

static int cmp_ksym(const void *a, const void *b)
{
	const struct ksym *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

static int add(struct gh_ksyms *k, uint64_t addr, const char *name)
{
	if (k->n == k->cap) {
		size_t cap = k->cap ? k->cap * 2 : 4096;
		struct ksym *grown = realloc(k->syms, cap * sizeof(*grown));

		if (!grown)
			return -ENOMEM;
		k->syms = grown;
		k->cap = cap;
	}
	k->syms[k->n].addr = addr;
	k->syms[k->n].name = k->names.len;
	k->n++;
	return gh_buf_append(&k->names, name, strlen(name) + 1);
}

int gh_ksyms_load(struct gh_ksyms **out, const char *path)
{
	struct gh_ksyms *k = calloc(1, sizeof(*k));
	FILE *f = fopen(path, "re");
	char line[512];
	int ret = 0;

	if (!k || !f) {
		ret = k ? -errno : -ENOMEM;
		goto fail;
	}
	while (fgets(line, sizeof(line), f)) {
		char type, name[256];
		uint64_t addr;

		if (sscanf(line, "%" SCNx64 " %c %255s", &addr, &type, name) != 3)
			continue;
		if (!addr || !strchr("tTwW", type))
			continue;
		ret = add(k, addr, name);
		if (ret)
			goto fail;
	}
	fclose(f);
	f = NULL;
	if (!k->n) {
		ret = -ENODATA;
		goto fail;
	}
	qsort(k->syms, k->n, sizeof(*k->syms), cmp_ksym);
	*out = k;
	return 0;
fail:
	if (f)
		fclose(f);
	gh_ksyms_free(k);
	return ret;
}

const char *gh_ksyms_lookup(const struct gh_ksyms *k, uint64_t addr, uint64_t *offset)
{
	size_t lo = 0, hi = k ? k->n : 0;

	/* the last symbol at or below addr */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (k->syms[mid].addr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo)
		return NULL;
	if (offset)
		*offset = addr - k->syms[lo - 1].addr;
	return k->names.p + k->syms[lo - 1].name;
}

void gh_ksyms_free(struct gh_ksyms *k)
{
	if (!k)
		return;
	free(k->syms);
	gh_buf_free(&k->names);
	free(k);
}
