/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR Apache-2.0 */
/* gadget/packet.h - socket programs: a gadget that reads packets.
 *
 * A SEC("socket") program in a gadget's object is not attached to a hook:
 * the host opens an AF_PACKET socket in each traced network namespace
 * (the host's with --host, each selected container's) and attaches the
 * program to it, behind a small dispatcher that stores the namespace's
 * inode number in skb->cb[0] first.  The program sees every packet of
 * that namespace, in both directions, from the network header on, and
 * writes events to the gadget's ring buffer like any tracer.  Return 0:
 * the socket itself keeps nothing.
 *
 *   SEC("socket")
 *   int on_packet(struct __sk_buff *skb)
 *   {
 *       struct gadget_packet p;
 *       if (!gadget_packet_parse(skb, &p)) return 0;
 *       ... gadget_socket_owner_lookup(p.netns, p.proto, local port) ...
 *   }
 *
 * Which process a packet belongs to: gadget/socket_owner.h.
 */
#ifndef GADGET_PACKET_H
#define GADGET_PACKET_H

#include <bpf/bpf_endian.h>
#include <gadget/types.h>

/* skb->pkt_type: which way a packet went (linux/if_packet.h).  As a C
 * enum in an event struct, the host prints the name. */
enum gadget_pkt_type {
	HOST = 0,      /* to this host */
	BROADCAST = 1,
	MULTICAST = 2,
	OTHERHOST = 3, /* to another host, seen in promiscuous mode */
	OUTGOING = 4,  /* sent by this host */
};

#define GADGET_ETH_P_IP 0x0800
#define GADGET_ETH_P_IPV6 0x86DD
#define GADGET_IPPROTO_TCP 6
#define GADGET_IPPROTO_UDP 17

struct gadget_packet {
	struct gadget_l4endpoint_t src;
	struct gadget_l4endpoint_t dst;
	__u32 netns;        /* the traced namespace's inode number */
	__u32 net_off;      /* where the network header starts in the skb */
	__u32 payload_off;  /* from the network header */
	__u32 payload_len;  /* L4 payload bytes, from the headers' lengths */
	__u32 pkt_type;     /* enum gadget_pkt_type */
	__u8 proto;         /* GADGET_IPPROTO_TCP or _UDP */
	__u8 tcp_flags;     /* TCP: FIN 0x01, SYN 0x02, RST 0x04, PSH 0x08, ACK 0x10 */
};

/* The network namespace the host attached this program in. */
static __always_inline __u32 gadget_packet_netns(struct __sk_buff *skb)
{
	return skb->cb[0];
}

static __always_inline bool gadget_packet_outgoing(const struct gadget_packet *p)
{
	return p->pkt_type == OUTGOING;
}

/* This host's end: the source of an outgoing packet, else the destination. */
static __always_inline __u16 gadget_packet_local_port(const struct gadget_packet *p)
{
	return gadget_packet_outgoing(p) ? p->src.port : p->dst.port;
}

/* Headers: bytes from the network header on.  This reads only the skb's
 * linear part, where the kernel always keeps the headers; a payload may
 * be in page fragments (TCP's always is): read it with
 * gadget_packet_load(). */
static __always_inline int gadget_load(struct __sk_buff *skb, __u32 off, void *to, __u32 len)
{
	return bpf_skb_load_bytes_relative(skb, off, to, len, BPF_HDR_START_NET);
}

/* len bytes of the L4 payload from off (linear part or fragments). */
static __always_inline int gadget_packet_load(struct __sk_buff *skb, const struct gadget_packet *p,
					      __u32 off, void *to, __u32 len)
{
	return bpf_skb_load_bytes(skb, p->net_off + p->payload_off + off, to, len);
}

/* An AF_PACKET socket's program sees the skb from its link-layer header:
 * the network header is as far in as the frame is longer than the IP
 * packet.  Only a frame padded to the Ethernet minimum is longer than
 * that; then (and for any other odd value) assume Ethernet. */
static __always_inline void gadget_set_net_off(struct __sk_buff *skb, struct gadget_packet *p,
					       __u32 ip_total)
{
	__u32 off = skb->len > ip_total ? skb->len - ip_total : 0;

	p->net_off = off == 0 || off == 14 ? off : 14;
}

struct gadget_ipv4_hdr {
	__u8 ver_ihl;
	__u8 tos;
	__u16 tot_len;
	__u16 id;
	__u16 frag_off;
	__u8 ttl;
	__u8 protocol;
	__u16 check;
	__u32 saddr;
	__u32 daddr;
};

