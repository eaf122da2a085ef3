/* run_loop.h - the one loop of every kind of gadget run (run.h), and the
 * steps a kind gives it.
 *
 *   start     the kind's start: what the load did not attach (perf
 *             events), its ring buffer's poll, a snapshot's first look
 *   ready     the --ready-file
 *   then, until --timeout, SIGINT, SIGTERM, the output failing, or the
 *   kind asking (a snapshot without --interval):
 *     every interval      drain, tick (a top's table, a profile's charts),
 *                         the script's on_interval, a flush
 *     containers change   drain first (the last events of a container
 *                         that stops still carry its name)
 *     a container came or went   the script's on_container
 *   stop      detach (the gadget's programs, the kind's own) -> drain ->
 *             finish (the last table, the charts) -> on_stop -> flush
 *   and the handles are closed, the kind freed.
 *
 * The kinds' files (tracer_run.c, table_run.c, profile_run.c) see struct
 * gh_run; so does a kind of a layer above (traceloop's recorder), run
 * with gh_run_with_kind().
 */
#ifndef GH_RUN_LOOP_H
#define GH_RUN_LOOP_H

#include <stdbool.h>
#include <stdint.h>

#include <uv.h>

#include "run/pipeline.h"
#include "run/run_lib_uprobes.h"
#include "run/run.h"

struct gh_run;

struct gh_run_kind {
	const char *name;
	const char *items;          /* "events", "rows": in the reports */
	uint64_t default_interval_ms; /* without --interval: the tick's period */
	/* make the kind's state (*k) for run: 0 or -errno */
	int (*open)(struct gh_run *run, void **k);
	/* attach and start: 0 or -errno (said through base/log.h) */
	int (*start)(void *k);
	/* take what the kernel sent so far through the pipeline: how many,
	 * or -errno; NULL: the kind reads at its ticks only */
	int (*drain)(void *k);
	int (*tick)(void *k);       /* NULL: nothing per interval */
	int (*finish)(void *k);     /* NULL: nothing at the end */
	void (*detach)(void *k);    /* NULL: no handles or links of its own */
	/* close its handles (the loop runs once more), report, free */
	void (*close)(void *k);
	/* NULL, or what it aggregates itself (a histogram in the kernel) as
	 * Prometheus text for --report-fd (run_report.h): 0 or -errno */
	int (*report)(void *k, struct gh_buf *b);
};

extern const struct gh_run_kind gh_tracer_kind;   /* tracer_run.c */
extern const struct gh_run_kind gh_top_kind;      /* table_run.c */
extern const struct gh_run_kind gh_snapshot_kind;
extern const struct gh_run_kind gh_profile_kind;  /* profile_run.c */

struct gh_run {
	struct gh_gadget *g;
	struct gh_out *out;    /* NULL: the kind prints nothing */
	const struct gh_run_opts *opts;
	struct gh_pipeline pipeline;
	const struct gh_run_kind *kind;
	void *arg;             /* gh_run_with_kind()'s, for the kind's open */
	void *k;
	uv_loop_t *loop;
	uint64_t interval_ms;  /* the tick's period; 0: none */
	bool documents_only;   /* the script prints documents, no rows */
	bool draining;         /* in the kind's drain: do not enter it again */
	bool started;          /* the kind's start went well */
	bool stopping;
	bool in_loop;          /* in uv_run: a stop ends it */
	bool stop_asked;       /* the kind is done before the loop (a snapshot) */
	int out_error;         /* writing failed: the run stops */
	int error;             /* the kind failed */
	uint64_t ticks;
	uint64_t hook_errors;  /* on_interval, on_container, on_stop raised */
	struct gh_event_metrics *metrics; /* --metric and the gadget's; NULL: none */
	uint64_t report_sig;   /* run_report.h: what the last report said */
	uv_timer_t timeout, interval, report;
	uv_signal_t sigint, sigterm;
	struct gh_run_lib_uprobes lib_uprobes; /* the gadget's, following processes */
};

/* Run g as kind (a kind of the caller's; arg for its open); out may be
 * NULL.  As gh_run_gadget(). */
int gh_run_with_kind(struct gh_gadget *g, struct gh_out *out, struct gh_filter *filter,
		     const struct gh_run_opts *opts, const struct gh_run_kind *kind, void *arg);

/* For the kinds: */
/* Stop the run (from a callback; before the loop: once start is done). */
void gh_run_stop(struct gh_run *run);
/* A failure: kept (the first), and the run stops. */
void gh_run_fail(struct gh_run *run, int err);
/* Write what the output holds; a failure stops the run.  0 or -errno. */
int gh_run_flush(struct gh_run *run);
/* uv_close()'s callback for handles inside a struct freed later. */
void gh_run_handle_closed(uv_handle_t *h);
/* The kind's drain, unless one is going on (a container found mid-drain
 * asks for one): how many it took, or -errno. */
int gh_run_drain(struct gh_run *run);

#endif
