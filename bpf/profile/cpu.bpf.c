// SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note
/* profile/cpu: samples of what runs on every CPU, with its stacks.
 *
 * The host opens a CPU clock perf event per CPU at --frequency Hz and
 * attaches sample() to each; every sample counts one (process, user
 * stack, kernel stack), which the host symbolizes at the end.  The idle
 * task (pid 0) is not counted.
 */
#include <gadget/gadget.h>
#include <gadget/stacks.h>

struct sample_key {
	gadget_mntns_id mountnsid;
	__u32 pid;
	char comm[TASK_COMM_LEN];
	gadget_user_stack userStackId;
	gadget_kernel_stack kernelStackId;
};

GADGET_PARAM(bool, user_only, false);
GADGET_PARAM(bool, kernel_only, false);

GADGET_STACK_MAP(stacks, 16384);

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, struct sample_key);
	__type(value, __u64);
} counts SEC(".maps");

GADGET_STACKS(cpu, counts, stacks);

SEC("perf_event")
int sample(struct bpf_perf_event_data *ctx)
{
	struct sample_key key = {};
	__u32 pid = bpf_get_current_pid_tgid() >> 32;

	if (!pid || gadget_should_discard())
		return 0;
	key.mountnsid = gadget_get_mntns_id();
	key.pid = pid;
	bpf_get_current_comm(key.comm, sizeof(key.comm));
	key.userStackId = kernel_only ? -1 : bpf_get_stackid(ctx, &stacks, BPF_F_USER_STACK);
	key.kernelStackId = user_only ? -1 : bpf_get_stackid(ctx, &stacks, 0);
	gadget_stacks_count(&counts, &key);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
