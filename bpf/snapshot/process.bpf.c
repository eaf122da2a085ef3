// SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note
/* snapshot/process: every process (or thread, --threads) at one moment,
 * from a task iterator: one record per task, written with bpf_seq_write.
 */
#include <gadget/gadget.h>

struct process_entry {
	gadget_mntns_id mountnsid;
	__u32 pid;
	__u32 tid;
	__u32 ppid;
	gadget_uid uid;
	gadget_gid gid;
	char comm[TASK_COMM_LEN];
};

GADGET_SNAPSHOTTER(process, process_entry, snap_tasks);
GADGET_PARAM(bool, threads, false);

SEC("iter/task")
int snap_tasks(struct bpf_iter__task *ctx)
{
	struct seq_file *seq = ctx->meta->seq;
	struct task_struct *task = ctx->task;
	struct process_entry e = {};

	if (!task)
		return 0;
	e.pid = BPF_CORE_READ(task, tgid);
	e.tid = BPF_CORE_READ(task, pid);
	if (!threads && e.pid != e.tid)
		return 0;
	/* a task exiting right now may have no namespaces any more */
	if (!BPF_CORE_READ(task, nsproxy))
		return 0;
	if (gadget_task_should_discard(task))
		return 0;
	e.mountnsid = BPF_CORE_READ(task, nsproxy, mnt_ns, ns.inum);
	e.ppid = BPF_CORE_READ(task, real_parent, tgid);
	e.uid = BPF_CORE_READ(task, cred, uid.val);
	e.gid = BPF_CORE_READ(task, cred, gid.val);
	BPF_CORE_READ_STR_INTO(&e.comm, task, comm);
	bpf_seq_write(seq, &e, sizeof(e));
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
