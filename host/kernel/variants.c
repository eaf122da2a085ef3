/* variants.c - choosing, per group, the first alternative the running
 * kernel supports. */
#include "kernel/variants.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void append(char *buf, size_t len, size_t *off, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (*off >= len)
		return;
	va_start(ap, fmt);
	n = vsnprintf(buf + *off, len - *off, fmt, ap);
	va_end(ap);
	if (n > 0)
		*off = *off + (size_t)n < len ? *off + (size_t)n : len;
}

/* Every program of alt supported?  Else alt->why says what is missing. */
static bool alt_works(struct gh_variant_alt *alt, gh_prog_supported_fn supported, void *ctx)
{
	char why[sizeof(alt->why)];

	alt->why[0] = '\0';
	for (size_t i = 0; i < alt->n_progs; i++) {
		why[0] = '\0';
		if (!supported(ctx, alt->progs[i], why, sizeof(why))) {
			snprintf(alt->why, sizeof(alt->why), "%s", why[0] ? why : "unsupported");
			return false;
		}
	}
	return true;
}

static void alt_name(const struct gh_variant_alt *alt, char *buf, size_t len, size_t *off)
{
	for (size_t i = 0; i < alt->n_progs; i++)
		append(buf, len, off, "%s%s", i ? "+" : "", alt->progs[i]);
}

int gh_variants_choose(struct gh_variants *v, gh_prog_supported_fn supported, void *ctx,
		       char *err, size_t errlen)
{
	int ret = 0;

	if (!v)
		return 0;
	for (size_t g = 0; g < v->n_groups; g++) {
		struct gh_variant_group *grp = &v->groups[g];

		grp->chosen = -1;
		for (size_t a = 0; a < grp->n_alts && grp->chosen < 0; a++)
			if (alt_works(&grp->alts[a], supported, ctx))
				grp->chosen = (int)a;
		if (grp->chosen < 0 && !ret) {
			size_t off = 0;

			append(err, errlen, &off, "no variant of %s works on this kernel:", grp->name);
			for (size_t a = 0; a < grp->n_alts; a++) {
				append(err, errlen, &off, "%s ", a ? ";" : "");
				alt_name(&grp->alts[a], err, errlen, &off);
				append(err, errlen, &off, " needs %s", grp->alts[a].why);
			}
			ret = -ENOENT;
		}
	}
	return ret;
}

bool gh_variants_has(const struct gh_variants *v, const char *prog, bool *load)
{
	if (!v)
		return false;
	for (size_t g = 0; g < v->n_groups; g++) {
		const struct gh_variant_group *grp = &v->groups[g];

		for (size_t a = 0; a < grp->n_alts; a++)
			for (size_t i = 0; i < grp->alts[a].n_progs; i++)
				if (!strcmp(grp->alts[a].progs[i], prog)) {
					*load = grp->chosen == (int)a;
					return true;
				}
	}
	return false;
}

void gh_variants_describe(const struct gh_variants *v, char *buf, size_t len)
{
	size_t off = 0;

	if (len)
		buf[0] = '\0';
	if (!v)
		return;
	for (size_t g = 0; g < v->n_groups; g++) {
		const struct gh_variant_group *grp = &v->groups[g];

		append(buf, len, &off, "%s%s=", g ? " " : "", grp->name);
		if (grp->chosen < 0)
			append(buf, len, &off, "(none)");
		else
			alt_name(&grp->alts[grp->chosen], buf, len, &off);
	}
}

void gh_variants_free(struct gh_variants *v)
{
	if (!v)
		return;
	for (size_t g = 0; g < v->n_groups; g++) {
		struct gh_variant_group *grp = &v->groups[g];

		for (size_t a = 0; a < grp->n_alts; a++) {
			for (size_t i = 0; i < grp->alts[a].n_progs; i++)
				free(grp->alts[a].progs[i]);
			free(grp->alts[a].progs);
		}
		free(grp->alts);
		free(grp->name);
	}
	free(v->groups);
	free(v);
}
