/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR Apache-2.0 */
/* gadget/memory.h - a process's resident memory, as the kernel counts it.
 *
 *   __u64 pages = gadget_mm_rss_pages(mm);     file + anon + shmem pages
 *   __u64 anon = gadget_mm_counter(mm, MM_ANONPAGES);
 *
 * The counters get_mm_counter() reads (/proc/PID/statm until Linux 6.16,
 * the kernel's OOM report): percpu_counters since 6.2, of which this is
 * the shared count (each CPU keeps a part below its batch, max(32, 2 *
 * CPUs) pages, that /proc adds since 6.16), atomics before, read through
 * a CO-RE flavour of the old layout.  Each counter is 0 when negative, as
 * get_mm_counter() makes it.
 */
#ifndef GADGET_MEMORY_H
#define GADGET_MEMORY_H

#include <vmlinux.h>
#include <bpf/bpf_core_read.h>

/* before Linux 6.2 the counters were atomics in a struct mm_rss_stat */
struct mm_rss_stat___old {
	atomic_long_t count[4];
} __attribute__((preserve_access_index));

struct mm_struct___old {
	struct mm_rss_stat___old rss_stat;
} __attribute__((preserve_access_index));

/* one counter (MM_FILEPAGES, MM_ANONPAGES, MM_SWAPENTS, MM_SHMEMPAGES) */
static __always_inline __u64 gadget_mm_counter(struct mm_struct *mm, int member)
{
	__s64 n;

	if (bpf_core_type_exists(struct mm_rss_stat___old)) {
		struct mm_struct___old *old = (void *)mm;

		n = BPF_CORE_READ(old, rss_stat.count[member].counter);
	} else {
		n = BPF_CORE_READ(mm, rss_stat[member].count);
	}
	return n > 0 ? n : 0;
}

/* resident pages: /proc/PID/statm's resident, the OOM report's rss */
static __always_inline __u64 gadget_mm_rss_pages(struct mm_struct *mm)
{
	return gadget_mm_counter(mm, MM_FILEPAGES) + gadget_mm_counter(mm, MM_ANONPAGES) +
	       gadget_mm_counter(mm, MM_SHMEMPAGES);
}

#endif
