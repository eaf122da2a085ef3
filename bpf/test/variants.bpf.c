// SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note
/* Not a gadget: the object of tests/integration/test_check.py, programs
 * for variant groups whose first alternatives no kernel has. */
#include <gadget/gadget.h>

struct event {
	gadget_timestamp timestamp;
	__u32 pid;
	__u32 which;
};

GADGET_TRACER_MAP(events, 1 << 12);
GADGET_TRACER(variants, events, event);

static __always_inline int emit(__u32 which)
{
	struct event *e;

	if (gadget_should_discard())
		return 0;
	e = gadget_reserve(&events, sizeof(*e));
	if (!e)
		return 0;
	e->timestamp = bpf_ktime_get_boot_ns();
	e->pid = bpf_get_current_pid_tgid() >> 32;
	e->which = which;
	gadget_submit(&events, e);
	return 0;
}

SEC("tracepoint/gh_no_such_category/gh_no_such_event")
int tp_missing(void *ctx) { return emit(0); }

SEC("tracepoint/syscalls/sys_enter_getppid")
int tp_getppid(void *ctx) { return emit(1); }

SEC("tp_btf/gh_no_such_btf_event")
int btf_missing(void *ctx) { return emit(0); }

SEC("tracepoint/gh_no_such_category/gh_no_such_event2")
int tp_missing2(void *ctx) { return emit(0); }

SEC("tracepoint/syscalls/sys_exit_getppid")
int tp_exit_getppid(void *ctx) { return emit(2); }

/* x86_64's getppid(2) entry: kprobes where the kernel has them */
SEC("kprobe/__x64_sys_getppid")
int kprobe_getppid(void *ctx) { return emit(3); }

char LICENSE[] SEC("license") = "GPL";
