/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR Apache-2.0 */
/* gadget/socket_owner.h - which process owns a packet's socket.
 *
 * A SEC("socket") program (see gadget/packet.h) runs wherever the kernel
 * hands a packet to the packet taps: in the sender's syscall, in a softirq
 * on whatever task was running, in another network namespace's process.
 * The current task means nothing there.  So this header records, in
 * process context, who uses each socket:
 *
 *   (netns inum, protocol, local port) -> mountnsid pid tid ppid uid gid comm
 *
 * (comm is the process's name, its thread group leader's: the socket is
 * the process's, whichever thread used it last.)
 *
 * filled from syscall tracepoints on sockets (connect, bind, listen,
 * accept, sendto, sendmsg, sendmmsg, recvfrom, recvmsg; the fd is followed
 * to its struct sock through current->files), from a TCP socket's move to
 * SYN_SENT (inside connect(), before its SYN leaves: known by socket
 * address until the handshake ends, see gadget_socket_owner_of()), and
 * removed on close.  The
 * socket program looks the owner up by its packet's local port (the
 * source port of an outgoing packet, the destination port of an incoming
 * one) with gadget_socket_owner_lookup(), applies the user's filters to
 * that owner with gadget_owner_should_discard() (the socket program's
 * gadget_should_discard()), and copies it into an event's
 * GADGET_PROCESS_FIELDS with gadget_owner_fill().
 *
 * The tracepoints call gadget_should_discard() first: a process the
 * filters reject is never recorded, so its packets have no owner, and a
 * packet without an owner is dropped whenever a filter is on.
 *
 * Include it once in a gadget's .bpf.c that has socket programs.
 *
 * The sockets that exist when the gadget starts (a server already blocked
 * in poll()) get their owners from a pass over every process's open files
 * (gadget_start_socket_owners, an iter/task_file program the host runs once,
 * after the tracepoints are attached: see docs/writing-gadgets.md, "start
 * passes").  An entry a syscall wrote meanwhile is kept.
 *
 * Limits: sockets that share a port (SO_REUSEPORT, a listener and its
 * accepted connections) share one entry: the last process that used one
 * of them (at start: the first process the pass met).
 */
#ifndef GADGET_SOCKET_OWNER_H
#define GADGET_SOCKET_OWNER_H

#include <gadget/filter.h>
#include <gadget/process.h> /* GADGET_TASK_FIELDS, gadget_task_*() */
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
	GADGET_TASK_FIELDS; /* mountnsid pid tid ppid uid gid comm */
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, GADGET_SOCKET_OWNERS_MAX);
	__type(key, struct gadget_socket_key);
	__type(value, struct gadget_socket_owner);
} gadget_socket_owners SEC(".maps");

/* TCP sockets inside connect(): the local port is chosen after the move
 * to SYN_SENT, so until the handshake ends they are known by address
 * (the struct sock pointer); then they join gadget_socket_owners. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, GADGET_SOCKET_OWNERS_MAX / 4);
	__type(key, __u64);
	__type(value, struct gadget_socket_owner);
} gadget_socket_connecting SEC(".maps");

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

/* the current process, as a socket's owner (call in process context) */
static __always_inline void gadget_socket_owner_current(struct gadget_socket_owner *owner)
{
	gadget_task_fill_current(owner);
	/* the process's name, not the thread's: dig sends from "isc-net-0000" */
	BPF_CORE_READ_STR_INTO(&owner->comm, (struct task_struct *)bpf_get_current_task(),
			       group_leader, comm);
}

/* the current process owns sk.  A socket its thread used last already is
 * left as it is: a send or a receive of the same owner (most of them)
 * costs a look-up, not the task's fields and an update. */
static __always_inline int gadget_socket_owner_record_sk(struct sock *sk)
{
	struct gadget_socket_owner owner = {}, *known;
	struct gadget_socket_key key;
	__u64 pid_tgid = bpf_get_current_pid_tgid();

	if (!sk || !gadget_sock_key(sk, &key))
		return 0;
	known = bpf_map_lookup_elem(&gadget_socket_owners, &key);
	if (known && known->pid == pid_tgid >> 32 && known->tid == (__u32)pid_tgid)
		return 0;
	gadget_socket_owner_current(&owner);
	bpf_map_update_elem(&gadget_socket_owners, &key, &owner, BPF_ANY);
	return 0;
}

