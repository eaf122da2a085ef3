/* run_gadget.c - running a gadget as its kind says (run.h): the kinds' steps
 * (tracer_run.c, table_run.c, profile_run.c) in the one loop
 * (run_loop.c). */
#include "run/run.h"

#include <errno.h>

#include "base/log.h"
#include "gadget/table_gadget.h"
#include "run/run_loop.h"

static const struct gh_run_kind *kind_of(const struct gh_gadget *g)
{
	if (g->table)
		return g->table->kind == GH_TABLE_TOP ? &gh_top_kind : &gh_snapshot_kind;
	if (g->profile)
		return &gh_profile_kind;
	return &gh_tracer_kind;
}

int gh_run_gadget(struct gh_gadget *g, struct gh_out *out, struct gh_filter *filter,
		  const struct gh_run_opts *opts)
{
	if (g->traceloop) {
		gh_log(GH_LOG_ERROR, "%s is a flight recorder: gadgethost traceloop start runs it",
		       g->spec.name);
		return -EINVAL;
	}
	return gh_run_with_kind(g, out, filter, opts, kind_of(g), NULL);
}
