// SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note
/* trace/sni: the server name (SNI) of each TLS ClientHello.
 *
 * A socket program (gadget/packet.h) in each traced network namespace
 * looks at the first bytes of every TCP payload: a TLS handshake record
 * whose message is a ClientHello is copied to the host, where
 * gadget.packet.tls_sni() (C, fuzzed) reads its server_name extension.
 * The process is the owner of the packet's local port
 * (gadget/socket_owner.h): the client on the OUTGOING copy, the server on
 * the HOST one.
 */
#include <gadget/gadget.h>
#include <gadget/packet.h>
#include <gadget/socket_owner.h>

#define HELLO_CAPTURE 2048 /* bytes of a ClientHello sent to the host */
_Static_assert(HELLO_CAPTURE == 2048, "the gadget_bound() mask assumes 2048");

struct event {
	GADGET_PROCESS_FIELDS; /* the socket's owner */
	gadget_netns_id netns;
	struct gadget_l4endpoint_t src;
	struct gadget_l4endpoint_t dst;
	enum gadget_pkt_type pktType;
	__u32 helloLen; /* bytes of TCP payload in the packet */
	/* must stay last: a record ends where its bytes end */
	__u8 payload[HELLO_CAPTURE];
};

GADGET_TRACER_MAP(events, 1 << 20);
GADGET_TRACER(sni, events, event);

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct event);
} scratch SEC(".maps");

/* TLS record: content type 22 (handshake), version 3.x; handshake type 1 */
static __always_inline bool is_client_hello(struct __sk_buff *skb, const struct gadget_packet *p)
{
	__u8 head[6];

	if (p->payload_len < sizeof(head) || gadget_packet_load(skb, p, 0, head, sizeof(head)))
		return false;
	return head[0] == 0x16 && head[1] == 0x03 && head[5] == 0x01;
}

SEC("socket")
int sni_packet(struct __sk_buff *skb)
{
	const struct gadget_socket_owner *o;
	struct gadget_packet p;
	struct event *e;
	__u32 zero = 0, len;

	if (!gadget_packet_parse(skb, &p) || p.proto != GADGET_IPPROTO_TCP)
		return 0;
	if (!is_client_hello(skb, &p))
		return 0;
	o = gadget_socket_owner_lookup(p.netns, p.proto, gadget_packet_local_port(&p));
	if (gadget_owner_should_discard(o))
		return 0;
	e = bpf_map_lookup_elem(&scratch, &zero);
	if (!e)
		return 0;
	gadget_owner_fill(e, o); /* and the timestamp */
	e->netns = p.netns;
	e->src = p.src;
	e->dst = p.dst;
	e->pktType = p.pkt_type;
	e->helloLen = p.payload_len;
	/* bytes - 1 in [0, HELLO_CAPTURE - 1]: the verifier sees 1..HELLO_CAPTURE */
	len = (p.payload_len > HELLO_CAPTURE ? HELLO_CAPTURE : p.payload_len) - 1;
	gadget_bound(len, 2047);
	if (gadget_packet_load(skb, &p, 0, e->payload, len + 1))
		return 0;
	gadget_output(&events, e, offsetof(struct event, payload) + len + 1);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
