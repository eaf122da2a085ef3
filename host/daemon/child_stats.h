/* child_stats.h - what a child of the daemon (a run, an instance) costs,
 * as Prometheus samples: its CPU time and resident memory, and for each
 * eBPF program it holds, the kernel's run count and run time.
 *
 * The kernel counts programs' run time only while someone holds a
 * BPF_ENABLE_STATS descriptor (it costs two clock reads per program run,
 * on every program of the node): the daemon holds one while it has
 * children, counted with gh_child_stats_ref().
 */
#ifndef GH_CHILD_STATS_H
#define GH_CHILD_STATS_H

#include <stdbool.h>
#include <sys/types.h>

#include "daemon/prom_set.h"

/* pid's process and programs, each sample's labels after labels
 * ("run=\"3\""); a process gone meanwhile adds nothing.  0 or -ENOMEM. */
int gh_child_stats_metrics(struct gh_prom_set *p, pid_t pid, const char *labels);
/* A child starts (+1) or is gone (-1). */
void gh_child_stats_ref(int delta);
/* Whether the kernel counts run time now (off with no child, or when
 * BPF_ENABLE_STATS failed). */
bool gh_child_stats_enabled(void);

#endif
