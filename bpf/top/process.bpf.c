// SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note
/* top/process: per process, its CPU time since the last look, resident
 * memory, threads and state, from a task iterator the host reads again
 * every --interval (a snapshot gadget; docs/gadgets/top/process.md says
 * why not a map fed by scheduler tracepoints).
 *
 * The iterator visits every task; a row is written for each thread group
 * leader.  CPU time is what /proc/PID/stat's utime+stime add up to: the
 * group's dead threads' (signal->sum_sched_runtime) and each live
 * thread's se.sum_exec_runtime, walked on signal->thread_head.  `looks`
 * keeps each process's total and when it was taken, so a row carries the
 * CPU time since the last look and how long that was (a process not seen
 * before: since it started).  RSS is /proc/PID/statm's resident: file,
 * anon and shmem pages, from the shared part of the kernel's counters
 * (gadget/memory.h: what /proc read until 6.16; since then it adds the
 * per-CPU parts, which a BPF program cannot find where kallsyms lists no
 * data symbols: the doc says by how much they can differ).
 */
#include <gadget/gadget.h>
#include <gadget/memory.h>

#define PAGE_SHIFT 12 /* x86 */
#define MAX_THREADS 65536

/* include/linux/sched.h: the task states /proc reports */
#define TASK_UNINTERRUPTIBLE 0x0002
#define TASK_REPORT 0x007f
#define TASK_REPORT_IDLE 0x0080
#define TASK_NOLOAD 0x0400
#define TASK_IDLE (TASK_UNINTERRUPTIBLE | TASK_NOLOAD)
#define TASK_RTLOCK_WAIT 0x1000
#define TASK_FROZEN 0x8000

struct process_entry {
	gadget_mntns_id mountnsid;
	__u32 pid;
	__u32 ppid;
	gadget_uid uid;
	char comm[TASK_COMM_LEN];
	char state[2];     /* R S D T t X Z P I, as /proc/PID/stat */
	__u32 threads;
	__u64 rss;         /* bytes */
	__u64 vsz;         /* bytes */
	__u64 cpuTime;     /* ns of CPU since the process started */
	__u64 cpuDelta;    /* ns of CPU since the last look */
	__u64 period;      /* ns since the last look (or the start) */
};

struct look {
	__u64 start_time;  /* tells a reused pid from the process seen before */
	__u64 cpu_time;
	__u64 when;
};

GADGET_SNAPSHOTTER(process, process_entry, top_processes);

/* pid -> the last look at it; LRU: a process that is gone ages out */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, __u32);
	__type(value, struct look);
} looks SEC(".maps");

struct thread_walk {
	struct list_head *head;
	struct list_head *pos;
	__u64 sum;
};

static long add_thread(__u32 i, void *ctx)
{
	struct thread_walk *w = ctx;
	struct list_head *pos = w->pos;
	struct list_head *next = BPF_CORE_READ(pos, next);
	struct task_struct *t;

	if (!next || next == w->head)
		return 1;
	t = (void *)next - bpf_core_field_offset(struct task_struct, thread_node);
	w->sum += BPF_CORE_READ(t, se.sum_exec_runtime);
	w->pos = next;
	return 0;
}

static __always_inline unsigned int stats_seq(struct signal_struct *sig)
{
	return BPF_CORE_READ(sig, stats_lock.seqcount.seqcount.sequence);
}

/* One walk: the dead threads' time and each live thread's; true when
 * signal->stats_lock's sequence says no thread exited meanwhile. */
static __always_inline bool walk_threads(struct signal_struct *sig, struct thread_walk *w)
{
	unsigned int seq = stats_seq(sig);
	__u32 n = BPF_CORE_READ(sig, nr_threads) + 1;

	w->head = &sig->thread_head;
	w->pos = w->head;
	w->sum = BPF_CORE_READ(sig, sum_sched_runtime);
	bpf_loop(n < MAX_THREADS ? n : MAX_THREADS, add_thread, w, 0);
	return !(seq & 1) && stats_seq(sig) == seq;
}

/* The group's CPU time, as thread_group_cputime() sums it, under the same
 * seqlock: a thread that exits adds its time to sum_sched_runtime and
 * leaves thread_head as one write, which a reader must not see half done
 * (counted twice, or not at all).  Four tries, written out: 6.1's
 * verifier refuses a loop back to a bpf_loop() call. */
static __always_inline __u64 group_cpu_time(struct task_struct *leader)
{
	struct signal_struct *sig = BPF_CORE_READ(leader, signal);
	struct thread_walk w = {};

	if (!walk_threads(sig, &w) && !walk_threads(sig, &w) && !walk_threads(sig, &w))
		walk_threads(sig, &w);
	return w.sum;
}

/* /proc's letter for the task's state (__task_state_index()) */
static __always_inline char state_letter(struct task_struct *t)
{
	unsigned int s = BPF_CORE_READ(t, __state);
	unsigned int st = (s | BPF_CORE_READ(t, exit_state)) & TASK_REPORT;
	int i = 0;

	if ((s & TASK_IDLE) == TASK_IDLE)
		st = TASK_REPORT_IDLE;
	if ((s & TASK_RTLOCK_WAIT) || (s & TASK_FROZEN))
		st = TASK_UNINTERRUPTIBLE;
	while (st && i < 9) { /* fls() */
		st >>= 1;
		i++;
	}
	return "RSDTtXZPI"[i < 9 ? i : 0];
}

SEC("iter/task")
int top_processes(struct bpf_iter__task *ctx)
{
	struct task_struct *task = ctx->task;
	struct process_entry e = {};
	struct look *prev, now = {};
	struct mm_struct *mm;

	if (!task || BPF_CORE_READ(task, pid) != BPF_CORE_READ(task, tgid))
		return 0;
	if (gadget_task_should_discard(task))
		return 0;
	e.pid = BPF_CORE_READ(task, tgid);
	/* 0 for a zombie: an exited task has no namespaces any more */
	e.mountnsid = BPF_CORE_READ(task, nsproxy, mnt_ns, ns.inum);
	e.ppid = BPF_CORE_READ(task, real_parent, tgid);
	e.uid = BPF_CORE_READ(task, cred, uid.val);
	BPF_CORE_READ_STR_INTO(&e.comm, task, comm);
	e.state[0] = state_letter(task);
	e.threads = BPF_CORE_READ(task, signal, nr_threads);
	mm = BPF_CORE_READ(task, mm);
	if (mm) {
		e.rss = gadget_mm_rss_pages(mm) << PAGE_SHIFT;
		e.vsz = BPF_CORE_READ(mm, total_vm) << PAGE_SHIFT;
	}

	now.start_time = BPF_CORE_READ(task, start_time);
	now.cpu_time = group_cpu_time(task);
	now.when = bpf_ktime_get_ns();
	e.cpuTime = now.cpu_time;
	prev = bpf_map_lookup_elem(&looks, &e.pid);
	if (prev && prev->start_time == now.start_time) {
		/* never below the last look (a read the seqlock could not settle) */
		e.cpuDelta = now.cpu_time > prev->cpu_time ? now.cpu_time - prev->cpu_time : 0;
		e.period = now.when - prev->when;
	} else {
		e.cpuDelta = now.cpu_time;
		e.period = now.when - now.start_time;
	}
	bpf_map_update_elem(&looks, &e.pid, &now, BPF_ANY);
	bpf_seq_write(ctx->meta->seq, &e, sizeof(e));
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
