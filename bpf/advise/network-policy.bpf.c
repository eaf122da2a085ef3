// SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note
/* advise/network-policy: the TCP connections of each pod, in and out, for
 * Kubernetes NetworkPolicy manifests (ig's advise network-policy).
 *
 *   CLOSE -> SYN_SENT        connect(), in the process: remember it
 *   SYN_SENT -> ESTABLISHED  "connect": an egress connection
 *   sys_exit_accept/accept4  "accept": an ingress connection
 *   sys_exit_sendto/sendmsg  "udp send": a UDP datagram sent
 *   sys_exit_recvfrom/recvmsg "udp receive": a UDP datagram received
 *
 * A UDP flow (network namespace, local port, peer address and port,
 * direction) is reported once: udp_flows remembers the ones seen.  Which
 * side started it (a request and its reply) is the script's to judge.
 * (sock:inet_sock_set_state and the owner per socket of gadget/tcp_conn.h,
 * as trace/tcp.)  A failed connect is no policy need: not reported.  The
 * script keeps the set of (pod, direction, peer, port) and writes the
 * policies at the end.
 */
#include <gadget/gadget.h>
#include <gadget/tcp_conn.h>
#include <gadget/tcp_sock.h>
#include <gadget/sockets.h>
#include <gadget/syscall.h>

enum conn_type { TYPE_CONNECT = 0, TYPE_ACCEPT = 1, TYPE_UDP_SEND = 2, TYPE_UDP_RECV = 3 };

struct event {
	gadget_timestamp timestamp;
	gadget_mntns_id mountnsid;
	gadget_netns_id netns;
	__u32 pid;
	__u32 tid;
	gadget_uid uid;
	gadget_gid gid;
	char comm[TASK_COMM_LEN];
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

SEC("tracepoint/sock/inet_sock_set_state")
int netpol_set_state(struct trace_event_raw_inet_sock_set_state *ctx)
{
	const void *sk = ctx->skaddr;
	struct gadget_tcp_owner *o;
	struct event e = {};

	if (ctx->protocol != IPPROTO_TCP)
		return 0;
	if (ctx->newstate == TCP_SYN_SENT) {
		if (!gadget_should_discard())
			gadget_tcp_remember(sk);
		return 0;
	}
	if (ctx->oldstate != TCP_SYN_SENT)
		return 0;
	o = gadget_tcp_owner_of(sk);
	if (!o)
		return 0;
	if (ctx->newstate == TCP_ESTABLISHED) {
		e.timestamp = bpf_ktime_get_boot_ns();
		gadget_tcp_set_owner(&e, o);
		gadget_tcp_set_endpoints_tp(&e, ctx);
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

/* A UDP datagram sent or received on fd; uaddr: the peer's address in
 * user memory (sendto's dest_addr, recvfrom's src_addr, msg_name), or
 * NULL: the connected peer of the socket. */
static __always_inline int udp_datagram(long fd, const void *uaddr, __u8 type)
{
	struct gadget_tcp_owner o;
	struct gadget_l3endpoint_t peer;
	struct udp_flow key = {};
	struct event e = {};
	struct sock *sk;
	__u16 port;
	__u8 one = 1;

	if (gadget_should_discard())
		return 0;
	sk = gadget_sock_from_fd(fd);
	if (!sk || !gadget_sock_is_inet(sk) || gadget_sock_protocol(sk) != IPPROTO_UDP)
		return 0;
	gadget_tcp_owner_current(&o, sk);
	gadget_tcp_set_owner(&e, &o);
	gadget_tcp_set_endpoints_sock(&e, sk); /* local end, connected peer */
	port = gadget_user_sockaddr(uaddr, &peer);
	if (port) {
		e.daddr = peer;
		e.dport = port;
	}
	if (!e.dport)
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

	if (ctx->ret < 0)
		return 0;
	addr = msg ? msg_name((const struct user_msghdr *)gadget_syscall_arg2(regs))
		   : (const void *)gadget_syscall_arg5(regs);
	return udp_datagram(gadget_syscall_arg1(regs), addr, type);
}

SEC("tracepoint/syscalls/sys_exit_sendto")
int netpol_exit_sendto(struct trace_event_raw_sys_exit *ctx)
{
	return udp_exit(ctx, TYPE_UDP_SEND, false);
}

SEC("tracepoint/syscalls/sys_exit_sendmsg")
int netpol_exit_sendmsg(struct trace_event_raw_sys_exit *ctx)
{
	return udp_exit(ctx, TYPE_UDP_SEND, true);
}

SEC("tracepoint/syscalls/sys_exit_recvfrom")
int netpol_exit_recvfrom(struct trace_event_raw_sys_exit *ctx)
{
	return udp_exit(ctx, TYPE_UDP_RECV, false);
}

SEC("tracepoint/syscalls/sys_exit_recvmsg")
int netpol_exit_recvmsg(struct trace_event_raw_sys_exit *ctx)
{
	return udp_exit(ctx, TYPE_UDP_RECV, true);
}

char LICENSE[] SEC("license") = "GPL";
