/* profile.h - gadgets that aggregate in the kernel: histograms and stack
 * samples (the profile kinds), as the object declares them.
 *
 * A profile gadget declares no tracer but GADGET_HISTOGRAM or
 * GADGET_STACKS (sdk/include/gadget/macros.h).  Its schema is the key of
 * the aggregating map, so -F, --fields, the container fields and the
 * kernel filters work on it as on events; instead of a ring buffer the
 * run reads the map at the end (or every --interval, resetting it) and
 * prints a chart, a stack report, folded stacks or JSON (run/profile_run.h).
 *
 *   gh_gadget_open():  gh_profile_open()  is the object one?  its key
 *                      gh_profile_add_fields()  virtual fields, params
 */
#ifndef GH_PROFILE_H
#define GH_PROFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <bpf/btf.h>

#include "schema/field.h"
#include "script/gadget_spec.h"

struct bpf_object;

enum gh_profile_kind {
	GH_PROFILE_HISTOGRAM,
	GH_PROFILE_STACKS,
};

enum gh_profile_output {
	GH_POUT_TEXT,   /* chart, stack report */
	GH_POUT_JSON,
	GH_POUT_JSONPRETTY,
	GH_POUT_FOLDED, /* stacks */
};

struct gh_profile {
	enum gh_profile_kind kind;
	char *name;
	char *unit;         /* histograms */
	char *map_name;     /* the histograms, or the counts */
	char *stacks_name;  /* stacks: the stack trace map */
	char *value_name;   /* stacks: what the counts' values are ("samples") */
	bool sampled;       /* stacks: perf_event programs, run at --frequency */
	uint32_t key_size;
	int user_off, kernel_off; /* stacks: id members in the key, -1: none */
	int pid_field;      /* stacks: the key's pid, for user symbols */
	int f_samples, f_user, f_kernel; /* stacks: virtual fields (f_samples: value_name) */
};

/* 0 with *out NULL: obj (opened from path) is no profile gadget.  0 with
 * *out set: *struct_id is the key struct's BTF id (0: the key is not a
 * struct, the schema stays empty).  -errno with err: a broken
 * declaration. */
int gh_profile_open(struct gh_profile **out, struct bpf_object *obj, const char *path,
		    __u32 *struct_id, char *err, size_t errlen);
/* After the schema is built: the kind's virtual fields, and its params
 * into spec. */
int gh_profile_add_fields(struct gh_profile *p, struct gh_gadget_spec *spec,
			  struct gh_schema *schema, const char *path, char *err, size_t errlen);
/* No mount namespace in the key: the gadget sees the whole host. */
bool gh_profile_host_wide(const struct gh_profile *p, const struct gh_schema *schema);
/* -o name (NULL: the default) for p: 0, or -EINVAL. */
int gh_profile_parse_output(const struct gh_profile *p, const char *name,
			    enum gh_profile_output *o);
/* Whether -o name suits the gadget (NULL: the default): 0, or -EINVAL
 * with err naming the formats it has. */
int gh_profile_check_output(const struct gh_profile *p, const char *gadget, const char *name,
			    char *err, size_t errlen);
void gh_profile_free(struct gh_profile *p);

#endif
