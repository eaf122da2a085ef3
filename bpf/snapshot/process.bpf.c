// SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note
/* snapshot/process: every process (or thread, --threads) at one moment,
 * from a task iterator: one record per task, written with bpf_seq_write.
 */
#include <gadget/gadget.h>
#include <gadget/process.h>

struct process_entry {
	GADGET_TASK_FIELDS; /* mountnsid pid tid ppid uid gid comm */
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
	if (!threads && BPF_CORE_READ(task, tgid) != BPF_CORE_READ(task, pid))
		return 0;
	/* a task exiting right now may have no namespaces any more */
	if (!BPF_CORE_READ(task, nsproxy))
		return 0;
	if (gadget_task_should_discard(task))
		return 0;
	gadget_task_fill(&e, task);
	bpf_seq_write(seq, &e, sizeof(e));
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
