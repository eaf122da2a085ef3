// SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note
/* trace/open: open, openat and openat2, with the result.
 *
 * sys_enter remembers the path pointer, flags and mode per thread;
 * sys_exit reads the path (still in the caller's memory) and reports the
 * call with its fd or errno.  Records are as long as their path.
 */
#include <gadget/gadget.h>

#define PATH_MAX 4096

struct event {
	gadget_timestamp timestamp;
	gadget_mntns_id mountnsid;
	__u32 pid;
	__u32 tid;
	gadget_uid uid;
	gadget_gid gid;
	char comm[TASK_COMM_LEN];
	__s32 fd;
	gadget_errno err;
	__u32 flagsRaw;
	__u32 modeRaw;
	/* must stay last: a record ends where its path ends */
	char path[PATH_MAX];
};

struct open_start {
	const char *path;
	__u32 flags;
	__u32 mode;
};

GADGET_TRACER_MAP(events, 1 << 20);
GADGET_TRACER(open, events, event);
GADGET_PARAM(bool, failed_only, false);

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, __u32);
	__type(value, struct open_start);
} opens SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct event);
} scratch SEC(".maps");

static __always_inline int enter(const char *path, __u32 flags, __u32 mode)
{
	struct open_start start = {.path = path, .flags = flags, .mode = mode};
	__u32 tid = (__u32)bpf_get_current_pid_tgid();

	if (gadget_should_discard())
		return 0;
	bpf_map_update_elem(&opens, &tid, &start, BPF_ANY);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_open")
int enter_open(struct trace_event_raw_sys_enter *ctx)
{
	return enter((const char *)ctx->args[0], ctx->args[1], ctx->args[2]);
}

SEC("tracepoint/syscalls/sys_enter_openat")
int enter_openat(struct trace_event_raw_sys_enter *ctx)
{
	return enter((const char *)ctx->args[1], ctx->args[2], ctx->args[3]);
}

SEC("tracepoint/syscalls/sys_enter_openat2")
int enter_openat2(struct trace_event_raw_sys_enter *ctx)
{
	struct open_how how = {};

	bpf_probe_read_user(&how, sizeof(how), (void *)ctx->args[2]);
	return enter((const char *)ctx->args[1], how.flags, how.mode);
}

static __always_inline int exit_open(long ret)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u64 uid_gid = bpf_get_current_uid_gid();
	__u32 tid = (__u32)pid_tgid, zero = 0;
	struct open_start *start;
	struct event *e;
	long len;

	start = bpf_map_lookup_elem(&opens, &tid);
	if (!start)
		return 0;
	if (failed_only && ret >= 0)
		goto out;
	e = bpf_map_lookup_elem(&scratch, &zero);
	if (!e)
		goto out;
	e->timestamp = bpf_ktime_get_boot_ns();
	e->mountnsid = gadget_get_mntns_id();
	e->pid = pid_tgid >> 32;
	e->tid = tid;
	e->uid = (__u32)uid_gid;
	e->gid = uid_gid >> 32;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	e->fd = ret >= 0 ? ret : -1;
	e->err = ret >= 0 ? 0 : -ret;
	e->flagsRaw = start->flags;
	e->modeRaw = start->mode;
	/* len counts the NUL; a record carries the path and its NUL */
	len = bpf_probe_read_user_str(e->path, sizeof(e->path), start->path);
	if (len <= 0) {
		e->path[0] = '\0';
		len = 1;
	}
	len -= 1;
	gadget_bound(len, 4095); /* PATH_MAX - 1 */
	gadget_output(&events, e, offsetof(struct event, path) + len + 1);
out:
	bpf_map_delete_elem(&opens, &tid);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_open")
int exit_open_tp(struct trace_event_raw_sys_exit *ctx)
{
	return exit_open(ctx->ret);
}

SEC("tracepoint/syscalls/sys_exit_openat")
int exit_openat(struct trace_event_raw_sys_exit *ctx)
{
	return exit_open(ctx->ret);
}

SEC("tracepoint/syscalls/sys_exit_openat2")
int exit_openat2(struct trace_event_raw_sys_exit *ctx)
{
	return exit_open(ctx->ret);
}

char LICENSE[] SEC("license") = "GPL";
