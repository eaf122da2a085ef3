/* out_plan.h - the nesting plan of JSON and YAML rows: the shape of an
 * event's object, made once per output from the selected fields, so that
 * writing an event is a walk over a flat list of steps.
 *
 * Fields of a field source (schema/field.h: the container fields) are
 * left out of the rows of events that have none of them (a host
 * process's), as Inspektor Gadget omits empty container metadata: the
 * plans hold a second plan without them.
 */
#ifndef GH_OUT_PLAN_H
#define GH_OUT_PLAN_H

#include <stdbool.h>
#include <stddef.h>

#include "base/buf.h"
#include "schema/field.h"

/* One step of the nesting plan, built once in gh_out_new.  Dotted field
 * names become nested objects: "runtime.containerName" is the key
 * "containerName" inside the object "runtime".  Fields sharing a prefix
 * are grouped at the place of the first of them.  Writing an event is a
 * walk over this flat list: no look-ups, no allocation. */
enum gh_out_op_type {
	GH_OP_FIELD, /* key: value of field */
	GH_OP_OPEN,  /* key: start of a nested object */
	GH_OP_CLOSE, /* end of the nested object opened last */
};

struct gh_out_op {
	enum gh_out_op_type type;
	int field;            /* GH_OP_FIELD: index in the schema */
	unsigned depth;       /* 0: a key of the event's top level object */
	bool first;           /* first key of its object: no comma before */
	const char *key;      /* the key (one segment of the dotted name) */
	size_t key_len;
	const char *json_key; /* the key as a quoted, escaped JSON string */
	size_t json_key_len;
	/* compact JSON: what goes before the value, in one piece: a comma
	 * unless first, the key, ':' and, for a group, '{' */
	const char *json_prefix;
	size_t json_prefix_len;
};

struct gh_out_plan {
	struct gh_out_op *ops;
	size_t n_ops;
};

struct gh_out_plans {
	struct gh_out_plan plan;            /* every selected field */
	struct gh_out_plan without_sourced; /* without the sources' fields */
	int sourced;       /* a selected field of a source, or -1: one plan */
	struct gh_buf keys; /* storage of the ops' key strings */
};

#define GH_OUT_PLANS_INIT {.sourced = -1}

/* Build the plans of fields (indexes into s, in output order). */
int gh_out_plans_build(struct gh_out_plans *p, const struct gh_schema *s, const int *fields,
		       size_t n_fields);
/* The plan for ev: without the sources' fields when it has none of them. */
const struct gh_out_plan *gh_out_plans_for(const struct gh_out_plans *p,
					   const struct gh_schema *s, const struct gh_event *ev);
void gh_out_plans_free(struct gh_out_plans *p);

#endif
