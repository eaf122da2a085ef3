// SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note
/* trace/tcpdump: every packet of each traced network namespace, its first
 * --snaplen bytes from the link-layer header on, for a pcap-ng file or rows.
 *
 * A socket program (gadget/packet.h) sees each packet of the namespace in
 * both directions.  The --pf expression is not run here: the host runs it
 * (libpcap's own interpreter on the captured bytes), so any expression
 * tcpdump takes works, at the cost of sending every packet's first bytes
 * to the host.  IP and TCP/UDP headers are parsed for the rows' summary
 * and for the owner of the packet's local port (gadget/socket_owner.h);
 * other packets (ARP, ICMP) have no owner.
 *
 * Loopback: each packet passes the taps twice, sent (OUTGOING) and
 * received (HOST), the same bytes; the sent copy is kept, in its sender's
 * context, and the received one left out.
 */
#include <gadget/gadget.h>
#include <gadget/packet.h>
#include <gadget/socket_owner.h>

#define SNAPLEN_MAX 16384 /* bytes of a packet at most: the per-CPU scratch bounds it */
_Static_assert(SNAPLEN_MAX == 16384, "the gadget_bound() masks assume 16384");
#define LOOPBACK_IFINDEX 1 /* every namespace's lo */

struct event {
	GADGET_PROCESS_FIELDS; /* the owner of the packet's local port, if known */
	gadget_netns_id netns;
	gadget_ifindex ifindex;
	enum gadget_pkt_type pktType;
	__u32 len;      /* bytes of the frame, from its link-layer header */
	__u32 snapLen;  /* the capture's limit (--snaplen, at most SNAPLEN_MAX) */
	__u16 ethType;  /* the frame's protocol (ETH_P_*), host order */
	__u8 ipProto;   /* IP's protocol, 0 for none */
	__u8 tcpFlags;
	struct gadget_l4endpoint_t src; /* TCP/UDP over IP; zero otherwise */
	struct gadget_l4endpoint_t dst;
	/* must stay last: a record ends where its capture ends */
	__u8 data[SNAPLEN_MAX];
};

GADGET_TRACER_MAP(events, 1 << 23);
GADGET_TRACER(tcpdump, events, event);
GADGET_PARAM(__u32, snaplen, 1514);

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct event);
} scratch SEC(".maps");

SEC("socket")
int tcpdump_packet(struct __sk_buff *skb)
{
	const struct gadget_socket_owner *owner = NULL;
	struct gadget_packet p;
	struct event *e;
	__u32 zero = 0, cap, limit = snaplen;
	bool l4;

	if (skb->ifindex == LOOPBACK_IFINDEX && skb->pkt_type != OUTGOING)
		return 0;
	l4 = gadget_packet_parse(skb, &p);
	if (l4)
		owner = gadget_socket_owner_lookup(p.netns, p.proto, gadget_packet_local_port(&p));
	/* the selection is the network namespace: gadget/socket_owner.h */
	if (gadget_owner_process_discard(owner))
		return 0;
	e = bpf_map_lookup_elem(&scratch, &zero);
	if (!e)
		return 0;
	gadget_owner_fill(e, owner); /* and the timestamp */
	e->netns = gadget_packet_netns(skb);
	e->ifindex = skb->ifindex;
	e->pktType = skb->pkt_type;
	e->len = skb->len;
	e->ethType = bpf_ntohs(skb->protocol);
	e->ipProto = p.proto; /* set once the IP header is read, even for ICMP */
	e->tcpFlags = l4 ? p.tcp_flags : 0;
	if (l4) {
		e->src = p.src;
		e->dst = p.dst;
	} else {
		__builtin_memset(&e->src, 0, sizeof(e->src));
		__builtin_memset(&e->dst, 0, sizeof(e->dst));
	}
	if (limit > SNAPLEN_MAX)
		limit = SNAPLEN_MAX;
	if (limit == 0)
		limit = 1;
	e->snapLen = limit;
	cap = skb->len < limit ? skb->len : limit;
	if (cap == 0)
		return 0;
	/* cap - 1 in [0, SNAPLEN_MAX - 1]: the verifier sees 1..SNAPLEN_MAX */
	cap -= 1;
	gadget_bound(cap, 16383);
	if (bpf_skb_load_bytes(skb, 0, e->data, cap + 1))
		return 0;
	cap = offsetof(struct event, data) + cap + 1;
	gadget_bound(cap, 32767);
	if (cap <= sizeof(*e))
		gadget_output(&events, e, cap);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
