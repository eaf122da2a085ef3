// SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note
/* traceloop: a flight recorder of every traced container's syscalls.
 *
 * Each syscall's enter (number, six arguments, up to two strings or
 * buffers read from user memory) and exit (its result) is written into
 * the container's own buffer in the kernel: an array used as a ring, that
 * overwrites its oldest records and costs user space nothing until someone
 * asks for a dump.
 *
 *   traceloop_buffers  mount namespace -> the container's record array
 *                      (made by the host when the container appears)
 *   traceloop_heads    mount namespace -> records written so far; the slot
 *                      of the next one is head & traceloop_mask
 *   traceloop_args     syscall number -> which arguments to read from user
 *                      memory (host/syscall_args.c fills it from the
 *                      kernel's tracepoint formats)
 *
 * A record's seq is zeroed first and written last (head + 1), so a reader
 * can tell a slot being written.
 */
#include <gadget/gadget.h>
#include <gadget/traceloop.h>

/* the record's full type in BTF (the rings' value type) */
const struct traceloop_record *traceloop_record_layout __attribute__((unused));

/* the ring's size - 1 (a power of two - 1); the host sets it */
const volatile __u32 traceloop_mask = 0;

struct {
	__uint(type, BPF_MAP_TYPE_HASH_OF_MAPS);
	__uint(max_entries, TRACELOOP_MAX_CONTAINERS);
	__type(key, __u64);
	/* each container's ring; the host sets max_entries (its size) */
	__array(values, struct {
		__uint(type, BPF_MAP_TYPE_ARRAY);
		__uint(max_entries, 1);
		__uint(map_flags, BPF_F_MMAPABLE);
		__type(key, __u32);
		__type(value, struct traceloop_record);
	});
} traceloop_buffers SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, TRACELOOP_MAX_CONTAINERS);
	__type(key, __u64);
	__type(value, __u64);
} traceloop_heads SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, TRACELOOP_MAX_SYSCALLS);
	__type(key, __u32);
	__type(value, struct traceloop_syscall_args);
} traceloop_args SEC(".maps");

/* The slot for the next record of the current task's container, or NULL
 * (not a traced container); *seq gets the record's number. */
static __always_inline struct traceloop_record *claim(__u64 *seq)
{
	__u64 mntns = gadget_get_mntns_id();
	void *ring = bpf_map_lookup_elem(&traceloop_buffers, &mntns);
	__u64 *head;
	__u32 slot;
	struct traceloop_record *r;

	if (!ring)
		return NULL;
	head = bpf_map_lookup_elem(&traceloop_heads, &mntns);
	if (!head)
		return NULL;
	*seq = __sync_fetch_and_add(head, 1);
	slot = (__u32)*seq & traceloop_mask;
	r = bpf_map_lookup_elem(ring, &slot);
	if (!r)
		return NULL;
	r->seq = 0;
	__u64 pid_tgid = bpf_get_current_pid_tgid();

	r->ts = bpf_ktime_get_boot_ns();
	r->pid = pid_tgid >> 32;
	r->tid = (__u32)pid_tgid;
	bpf_get_current_comm(r->comm, sizeof(r->comm));
	return r;
}

static __always_inline void publish(struct traceloop_record *r, __u64 seq)
{
	asm volatile("" ::: "memory"); /* stores stay in order on x86 */
	r->seq = seq + 1;
}

/* Read argument i into r->data[k] as its kind says. */
static __always_inline void read_arg(struct traceloop_record *r, int k, __u8 kind, __u64 ptr,
				     __u64 len)
{
	long n;

	if (kind == TRACELOOP_ARG_STRING) {
		n = bpf_probe_read_user_str(r->data[k], TRACELOOP_DATA_LEN, (void *)ptr);
		r->data_len[k] = n > 0 ? n - 1 : 0;
		r->data_flags[k] = n == TRACELOOP_DATA_LEN ? TRACELOOP_DATA_CUT : 0;
	} else {
		__u32 want = len > TRACELOOP_DATA_LEN ? TRACELOOP_DATA_LEN : (__u32)len;

		n = want ? bpf_probe_read_user(r->data[k], want & (TRACELOOP_DATA_LEN * 2 - 1),
					       (void *)ptr) : 0;
		r->data_len[k] = n == 0 ? want : 0;
		r->data_flags[k] = len > TRACELOOP_DATA_LEN ? TRACELOOP_DATA_CUT : 0;
	}
	if (n < 0)
		r->data_flags[k] = TRACELOOP_DATA_FAULT;
}

SEC("tp_btf/sys_enter")
int BPF_PROG(traceloop_enter, struct pt_regs *regs, long id)
{
	struct traceloop_record *r;
	struct traceloop_syscall_args *sa;
	__u32 nr = (__u32)id;
	__u64 seq;
	int k = 0;

	r = claim(&seq);
	if (!r)
		return 0;
	r->kind = TRACELOOP_ENTER;
	r->nr = nr;
	r->args[0] = PT_REGS_PARM1_CORE_SYSCALL(regs);
	r->args[1] = PT_REGS_PARM2_CORE_SYSCALL(regs);
	r->args[2] = PT_REGS_PARM3_CORE_SYSCALL(regs);
	r->args[3] = PT_REGS_PARM4_CORE_SYSCALL(regs);
	r->args[4] = PT_REGS_PARM5_CORE_SYSCALL(regs);
	r->args[5] = BPF_CORE_READ(regs, r9);
	r->data_arg[0] = r->data_arg[1] = TRACELOOP_NO_ARG;
	sa = bpf_map_lookup_elem(&traceloop_args, &nr);
	if (sa) {
#pragma unroll
		for (int i = 0; i < TRACELOOP_ARGS; i++) {
			__u8 kind = sa->kind[i];

			if (kind != TRACELOOP_ARG_STRING && kind != TRACELOOP_ARG_BUFFER)
				continue;
			if (k >= TRACELOOP_DATA_ARGS)
				break;
			/* a buffer's length is the next argument */
			read_arg(r, k, kind, r->args[i], i + 1 < TRACELOOP_ARGS ? r->args[i + 1] : 0);
			r->data_arg[k] = i;
			k++;
		}
	}
	publish(r, seq);
	return 0;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(traceloop_exit, struct pt_regs *regs, long ret)
{
	struct traceloop_record *r;
	__u64 seq;

	r = claim(&seq);
	if (!r)
		return 0;
	r->kind = TRACELOOP_EXIT;
	r->nr = (__u32)BPF_CORE_READ(regs, orig_ax);
	r->args[0] = ret;
	r->data_arg[0] = r->data_arg[1] = TRACELOOP_NO_ARG;
	publish(r, seq);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