struct gadget_ipv6_hdr {
	__u32 ver_tc_flow;
	__u16 payload_len;
	__u8 nexthdr;
	__u8 hop_limit;
	__u8 saddr[16];
	__u8 daddr[16];
};

/* IPv4 header: addresses, protocol, where L4 starts and how long the
 * IP payload is.  Fragments after the first are not parsed. */
static __always_inline bool gadget_parse_ipv4(struct __sk_buff *skb, struct gadget_packet *p,
					      __u32 *l4_off, __u32 *l4_len)
{
	struct gadget_ipv4_hdr ip;
	__u32 ihl, tot;

	if (gadget_load(skb, 0, &ip, sizeof(ip)))
		return false;
	ihl = (ip.ver_ihl & 0x0f) * 4;
	tot = bpf_ntohs(ip.tot_len);
	if ((ip.ver_ihl >> 4) != 4 || ihl < sizeof(ip) || tot < ihl)
		return false;
	if (bpf_ntohs(ip.frag_off) & 0x1fff)
		return false;
	p->proto = ip.protocol;
	p->src.addr.version = p->dst.addr.version = 4;
	p->src.addr.addr_raw.v4 = ip.saddr;
	p->dst.addr.addr_raw.v4 = ip.daddr;
	*l4_off = ihl;
	*l4_len = tot - ihl;
	gadget_set_net_off(skb, p, tot);
	return true;
}

/* IPv6 header; a packet with extension headers before L4 is not parsed. */
static __always_inline bool gadget_parse_ipv6(struct __sk_buff *skb, struct gadget_packet *p,
					      __u32 *l4_off, __u32 *l4_len)
{
	struct gadget_ipv6_hdr ip;

	if (gadget_load(skb, 0, &ip, sizeof(ip)))
		return false;
	p->proto = ip.nexthdr;
	p->src.addr.version = p->dst.addr.version = 6;
	__builtin_memcpy(p->src.addr.addr_raw.v6, ip.saddr, 16);
	__builtin_memcpy(p->dst.addr.addr_raw.v6, ip.daddr, 16);
	*l4_off = sizeof(ip);
	*l4_len = bpf_ntohs(ip.payload_len);
	gadget_set_net_off(skb, p, sizeof(ip) + *l4_len);
	return true;
}

static __always_inline bool gadget_parse_l4(struct __sk_buff *skb, struct gadget_packet *p,
					    __u32 l4_off, __u32 l4_len)
{
	__u8 hdr[14];
	__u32 hlen;

	if (p->proto == GADGET_IPPROTO_UDP) {
		if (l4_len < 8 || gadget_load(skb, l4_off, hdr, 8))
			return false;
		hlen = 8;
		p->tcp_flags = 0;
	} else if (p->proto == GADGET_IPPROTO_TCP) {
		if (l4_len < 20 || gadget_load(skb, l4_off, hdr, 14))
			return false;
		hlen = (hdr[12] >> 4) * 4;
		p->tcp_flags = hdr[13];
		if (hlen < 20 || hlen > l4_len)
			return false;
	} else {
		return false;
	}
	p->src.port = (hdr[0] << 8) | hdr[1];
	p->dst.port = (hdr[2] << 8) | hdr[3];
	p->src.proto = p->dst.proto = p->proto;
	p->payload_off = l4_off + hlen;
	p->payload_len = l4_len - hlen;
	return true;
}

/* Parse the IP and TCP/UDP headers of skb.  false: not TCP/UDP over IP. */
static __always_inline bool gadget_packet_parse(struct __sk_buff *skb, struct gadget_packet *p)
{
	__u32 l4_off = 0, l4_len = 0;
	bool ok;

	__builtin_memset(p, 0, sizeof(*p));
	p->netns = gadget_packet_netns(skb);
	p->pkt_type = skb->pkt_type;
	if (skb->protocol == bpf_htons(GADGET_ETH_P_IP))
		ok = gadget_parse_ipv4(skb, p, &l4_off, &l4_len);
	else if (skb->protocol == bpf_htons(GADGET_ETH_P_IPV6))
		ok = gadget_parse_ipv6(skb, p, &l4_off, &l4_len);
	else
		ok = false;
	return ok && gadget_parse_l4(skb, p, l4_off, l4_len);
}

#endif
