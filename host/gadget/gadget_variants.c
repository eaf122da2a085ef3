/* gadget_variants.c - choosing a gadget's variants from its object's
 * programs and the running kernel's hooks. */
#include "gadget/gadget_variants.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <bpf/libbpf.h>

#include "base/buf.h"
#include "base/log.h"
#include "kernel/hook_probe.h"
#include "kernel/variants.h"

static bool prog_supported(void *ctx, const char *name, char *why, size_t whylen)
{
	struct bpf_object *obj = ctx;
	struct bpf_program *prog = bpf_object__find_program_by_name(obj, name);
	char hook[256];

	if (!prog) {
		snprintf(why, whylen, "a program %s in the object", name);
		return false;
	}
	return gh_hook_supported(prog, hook, sizeof(hook), why, whylen);
}

int gh_choose_variants(struct bpf_object *obj, struct gh_variants *v, const char *script_path,
		       const char *object_path, char *err, size_t errlen)
{
	char why[1024];
	int ret;

	if (!v)
		return 0;
	for (size_t i = 0; i < v->n_groups; i++) {
		const struct gh_variant_group *grp = &v->groups[i];

		for (size_t a = 0; a < grp->n_alts; a++)
			for (size_t p = 0; p < grp->alts[a].n_progs; p++)
				if (!bpf_object__find_program_by_name(obj, grp->alts[a].progs[p])) {
					snprintf(err, errlen, "%s: variants.%s: %s has no program "
						 "\"%s\"", script_path, grp->name, object_path,
						 grp->alts[a].progs[p]);
					return -EINVAL;
				}
	}
	why[0] = '\0';
	ret = gh_variants_choose(v, prog_supported, obj, why, sizeof(why));
	if (ret)
		snprintf(err, errlen, "%s: %s", object_path, why);
	return ret;
}

static void put_alt(struct gh_buf *b, const struct gh_variant_alt *alt)
{
	for (size_t p = 0; p < alt->n_progs; p++)
		gh_buf_printf(b, "%s%s", p ? "+" : "", alt->progs[p]);
}

void gh_log_variants(const struct gh_variants *v)
{
	struct gh_buf b = GH_BUF_INIT;

	for (size_t i = 0; v && i < v->n_groups; i++) {
		const struct gh_variant_group *grp = &v->groups[i];

		gh_buf_reset(&b);
		gh_buf_printf(&b, "variant %s: ", grp->name);
		if (grp->chosen < 0)
			gh_buf_puts(&b, "none");
		else
			put_alt(&b, &grp->alts[grp->chosen]);
		for (int a = 0; a < (int)grp->n_alts && (grp->chosen < 0 || a < grp->chosen); a++) {
			gh_buf_puts(&b, a ? "; " : " (");
			put_alt(&b, &grp->alts[a]);
			gh_buf_printf(&b, ": this kernel has no %s", grp->alts[a].why);
			if (a + 1 == (int)grp->n_alts || a + 1 == grp->chosen)
				gh_buf_puts(&b, ")");
		}
		if (b.p)
			gh_log(GH_LOG_INFO, "%s", b.p);
	}
	gh_buf_free(&b);
}
