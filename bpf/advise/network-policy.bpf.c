// SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note
/* advise/network-policy: the TCP connections of each pod, in and out, for
 * Kubernetes NetworkPolicy manifests (ig's advise network-policy).
 *
 *   CLOSE -> SYN_SENT        connect(), in the process: remember it
 *   SYN_SENT -> ESTABLISHED  "connect": an egress connection
 *   sys_exit_accept/accept4  "accept": an ingress connection
 *   sys_exit_* of every call that sends or receives on a socket: "udp
 *   send", "udp receive" when the socket is UDP (a datagram sent or
 *   received):
 *     sendto, sendmsg, sendmmsg, write, writev, pwritev2, sendfile, splice
 *     recvfrom, recvmsg, recvmmsg, read, readv, preadv2, splice
 *   (send() and recv() are sendto and recvfrom).  The peer is the address
 *   the call names (sendto's dest_addr, recvfrom's src_addr, each
 *   message's msg_name), else the socket's connected peer (a Go resolver:
 *   connect(), then write() and read()); a datagram read from a socket
 *   that is not connected, without an address, has an unknown peer (the
 *   zero address, port 0).
 *
 * A UDP flow (network namespace, local port, peer address and port,
 * direction) is reported once: udp_flows remembers the ones seen.  Which
 * side started it (a request and its reply) is the script's to judge.
 * (sock:inet_sock_set_state's raw tracepoint and the owner per socket of
 * gadget/tcp_conn.h, as trace/tcp.)  A failed connect is no policy need:
 * not reported.  The script keeps the set of (pod, direction, peer, port)
 * and writes the policies at the end.
 */
#include <gadget/gadget.h>
#include <gadget/tcp_conn.h>
#include <gadget/tcp_sock.h>
#include <gadget/sockets.h>
#include <gadget/syscall.h>

enum conn_type { TYPE_CONNECT = 0, TYPE_ACCEPT = 1, TYPE_UDP_SEND = 2, TYPE_UDP_RECV = 3 };

struct event {
	GADGET_PROCESS_FIELDS; /* the socket's owner */
	gadget_netns_id netns;
	__u8 typeRaw;
	__u8 ipversion;
	struct gadget_l3endpoint_t saddr; /* this side */
	gadget_port sport;
	struct gadget_l3endpoint_t daddr; /* the peer */
	gadget_port dport;
	__u8 proto;                       /* IPPROTO_TCP, IPPROTO_UDP */
};

struct udp_flow {
	__u64 netns;
	__u8 peer[16];
	__u16 lport;
	__u16 pport;
	__u8 type;
	__u8 pad[3];
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, struct udp_flow);
	__type(value, __u8);
} udp_flows SEC(".maps");

GADGET_TRACER_MAP(events, 1 << 18);
GADGET_TRACER(netpol, events, event);

/* a raw tracepoint (gadget/tcp_conn.h: the kernel would skip a classic
 * one's program in the handshake's softirq when it interrupts another
 * eBPF program) */
SEC("raw_tp/inet_sock_set_state")
int BPF_PROG(netpol_set_state, const struct sock *sk, int oldstate, int newstate)
{
	struct gadget_tcp_owner *o;
	struct event e = {};

	if (BPF_CORE_READ(sk, sk_protocol) != IPPROTO_TCP)
		return 0;
	if (newstate == TCP_SYN_SENT) {
		if (!gadget_should_discard())
			gadget_tcp_remember(sk);
		return 0;
	}
	if (oldstate != TCP_SYN_SENT)
		return 0;
	o = gadget_tcp_owner_of(sk);
	if (!o)
		return 0;
	if (newstate == TCP_ESTABLISHED) {
		e.timestamp = bpf_ktime_get_boot_ns();
		gadget_tcp_set_owner(&e, o);
		gadget_tcp_set_endpoints_state(&e, sk);
		e.typeRaw = TYPE_CONNECT;
		e.proto = IPPROTO_TCP;
		gadget_output(&events, &e, sizeof(e));
	}
	gadget_tcp_forget(sk);
	return 0;
}

