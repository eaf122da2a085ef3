/* pipeline.h - what every event goes through, whatever the gadget's
 * kind: a tracer's ring buffer records, the audit source's records, a
 * top's or a snapshot's rows, a histogram's keys, a stack sampler's
 * merged stacks, traceloop's records:
 *
 *   accept     the run's judge of events the kernel could not judge (the
 *              container selection); refused ones are only counted
 *   --pf       a packet's pcap filter (a gadget whose events are packets)
 *   -F         the conditions on fields of the record (filter.h stages)
 *   filter     the script's filter(ev): false drops the event
 *   enrich     the script's enrich(ev): sets the fields only it gives
 *   -F         the conditions on those fields
 *   sink       the kind's: a row printed, a table row kept, a chart
 *
 * and then the event's Lua overlay is forgotten (the sink reads it).  An
 * error in the script drops the event (lua_script.h counts and reports
 * it).  Nothing here knows eBPF: the unit tests drive it with hand-made
 * events (tests/unit/test_pipeline.c).
 */
#ifndef GH_PIPELINE_H
#define GH_PIPELINE_H

#include <stdbool.h>
#include <stdint.h>

#include "schema/field.h"
#include "schema/filter.h"

struct gh_lua;
struct gh_event_metrics;
struct gh_pcap_filter;

/* Whether to keep an event the kernel passed: seq numbers the drains (a
 * judge may keep a memo valid for one). */
typedef bool (*gh_accept_fn)(void *ctx, const struct gh_event *ev, uint64_t seq);
/* 0: the event is kept; 1: it is not (it could not be written, the
 * table is full); -errno: stop (the output failed). */
typedef int (*gh_sink_fn)(void *ctx, struct gh_event *ev);

struct gh_pipeline_counts {
	uint64_t refused;  /* by accept */
	uint64_t received; /* accepted */
	uint64_t dropped;  /* by -F, the script's filter, or an error in it */
	uint64_t kept;     /* taken by the sink */
};

struct gh_pipeline {
	const struct gh_schema *schema;
	const struct gh_filter *filter;
	bool before, after;   /* -F has conditions of that stage */
	struct gh_lua *lua;   /* NULL: no script */
	bool use_lua;         /* it has filter, enrich or format (or may get them) */
	gh_accept_fn accept;  /* NULL: keep all */
	void *accept_ctx;
	uint64_t seq;         /* the current drain, for accept */
	gh_sink_fn sink;      /* NULL: nothing to do with a kept event */
	void *sink_ctx;
	struct gh_pipeline_counts n;
	struct gh_event_metrics *metrics; /* NULL, or told of each kept event */
	struct gh_pcap_filter *pcap; /* NULL, or --pf on the schema's packet */
	bool skip_enrich;     /* nothing reads what the script's enrich sets */
};

/* filter and lua may be NULL; live: the script may be swapped (run
 * --watch), so its functions are looked for at every event. */
void gh_pipeline_init(struct gh_pipeline *p, const struct gh_schema *s,
		      const struct gh_filter *filter, struct gh_lua *lua, bool live);
void gh_pipeline_set_accept(struct gh_pipeline *p, gh_accept_fn fn, void *ctx);
void gh_pipeline_set_sink(struct gh_pipeline *p, gh_sink_fn fn, void *ctx);

/* One event through all of it: 0, or the sink's -errno. */
int gh_pipeline_event(struct gh_pipeline *p, struct gh_event *ev);
/* The judge alone, counted (a stack sampler judges its entries before
 * merging them, and the merged stacks go on with gh_pipeline_accepted). */
bool gh_pipeline_accept(struct gh_pipeline *p, const struct gh_event *ev);
/* From -F on, for an event accepted already. */
int gh_pipeline_accepted(struct gh_pipeline *p, struct gh_event *ev);

#endif
