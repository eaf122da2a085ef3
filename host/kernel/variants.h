/* variants.h - programs that do the same job on different kernels.
 *
 * A gadget's script may declare groups of alternatives, best first:
 *
 *   variants = {
 *     cap = { "on_cap_capable_tp", "on_cap_capable_fexit",
 *             { "on_cap_capable_kprobe", "on_cap_capable_kretprobe" } },
 *   },
 *
 * An alternative is one program or a list of programs that only work
 * together.  Before load, each group gets the first alternative whose
 * every program the running kernel can attach (hook_probe.h); the
 * programs of every other alternative are set not to load, so the
 * verifier never sees them.  A group without a working alternative
 * makes the gadget unsupported, naming why each alternative is not.
 */
#ifndef GH_VARIANTS_H
#define GH_VARIANTS_H

#include <stdbool.h>
#include <stddef.h>

struct lua_State;

struct gh_variant_alt {
	char **progs;
	size_t n_progs;
	char why[256];     /* why not: what the kernel lacks (after choose) */
};

struct gh_variant_group {
	char *name;
	struct gh_variant_alt *alts;
	size_t n_alts;
	int chosen;        /* index into alts, -1: none works */
};

struct gh_variants {
	struct gh_variant_group *groups; /* sorted by name */
	size_t n_groups;
};

/* Read t.variants, t at the top of L's stack, into *out (NULL when the
 * script has none).  path names the script in err. */
int gh_variants_read(struct lua_State *L, const char *path, struct gh_variants **out, char *err,
		     size_t errlen);

/* Can the kernel attach prog?  false with why (a noun phrase: what the
 * kernel lacks). */
typedef bool (*gh_prog_supported_fn)(void *ctx, const char *prog, char *why, size_t whylen);

/* Choose each group's alternative, asking supported() about each program
 * in order.  0, or -ENOENT with err naming the first group none of whose
 * alternatives works, and why for each. */
int gh_variants_choose(struct gh_variants *v, gh_prog_supported_fn supported, void *ctx,
		       char *err, size_t errlen);
/* Is prog named in some group?  *load: whether it is in the chosen
 * alternative. */
bool gh_variants_has(const struct gh_variants *v, const char *prog, bool *load);
/* "cap=on_cap_capable_tp sock=a+b", the chosen alternatives, into buf. */
void gh_variants_describe(const struct gh_variants *v, char *buf, size_t len);
void gh_variants_free(struct gh_variants *v);

#endif
