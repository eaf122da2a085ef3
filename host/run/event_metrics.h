/* event_metrics.h - Prometheus metrics made from a run's kept events,
 * without writing a gadget: `run --metric SPEC` (repeatable), an
 * instance request's "metrics", a gadget .lua's `metrics` list.
 *
 *   NAME=counter [by F,G,...]       events, per distinct values of F, G
 *   NAME=gauge(F) [by ...]          the last value of numeric field F
 *   NAME=histogram(F) [by ...]      numeric F in log2 buckets (le 1, 2, 4,
 *                                   ... up to the largest value seen)
 *
 * NAME is [a-zA-Z_][a-zA-Z0-9_]*, exported as gadgethost_event_NAME (a
 * counter with _total); each F of `by` is a label named after the field
 * (runtime.containerName -> runtime_containerName) whose value is the
 * field's text as a column shows it.  Fields are checked against the
 * gadget's schema when the run starts: an unknown one, or a gauge or
 * histogram of a field that is not a number, is an error naming it.
 *
 * A metric keeps at most max_series label sets (its cardinality limit):
 * an event that would make one more is counted in
 * gadgethost_event_series_dropped_total{metric="NAME"} and nowhere else,
 * so a flood of distinct values never eats the node's memory.
 */
#ifndef GH_EVENT_METRICS_H
#define GH_EVENT_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "schema/field.h"

#define GH_EVENT_METRICS_MAX_SERIES 1000

struct gh_event_metrics;

/* Check specs (n of them; the first n_script the gadget's, from its
 * script's `metrics`) against schema s: 0, or -EINVAL/-ENOMEM with err
 * naming the spec (--metric, or the script) and what is wrong.
 * max_series 0: the default. */
int gh_event_metrics_new(struct gh_event_metrics **out, const struct gh_schema *s,
			 const char *const *specs, size_t n, const char *script, size_t n_script,
			 uint32_t max_series, char *err, size_t errlen);
void gh_event_metrics_free(struct gh_event_metrics *m);
/* One kept event. */
void gh_event_metrics_observe(struct gh_event_metrics *m, const struct gh_event *ev);
/* The exposition of every metric, appended to b: 0 or -ENOMEM. */
int gh_event_metrics_render(const struct gh_event_metrics *m, struct gh_buf *b);

#endif
