/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR Apache-2.0 */
/* gadget/filter.h - the kernel-side filters every gadget gets for free.
 *
 * Call gadget_should_discard() first thing in a program: the host sets
 * these globals from --pid, --tid, --uid, --gid and --comm (and, for
 * containers, fills gadget_mntns_filter_map), so unwanted events are
 * dropped before they cost anything.  Unset filters are constants the
 * verifier prunes away.
 */
#ifndef GADGET_FILTER_H
#define GADGET_FILTER_H

#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>

#define GADGET_MAX_TRACED_MNTNS 1024

const volatile __u32 gadget_filter_pid = 0;
const volatile __u32 gadget_filter_tid = 0;
const volatile bool gadget_filter_uid_on = false;
const volatile __u32 gadget_filter_uid = 0;
const volatile bool gadget_filter_gid_on = false;
const volatile __u32 gadget_filter_gid = 0;
const volatile bool gadget_filter_comm_on = false;
const volatile char gadget_filter_comm[16] = {};
/* the tracer's own process (its opens, sockets, execs): left out unless
 * --trace-self */
const volatile __u32 gadget_filter_self_pid = 0;
const volatile bool gadget_filter_by_mntns = false;
/* a mount namespace the map does not know: pass it, for the host to judge
 * (a container that started a moment ago), or drop it (--mntnsid) */
const volatile bool gadget_filter_mntns_judge_unknown = false;

/* Mount namespace ids, kept up to date by the host: 1 = trace, 0 = known
 * and not traced (the host's, containers not selected); a missing id is
 * judged as gadget_filter_mntns_judge_unknown says. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, GADGET_MAX_TRACED_MNTNS);
	__type(key, __u64);
	__type(value, __u32);
} gadget_mntns_filter_map SEC(".maps");

/* The current task's mount namespace id, through the task's BTF pointer:
 * three plain loads where BPF_CORE_READ() would make three helper calls. */
static __always_inline __u64 gadget_get_mntns_id(void)
{
	struct task_struct *task = bpf_get_current_task_btf();

	return task->nsproxy->mnt_ns->ns.inum;
}

/* comm is not --comm's */
static __always_inline bool gadget_comm_differs_from(const char *comm)
{
	for (int i = 0; i < 16; i++) {
		if (comm[i] != gadget_filter_comm[i])
			return true;
		if (!comm[i])
			break;
	}
	return false;
}

static __always_inline bool gadget_comm_differs(void)
{
	char comm[16];

	bpf_get_current_comm(comm, sizeof(comm));
	return gadget_comm_differs_from(comm);
}

/* Whether the mount namespace filter drops mntns_id (gadget_filter_by_mntns
 * on): 1 in the map traces, 0 drops, no entry is for the host to judge or
 * dropped, as gadget_filter_mntns_judge_unknown says. */
static __always_inline bool gadget_mntns_discard(__u64 mntns_id)
{
	__u32 *trace = bpf_map_lookup_elem(&gadget_mntns_filter_map, &mntns_id);

	if (!trace)
		return !gadget_filter_mntns_judge_unknown;
	return !*trace;
}

/* gadget_should_discard() but --comm: for a gadget whose event's comm is
 * not the current one yet (exec: the new program's name, known only when
 * the call returns), which checks gadget_comm_differs() then. --comm
 * always means the comm of the event, the row's COMM. */
static __always_inline bool gadget_should_discard_but_comm(void)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u64 uid_gid = bpf_get_current_uid_gid();

	if (gadget_filter_pid && (__u32)(pid_tgid >> 32) != gadget_filter_pid)
		return true;
	if (gadget_filter_self_pid && (__u32)(pid_tgid >> 32) == gadget_filter_self_pid)
		return true;
	if (gadget_filter_tid && (__u32)pid_tgid != gadget_filter_tid)
		return true;
	if (gadget_filter_uid_on && (__u32)uid_gid != gadget_filter_uid)
		return true;
	if (gadget_filter_gid_on && (__u32)(uid_gid >> 32) != gadget_filter_gid)
		return true;
	if (gadget_filter_by_mntns && gadget_mntns_discard(gadget_get_mntns_id()))
		return true;
	return false;
}

static __always_inline bool gadget_should_discard(void)
{
	if (gadget_filter_comm_on && gadget_comm_differs())
		return true;
	return gadget_should_discard_but_comm();
}

/* gadget_should_discard() for another task than the current one: what a
 * BPF iterator visits (SEC("iter/task")), where the current task is the
 * reader of the iterator. */
static __always_inline bool gadget_task_should_discard(struct task_struct *task)
{
	char comm[16];

	if (gadget_filter_pid && (__u32)BPF_CORE_READ(task, tgid) != gadget_filter_pid)
		return true;
	if (gadget_filter_tid && (__u32)BPF_CORE_READ(task, pid) != gadget_filter_tid)
		return true;
	if (gadget_filter_uid_on && BPF_CORE_READ(task, cred, uid.val) != gadget_filter_uid)
		return true;
	if (gadget_filter_gid_on && BPF_CORE_READ(task, cred, gid.val) != gadget_filter_gid)
		return true;
	if (gadget_filter_comm_on) {
		BPF_CORE_READ_STR_INTO(&comm, task, comm);
		if (gadget_comm_differs_from(comm))
			return true;
	}
	if (gadget_filter_by_mntns &&
	    gadget_mntns_discard(BPF_CORE_READ(task, nsproxy, mnt_ns, ns.inum)))
		return true;
	return false;
}

#endif
