/* daemon_metrics.c - GET /metrics (daemon_metrics.h). */
#include "daemon/daemon_metrics.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/prom_text.h"
#include "daemon/daemon_runs.h"
#include "daemon/instances.h"
#include "daemon/child_stats.h"

static int daemon_metrics(struct gh_prom_set *p, struct gh_daemon_runs *runs,
			  struct gh_instances *is)
{
	int ret;

	ret = gh_prom_set_add(p, "gadgethost_daemon_runs", "gauge", "Runs going on (clients' "
			      "streams).", "", "", (double)gh_daemon_runs_active(runs));
	ret = ret ? ret : gh_prom_set_add(p, "gadgethost_daemon_instances", "gauge", "Instances "
					  "the daemon keeps.", "", "",
					  is ? (double)gh_instances_count(is) : 0);
	ret = ret ? ret : gh_prom_set_add(p, "gadgethost_daemon_dropped_clients_total", "counter",
					  "Clients dropped for leaving too much output unread.", "",
					  "", (double)gh_daemon_runs_dropped(runs));
	ret = ret ? ret : gh_prom_set_add(p, "gadgethost_daemon_bpf_stats_enabled", "gauge",
					  "1 while the kernel counts the programs' run time.", "",
					  "", gh_child_stats_enabled());
	return ret ? ret : gh_child_stats_metrics(p, getpid(), "daemon=\"1\"");
}

int gh_daemon_metrics_render(struct gh_daemon_runs *runs, struct gh_instances *is,
			     struct gh_buf *out)
{
	struct gh_prom_set *p;
	int ret = gh_prom_set_new(&p);

	ret = ret ? ret : daemon_metrics(p, runs, is);
	ret = ret ? ret : gh_daemon_runs_metrics(runs, p);
	if (!ret && is)
		ret = gh_instances_metrics(is, p);
	ret = ret ? ret : gh_prom_set_render(p, out);
	gh_prom_set_free(p);
	return ret;
}
