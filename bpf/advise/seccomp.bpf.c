// SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note
/* advise/seccomp: the system calls each container makes, recorded in the
 * kernel as one bitmap per mount namespace (ig's advise seccomp-profile).
 *
 * raw_tracepoint/sys_enter sees every system call of every task; after
 * the SDK's filters (the selected containers, and mount namespaces not
 * known yet: a container that just started, so that its whole life is
 * recorded from runc's first syscall in the new namespace), the call's
 * bit is set in syscalls[mntns].  A bit already set costs one lookup and
 * one load; the first time a container makes a system call, one event
 * says so (at most one per syscall and container, never one per call).
 * The host reads the bitmaps from Lua (gadget.map) when it prints the
 * profiles.
 *
 * With workload_only, only the workload's calls are recorded: those of a
 * process that exec'd a program in the namespace (the entrypoint, a
 * `runc exec`'d command) and of its children.  workload_tasks holds those
 * processes (by tgid): set at a successful execve/execveat, inherited at
 * fork, cleared at exit.  Before its exec, the process is the runtime's
 * (runc init), and its calls go to a record of its own in runtime_tails:
 * those of its main thread since that thread last set the container up
 * (mount, pivot_root, sethostname, keyctl, unshare...: setup_call()), and
 * every call of its other threads (a Go runtime's: futex, nanosleep...,
 * which come at any time).  What is there at the exec is what the runtime
 * may do once it has loaded the profile (runc loads it before it drops
 * privileges, or just before the exec), so it joins the workload's calls,
 * and so does the exec.
 *
 * A number beyond the bitmap (512 and up: an x32 call, a kernel newer
 * than any today) is not dropped silently: the last one is kept in
 * beyond, for the profile's list of calls it could not name.
 */
#include <gadget/gadget.h>

#define SYSCALL_WORDS 8 /* 512 system call numbers: x86_64 has ~470 */
#define SYSCALLS_MAX (SYSCALL_WORDS * 64)
#define NR_EXECVE 59
#define NR_EXECVEAT 322

GADGET_PARAM(bool, workload_only, false);

struct syscall_bitmap {
	__u64 bits[SYSCALL_WORDS]; /* bit n % 64 of bits[n / 64]: syscall n made */
	__u64 beyond;              /* the last number >= 512 made, or 0 */
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	/* containers, and mount namespaces of no container (private ones of
	 * host services) that pass as unknown: 8192 * 80 bytes */
	__uint(max_entries, 8192);
	__type(key, __u64); /* mount namespace id */
	__type(value, struct syscall_bitmap);
} syscalls SEC(".maps");

/* workload_only: the processes (tgid) of the containers' workloads */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, __u32);
	__type(value, __u8);
} workload_tasks SEC(".maps");

/* workload_only: the calls of a process before its exec (tgid -> tail) */
struct runtime_tail {
	__u64 bits[SYSCALL_WORDS];       /* its main thread's, since its last set-up call */
	__u64 background[SYSCALL_WORDS]; /* its other threads' */
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, struct runtime_tail);
} runtime_tails SEC(".maps");

/* a container made a system call for the first time */
struct event {
	gadget_mntns_id mountnsid;
	gadget_syscall syscall;
};

GADGET_TRACER_MAP(events, 1 << 16);
GADGET_TRACER(seccomp, events, event);

static const struct syscall_bitmap empty;
static const struct runtime_tail empty_tail;

/* the bitmap of the current task's namespace, made if need be; NULL when
 * the map is full */
static __always_inline struct syscall_bitmap *bitmap_of(__u64 mntns)
{
	struct syscall_bitmap *bm = bpf_map_lookup_elem(&syscalls, &mntns);

	if (bm)
		return bm;
	bpf_map_update_elem(&syscalls, &mntns, &empty, BPF_NOEXIST);
	return bpf_map_lookup_elem(&syscalls, &mntns);
}

/* set nr's bit; the first time, one event */
static __always_inline void record(struct syscall_bitmap *bm, __u64 mntns, __u64 nr)
{
	__u64 *word = &bm->bits[(nr / 64) & (SYSCALL_WORDS - 1)];
	__u64 mask = 1ULL << (nr % 64);
	struct event *e;

	if (*word & mask)
		return;
	if (__sync_fetch_and_or(word, mask) & mask)
		return; /* another CPU was first */
	e = gadget_reserve(&events, sizeof(*e));
	if (!e)
		return;
	e->mountnsid = mntns;
	e->syscall = (__u32)nr;
	gadget_submit(&events, e);
}

static __always_inline bool is_workload(__u32 tgid)
{
	return bpf_map_lookup_elem(&workload_tasks, &tgid) != NULL;
}

/* The calls a runtime makes to set a container up, before it runs the
 * workload (x86_64 numbers): mounts, the root, names, keyrings,
 * namespaces. */
