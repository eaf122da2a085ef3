/* run_report.h - a run's numbers for the daemon that started it
 * (`run --report-fd FD`, set by the daemon for its instances).
 *
 * Every second (when something changed) and once at the end, the run
 * writes one block of Prometheus text to FD, ended by "# EOF\n":
 *
 *   gadgethost_events_read_total          events the kernel handed over
 *   gadgethost_events_lost_total          events the kernel could not (ring full)
 *   gadgethost_program_runs_skipped_total runs of the gadget's programs the
 *                                         kernel skipped (nested in another
 *                                         eBPF program: gh_gadget_skipped_runs)
 *   gadgethost_events_refused_total{stage="containers"|"filters"}
 *                                         refused by the container selection;
 *                                         dropped by -F, the script's filter
 *                                         or an error in it
 *   gadgethost_lua_errors_total           errors raised by the script
 *   gadgethost_rows_written_total         events kept (the rows written)
 *
 * and the run's metrics from events (event_metrics.h).  The daemon keeps
 * the last block and serves it on /metrics with the instance's labels.
 * The writes are blocking: the daemon reads its children at once, and a
 * daemon that is gone makes them fail (EPIPE), which ends the reports.
 */
#ifndef GH_RUN_REPORT_H
#define GH_RUN_REPORT_H

#include <stdbool.h>
#include <stdint.h>

#include "base/buf.h"

#include "run/pipeline.h"

struct gh_event_metrics;

/* What a run counted so far. */
struct gh_run_numbers {
	struct gh_pipeline_counts n;
	uint64_t lost;       /* the kernel's lost events */
	uint64_t skipped;    /* program runs the kernel skipped */
	uint64_t lua_errors;
};

#define GH_RUN_REPORT_EOF "# EOF\n"

/* The block, appended to b, with the kind's own text (own, len bytes: a
 * histogram aggregated in the kernel): 0 or -ENOMEM. */
int gh_run_report_render(const struct gh_run_numbers *num, const struct gh_event_metrics *em,
			 const char *own, size_t len, struct gh_buf *b);
/* Write the block to fd when anything changed since the last one (force:
 * always): 0, or -errno (the fd is then left alone). */
int gh_run_report_write(const struct gh_run_numbers *num, const struct gh_event_metrics *em,
			const char *own, size_t len, int fd, uint64_t *last_sig, bool force);

#endif
