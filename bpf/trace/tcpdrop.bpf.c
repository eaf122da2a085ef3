// SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note
/* trace/tcpdrop: TCP segments the kernel dropped, and why (ig's trace
 * tcpdrop; BCC's tcpdrop).
 *
 * skb:kfree_skb fires for every packet freed as dropped, with the
 * kernel's reason (enum skb_drop_reason: NO_SOCKET, NETFILTER_DROP,
 * QDISC_DROP, TCP_CSUM...).  The event's reason member has that enum's
 * type, so the host prints the running kernel's name for it, whatever
 * numbering the kernel the object was built against had.
 *
 * Addresses, ports and flags come from the packet's own IP and TCP
 * headers (gadget/skb_tcp.h), so a segment no socket wanted (a SYN to a
 * closed port) is reported too.  The socket, when the kernel knows it
 * (the sender's on the way out; the receiver's once looked up, which
 * 6.12+ passes as rx_sk), gives the TCP state.  The process is the owner
 * of the local port (gadget/socket_owner.h): the socket's own, or else
 * the destination port in the receiving device's network namespace.
 *
 * A raw tracepoint: the kernel runs a classic tracepoint's program only
 * when no other kprobe, tracepoint or perf_event program runs on the CPU,
 * so a packet dropped in a softirq (a timer's retransmission, a packet
 * received) that interrupts, say, an open tracer's syscall program would
 * be lost; a raw tracepoint is skipped only inside itself, and attaching
 * it needs no kernel BTF.  Its arguments are (skb, location, reason) and,
 * where the tracepoint's record has rx_sk (6.12+), rx_sk: the program
 * reads that fourth one only there (CO-RE).
 */
#include <gadget/gadget.h>
#include <gadget/process.h>
#include <gadget/skb_tcp.h>
#include <gadget/socket_owner.h>
#include <gadget/tcp_sock.h>

struct event {
	GADGET_PROCESS_FIELDS; /* the local port's owner; 0 and "" when unknown */
	gadget_netns_id netns;
	__u8 ipversion;
	__u8 stateRaw;    /* 0 when the kernel had no socket for the segment */
	__u8 tcpflagsRaw;
	struct gadget_l3endpoint_t saddr;
	gadget_port sport;
	struct gadget_l3endpoint_t daddr;
	gadget_port dport;
	enum skb_drop_reason reason;
};

GADGET_TRACER_MAP(events, 1 << 18);
GADGET_TRACER(tcpdrop, events, event);

/* the socket the kernel had for the dropped skb, or NULL */
static __always_inline struct sock *drop_sock(const unsigned long long *ctx,
					      const struct sk_buff *skb)
{
	struct sock *sk = NULL;

	/* constant after CO-RE: on older kernels the verifier never sees the
	 * read of an argument the tracepoint does not have */
	if (bpf_core_field_exists(struct trace_event_raw_kfree_skb, rx_sk))
		sk = (struct sock *)ctx[3];
	return sk ? sk : BPF_CORE_READ(skb, sk);
}

SEC("raw_tp/kfree_skb")
int BPF_PROG(tcp_drop, const struct sk_buff *skb, void *location, enum skb_drop_reason reason)
{
	__u16 proto = bpf_ntohs(BPF_CORE_READ(skb, protocol)); /* as the record has it */
	const struct gadget_socket_owner *o;
	struct gadget_skb_tcp t;
	struct event e = {};
	struct sock *sk;

	if (proto != GADGET_ETH_P_IP && proto != GADGET_ETH_P_IPV6)
		return 0;
	if (!gadget_skb_tcp(skb, &t))
		return 0;
	sk = drop_sock(ctx, skb);
	if (sk) {
		e.netns = gadget_sock_netns(sk);
		e.stateRaw = BPF_CORE_READ(sk, __sk_common.skc_state);
		o = gadget_socket_owner_of(sk, GADGET_IPPROTO_TCP);
	} else {
		/* no socket: a segment on its way in, for the destination port */
		e.netns = BPF_CORE_READ(skb, dev, nd_net.net, ns.inum);
		o = gadget_socket_owner_lookup(e.netns, GADGET_IPPROTO_TCP, t.dport);
	}
	if (gadget_owner_should_discard(o))
		return 0;
	gadget_owner_fill(&e, o);
	e.ipversion = t.version;
	e.tcpflagsRaw = t.flags;
	e.saddr = t.saddr;
	e.sport = t.sport;
	e.daddr = t.daddr;
	e.dport = t.dport;
	e.reason = reason;
	gadget_output(&events, &e, sizeof(e));
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
