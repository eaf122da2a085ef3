/* daemon_metrics.h - GET /metrics: the node's gadgets as Prometheus text.
 *
 *   gadgethost_daemon_*                   the daemon: runs, instances, dropped
 *                                         clients, its own CPU and memory
 *   gadgethost_cpu_seconds_total          per run (run="ID") or instance
 *   gadgethost_resident_memory_bytes      (gadget_instance="NAME"): its process
 *   gadgethost_program_runs_total         per eBPF program of it (program,
 *   gadgethost_program_run_seconds_total  type): the kernel's BPF statistics
 *   gadgethost_events_*_total, ...        what a run or an instance reported
 *                                         (run/run_report.h), its metrics from
 *                                         events (run/event_metrics.h)
 */
#ifndef GH_DAEMON_METRICS_H
#define GH_DAEMON_METRICS_H

#include "base/buf.h"
#include "daemon/prom_set.h"

struct gh_daemon_runs;
struct gh_instances;

/* The whole exposition (instances may be NULL). */
int gh_daemon_metrics_render(struct gh_daemon_runs *runs, struct gh_instances *is,
			     struct gh_buf *out);

#endif
