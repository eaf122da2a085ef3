// SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note
/* profile/offcpu: where threads wait, as time off the CPU by stack.
 *
 * At every context switch (the sched_switch BTF tracepoint, in the task
 * that leaves the CPU) the leaving thread's kernel and user stacks are
 * taken and the time remembered; when the thread runs again the time it
 * spent off the CPU, if within --min and --max, is added to its stacks'
 * total in microseconds (BCC's offcputime).  The host symbolizes the
 * stacks at the end (GADGET_STACKS_SUM: the values are sums, not sample
 * counts).  A thread that never comes back before the end is not
 * counted.  Every switch counts, a preempted thread's as much as one that
 * sleeps or waits for I/O (the kernel stack tells them apart).
 */
#include <gadget/gadget.h>
#include <gadget/stacks.h>

struct offcpu_key {
	gadget_mntns_id mountnsid;
	__u32 pid;
	__u32 tid;
	char comm[TASK_COMM_LEN];
	gadget_user_stack userStackId;
	gadget_kernel_stack kernelStackId;
};

/* a thread off the CPU: its stacks when it left, since when, and how
 * long it had run by then */
struct off {
	struct offcpu_key key;
	__u64 since;
	__u64 ran;
};

GADGET_PARAM(bool, user_only, false);
GADGET_PARAM(bool, kernel_only, false);
GADGET_PARAM(__u64, min_block_ns, 1000);
GADGET_PARAM(__u64, max_block_ns, 0); /* 0: no limit */

GADGET_STACK_MAP(stacks, 16384);

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, struct offcpu_key);
	__type(value, __u64);
} times SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 32768);
	__type(key, __u32);
	__type(value, struct off);
} offs SEC(".maps");

GADGET_STACKS_SUM(offcpu, times, stacks, usecs);

static __always_inline void count(struct off *o, __u64 off_ns)
{
	if (off_ns >= min_block_ns && (!max_block_ns || off_ns <= max_block_ns))
		gadget_stacks_add(&times, &o->key, off_ns / 1000);
}

SEC("tp_btf/sched_switch")
int BPF_PROG(on_switch, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	__u64 now = bpf_ktime_get_ns();
	__u32 tid = prev->pid;
	struct off *o, leaving = {};

	/* prev is the current task: the filters and the stacks are its */
	if (tid && !gadget_should_discard()) {
		__u64 ran = prev->se.sum_exec_runtime;

		/* still off since the last switch-out: its switch-in was not
		 * seen (the kernel does not report every one, 6.18 at least);
		 * the wall time since, less what it ran, was off the CPU */
		o = bpf_map_lookup_elem(&offs, &tid);
		if (o && now - o->since >= ran - o->ran)
			count(o, now - o->since - (ran - o->ran));
		leaving.key.mountnsid = gadget_get_mntns_id();
		leaving.key.pid = prev->tgid;
		leaving.key.tid = tid;
		bpf_probe_read_kernel_str(leaving.key.comm, sizeof(leaving.key.comm), prev->comm);
		leaving.key.userStackId = kernel_only ? -1 :
					  bpf_get_stackid(ctx, &stacks, BPF_F_USER_STACK);
		leaving.key.kernelStackId = user_only ? -1 : bpf_get_stackid(ctx, &stacks, 0);
		leaving.since = now;
		leaving.ran = ran;
		bpf_map_update_elem(&offs, &tid, &leaving, BPF_ANY);
	}
	tid = next->pid;
	o = bpf_map_lookup_elem(&offs, &tid);
	if (!o)
		return 0;
	count(o, now - o->since);
	bpf_map_delete_elem(&offs, &tid);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
