/* gadget.h - one gadget: its Lua script, its eBPF object, its event schema.
 *
 * Life cycle:  gh_gadget_open()   script run, object opened, schema built
 *              gh_gadget_set_*()  params and kernel filters (before load)
 *              gh_gadget_load()   verifier + attach every program
 *              ... the runner consumes the ring buffer ...
 *              gh_gadget_close()  detach and free everything
 */
#ifndef GH_GADGET_H
#define GH_GADGET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "field.h"

struct bpf_object;
struct bpf_map;
struct gh_lua;
struct gh_packet_sockets;
struct gh_variants;
struct gh_table_gadget;
struct gh_profile;

struct gh_param {
	char *key;         /* command line: --key[=value] */
	char *global;      /* the const volatile global it sets, or NULL */
	char *type;        /* bool, int, uint, string */
	char *def;         /* default, as text; NULL: the object's own */
	char *description;
	char *value;       /* given on the command line, or NULL */
	char **values;     /* the only values allowed (script: values = {...}), or NULL */
	size_t n_values;
};

/* Kernel-side filters of the SDK's gadget_should_discard(). */
struct gh_kfilter {
	uint32_t pid, tid;
	bool uid_on, gid_on;
	uint32_t uid, gid;
	char comm[16];
	bool comm_on;
	const uint64_t *mntns; /* trace only these mount namespaces (--mntnsid) */
	size_t n_mntns;
	bool mntns_on;         /* filter by mount namespace even with none yet */
	const uint64_t *mntns_skip; /* known mount namespaces not to trace */
	size_t n_mntns_skip;
	bool mntns_judge_unknown;   /* pass unknown ones up, for the host to judge */
};

/* What the kernel filter does with a mount namespace. */
enum gh_mntns_verdict {
	GH_MNTNS_FORGET = -1, /* unknown: as gadget_filter_mntns_judge_unknown says */
	GH_MNTNS_SKIP = 0,    /* known, dropped in the kernel */
	GH_MNTNS_TRACE = 1,
};

struct gh_gadget {
	/* from the script */
	char *script_path;
	char *script_dir;
	char *name;
	char *description;
	char *object_name;
	char *tracer_name;  /* optional: which GADGET_TRACER */
	char *map_name;     /* optional: ring buffer map, without GADGET_TRACER */
	char *struct_name;  /* optional: event struct, without GADGET_TRACER */
	char **columns;     /* default columns, NULL: every field not hidden */
	size_t n_columns;
	char **optional_programs; /* programs skipped when their hook is missing */
	size_t n_optional_programs;
	struct gh_variants *variants; /* alternatives chosen per kernel (variants.h) */
	char **sources;     /* user-space event sources ("audit:1326"), see audit_source.h */
	size_t n_sources;
	struct gh_param *params;
	size_t n_params;
	struct gh_lua *lua;

	/* from the object */
	char *object_path;
	struct bpf_object *obj;
	struct bpf_map *events;
	struct gh_schema schema;
	int *default_fields;   /* indexes: the default columns */
	size_t n_default_fields;
	int *all_fields;       /* indexes: every field, in output order */
	size_t n_all_fields;
	struct bpf_link **links;
	size_t n_links;
	/* SEC("socket") programs: attached per traced network namespace by
	 * the container side of a run (packet_socket.h); NULL: none */
	struct gh_packet_sockets *packet_sockets;
	/* a top or a snapshot (table_gadget.h): rows, not events; NULL for
	 * a tracer */
	struct gh_table_gadget *table;
	char *sort;         /* tables: the script's default --sort, or NULL */
	/* a profile gadget (GADGET_HISTOGRAM, GADGET_STACKS: profile.h), or
	 * NULL for a tracer; events is NULL then */
	struct gh_profile *profile;

	/* the SDK's counters, in the kernel's .bss pages mapped after load
	 * (NULL if absent) */
	void *bss;
	size_t bss_size;
	volatile uint64_t *lost_events;
	volatile uint64_t *wakeup_bytes;
	uint32_t ringbuf_size;

	/* mount namespaces put in gadget_mntns_filter_map at load: to trace,
	 * and to skip (written first: a traced one wins) */
	uint64_t *mntns;
	size_t n_mntns;
	uint64_t *mntns_skip;
	size_t n_mntns_skip;
};

/* Open the gadget named name (see search_path.h).  err gets one line. */
int gh_gadget_open(struct gh_gadget **out, const char *name, char *err, size_t errlen);
/* Find a param by its command line key, or NULL. */
struct gh_param *gh_gadget_param(struct gh_gadget *g, const char *key);
/* Apply params and kernel filters to the object's globals (before load). */
int gh_gadget_configure(struct gh_gadget *g, const struct gh_kfilter *kf, char *err,
			size_t errlen);
/* Whether the running kernel has every hook the gadget's programs need
 * (tracefs mounted): 0, or -ENOENT with err naming the first one missing.
 * Optional programs whose hook is missing are set not to load; of each
 * group of variants, only the chosen alternative loads (variants.h). */
int gh_gadget_check_kernel(struct gh_gadget *g, char *err, size_t errlen);
/* Load into the kernel and attach every program. */
int gh_gadget_load(struct gh_gadget *g, bool verbose, char *err, size_t errlen);
/* Trace, skip or forget a mount namespace, after load: an update of the
 * kernel's gadget_mntns_filter_map.  -ENOENT: the gadget was not
 * configured to filter by mount namespace. */
int gh_gadget_set_mntns(struct gh_gadget *g, uint64_t mntns, enum gh_mntns_verdict v);
/* Detach every program: no new events (the maps stay readable). */
void gh_gadget_detach(struct gh_gadget *g);
void gh_gadget_close(struct gh_gadget *g);
/* Add to a bpf_ktime_get_boot_ns() time to get wall clock time. */
int64_t gh_boot_to_wall_ns(void);

#endif
