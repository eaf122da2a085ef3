/* gadget.h - one gadget: its Lua script, its eBPF object, its event schema.
 *
 * Life cycle:  gh_gadget_open()   script run, object opened, schema built
 *              gh_gadget_set_*()  params and kernel filters (before load)
 *              gh_gadget_load()   verifier + attach every program
 *              ... the run (run/run.h) reads what it sends ...
 *              gh_gadget_close()  detach and free everything
 */
#ifndef GH_GADGET_H
#define GH_GADGET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gadget/iface_fields.h"
#include "gadget/loader.h"
#include "schema/field.h"
#include "script/gadget_spec.h"

struct bpf_object;
struct bpf_map;
struct gh_lib_uprobes;
struct gh_lua;
struct gh_packet_sockets;
struct gh_table_gadget;
struct gh_profile;
struct gh_traceloop_gadget;

/* What the kernel filter does with a mount namespace. */
enum gh_mntns_verdict {
	GH_MNTNS_FORGET = -1, /* unknown: as gadget_filter_mntns_judge_unknown says */
	GH_MNTNS_SKIP = 0,    /* known, dropped in the kernel */
	GH_MNTNS_TRACE = 1,
};

struct gh_gadget {
	char *script_path;
	char *script_dir;
	/* what the script declares (its name, object, params, ...); the
	 * kinds add their params and fill map_name */
	struct gh_gadget_spec spec;
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
	/* ifname, linktype of a packet's interface (iface_fields.h) */
	struct gh_iface_fields iface;
	/* uprobes on a library by name ("uprobe/libssl.so:SSL_write"),
	 * attached per copy of it found in the processes (lib_uprobes.h;
	 * the run looks again at new processes); NULL: none */
	struct gh_lib_uprobes *lib_uprobes;
	/* a top or a snapshot (table_gadget.h): rows, not events; NULL for
	 * a tracer */
	struct gh_table_gadget *table;
	/* a profile gadget (GADGET_HISTOGRAM, GADGET_STACKS: profile.h), or
	 * NULL for a tracer; events is NULL then */
	struct gh_profile *profile;
	/* a flight recorder (GADGET_TRACELOOP: traceloop_gadget.h), run by
	 * gadgethost traceloop, not run; NULL otherwise */
	struct gh_traceloop_gadget *traceloop;

	/* the SDK's counters, in the kernel's .bss pages mapped after load
	 * (NULL if absent) */
	void *bss;
	size_t bss_size;
	volatile uint64_t *lost_events;
	volatile uint64_t *wakeup_bytes;
	uint32_t ringbuf_size;
	/* spec.bpf_stats: the BPF_ENABLE_STATS fd plus one (0: none) */
	int bpf_stats_fd;

	/* the kernel filters configured (its lists are the ones below), for
	 * a trial load of a rebuilt object (gh_gadget_verify) */
	struct gh_kfilter kf;
	bool configured;
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
/* Load into the kernel and attach every program (loader.h). */
int gh_gadget_load(struct gh_gadget *g, bool verbose, char *err, size_t errlen);
/* Attach the gadget's uprobes on a library to the file at path too (a
 * program linked statically with it): 0, or -errno with err (no such
 * uprobes, no such file, none of their functions in it). */
int gh_gadget_attach_file(struct gh_gadget *g, const char *path, char *err, size_t errlen);
/* Would the kernel take the object at path in g's place?  Loaded once as
 * g's was (the same params, kernel filters, variants and optional
 * programs), attached nowhere, closed: 0, or -errno with err. */
int gh_gadget_verify(struct gh_gadget *g, const char *path, bool verbose, char *err,
		     size_t errlen);
/* Trace, skip or forget a mount namespace, after load: an update of the
 * kernel's gadget_mntns_filter_map.  -ENOENT: the gadget was not
 * configured to filter by mount namespace. */
int gh_gadget_set_mntns(struct gh_gadget *g, uint64_t mntns, enum gh_mntns_verdict v);
/* Detach every program: no new events (the maps stay readable). */
void gh_gadget_detach(struct gh_gadget *g);
/* The times the kernel did not run one of g's loaded programs since it
 * was loaded: it fired inside another eBPF program on that CPU (the
 * program's recursion_misses).  A classic tracepoint's, kprobe's or
 * perf_event's program is skipped inside any of those, a raw or BTF
 * tracepoint's only inside itself: an event in an interrupt is lost
 * that way.  *worst (may be NULL): the name of the program skipped
 * most, valid while g is loaded. */
uint64_t gh_gadget_skipped_runs(const struct gh_gadget *g, const char **worst);

/* At -v: a line per loaded program, its runs skipped and, while the
 * kernel counts them (sysctl kernel.bpf_stats_enabled=1), its runs: what
 * says whether an event missing from the output was ever made. */
void gh_gadget_log_program_runs(const struct gh_gadget *g);
void gh_gadget_close(struct gh_gadget *g);
/* Add to a bpf_ktime_get_boot_ns() time to get wall clock time. */
int64_t gh_boot_to_wall_ns(void);

#endif
