/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR Apache-2.0 */
/* gadget/socket_owner.h - which process owns a packet's socket.
 *
 * A SEC("socket") program (see gadget/packet.h) runs wherever the kernel
 * hands a packet to the packet taps: in the sender's syscall, in a softirq
 * on whatever task was running, in another network namespace's process.
 * The current task means nothing there.  So this header records, in
 * process context, who uses each socket:
 *
 *   (netns inum, protocol, local port) -> pid, tid, comm, uid, gid, mntns
 *
 * (comm is the process's name, its thread group leader's: the socket is
 * the process's, whichever thread used it last.)
 *
 * filled from syscall tracepoints on sockets (connect, bind, listen,
 * accept, sendto, sendmsg, sendmmsg, recvfrom, recvmsg; the fd is followed
 * to its struct sock through current->files) and removed on close.  The
 * socket program looks the owner up by its packet's local port (the
 * source port of an outgoing packet, the destination port of an incoming
 * one) with gadget_socket_owner_lookup(), and applies the user's filters
 * to that owner with gadget_owner_should_discard(): the socket program's
 * gadget_should_discard().
 *
 * The tracepoints call gadget_should_discard() first: a process the
 * filters reject is never recorded, so its packets have no owner, and a
 * packet without an owner is dropped whenever a filter is on.
 *
 * Include it once in a gadget's .bpf.c that has socket programs.
 *
 * Limits: a socket that did none of these syscalls since the gadget
 * started has no owner yet (a server that was already blocked in poll()
 * when tracing began gets one at its first recvmsg/sendmsg); sockets that
 * share a port (SO_REUSEPORT, a listener and its accepted connections)
 * share one entry: the last process that used one of them.
 */
#ifndef GADGET_SOCKET_OWNER_H
#define GADGET_SOCKET_OWNER_H

#include <gadget/filter.h>
#include <gadget/sockets.h> /* gadget_sock_from_fd() */

#ifndef GADGET_SOCKET_OWNERS_MAX
#define GADGET_SOCKET_OWNERS_MAX 16384
#endif


struct gadget_socket_key {
	__u32 netns;
	__u16 port;  /* local port, host byte order */
	__u8 proto;  /* IPPROTO_TCP, IPPROTO_UDP */
	__u8 pad;
};

struct gadget_socket_owner {
	__u64 mntns;
	__u32 pid;
	__u32 tid;
	__u32 uid;
	__u32 gid;
	char comm[TASK_COMM_LEN];
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, GADGET_SOCKET_OWNERS_MAX);
	__type(key, struct gadget_socket_key);
	__type(value, struct gadget_socket_owner);
} gadget_socket_owners SEC(".maps");

/* Fill key from sk; false for a socket that is not TCP/UDP over IP or
 * has no local port yet. */
static __always_inline bool gadget_sock_key(struct sock *sk, struct gadget_socket_key *key)
{
	__u16 family = BPF_CORE_READ(sk, __sk_common.skc_family);
	__u16 proto = BPF_CORE_READ(sk, sk_protocol);

	if (family != 2 /* AF_INET */ && family != 10 /* AF_INET6 */)
		return false;
	if (proto != 6 /* TCP */ && proto != 17 /* UDP */)
		return false;
	key->port = BPF_CORE_READ(sk, __sk_common.skc_num);
	if (!key->port)
		return false;
	key->netns = BPF_CORE_READ(sk, __sk_common.skc_net.net, ns.inum);
	key->proto = proto;
	key->pad = 0;
	return true;
}

static __always_inline int gadget_socket_owner_record(int fd)
{
	struct gadget_socket_owner owner = {};
	struct gadget_socket_key key;
	struct sock *sk;
	__u64 pid_tgid, uid_gid;

	if (gadget_should_discard())
		return 0;
	sk = gadget_sock_from_fd(fd);
	if (!sk || !gadget_sock_key(sk, &key))
		return 0;
	pid_tgid = bpf_get_current_pid_tgid();
	uid_gid = bpf_get_current_uid_gid();
	owner.mntns = gadget_get_mntns_id();
	owner.pid = pid_tgid >> 32;
	owner.tid = (__u32)pid_tgid;
	owner.uid = (__u32)uid_gid;
	owner.gid = uid_gid >> 32;
	/* the process's name, not the thread's: dig sends from "isc-net-0000" */
	BPF_CORE_READ_STR_INTO(&owner.comm, (struct task_struct *)bpf_get_current_task(),
			       group_leader, comm);
	bpf_map_update_elem(&gadget_socket_owners, &key, &owner, BPF_ANY);
	return 0;
}

