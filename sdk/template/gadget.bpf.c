// SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note
/* @NAME@: files deleted (unlink, unlinkat, rmdir), with the result.
 *
 * Made by `gadgethost new @NAME@`.  Build with `gadgethost build
 * @NAME@.bpf.c`, run with `sudo gadgethost run ./@NAME@.lua`.
 */
#include <gadget/gadget.h>   /* vmlinux.h, libbpf's helpers, the SDK */
#include <gadget/process.h>  /* GADGET_PROCESS_FIELDS, gadget_process_fill() */

#define NAME_MAX 256

struct event {
	GADGET_PROCESS_FIELDS;      /* timestamp mountnsid pid tid ppid uid gid comm */
	gadget_errno err;           /* 0, or why the call failed (ENOENT...) */
	char path[NAME_MAX];        /* as the caller passed it */
};

GADGET_TRACER_MAP(events, 1 << 18);      /* a 256 KiB ring buffer */
GADGET_TRACER(@NAME@, events, event);   /* the host reads struct event from BTF */
GADGET_PARAM(bool, failed_only, false);  /* --failed, from the .lua's params */

static __always_inline int report(long ret, const char *path)
{
	struct event *e;

	if (failed_only && ret >= 0)
		return 0;
	if (gadget_should_discard())     /* --pid --uid --comm, containers (-c) */
		return 0;
	e = gadget_reserve(&events, sizeof(*e));
	if (!e)
		return 0;                /* ring buffer full: counted as lost */
	gadget_process_fill(e);
	e->err = gadget_errno_of(ret);  /* ENOENT: 2, always positive */
	if (bpf_probe_read_user_str(e->path, sizeof(e->path), path) < 0)
		e->path[0] = '\0';
	gadget_submit(&events, e);
	return 0;
}

/* unlinkat(dirfd, path, flags): the arguments are read at sys_exit from
 * the registers the call entered with (gadget/syscall.h) */
SEC("tracepoint/syscalls/sys_exit_unlinkat")
int exit_unlinkat(struct trace_event_raw_sys_exit *ctx)
{
	struct pt_regs *regs = gadget_syscall_regs();

	return report(ctx->ret, (const char *)gadget_syscall_arg2(regs));
}

/* unlink(path) */
SEC("tracepoint/syscalls/sys_exit_unlink")
int exit_unlink(struct trace_event_raw_sys_exit *ctx)
{
	struct pt_regs *regs = gadget_syscall_regs();

	return report(ctx->ret, (const char *)gadget_syscall_arg1(regs));
}

/* rmdir(path) */
SEC("tracepoint/syscalls/sys_exit_rmdir")
int exit_rmdir(struct trace_event_raw_sys_exit *ctx)
{
	struct pt_regs *regs = gadget_syscall_regs();

	return report(ctx->ret, (const char *)gadget_syscall_arg1(regs));
}

char LICENSE[] SEC("license") = "GPL";
