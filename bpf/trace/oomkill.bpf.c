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
#include <gadget/memory.h>
#include <gadget/process.h>

/* The trigger's members keep their first names (tpid, ttid, uid, gid,
 * tcomm: the JSON field names users know), which no macro of
 * gadget/process.h spells; the victim is GADGET_TASK_FIELDS_PREFIXED(k). */
struct event {
	gadget_timestamp timestamp;
	gadget_mntns_id mountnsid;
	__u32 tpid;
	__u32 ttid;
	gadget_uid uid;
	gadget_gid gid;
	char tcomm[TASK_COMM_LEN];
	GADGET_TASK_FIELDS_PREFIXED(k); /* the victim: kpid ktid kppid kuid kgid kcomm */
	__u64 pages;
};

GADGET_TRACER_MAP(events, 1 << 14);
GADGET_TRACER(oomkill, events, event);

/* What the victim had in memory: its resident pages (anonymous, file and
 * shared memory), the counters the kernel's own OOM report prints. */
static __always_inline __u64 resident_pages(struct task_struct *victim)
{
	struct mm_struct *mm = victim->mm;

	return mm ? gadget_mm_rss_pages(mm) : 0;
}

SEC("tp_btf/mark_victim")
int BPF_PROG(mark_victim, struct task_struct *victim)
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
	gadget_task_fill_prefixed(e, k, victim);
	e->pages = resident_pages(victim);
	gadget_submit(&events, e);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