static __always_inline int accepted(long fd)
{
	struct gadget_tcp_owner o;
	struct event e = {};
	struct sock *sk;

	if (fd < 0 || gadget_should_discard())
		return 0;
	sk = gadget_sock_from_fd(fd);
	if (!sk || !gadget_sock_is_tcp(sk))
		return 0;
	gadget_tcp_owner_current(&o, sk);
	e.timestamp = bpf_ktime_get_boot_ns();
	gadget_tcp_set_owner(&e, &o);
	gadget_tcp_set_endpoints_sock(&e, sk);
	e.typeRaw = TYPE_ACCEPT;
	e.proto = IPPROTO_TCP;
	gadget_output(&events, &e, sizeof(e));
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_accept")
int netpol_exit_accept(struct trace_event_raw_sys_exit *ctx)
{
	return accepted(ctx->ret);
}

SEC("tracepoint/syscalls/sys_exit_accept4")
int netpol_exit_accept4(struct trace_event_raw_sys_exit *ctx)
{
	return accepted(ctx->ret);
}

/* The UDP socket behind fd of a traced process, or NULL. */
static __always_inline struct sock *udp_sock(long fd)
{
	struct sock *sk;

	if (fd < 0 || gadget_should_discard())
		return NULL;
	sk = gadget_sock_from_fd(fd);
	if (!sk || !gadget_sock_is_inet(sk) || gadget_sock_protocol(sk) != IPPROTO_UDP)
		return NULL;
	return sk;
}

/* A UDP datagram sent or received on sk; uaddr: the peer's address in
 * user memory (sendto's dest_addr, recvfrom's src_addr, msg_name), or
 * NULL: the connected peer of the socket, if any.  A subprogram: the
 * *mmsg calls run it once per message. */
static __noinline int udp_datagram(struct sock *sk, const void *uaddr, __u8 type)
{
	struct gadget_tcp_owner o;
	struct gadget_l3endpoint_t peer;
	struct udp_flow key = {};
	struct event e = {};
	__u16 port;
	__u8 one = 1;

	if (!sk)
		return 0;
	gadget_tcp_owner_current(&o, sk);
	gadget_tcp_set_owner(&e, &o);
	gadget_tcp_set_endpoints_sock(&e, sk); /* local end, connected peer */
	port = gadget_user_sockaddr(uaddr, &peer);
	if (port) {
		e.daddr = peer;
		e.dport = port;
	}
	/* a datagram sent has somewhere to go; one received without an
	 * address on a socket that is not connected: from a peer unknown */
	if (!e.dport && type == TYPE_UDP_SEND)
		return 0;
	key.netns = e.netns;
	__builtin_memcpy(key.peer, e.daddr.addr_raw.v6, sizeof(key.peer));
	key.lport = e.sport;
	key.pport = e.dport;
	key.type = type;
	if (bpf_map_update_elem(&udp_flows, &key, &one, BPF_NOEXIST))
		return 0; /* seen already */
	e.timestamp = bpf_ktime_get_boot_ns();
	e.typeRaw = type;
	e.proto = IPPROTO_UDP;
	gadget_output(&events, &e, sizeof(e));
	return 0;
}

/* msg->msg_name, read from user memory */
static __always_inline const void *msg_name(const struct user_msghdr *msg)
{
	void *name = NULL;

	if (msg)
		bpf_probe_read_user(&name, sizeof(name), &msg->msg_name);
	return name;
}

/* at the exit of a send or receive: the fd is argument 1; the peer's
 * address argument 5 (sendto, recvfrom) or argument 2's msg_name */
static __always_inline int udp_exit(struct trace_event_raw_sys_exit *ctx, __u8 type, bool msg)
{
	struct pt_regs *regs = gadget_syscall_regs();
	const void *addr;
	struct sock *sk;

	if (ctx->ret < 0)
		return 0;
	sk = udp_sock(gadget_syscall_arg1(regs));
	if (!sk)
		return 0;
	addr = msg ? msg_name((const struct user_msghdr *)gadget_syscall_arg2(regs))
		   : (const void *)gadget_syscall_arg5(regs);
	return udp_datagram(sk, addr, type);
}

/* at the exit of a call that names no address (write, read, writev,
 * readv, pwritev2, preadv2, sendfile): the socket's connected peer; fd is
 * argument 1 (sendfile's out_fd) */
static __always_inline int stream_exit(struct trace_event_raw_sys_exit *ctx, __u8 type)
{
	if (ctx->ret <= 0)
		return 0; /* nothing moved (0: an empty read of a stream, not a datagram) */
	return udp_datagram(udp_sock(gadget_syscall_arg1(gadget_syscall_regs())), NULL, type);
}

/* sendmmsg, recvmmsg: ret messages of the vector in argument 2, each with
 * its msg_name (its address); the first MMSG_MAX are looked at */
#define MMSG_MAX 8
static __always_inline int mmsg_exit(struct trace_event_raw_sys_exit *ctx, __u8 type)
{
	struct pt_regs *regs = gadget_syscall_regs();
	const struct mmsghdr *vec = (const struct mmsghdr *)gadget_syscall_arg2(regs);
	struct sock *sk;
	long n = ctx->ret;

	if (n <= 0)
		return 0;
	sk = udp_sock(gadget_syscall_arg1(regs));
	if (!sk)
		return 0;
	for (int i = 0; i < MMSG_MAX; i++) {
		if (i >= n)
			break;
		udp_datagram(sk, msg_name(&vec[i].msg_hdr), type);
	}
	return 0;
}

/* a program at sys_exit_CALL that returns how(ctx, args...) */
#define NETPOL_EXIT(call, how, ...)                                         \
	SEC("tracepoint/syscalls/sys_exit_" #call)                          \
	int netpol_exit_##call(struct trace_event_raw_sys_exit *ctx)       \
	{                                                                   \
		return how(ctx, __VA_ARGS__);                               \
	}

NETPOL_EXIT(sendto, udp_exit, TYPE_UDP_SEND, false)
NETPOL_EXIT(sendmsg, udp_exit, TYPE_UDP_SEND, true)
NETPOL_EXIT(recvfrom, udp_exit, TYPE_UDP_RECV, false)
NETPOL_EXIT(recvmsg, udp_exit, TYPE_UDP_RECV, true)
NETPOL_EXIT(sendmmsg, mmsg_exit, TYPE_UDP_SEND)
NETPOL_EXIT(recvmmsg, mmsg_exit, TYPE_UDP_RECV)
NETPOL_EXIT(write, stream_exit, TYPE_UDP_SEND)
NETPOL_EXIT(writev, stream_exit, TYPE_UDP_SEND)
NETPOL_EXIT(pwritev2, stream_exit, TYPE_UDP_SEND)
NETPOL_EXIT(sendfile64, stream_exit, TYPE_UDP_SEND)
NETPOL_EXIT(read, stream_exit, TYPE_UDP_RECV)
NETPOL_EXIT(readv, stream_exit, TYPE_UDP_RECV)
NETPOL_EXIT(preadv2, stream_exit, TYPE_UDP_RECV)

/* splice(fd_in, off_in, fd_out, ...): a pipe into a socket sends, a
 * socket into a pipe receives */
SEC("tracepoint/syscalls/sys_exit_splice")
int netpol_exit_splice(struct trace_event_raw_sys_exit *ctx)
{
	struct pt_regs *regs = gadget_syscall_regs();

	if (ctx->ret <= 0)
		return 0;
	udp_datagram(udp_sock(gadget_syscall_arg3(regs)), NULL, TYPE_UDP_SEND);
	return udp_datagram(udp_sock(gadget_syscall_arg1(regs)), NULL, TYPE_UDP_RECV);
}

char LICENSE[] SEC("license") = "GPL";
