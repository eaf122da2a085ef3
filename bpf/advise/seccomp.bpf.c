// SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note
/* advise/seccomp: the system calls each container makes, recorded in the
 * kernel as one bitmap per mount namespace (ig's advise seccomp-profile).
 *
 * raw_tracepoint/sys_enter sees every system call of every task; after
 * the SDK's filters (the selected containers, and mount namespaces not
 * known yet: a container that just started, so that its whole life is
 * recorded from runc's first syscall in the new namespace), the call's
 * bit is set in syscalls[mntns].  A bit already set costs one lookup and
 * one load; the first time a container makes a system call, one event
 * says so (at most one per syscall and container, never one per call).
 * The host reads the bitmaps from Lua (gadget.map) when it prints the
 * profiles.
 */
#include <gadget/gadget.h>

#define SYSCALL_WORDS 8 /* 512 system call numbers: x86_64 has ~470 */
#define SYSCALLS_MAX (SYSCALL_WORDS * 64)

struct syscall_bitmap {
	__u64 bits[SYSCALL_WORDS]; /* bit n % 64 of bits[n / 64]: syscall n made */
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	/* containers, and mount namespaces of no container (private ones of
	 * host services) that pass as unknown: 8192 * 72 bytes */
	__uint(max_entries, 8192);
	__type(key, __u64); /* mount namespace id */
	__type(value, struct syscall_bitmap);
} syscalls SEC(".maps");

/* a container made a system call for the first time */
struct event {
	gadget_mntns_id mountnsid;
	gadget_syscall syscall;
};

GADGET_TRACER_MAP(events, 1 << 16);
GADGET_TRACER(seccomp, events, event);

static const struct syscall_bitmap empty;

SEC("raw_tp/sys_enter")
int on_sys_enter(struct bpf_raw_tracepoint_args *ctx)
{
	__u64 nr = ctx->args[1], mntns, mask, old;
	struct syscall_bitmap *bm;
	struct event *e;
	__u64 *word;

	if (nr >= SYSCALLS_MAX)
		return 0; /* x32 numbers (bit 30) and -1 */
	if (gadget_should_discard())
		return 0;
	mntns = gadget_get_mntns_id();
	bm = bpf_map_lookup_elem(&syscalls, &mntns);
	if (!bm) {
		bpf_map_update_elem(&syscalls, &mntns, &empty, BPF_NOEXIST);
		bm = bpf_map_lookup_elem(&syscalls, &mntns);
		if (!bm)
			return 0; /* the map is full */
	}
	word = &bm->bits[(nr / 64) & (SYSCALL_WORDS - 1)];
	mask = 1ULL << (nr % 64);
	if (*word & mask)
		return 0;
	old = __sync_fetch_and_or(word, mask);
	if (old & mask)
		return 0; /* another CPU was first */
	e = gadget_reserve(&events, sizeof(*e));
	if (!e)
		return 0;
	e->mountnsid = mntns;
	e->syscall = (__u32)nr;
	gadget_submit(&events, e);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