static __always_inline bool setup_call(__u64 nr)
{
	switch (nr) {
	case 155: /* pivot_root */
	case 161: /* chroot */
	case 165: /* mount */
	case 166: /* umount2 */
	case 170: /* sethostname */
	case 171: /* setdomainname */
	case 248: /* add_key */
	case 250: /* keyctl */
	case 272: /* unshare */
	case 308: /* setns */
	case 428 ... 433: /* open_tree, move_mount, fsopen, fsconfig, fsmount, fspick */
	case 442: /* mount_setattr */
		return true;
	}
	return false;
}

/* a call of a process that has not exec'd in the namespace yet */
static __always_inline void runtime_call(__u64 pid_tgid, __u64 nr)
{
	__u32 tgid = pid_tgid >> 32;
	struct runtime_tail *tail = bpf_map_lookup_elem(&runtime_tails, &tgid);
	__u64 *bits;

	if (!tail) {
		bpf_map_update_elem(&runtime_tails, &tgid, &empty_tail, BPF_NOEXIST);
		tail = bpf_map_lookup_elem(&runtime_tails, &tgid);
		if (!tail)
			return;
	}
	if (setup_call(nr)) {
		if ((__u32)pid_tgid == tgid)
			for (int i = 0; i < SYSCALL_WORDS; i++)
				tail->bits[i] = 0;
		return;
	}
	bits = (__u32)pid_tgid == tgid ? tail->bits : tail->background;
	/* threads at once: atomically */
	__sync_fetch_and_or(&bits[(nr / 64) & (SYSCALL_WORDS - 1)], 1ULL << (nr % 64));
}

SEC("raw_tp/sys_enter")
int on_sys_enter(struct bpf_raw_tracepoint_args *ctx)
{
	__u64 nr = ctx->args[1], mntns, pid_tgid = bpf_get_current_pid_tgid();
	__u32 tgid = pid_tgid >> 32;
	struct syscall_bitmap *bm;
	bool workload;

	if (nr == (__u64)-1)
		return 0; /* no system call (a tracer or seccomp cancelled it) */
	if (gadget_should_discard())
		return 0;
	mntns = gadget_get_mntns_id();
	bm = bitmap_of(mntns);
	if (!bm)
		return 0; /* the map is full */
	workload = !workload_only || is_workload(tgid);
	if (nr >= SYSCALLS_MAX) {
		/* an x32 number (bit 30), or past the bitmap */
		if (workload && bm->beyond != nr)
			bm->beyond = nr;
		return 0;
	}
	if (!workload)
		runtime_call(pid_tgid, nr);
	else
		record(bm, mntns, nr);
	return 0;
}

/* a program exec'd in the namespace: from now on the process is the
 * workload's; so are the exec and the runtime's last stretch before it */
static __always_inline int exec_returned(long ret, __u64 nr)
{
	struct runtime_tail *tail;
	struct syscall_bitmap *bm;
	__u32 tgid;
	__u8 one = 1;
	__u64 mntns;

	if (!workload_only || ret != 0 || gadget_should_discard())
		return 0;
	tgid = bpf_get_current_pid_tgid() >> 32;
	bpf_map_update_elem(&workload_tasks, &tgid, &one, BPF_ANY);
	mntns = gadget_get_mntns_id();
	bm = bitmap_of(mntns);
	if (!bm)
		return 0;
	tail = bpf_map_lookup_elem(&runtime_tails, &tgid);
	if (tail) {
		for (int i = 0; i < SYSCALL_WORDS; i++) {
			__u64 w = tail->bits[i] | tail->background[i];

			if (w)
				__sync_fetch_and_or(&bm->bits[i], w);
		}
		bpf_map_delete_elem(&runtime_tails, &tgid);
	}
	record(bm, mntns, nr);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_execve")
int on_exit_execve(struct trace_event_raw_sys_exit *ctx)
{
	return exec_returned(ctx->ret, NR_EXECVE);
}

SEC("tracepoint/syscalls/sys_exit_execveat")
int on_exit_execveat(struct trace_event_raw_sys_exit *ctx)
{
	return exec_returned(ctx->ret, NR_EXECVEAT);
}

/* a child of the workload is the workload's (a new thread is its
 * process's already) */
SEC("tp_btf/sched_process_fork")
int BPF_PROG(on_fork, struct task_struct *parent, struct task_struct *child)
{
	__u32 parent_tgid, child_tgid;
	__u8 one = 1;

	if (!workload_only)
		return 0;
	child_tgid = BPF_CORE_READ(child, tgid);
	if (BPF_CORE_READ(child, pid) != child_tgid)
		return 0;
	parent_tgid = BPF_CORE_READ(parent, tgid);
	if (bpf_map_lookup_elem(&workload_tasks, &parent_tgid))
		bpf_map_update_elem(&workload_tasks, &child_tgid, &one, BPF_ANY);
	return 0;
}

SEC("tracepoint/sched/sched_process_exit")
int on_exit(void *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tgid = id >> 32;

	if (workload_only && (__u32)id == tgid) {
		bpf_map_delete_elem(&workload_tasks, &tgid);
		bpf_map_delete_elem(&runtime_tails, &tgid);
	}
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
