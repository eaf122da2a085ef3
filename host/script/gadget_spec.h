/* gadget_spec.h - what a gadget's script declares about it: names, the
 * object, the kind's map or struct, columns, params, variants, sources.
 *
 * The script fills it (lua_script.h: gh_lua_read_spec()); the gadget
 * layer embeds it (gadget/gadget.h) and the loader, the kinds and the
 * command line read it.  Everything in it is the spec's own (strings,
 * lists) and freed by gh_gadget_spec_free().
 */
#ifndef GH_GADGET_SPEC_H
#define GH_GADGET_SPEC_H

#include <stdbool.h>
#include <stddef.h>

#include "schema/packet_fields.h"

struct gh_variants;

struct gh_param {
	char *key;         /* command line: --key[=value] */
	char *global;      /* the const volatile global it sets, or NULL */
	char *type;        /* bool, int, uint, string */
	char *def;         /* default, as text; NULL: the object's own */
	char *description;
	char *value;       /* given on the command line, or NULL */
	char **values;     /* the only values allowed (script: values = {...}), or NULL */
	size_t n_values;
	bool has_min, has_max; /* int, uint: the range allowed (script: min = N, max = N) */
	long long min, max;
};

struct gh_gadget_spec {
	char *name;
	char *description;
	char *object_name;  /* the .bpf.o */
	char *tracer_name;  /* optional: which GADGET_TRACER */
	char *map_name;     /* optional: ring buffer map, without GADGET_TRACER */
	char *struct_name;  /* optional: event struct, without GADGET_TRACER */
	char *sort;         /* tables: the default --sort, or NULL */
	char **columns;     /* default columns, NULL: every field not hidden */
	size_t n_columns;
	char **optional_programs; /* programs skipped when their hook is missing */
	size_t n_optional_programs;
	struct gh_variants *variants; /* alternatives chosen per kernel (kernel/variants.h) */
	/* default metrics from events, --metric's specs (run/event_metrics.h) */
	char **metrics;
	size_t n_metrics;
	char **sources;     /* user-space event sources ("audit:1326") */
	size_t n_sources;
	bool bpf_stats;     /* the kernel's BPF run-time statistics on while loaded */
	struct gh_packet_spec packet; /* the fields of a packet, if its events are */
	struct gh_param *params;
	size_t n_params;
};

void gh_gadget_spec_free(struct gh_gadget_spec *s);
/* The param of that command line key, or NULL. */
struct gh_param *gh_spec_param(struct gh_gadget_spec *s, const char *key);
/* Add a param the script did not declare (a kind's own: --frequency);
 * the script's own of that key wins.  0 or -ENOMEM. */
int gh_spec_add_param(struct gh_gadget_spec *s, const char *key, const char *type,
		      const char *def, const char *description);
/* A uint param's value (given, or its default): def when there is no
 * such param, (unsigned)-1 when it is no number up to 1000000. */
unsigned gh_spec_param_uint(struct gh_gadget_spec *s, const char *key, unsigned def);

#endif
