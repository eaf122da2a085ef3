// SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note
/* A histogram gadget of one's own (test_profile.py): write sizes in an
 * array map of one histogram, unit "bytes".  Built here so the test needs
 * no clang where it runs (the 6.1 VM). */
#include <gadget/gadget.h>
#include <gadget/histogram.h>
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct gadget_hist);
} sizes SEC(".maps");
GADGET_HISTOGRAM(writes, sizes, bytes);
SEC("tracepoint/syscalls/sys_enter_write")
int enter_write(struct syscall_trace_enter *ctx)
{
	__u32 zero = 0;

	if (gadget_should_discard())
		return 0;
	gadget_hist_add(bpf_map_lookup_elem(&sizes, &zero), ctx->args[2]);
	return 0;
}
char LICENSE[] SEC("license") = "GPL";
