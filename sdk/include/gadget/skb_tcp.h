/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR Apache-2.0 */
/* gadget/skb_tcp.h - the IP and TCP headers of a struct sk_buff, read from
 * kernel memory, for a tracepoint handed a packet (skb:kfree_skb).
 *
 *   struct gadget_skb_tcp t;
 *   if (gadget_skb_tcp(skb, &t))
 *           ... t.saddr, t.sport, t.daddr, t.dport, t.flags
 *
 * The IP header is found at skb->head + skb->network_header, which the
 * stack sets on both paths: on receive before IP looks at the packet, on
 * send once IP has built its header.  The TCP header follows the IPv4
 * header (its IHL) or the fixed IPv6 header: a packet whose IPv6 next
 * header is not TCP (extension headers) or that is a later IPv4 fragment
 * is not TCP here.  Addresses are as on the wire, ports in host order.
 * A socket program reads packets with gadget/packet.h instead.
 */
#ifndef GADGET_SKB_TCP_H
#define GADGET_SKB_TCP_H

#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include <gadget/types.h>

#define GADGET_ETH_P_IP 0x0800
#define GADGET_ETH_P_IPV6 0x86DD
#define GADGET_IPPROTO_TCP 6
/* sk_buff's network_header when it was never set */
#define GADGET_SKB_HEADER_UNSET 0xffff

/* TCP header flags (the 14th byte of the header) */
#define GADGET_TCP_FIN 0x01
#define GADGET_TCP_SYN 0x02
#define GADGET_TCP_RST 0x04
#define GADGET_TCP_PSH 0x08
#define GADGET_TCP_ACK 0x10

struct gadget_skb_tcp {
	struct gadget_l3endpoint_t saddr;
	struct gadget_l3endpoint_t daddr;
	__u16 sport;
	__u16 dport;
	__u8 flags;   /* FIN, SYN, RST, PSH, ACK, URG, ECE, CWR */
	__u8 version; /* 4 or 6 */
};

/* true and t filled when skb holds an IPv4 or IPv6 TCP segment */
static __always_inline bool gadget_skb_tcp(const struct sk_buff *skb, struct gadget_skb_tcp *t)
{
	__u16 proto = bpf_ntohs(BPF_CORE_READ(skb, protocol));
	__u16 nh = BPF_CORE_READ(skb, network_header);
	unsigned char *head = BPF_CORE_READ(skb, head);
	unsigned char *ip = head + nh, *tcp;
	__u8 tcph[14];

	__builtin_memset(t, 0, sizeof(*t));
	if (!head || nh == GADGET_SKB_HEADER_UNSET)
		return false;
	if (proto == GADGET_ETH_P_IP) {
		struct iphdr iph;

		if (bpf_probe_read_kernel(&iph, sizeof(iph), ip) || iph.version != 4 ||
		    iph.protocol != GADGET_IPPROTO_TCP || (bpf_ntohs(iph.frag_off) & 0x1fff))
			return false;
		t->version = 4;
		t->saddr.addr_raw.v4 = iph.saddr;
		t->daddr.addr_raw.v4 = iph.daddr;
		tcp = ip + iph.ihl * 4;
	} else if (proto == GADGET_ETH_P_IPV6) {
		struct ipv6hdr ip6h;

		if (bpf_probe_read_kernel(&ip6h, sizeof(ip6h), ip) || ip6h.version != 6 ||
		    ip6h.nexthdr != GADGET_IPPROTO_TCP)
			return false;
		t->version = 6;
		__builtin_memcpy(t->saddr.addr_raw.v6, &ip6h.saddr, 16);
		__builtin_memcpy(t->daddr.addr_raw.v6, &ip6h.daddr, 16);
		tcp = ip + sizeof(ip6h);
	} else {
		return false;
	}
	if (bpf_probe_read_kernel(tcph, sizeof(tcph), tcp))
		return false;
	t->saddr.version = t->daddr.version = t->version;
	t->sport = (__u16)tcph[0] << 8 | tcph[1];
	t->dport = (__u16)tcph[2] << 8 | tcph[3];
	t->flags = tcph[13];
	return true;
}

#endif
