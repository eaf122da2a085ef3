/* profile.h - gadgets that aggregate in the kernel: histograms and stack
 * samples (the profile kinds).
 *
 * A profile gadget declares no tracer but GADGET_HISTOGRAM or
 * GADGET_STACKS (sdk/include/gadget/macros.h).  Its schema is the key of
 * the aggregating map, so -F, --fields, the container fields and the
 * kernel filters work on it as on events; instead of a ring buffer the
 * host reads the map at the end (or every --interval, resetting it) and
 * prints a chart, a stack report, folded stacks or JSON.
 *
 *   gh_gadget_open():  gh_profile_open()  is the object one?  its key
 *                      gh_profile_add_fields()  virtual fields, params
 *   gh_cmd_run():      gh_profile_check_output(), then gh_profile_run()
 *                      instead of gh_run()
 */
#ifndef GH_PROFILE_H
#define GH_PROFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <bpf/btf.h>

#include "filter.h"
#include "gadget.h"
#include "runner.h"

struct gh_profile;

/* 0 with g->profile NULL: not a profile gadget.  0 with g->profile set:
 * *struct_id is the key struct's BTF id (0: the key is not a struct, the
 * schema stays empty).  -errno with err: a broken declaration. */
int gh_profile_open(struct gh_gadget *g, __u32 *struct_id, char *err, size_t errlen);
/* After the schema is built: the kind's virtual fields and params. */
int gh_profile_add_fields(struct gh_gadget *g, char *err, size_t errlen);
/* No mount namespace in the key: the gadget sees the whole host. */
bool gh_profile_host_wide(const struct gh_gadget *g);
/* Whether -o name suits the gadget (NULL: the default): 0, or -EINVAL
 * with err naming the formats it has. */
int gh_profile_check_output(const struct gh_gadget *g, const char *name, char *err,
			    size_t errlen);
/* Attach what the kind needs, aggregate until the timeout or a signal,
 * print.  fields: the key fields to show (--fields).  0 or -errno. */
int gh_profile_run(struct gh_gadget *g, struct gh_filter *filter, const struct gh_run_opts *opts,
		   const char *output, const int *fields, size_t n_fields);
/* Print every ms milliseconds (0: once, at the end), overriding the
 * kind's --interval param: for a command line whose --interval is a
 * generic option. */
void gh_profile_set_interval_ms(struct gh_gadget *g, uint64_t ms);
void gh_profile_free(struct gh_profile *p);

#endif
