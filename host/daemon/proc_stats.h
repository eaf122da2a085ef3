/* proc_stats.h - what a process costs, from /proc and the kernel's BPF
 * statistics: its CPU time and resident memory, and for each eBPF
 * program it holds a descriptor of, the kernel's run count and run time
 * (counted only while BPF_ENABLE_STATS is on: gh_bpf_stats_enable()). */
#ifndef GH_PROC_STATS_H
#define GH_PROC_STATS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct gh_proc_stats {
	double cpu_seconds;    /* user + system, /proc/PID/stat */
	uint64_t rss_bytes;    /* /proc/PID/statm */
};

struct gh_prog_stats {
	uint32_t id;
	char name[16];         /* as the kernel keeps it (15 characters) */
	char type[32];         /* "tracepoint", "raw_tracepoint", ... */
	uint64_t run_cnt, run_time_ns;
};

/* 0, or -errno (-ENOENT: no such process). */
int gh_proc_stats_read(pid_t pid, struct gh_proc_stats *s);
/* The ids of the eBPF programs pid holds (a program's own descriptor or
 * a link's), sorted, without repeats: malloc'd into *ids.  0 or -errno. */
int gh_proc_bpf_prog_ids(pid_t pid, uint32_t **ids, size_t *n);
/* The kernel's numbers of program id now: 0, or -errno (-ENOENT: gone). */
int gh_prog_stats_read(uint32_t id, struct gh_prog_stats *s);
/* Turn the kernel's run time statistics on while the returned descriptor
 * is open (BPF_ENABLE_STATS; they cost a clock read per program run):
 * >= 0, or -errno. */
int gh_bpf_stats_enable(void);

#endif
