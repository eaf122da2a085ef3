/* gadget_variants.h - a gadget's variant groups (kernel/variants.h)
 * decided for the running kernel, by the hooks its programs need
 * (kernel/hook_probe.h). */
#ifndef GH_GADGET_VARIANTS_H
#define GH_GADGET_VARIANTS_H

#include <stddef.h>

struct bpf_object;
struct gh_variants;

/* Check that every program v names is in obj (opened from object_path;
 * the variants are the script's at script_path), and choose each group's
 * alternative: 0, -EINVAL (a name not in the object) or -ENOENT (no
 * alternative works here), err saying which. */
int gh_choose_variants(struct bpf_object *obj, struct gh_variants *v, const char *script_path,
		       const char *object_path, char *err, size_t errlen);
/* One info line (base/log.h) per group, after choosing: "variant cap:
 * on_cap_capable_tp (skipped: ...)" */
void gh_log_variants(const struct gh_variants *v);

#endif
