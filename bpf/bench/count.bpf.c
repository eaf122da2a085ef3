// SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note
/* bench/count: the physical floor of tracing openat: count, nothing else.
 * (Deliberately without the SDK: its only map is .bss, holding count.) */
#include <vmlinux.h>
#include <bpf/bpf_helpers.h>

__u64 count;

SEC("tracepoint/syscalls/sys_exit_openat")
int count_openat(struct trace_event_raw_sys_exit *ctx)
{
	__sync_fetch_and_add(&count, 1);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
