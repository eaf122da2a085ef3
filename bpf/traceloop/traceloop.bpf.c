// SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note
/* traceloop: a flight recorder of every traced container's syscalls.
 *
 * Each syscall's enter (number, six arguments, up to two strings or
 * buffers read from user memory, execve's argv), its exit (its result)
 * and each task's end (its exit code) are written into
 * the container's own buffer in the kernel: an array used as a ring, that
 * overwrites its oldest records and costs user space nothing until someone
 * asks for a dump.
 *
 *   traceloop_buffers  mount namespace -> the container's record array
 *                      (made by the host when the container appears)
 *   traceloop_heads    mount namespace -> records written so far; the slot
 *                      of the next one is head % traceloop_entries
 *   traceloop_args     syscall number -> which arguments to read from user
 *                      memory (host/decode/syscall_args.c fills it from the
 *                      kernel's tracepoint formats), and whether the call
 *                      is recorded at all when traceloop_syscall_filter
 *                      is set (--syscall-filters)
 *
 * gadgets/traceloop/traceloop.lua describes it as any gadget; the host
 * finds the maps and the record by GADGET_TRACELOOP.
 *
 * A record's seq is zeroed first and written last (head + 1), so a reader
 * can tell a slot being written.
 */
#include <gadget/gadget.h>
#include <gadget/traceloop.h>

/* the recorder: its maps (below) and its record */
GADGET_TRACELOOP(syscalls, traceloop_buffers, traceloop_heads, traceloop_args,
		 traceloop_record);

/* records per container's ring, a power of two (the param "entries") */
GADGET_PARAM(__u32, traceloop_entries, 4096);

/* only the calls traceloop_args marks recorded (the param "syscall_filter",
 * set by --syscall-filters); false: every call, and the check is pruned */
GADGET_PARAM(bool, traceloop_syscall_filter, false);

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
	slot = (__u32)*seq & (traceloop_entries - 1);
	r = bpf_map_lookup_elem(ring, &slot);
	if (!r)
		return NULL;
	r->seq = 0;
	__u64 pid_tgid = bpf_get_current_pid_tgid();

	r->ts = bpf_ktime_get_boot_ns();
	r->pid = pid_tgid >> 32;
	r->tid = (__u32)pid_tgid;
	r->cpu = (__u16)bpf_get_smp_processor_id();
	bpf_get_current_comm(r->comm, sizeof(r->comm));
	return r;
}

/* Whether --syscall-filters leaves call nr out. */
static __always_inline bool filtered_out(__u32 nr)
{
	struct traceloop_syscall_args *sa;

	if (!traceloop_syscall_filter)
		return false;
	sa = bpf_map_lookup_elem(&traceloop_args, &nr);
	return !sa || !sa->recorded;
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

_Static_assert(TRACELOOP_DATA_LEN == 0x80, "read_argv bounds its offset with 0x7f");

/* An argv array (execve's): its strings one after another, each with its
 * NUL, into r->data[0], cut past TRACELOOP_DATA_LEN bytes or
 * TRACELOOP_ARGV_MAX strings.  Each string is read TRACELOOP_DATA_LEN
 * bytes long from where the last ended: the verifier sees data[1] after
 * data[0] as room for that, and the caller fills data[1] afterwards. */
static __always_inline void read_argv(struct traceloop_record *r, __u64 uargv)
{
	__u32 off = 0;
	__u8 flags = TRACELOOP_DATA_CUT; /* unless its NULL is reached */

	for (int i = 0; i < TRACELOOP_ARGV_MAX; i++) {
		__u64 p = 0, at;
		long n;

		if (bpf_probe_read_user(&p, sizeof(p), (void *)(uargv + i * sizeof(p)))) {
			flags = off ? TRACELOOP_DATA_CUT : TRACELOOP_DATA_FAULT;
			break;
		}
		if (!p) {
			flags = 0;
			break;
		}
		if (off >= TRACELOOP_DATA_LEN)
			break;
		at = off;
		gadget_bound(at, 0x7f); /* TRACELOOP_DATA_LEN - 1, seen by older verifiers */
		n = bpf_probe_read_user_str(&r->data[0][at], TRACELOOP_DATA_LEN, (void *)p);
		if (n <= 0) {
			flags = off ? TRACELOOP_DATA_CUT : TRACELOOP_DATA_FAULT;
			break;
		}
		off += n;
	}
	if (off > TRACELOOP_DATA_LEN) {
		off = TRACELOOP_DATA_LEN;
		flags = TRACELOOP_DATA_CUT;
	}
	r->data_len[0] = off;
	r->data_flags[0] = flags;
}

SEC("tp_btf/sys_enter")
int BPF_PROG(traceloop_enter, struct pt_regs *regs, long id)
{
	struct traceloop_record *r;
	struct traceloop_syscall_args *sa;
	__u32 nr = (__u32)id;
	__u64 seq;
	int k = 0;

	if (filtered_out(nr))
		return 0;
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
		/* an argv first, into data[0]: strings and buffers after it */
#pragma unroll
		for (int i = 0; i < TRACELOOP_ARGS; i++) {
			if (sa->kind[i] != TRACELOOP_ARG_ARGV)
				continue;
			read_argv(r, r->args[i]);
			r->data_arg[0] = i;
			k = 1;
			break;
		}
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
	__u32 nr = (__u32)BPF_CORE_READ(regs, orig_ax);
	__u64 seq;

	if (filtered_out(nr))
		return 0;
	r = claim(&seq);
	if (!r)
		return 0;
	r->kind = TRACELOOP_EXIT;
	r->nr = nr;
	r->args[0] = ret;
	r->data_arg[0] = r->data_arg[1] = TRACELOOP_NO_ARG;
	publish(r, seq);
	return 0;
}

/* A task of the container ended (exit, exit_group, a fatal signal): its
 * wait status, as strace's "+++ exited with 3 +++" or "+++ killed by
 * SIGKILL +++".  The task is still in its mount namespace here
 * (exit_task_namespaces comes after this tracepoint). */
SEC("tp_btf/sched_process_exit")
int BPF_PROG(traceloop_process_exit, struct task_struct *task)
{
	struct traceloop_record *r;
	__u64 seq;

	r = claim(&seq);
	if (!r)
		return 0;
	r->kind = TRACELOOP_PROCESS_EXIT;
	r->nr = 0;
	r->args[0] = (__u32)BPF_CORE_READ(task, exit_code);
	r->data_arg[0] = r->data_arg[1] = TRACELOOP_NO_ARG;
	publish(r, seq);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
