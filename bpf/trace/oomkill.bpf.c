// SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note
/* trace/oomkill: the OOM killer's victims, and who triggered the kill.
 *
 * oom:mark_victim fires when the OOM killer has chosen its victim, in the
 * context of the task whose allocation ran out of memory: current is the
 * trigger, the tracepoint's task argument the victim.  tp_btf gives that
 * task pointer, so the victim is reported by process (tgid), not by the
 * thread the kernel happened to pick.
 */
#include <gadget/gadget.h>

struct event {
	gadget_timestamp timestamp;
	gadget_mntns_id mountnsid;
	__u32 tpid;
	__u32 ttid;
	gadget_uid uid;
	gadget_gid gid;
	char tcomm[TASK_COMM_LEN];
	__u32 kpid;
	__u32 ktid;
	gadget_uid kuid;
	char kcomm[TASK_COMM_LEN];
	__u64 pages;
};

GADGET_TRACER_MAP(events, 1 << 14);
GADGET_TRACER(oomkill, events, event);

/* before Linux 6.2 the counters were atomics in a struct mm_rss_stat */
struct mm_rss_stat___old {
	atomic_long_t count[4];
} __attribute__((preserve_access_index));

struct mm_struct___old {
	struct mm_rss_stat___old rss_stat;
} __attribute__((preserve_access_index));

/* What the victim had in memory: its resident pages (anonymous, file and
 * shared memory), the counters the kernel's own OOM report prints.  They
 * are percpu_counters; .count is the value get_mm_counter() reads. */
static __always_inline __u64 resident_pages(struct task_struct *victim)
{
	struct mm_struct *mm = victim->mm;
	__s64 n;

	if (!mm)
		return 0;
	if (bpf_core_type_exists(struct mm_rss_stat___old)) {
		struct mm_struct___old *old = (void *)mm;

		n = BPF_CORE_READ(old, rss_stat.count[MM_ANONPAGES].counter) +
		    BPF_CORE_READ(old, rss_stat.count[MM_FILEPAGES].counter) +
		    BPF_CORE_READ(old, rss_stat.count[MM_SHMEMPAGES].counter);
	} else {
		n = mm->rss_stat[MM_ANONPAGES].count + mm->rss_stat[MM_FILEPAGES].count +
		    mm->rss_stat[MM_SHMEMPAGES].count;
	}
	return n > 0 ? n : 0;
}

SEC("tp_btf/mark_victim")
int BPF_PROG(mark_victim, struct task_struct *victim, uid_t victim_uid)
{
	__u64 pid_tgid, uid_gid;
	struct event *e;

	if (gadget_should_discard())
		return 0;
	e = gadget_reserve(&events, sizeof(*e));
	if (!e)
		return 0;
	pid_tgid = bpf_get_current_pid_tgid();
	uid_gid = bpf_get_current_uid_gid();
	e->timestamp = bpf_ktime_get_boot_ns();
	e->mountnsid = gadget_get_mntns_id();
	e->tpid = pid_tgid >> 32;
	e->ttid = (__u32)pid_tgid;
	e->uid = (__u32)uid_gid;
	e->gid = uid_gid >> 32;
	bpf_get_current_comm(e->tcomm, sizeof(e->tcomm));
	e->kpid = victim->tgid;
	e->ktid = victim->pid;
	e->kuid = victim_uid;
	__builtin_memcpy(e->kcomm, victim->comm, sizeof(e->kcomm));
	e->pages = resident_pages(victim);
	gadget_submit(&events, e);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
