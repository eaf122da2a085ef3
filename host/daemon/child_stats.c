/* child_stats.c - what a daemon's child costs (child_stats.h). */
#include "daemon/child_stats.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/prom_text.h"
#include "daemon/proc_stats.h"

static int stats_fd = -1;
static long stats_users;

void gh_child_stats_ref(int delta)
{
	stats_users += delta;
	if (stats_users > 0 && stats_fd < 0) {
		stats_fd = gh_bpf_stats_enable();
	} else if (stats_users <= 0 && stats_fd >= 0) {
		close(stats_fd);
		stats_fd = -1;
	}
}

struct prog_sum {
	char name[16], type[32];
	uint64_t cnt, ns;
};

/* The programs, summed by name and type (a program attached twice, or a
 * restart's new ids, stay one series). */
static int program_metrics(struct gh_prom_set *p, pid_t pid, const char *labels)
{
	struct prog_sum *sums;
	uint32_t *ids = NULL;
	size_t n_ids = 0, n = 0;
	int ret = gh_proc_bpf_prog_ids(pid, &ids, &n_ids);

	if (ret)
		return ret == -ENOMEM ? ret : 0; /* gone meanwhile */
	sums = calloc(n_ids + 1, sizeof(*sums));
	if (!sums) {
		free(ids);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n_ids; i++) {
		struct gh_prog_stats st;
		size_t k;

		if (gh_prog_stats_read(ids[i], &st))
			continue;
		for (k = 0; k < n; k++)
			if (!strcmp(sums[k].name, st.name) && !strcmp(sums[k].type, st.type))
				break;
		if (k == n) {
			memcpy(sums[n].name, st.name, sizeof(st.name));
			memcpy(sums[n].type, st.type, sizeof(st.type));
			n++;
		}
		sums[k].cnt += st.run_cnt;
		sums[k].ns += st.run_time_ns;
	}
	for (size_t k = 0; k < n && !ret; k++) {
		struct gh_buf l = GH_BUF_INIT;

		ret = gh_buf_puts(&l, labels);
		ret = ret ? ret : gh_prom_label(&l, "program", sums[k].name, strlen(sums[k].name));
		ret = ret ? ret : gh_prom_label(&l, "type", sums[k].type, strlen(sums[k].type));
		ret = ret ? ret : gh_prom_set_add(p, "gadgethost_program_runs_total", "counter",
						  "Times the kernel ran the eBPF program (BPF "
						  "statistics).", "", l.p, (double)sums[k].cnt);
		ret = ret ? ret : gh_prom_set_add(p, "gadgethost_program_run_seconds_total", "counter",
						  "Time the kernel spent in the eBPF program (BPF "
						  "statistics).", "", l.p, (double)sums[k].ns / 1e9);
		gh_buf_free(&l);
	}
	free(sums);
	free(ids);
	return ret;
}

int gh_child_stats_metrics(struct gh_prom_set *p, pid_t pid, const char *labels)
{
	struct gh_proc_stats st;
	int ret = 0;

	if (gh_proc_stats_read(pid, &st))
		return 0; /* gone meanwhile */
	ret = gh_prom_set_add(p, "gadgethost_cpu_seconds_total", "counter", "CPU time of the "
			      "process (user and system).", "", labels, st.cpu_seconds);
	ret = ret ? ret : gh_prom_set_add(p, "gadgethost_resident_memory_bytes", "gauge",
					  "Resident memory of the process.", "", labels,
					  (double)st.rss_bytes);
	return ret ? ret : program_metrics(p, pid, labels);
}

bool gh_child_stats_enabled(void)
{
	return stats_fd >= 0;
}