/* Before the call: the socket's port is known if it is bound, and the
 * packets this call sends are seen after this. */
#define GADGET_OWNER_ON_ENTER(syscall)                                             \
	SEC("tracepoint/syscalls/sys_enter_" #syscall)                             \
	int gadget_owner_enter_##syscall(struct trace_event_raw_sys_enter *ctx)     \
	{                                                                          \
		return gadget_socket_owner_record((int)ctx->args[0]);               \
	}

/* After the call: a port the call itself chose (bind to port 0, connect
 * or send on an unbound socket). */
#define GADGET_OWNER_ON_EXIT(syscall)                                              \
	SEC("tracepoint/syscalls/sys_exit_" #syscall)                              \
	int gadget_owner_exit_##syscall(struct trace_event_raw_sys_exit *ctx)       \
	{                                                                          \
		struct pt_regs *regs = gadget_syscall_regs();                      \
		if (ctx->ret < 0)                                                  \
			return 0;                                                  \
		return gadget_socket_owner_record((int)gadget_syscall_arg1(regs));  \
	}

GADGET_OWNER_ON_EXIT(bind)
GADGET_OWNER_ON_EXIT(connect)
GADGET_OWNER_ON_EXIT(listen)
GADGET_OWNER_ON_ENTER(sendto)
GADGET_OWNER_ON_EXIT(sendto)
GADGET_OWNER_ON_ENTER(sendmsg)
GADGET_OWNER_ON_EXIT(sendmsg)
GADGET_OWNER_ON_ENTER(sendmmsg)
GADGET_OWNER_ON_EXIT(sendmmsg)
GADGET_OWNER_ON_ENTER(recvfrom)
GADGET_OWNER_ON_ENTER(recvmsg)

/* accept/accept4 return a new socket on the listener's port */
SEC("tracepoint/syscalls/sys_exit_accept4")
int gadget_owner_exit_accept4(struct trace_event_raw_sys_exit *ctx)
{
	return ctx->ret < 0 ? 0 : gadget_socket_owner_record((int)ctx->ret);
}

SEC("tracepoint/syscalls/sys_exit_accept")
int gadget_owner_exit_accept(struct trace_event_raw_sys_exit *ctx)
{
	return ctx->ret < 0 ? 0 : gadget_socket_owner_record((int)ctx->ret);
}

/* close: forget the entry if this process owns it (whatever the filters) */
SEC("tracepoint/syscalls/sys_enter_close")
int gadget_owner_enter_close(struct trace_event_raw_sys_enter *ctx)
{
	struct gadget_socket_owner *owner;
	struct gadget_socket_key key;
	struct sock *sk = gadget_sock_from_fd((long)ctx->args[0]);

	if (!sk || !gadget_sock_key(sk, &key))
		return 0;
	owner = bpf_map_lookup_elem(&gadget_socket_owners, &key);
	if (owner && owner->pid == bpf_get_current_pid_tgid() >> 32)
		bpf_map_delete_elem(&gadget_socket_owners, &key);
	return 0;
}

static __always_inline struct gadget_socket_owner *
gadget_socket_owner_lookup(__u32 netns, __u8 proto, __u16 port)
{
	struct gadget_socket_key key = {.netns = netns, .port = port, .proto = proto};

	return bpf_map_lookup_elem(&gadget_socket_owners, &key);
}

static __always_inline bool gadget_owner_comm_differs(const struct gadget_socket_owner *o)
{
	for (int i = 0; i < 16; i++) {
		if (o->comm[i] != gadget_filter_comm[i])
			return true;
		if (!o->comm[i])
			break;
	}
	return false;
}

/* gadget_should_discard() for a socket program: the same filters, applied
 * to the packet's owner.  Without an owner, a packet is kept only when no
 * filter is on. */
static __always_inline bool gadget_owner_should_discard(const struct gadget_socket_owner *o)
{
	if (!o)
		return gadget_filter_pid || gadget_filter_tid || gadget_filter_uid_on ||
		       gadget_filter_gid_on || gadget_filter_comm_on || gadget_filter_by_mntns;
	if (gadget_filter_pid && o->pid != gadget_filter_pid)
		return true;
	if (gadget_filter_tid && o->tid != gadget_filter_tid)
		return true;
	if (gadget_filter_uid_on && o->uid != gadget_filter_uid)
		return true;
	if (gadget_filter_gid_on && o->gid != gadget_filter_gid)
		return true;
	if (gadget_filter_comm_on && gadget_owner_comm_differs(o))
		return true;
	if (gadget_filter_by_mntns && gadget_mntns_discard(o->mntns))
		return true;
	return false;
}

#endif
