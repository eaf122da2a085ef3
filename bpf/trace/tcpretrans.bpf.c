// SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note
/* trace/tcpretrans: TCP retransmissions (libbpf-tools' tcpretrans, ig's
 * trace tcpretrans).
 *
 *   tcp:tcp_retransmit_skb     a segment sent again (data, SYN, FIN): the
 *                              connection's state and the segment's flags;
 *                              on 6.14+ also an attempt that failed, with
 *                              its error (EBUSY: the first copy still
 *                              waits in a queue of this host)
 *   tcp:tcp_retransmit_synack  a listener's SYN-ACK sent again
 *
 * Both are handed the socket itself.  They run mostly in a timer's
 * softirq, where the current task is unrelated, so the process is the
 * socket's owner (gadget/socket_owner.h: the last process that connected,
 * listened, accepted, sent or received on its local port), and the kernel
 * filters apply to that owner.
 *
 * Both are raw or BTF tracepoints, not classic ones: the kernel runs a
 * classic tracepoint's program only when no other kprobe, tracepoint or
 * perf_event program is running on that CPU (one per-CPU flag for them
 * all), so a softirq that interrupts, say, an open tracer's syscall
 * program would lose the retransmission (the program's recursion_misses
 * in `bpftool prog`).  Raw and BTF tracepoints skip only a program that
 * interrupts itself.  tcp_retransmit_skb is the raw one (attaching needs
 * no kernel BTF); its third argument, the error, exists where the
 * tracepoint's record has the field (6.14+).
 */
#include <gadget/gadget.h>
#include <gadget/process.h>
#include <gadget/socket_owner.h>
#include <gadget/skb_tcp.h>
#include <gadget/tcp_sock.h>

enum retrans_type { TYPE_RETRANS = 0, TYPE_SYNACK = 1 };

struct event {
	GADGET_PROCESS_FIELDS; /* the socket's owner; 0 and "" when unknown */
	gadget_netns_id netns;
	__u8 typeRaw;
	__u8 ipversion;
	__u8 stateRaw;
	__u8 tcpflagsRaw;
	struct gadget_l3endpoint_t saddr;
	gadget_port sport;
	struct gadget_l3endpoint_t daddr;
	gadget_port dport;
	gadget_errno error; /* 0: sent; else why not (kernels with the record's err) */
};

/* the record of tcp_retransmit_skb since it has the error (6.14+): its
 * tracepoint then has a third argument */
struct trace_event_raw_tcp_retransmit_skb___err {
	int err;
} __attribute__((preserve_access_index));

GADGET_TRACER_MAP(events, 1 << 18);
GADGET_TRACER(tcpretrans, events, event);

/* The event of a retransmission on sk (a full socket, or a request
 * socket: only its struct sock_common is read), owned by the process of
 * the local port on owner_sk. */
static __always_inline int report(const struct sock *sk, const struct sock *owner_sk,
				  enum retrans_type type, __u8 flags, int error)
{
	const struct gadget_socket_owner *o = gadget_socket_owner_of(owner_sk, GADGET_IPPROTO_TCP);
	struct event e = {};

	if (gadget_owner_should_discard(o))
		return 0;
	gadget_owner_fill(&e, o);
	e.netns = gadget_sock_netns(sk);
	e.typeRaw = type;
	e.stateRaw = BPF_CORE_READ(sk, __sk_common.skc_state);
	e.tcpflagsRaw = flags;
	e.error = gadget_errno_of(error);
	gadget_tcp_set_endpoints_sock(&e, sk);
	gadget_output(&events, &e, sizeof(e));
	return 0;
}

SEC("raw_tp/tcp_retransmit_skb")
int BPF_PROG(tcp_retransmit_skb, const struct sock *sk, const struct sk_buff *skb)
{
	int error = 0;

	/* constant after CO-RE: on older kernels the verifier never sees the
	 * read of an argument the tracepoint does not have */
	if (bpf_core_field_exists(struct trace_event_raw_tcp_retransmit_skb___err, err))
		error = (int)ctx[2];
	/* the flags TCP will write into the segment's header */
	return report(sk, sk, TYPE_RETRANS, BPF_CORE_READ((struct tcp_skb_cb *)&skb->cb, tcp_flags),
		      error);
}

SEC("tp_btf/tcp_retransmit_synack")
int BPF_PROG(tcp_retransmit_synack, const struct sock *sk, const struct request_sock *req)
{
	/* the connection is the request socket; the listener sk is owned */
	return report((const struct sock *)req, sk, TYPE_SYNACK, GADGET_TCP_SYN | GADGET_TCP_ACK, 0);
}

char LICENSE[] SEC("license") = "GPL";
