/* run.h - running a loaded gadget, whatever its kind, until --timeout,
 * SIGINT or SIGTERM (or, for a snapshot, its one look).
 *
 * The kinds: a tracer (a ring buffer; tracer_run.c), a top or a snapshot
 * (a table of rows; table_run.c), a histogram or a stack sampler (maps
 * read at the end or every interval; profile_run.c).  Each supplies its
 * own steps to the one loop (run_loop.h), and each event of each kind
 * goes through the one pipeline (pipeline.h).
 */
#ifndef GH_RUN_H
#define GH_RUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "gadget/gadget.h"
#include "output/out.h"
#include "run/pipeline.h"
#include "schema/filter.h"
#include "schema/row_sort.h"

struct gh_containers;
struct gh_lua_host;
struct gh_run_containers;

/* Hand one event record (the gadget's struct layout) to a run. */
typedef void (*gh_run_feed_fn)(void *run, const void *data, size_t size);

struct gh_run_opts {
	uint64_t timeout_ms;     /* 0: until a signal */
	/* --interval: a top's table, a profile's charts (reset after each),
	 * a snapshot's look, and the script's on_interval, this often; 0:
	 * the kind's default (a top: 1 s; the others: never) */
	uint64_t interval_ms;
	const char *ready_file;  /* created once every program is attached */
	/* --report-fd: the daemon's pipe for the run's numbers (run_report.h) */
	uint32_t report_fd;
	bool report_fd_given;
	/* --metric: metrics from the kept events (event_metrics.h), after
	 * the gadget's own; their cardinality limit (0: the default) */
	const char **metrics;
	size_t n_metrics;
	uint32_t metrics_max_series;
	/* a run without --report-fd shows those metrics itself, as Prometheus
	 * text at the end and every --interval given: 0, into out after the
	 * rows; else written to that fd (a JSON or YAML stream stays whole) */
	int metrics_fd;
	bool verbose;            /* --verbose: the details are GH_LOG_INFO messages */
	uv_loop_t *loop;         /* shared with the container watch */
	/* the known containers: every kind takes what the kernel sent before
	 * they change, and the script's on_container hears of them */
	struct gh_containers *containers;
	/* NULL, or whether to keep an event the kernel passed (before any
	 * filter or Lua): pipeline.h */
	gh_accept_fn accept;
	void *accept_ctx;
	/* NULL, or --pf: the packets that pass (pipeline.h) */
	struct gh_pcap_filter *pcap_filter;
	/* the output reads no field the script's enrich sets, nor does -F
	 * or a metric: enrich is not called (-o pcapng) */
	bool skip_enrich;
	const struct gh_lua_host *lua_host; /* what on_container's c is made with */
	bool live_lua;           /* the script may be swapped (--watch): always call it */
	/* a tracer: NULL, or its user-space event sources (an audit socket):
	 * started on the loop once the gadget is attached, their events go
	 * through feed(run, ...) like the ring buffer's; stopped with it */
	int (*sources_start)(void *ctx, uv_loop_t *loop, gh_run_feed_fn feed, void *run);
	void (*sources_stop)(void *ctx);
	void *sources_ctx;
	/* a top or a snapshot: the block's order and length, redrawn in
	 * place (a terminal); a snapshot's network namespaces to look in */
	const struct gh_sort_spec *sort;
	size_t max_rows;
	bool live;
	struct gh_run_containers *netns;
	/* a profile: -o as given (its formats are its own: folded) and the
	 * key fields to show */
	const char *output;
	const int *fields;
	size_t n_fields;
};

/* Run g until stopped, every output flushed before returning.  out: where
 * rows and the script's documents go (every kind has one).  0, or -errno
 * (said through base/log.h); a closed pipe is not a failure, an error in
 * the script's hooks is (-EINVAL). */
int gh_run_gadget(struct gh_gadget *g, struct gh_out *out, struct gh_filter *filter,
		  const struct gh_run_opts *opts);

/* The --ready-file: created with "ready\n" once the gadget is attached. */
int gh_run_write_ready_file(const char *path);

#endif
