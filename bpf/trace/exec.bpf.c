// SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note
/* trace/exec: every execve/execveat, with the exact argument list.
 *
 * sys_enter remembers where the caller's filename and argv are; sys_exit
 * reports the exec.  A successful exec reads the arguments from the new
 * process's own argument area (mm->arg_start..arg_end): exactly what the
 * program got, with no per-argument limit.  A failed exec reads them from
 * the caller's argv, still intact.  Past ARGS_MAX bytes the list is cut
 * and argsTruncated says so.
 */
#include <gadget/gadget.h>
#include <gadget/process.h>

#define ARGS_MAX 16384   /* bytes of NUL separated arguments */
#define ARG_STR_MAX 4096 /* failed exec: bytes of one argument */
#define ARGV_MAX 1024    /* failed exec: arguments */

struct event {
	GADGET_PROCESS_FIELDS;
	gadget_errno ret;
	char pcomm[TASK_COMM_LEN];
	bool argsTruncated;
	/* must stay last: a record ends where its arguments end */
	gadget_strlist_t args[ARGS_MAX];
};

/* the event plus room for one argument read past ARGS_MAX */
struct scratch {
	struct event event;
	char slack[ARG_STR_MAX];
};

struct exec_start {
	const char *filename;
	const char *const *argv;
};

GADGET_TRACER_MAP(events, 1 << 20);
GADGET_TRACER(exec, events, event);
GADGET_PARAM(bool, ignore_failed, false);

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, __u32);
	__type(value, struct exec_start);
} execs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct scratch);
} scratch SEC(".maps");

static __always_inline int enter(const char *filename, const char *const *argv)
{
	struct exec_start start = {.filename = filename, .argv = argv};
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;

	/* --comm is the row's COMM: the new program's name, checked at exit */
	if (gadget_should_discard_but_comm())
		return 0;
	/* keyed by process: a thread that execs becomes the leader */
	bpf_map_update_elem(&execs, &tgid, &start, BPF_ANY);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_execve")
int enter_execve(struct trace_event_raw_sys_enter *ctx)
{
	return enter((const char *)ctx->args[0], (const char *const *)ctx->args[1]);
}

SEC("tracepoint/syscalls/sys_enter_execveat")
int enter_execveat(struct trace_event_raw_sys_enter *ctx)
{
	return enter((const char *)ctx->args[1], (const char *const *)ctx->args[2]);
}

/* Successful exec: copy the new process's argument area. */
static __always_inline __u32 read_arg_area(struct event *e, struct task_struct *task)
{
	unsigned long start = BPF_CORE_READ(task, mm, arg_start);
	unsigned long end = BPF_CORE_READ(task, mm, arg_end);
	__u64 len = end > start ? end - start : 0;

	_Static_assert(ARGS_MAX == 16384, "gadget_bound masks below assume 16 KiB");

	if (len > ARGS_MAX - 1) {
		len = ARGS_MAX - 1;
		e->argsTruncated = true;
	}
	gadget_bound(len, 16383);
	if (bpf_probe_read_user(e->args, len, (const void *)start))
		return 0;
	return len;
}

struct argv_walk {
	struct event *e;
	const char *const *argv;
	__u32 off;
	bool done;
};

/* One argument of a failed exec: bpf_loop() callback (0: go on, 1: stop).
 * bpf_loop() lets the verifier check this body once, where an unrolled or
 * bounded loop of ARGV_MAX rounds cost it 65 ms per program at load. */
static long read_one_arg(__u32 i, struct argv_walk *w)
{
	const char *arg = NULL;
	__u32 off = w->off;
	long n;

	if (bpf_probe_read_user(&arg, sizeof(arg), &w->argv[i]) || !arg) {
		w->done = true;
		return 1;
	}
	if (off >= ARGS_MAX - 1) {
		w->e->argsTruncated = true;
		w->off = ARGS_MAX - 1;
		w->done = true;
		return 1;
	}
	gadget_bound(off, 16383); /* ARGS_MAX - 1 */
	n = bpf_probe_read_user_str(&w->e->args[off], ARG_STR_MAX, arg);
	if (n <= 0) {
		w->done = true;
		return 1;
	}
	if (n == ARG_STR_MAX)
		w->e->argsTruncated = true;
	w->off = off + n;
	return 0;
}

/* Failed exec: walk the caller's argv. */
static __always_inline __u32 read_argv(struct event *e, const char *const *argv)
{
	struct argv_walk w = {.e = e, .argv = argv};

	bpf_loop(ARGV_MAX, read_one_arg, &w, 0);
	if (!w.done)
		e->argsTruncated = true; /* more than ARGV_MAX arguments */
	return w.off;
}

static __always_inline int exit_exec(void *ctx, long ret)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32, zero = 0, len;
	struct exec_start *start;
	struct task_struct *task;
	struct scratch *s;
	struct event *e;

	start = bpf_map_lookup_elem(&execs, &tgid);
	if (!start)
		return 0;
	if ((ret < 0 && ignore_failed) || (gadget_filter_comm_on && gadget_comm_differs()))
		goto out;
	s = bpf_map_lookup_elem(&scratch, &zero);
	if (!s)
		goto out;
	e = &s->event;
	task = (struct task_struct *)bpf_get_current_task();

	gadget_process_fill(e);
	e->ret = gadget_errno_of(ret);
	BPF_CORE_READ_STR_INTO(&e->pcomm, task, real_parent, comm);
	e->argsTruncated = false;
	if (ret == 0)
		len = read_arg_area(e, task);
	else
		len = read_argv(e, start->argv);
	if (len > ARGS_MAX - 1) {
		len = ARGS_MAX - 1;
		e->argsTruncated = true;
	}
	gadget_bound(len, 16383); /* ARGS_MAX - 1 */
	gadget_output(&events, e, offsetof(struct event, args) + len);
out:
	bpf_map_delete_elem(&execs, &tgid);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_execve")
int exit_execve(struct trace_event_raw_sys_exit *ctx)
{
	return exit_exec(ctx, ctx->ret);
}

SEC("tracepoint/syscalls/sys_exit_execveat")
int exit_execveat(struct trace_event_raw_sys_exit *ctx)
{
	return exit_exec(ctx, ctx->ret);
}

char LICENSE[] SEC("license") = "GPL";
