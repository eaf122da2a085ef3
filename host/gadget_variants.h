/* gadget_variants.h - a gadget's variant groups (variants.h) decided for
 * the running kernel, by the hooks its programs need (hook_probe.h). */
#ifndef GH_GADGET_VARIANTS_H
#define GH_GADGET_VARIANTS_H

#include <stddef.h>
#include <stdio.h>

struct gh_gadget;

/* Check that every program the script's variants name is in the object,
 * and choose each group's alternative: 0, -EINVAL (a name not in the
 * object) or -ENOENT (no alternative works here), err saying which. */
int gh_gadget_choose_variants(struct gh_gadget *g, char *err, size_t errlen);
/* One line per group, after choosing: "gadgethost: variant cap:
 * on_cap_capable_tp (skipped: ...)" */
void gh_gadget_print_variants(const struct gh_gadget *g, FILE *to);

#endif
