// SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note
/* snapshot/socket: the TCP and UDP sockets of a network namespace, from
 * the kernel's socket iterators (iter/tcp, iter/udp).  An iterator walks
 * the namespace it is opened in: the host opens one in each namespace to
 * look at (the host's with --host, each selected container's) and fills
 * mountnsid with the container's.  Sockets have no process: --pid,
 * --comm and the like do not apply.
 */
#include <gadget/gadget.h>
#include <bpf/bpf_endian.h>

#define AF_INET 2
#define AF_INET6 10

enum proto_kind {
	TCP = 6,
	UDP = 17,
};

/* sk_state, as /proc/net/tcp numbers them (UDP: ESTABLISHED when
 * connected, CLOSE when not) */
enum socket_status {
	ESTABLISHED = 1,
	SYN_SENT = 2,
	SYN_RECV = 3,
	FIN_WAIT1 = 4,
	FIN_WAIT2 = 5,
	TIME_WAIT = 6,
	CLOSE = 7,
	CLOSE_WAIT = 8,
	LAST_ACK = 9,
	LISTEN = 10,
	CLOSING = 11,
	NEW_SYN_RECV = 12,
};

struct socket_entry {
	gadget_mntns_id mountnsid; /* left 0: the host fills it */
	gadget_netns_id netns;
	enum proto_kind proto;
	__u32 ip; /* 4 or 6 */
	struct gadget_l3endpoint_t saddr;
	struct gadget_l3endpoint_t daddr;
	gadget_port sport;
	gadget_port dport;
	enum socket_status status;
	__u64 inode;
};

GADGET_SNAPSHOTTER(socket, socket_entry, snap_tcp);
GADGET_SNAPSHOTTER(socket, socket_entry, snap_udp);

/* --proto: "tcp", "udp" or "all" */
const volatile char proto[8] = "all";

static __always_inline bool wanted(char first)
{
	return proto[0] == 'a' || proto[0] == first;
}

static __always_inline void fill(struct socket_entry *e, struct sock_common *skc)
{
	__u16 family = BPF_CORE_READ(skc, skc_family);

	e->netns = BPF_CORE_READ(skc, skc_net.net, ns.inum);
	e->sport = BPF_CORE_READ(skc, skc_num);
	e->dport = bpf_ntohs(BPF_CORE_READ(skc, skc_dport));
	e->status = BPF_CORE_READ(skc, skc_state);
	if (family == AF_INET) {
		e->ip = e->saddr.version = e->daddr.version = 4;
		e->saddr.addr_raw.v4 = BPF_CORE_READ(skc, skc_rcv_saddr);
		e->daddr.addr_raw.v4 = BPF_CORE_READ(skc, skc_daddr);
	} else {
		e->ip = e->saddr.version = e->daddr.version = 6;
		BPF_CORE_READ_INTO(&e->saddr.addr_raw.v6, skc, skc_v6_rcv_saddr);
		BPF_CORE_READ_INTO(&e->daddr.addr_raw.v6, skc, skc_v6_daddr);
	}
}

/* the socket's inode (as in /proc/PID/fd: socket:[inode]), 0 if it has
 * no file (orphaned, time-wait, request) */
static __always_inline __u64 inode_of(struct sock *sk)
{
	return BPF_CORE_READ(sk, sk_socket, file, f_inode, i_ino);
}

SEC("iter/tcp")
int snap_tcp(struct bpf_iter__tcp *ctx)
{
	struct sock_common *skc = ctx->sk_common;
	struct socket_entry e = {};
	struct tcp_sock *tp;
	__u16 family;

	if (!skc || !wanted('t'))
		return 0;
	family = BPF_CORE_READ(skc, skc_family);
	if (family != AF_INET && family != AF_INET6)
		return 0;
	e.proto = TCP;
	fill(&e, skc);
	/* full sockets only: not time-wait or request socks */
	tp = bpf_skc_to_tcp_sock(skc);
	if (tp)
		e.inode = inode_of((struct sock *)tp);
	bpf_seq_write(ctx->meta->seq, &e, sizeof(e));
	return 0;
}

SEC("iter/udp")
int snap_udp(struct bpf_iter__udp *ctx)
{
	struct udp_sock *udp = ctx->udp_sk;
	struct socket_entry e = {};
	struct sock *sk;
	__u16 family;

	if (!udp || !wanted('u'))
		return 0;
	sk = (struct sock *)udp;
	family = BPF_CORE_READ(sk, __sk_common.skc_family);
	if (family != AF_INET && family != AF_INET6)
		return 0;
	e.proto = UDP;
	fill(&e, &sk->__sk_common);
	e.inode = inode_of(sk);
	bpf_seq_write(ctx->meta->seq, &e, sizeof(e));
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
