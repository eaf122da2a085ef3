/* gadget_variants.c - choosing a gadget's variants from its object's
 * programs and the running kernel's hooks. */
#include "gadget_variants.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <bpf/libbpf.h>

#include "gadget.h"
#include "hook_probe.h"
#include "variants.h"

static bool prog_supported(void *ctx, const char *name, char *why, size_t whylen)
{
	struct gh_gadget *g = ctx;
	struct bpf_program *prog = bpf_object__find_program_by_name(g->obj, name);
	char hook[256];

	if (!prog) {
		snprintf(why, whylen, "a program %s in the object", name);
		return false;
	}
	return gh_hook_supported(prog, hook, sizeof(hook), why, whylen);
}

int gh_gadget_choose_variants(struct gh_gadget *g, char *err, size_t errlen)
{
	const struct gh_variants *v = g->variants;
	char why[1024];
	int ret;

	if (!v)
		return 0;
	for (size_t i = 0; i < v->n_groups; i++) {
		const struct gh_variant_group *grp = &v->groups[i];

		for (size_t a = 0; a < grp->n_alts; a++)
			for (size_t p = 0; p < grp->alts[a].n_progs; p++)
				if (!bpf_object__find_program_by_name(g->obj,
								      grp->alts[a].progs[p])) {
					snprintf(err, errlen, "%s: variants.%s: %s has no program "
						 "\"%s\"", g->script_path, grp->name,
						 g->object_path, grp->alts[a].progs[p]);
					return -EINVAL;
				}
	}
	why[0] = '\0';
	ret = gh_variants_choose(g->variants, prog_supported, g, why, sizeof(why));
	if (ret)
		snprintf(err, errlen, "%s: %s", g->object_path, why);
	return ret;
}

static void print_alt(const struct gh_variant_alt *alt, FILE *to)
{
	for (size_t p = 0; p < alt->n_progs; p++)
		fprintf(to, "%s%s", p ? "+" : "", alt->progs[p]);
}

void gh_gadget_print_variants(const struct gh_gadget *g, FILE *to)
{
	const struct gh_variants *v = g->variants;

	for (size_t i = 0; v && i < v->n_groups; i++) {
		const struct gh_variant_group *grp = &v->groups[i];

		fprintf(to, "gadgethost: variant %s: ", grp->name);
		if (grp->chosen < 0)
			fprintf(to, "none");
		else
			print_alt(&grp->alts[grp->chosen], to);
		for (int a = 0; a < (int)grp->n_alts && (grp->chosen < 0 || a < grp->chosen); a++) {
			fprintf(to, a ? "; " : " (");
			print_alt(&grp->alts[a], to);
			fprintf(to, ": this kernel has no %s", grp->alts[a].why);
			if (a + 1 == (int)grp->n_alts || a + 1 == grp->chosen)
				fprintf(to, ")");
		}
		fprintf(to, "\n");
	}
}
