// SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note
/* trace/open: open, openat and openat2, with the result.
 *
 * One program per syscall, at sys_exit: the arguments (path, flags, mode)
 * are read from the registers the caller entered the kernel with (see
 * gadget/syscall.h), so no sys_enter program and no per-thread map are
 * needed.  Records are as long as their path.
 */
#include <gadget/gadget.h>
#include <gadget/process.h>

#define PATH_MAX 4096

struct event {
	GADGET_PROCESS_FIELDS;
	__s32 fd;
	gadget_errno err;
	__u32 flagsRaw;
	__u32 modeRaw;
	/* must stay last: a record ends where its path ends */
	char path[PATH_MAX];
};

GADGET_TRACER_MAP(events, 1 << 20);
GADGET_TRACER(open, events, event);
GADGET_PARAM(bool, failed_only, false);

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct event);
} scratch SEC(".maps");

static __always_inline int report(long ret, const char *path, __u32 flags, __u32 mode)
{
	__u32 zero = 0;
	struct event *e;
	long len;

	if (failed_only && ret >= 0)
		return 0;
	if (gadget_should_discard())
		return 0;
	e = bpf_map_lookup_elem(&scratch, &zero);
	if (!e)
		return 0;
	gadget_process_fill(e);
	e->fd = ret >= 0 ? ret : -1;
	e->err = gadget_errno_of(ret);
	e->flagsRaw = flags;
	e->modeRaw = mode;
	/* len counts the NUL; a record carries the path and its NUL */
	len = bpf_probe_read_user_str(e->path, sizeof(e->path), path);
	if (len <= 0) {
		e->path[0] = '\0';
		len = 1;
	}
	len -= 1;
	gadget_bound(len, 4095); /* PATH_MAX - 1 */
	gadget_output(&events, e, offsetof(struct event, path) + len + 1);
	return 0;
}

/* open(path, flags, mode) */
SEC("tracepoint/syscalls/sys_exit_open")
int exit_open_tp(struct trace_event_raw_sys_exit *ctx)
{
	struct pt_regs *regs = gadget_syscall_regs();

	return report(ctx->ret, (const char *)gadget_syscall_arg1(regs),
		      gadget_syscall_arg2(regs), gadget_syscall_arg3(regs));
}

/* openat(dfd, path, flags, mode) */
SEC("tracepoint/syscalls/sys_exit_openat")
int exit_openat(struct trace_event_raw_sys_exit *ctx)
{
	struct pt_regs *regs = gadget_syscall_regs();

	return report(ctx->ret, (const char *)gadget_syscall_arg2(regs),
		      gadget_syscall_arg3(regs), gadget_syscall_arg4(regs));
}

/* openat2(dfd, path, how, size): flags and mode are in struct open_how */
SEC("tracepoint/syscalls/sys_exit_openat2")
int exit_openat2(struct trace_event_raw_sys_exit *ctx)
{
	struct pt_regs *regs = gadget_syscall_regs();
	struct open_how how = {};

	bpf_probe_read_user(&how, sizeof(how), (void *)gadget_syscall_arg3(regs));
	return report(ctx->ret, (const char *)gadget_syscall_arg2(regs), how.flags, how.mode);
}

char LICENSE[] SEC("license") = "GPL";