static __always_inline int gadget_socket_owner_record(int fd)
{
	if (gadget_should_discard())
		return 0;
	return gadget_socket_owner_record_sk(gadget_sock_from_fd(fd));
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

/* A TCP connect() sends its SYN inside the call, before sys_exit_connect,
 * and picks its local port only after CLOSE -> SYN_SENT: the connecting
 * process is remembered by socket address there, and by port once the
 * handshake is over (SYN_SENT -> ESTABLISHED, in a softirq).  A raw
 * tracepoint: the kernel skips a classic tracepoint's program that fires
 * inside another eBPF program on the CPU (a softirq interrupting any
 * syscall tracer), a raw one only inside itself. */
SEC("raw_tp/inet_sock_set_state")
int BPF_PROG(gadget_owner_tcp_state, struct sock *sk, int oldstate, int newstate)
{
	__u64 skaddr = (__u64)sk;
	struct gadget_socket_owner owner = {}, *o;
	struct gadget_socket_key key;

	if (BPF_CORE_READ(sk, sk_protocol) != 6 /* TCP */)
		return 0;
	if (newstate == TCP_SYN_SENT) {
		if (gadget_should_discard())
			return 0;
		gadget_socket_owner_current(&owner);
		bpf_map_update_elem(&gadget_socket_connecting, &skaddr, &owner, BPF_ANY);
		return 0;
	}
	if (oldstate != TCP_SYN_SENT)
		return 0;
	o = bpf_map_lookup_elem(&gadget_socket_connecting, &skaddr);
	if (!o)
		return 0;
	if (newstate == TCP_ESTABLISHED && gadget_sock_key(sk, &key))
		bpf_map_update_elem(&gadget_socket_owners, &key, o, BPF_ANY);
	bpf_map_delete_elem(&gadget_socket_connecting, &skaddr);
	return 0;
}

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

/* Start pass: each socket open in a process the filters accept, owned by
 * that process (its thread group leader's name), unless a syscall has
 * recorded the socket since the tracepoints were attached. */
SEC("iter/task_file")
int gadget_start_socket_owners(struct bpf_iter__task_file *ctx)
{
	struct task_struct *task = ctx->task;
	struct file *file = ctx->file;
	struct gadget_socket_owner owner = {};
	struct gadget_socket_key key;
	struct socket *socket;
	struct sock *sk;

	if (!task || !file)
		return 0;
	if ((BPF_CORE_READ(file, f_inode, i_mode) & GADGET_S_IFMT) != GADGET_S_IFSOCK)
		return 0;
	socket = (struct socket *)BPF_CORE_READ(file, private_data);
	sk = socket ? BPF_CORE_READ(socket, sk) : NULL;
	if (!sk || !gadget_sock_key(sk, &key) || gadget_task_should_discard(task))
		return 0;
	gadget_task_fill(&owner, task);
	BPF_CORE_READ_STR_INTO(&owner.comm, task, group_leader, comm);
	bpf_map_update_elem(&gadget_socket_owners, &key, &owner, BPF_NOEXIST);
	return 0;
}

static __always_inline struct gadget_socket_owner *
gadget_socket_owner_lookup(__u32 netns, __u8 proto, __u16 port)
{
	struct gadget_socket_key key = {.netns = netns, .port = port, .proto = proto};

	return bpf_map_lookup_elem(&gadget_socket_owners, &key);
}

/* The owner of a kernel socket, by its network namespace and local port:
 * for a tracepoint that is handed a socket outside its process's context
 * (a retransmit timer, a softirq).  Only sk's struct sock_common is read,
 * so sk may be a full, request or time-wait socket. */
static __always_inline struct gadget_socket_owner *
gadget_socket_owner_of(const struct sock *sk, __u8 proto)
{
	struct gadget_socket_owner *o;
	__u64 addr = (__u64)sk;

	o = gadget_socket_owner_lookup(BPF_CORE_READ(sk, __sk_common.skc_net.net, ns.inum),
				       proto, BPF_CORE_READ(sk, __sk_common.skc_num));
	return o ? o : bpf_map_lookup_elem(&gadget_socket_connecting, &addr);
}

/* The owner into an event's GADGET_PROCESS_FIELDS members (gadget/process.h)
 * and the timestamp to now.  When o is NULL (no process known) the process
 * members are zero. */
#define gadget_owner_fill(e, o)                                                    \
	do {                                                                       \
		const struct gadget_socket_owner *gadget_o_ = (o);                  \
		(e)->timestamp = bpf_ktime_get_boot_ns();                          \
		if (gadget_o_)                                                     \
			gadget_task_copy(e, gadget_o_);                            \
		else                                                               \
			gadget_task_clear(e);                                      \
	} while (0)

/* The process filters (--pid --tid --uid --gid --comm) on a packet's
 * owner, not the mount namespace's: for a gadget whose selection is the
 * network namespace itself (trace/tcpdump; the host then judges the
 * owner's mount namespace, and keeps a packet without an owner of a
 * namespace it traces).  Without an owner, a packet is kept only when none
 * of these filters is on. */
static __always_inline bool gadget_owner_process_discard(const struct gadget_socket_owner *o)
{
	if (!o)
		return gadget_filter_pid || gadget_filter_tid || gadget_filter_uid_on ||
		       gadget_filter_gid_on || gadget_filter_comm_on;
	if (gadget_filter_pid && o->pid != gadget_filter_pid)
		return true;
	if (gadget_filter_tid && o->tid != gadget_filter_tid)
		return true;
	if (gadget_filter_uid_on && o->uid != gadget_filter_uid)
		return true;
	if (gadget_filter_gid_on && o->gid != gadget_filter_gid)
		return true;
	return gadget_filter_comm_on && gadget_comm_differs_from(o->comm);
}

/* gadget_should_discard() for a socket program: the same filters, applied
 * to the packet's owner.  Without an owner, a packet is kept only when no
 * filter is on. */
static __always_inline bool gadget_owner_should_discard(const struct gadget_socket_owner *o)
{
	if (gadget_owner_process_discard(o))
		return true;
	if (!o)
		return gadget_filter_by_mntns;
	return gadget_filter_by_mntns && gadget_mntns_discard(o->mountnsid);
}

#endif
