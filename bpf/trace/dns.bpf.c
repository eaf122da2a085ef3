// SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note
/* trace/dns: DNS queries and responses, over UDP and TCP.
 *
 * A socket program (gadget/packet.h) sees every packet of each traced
 * network namespace.  Those to or from the DNS port carry their DNS
 * message to the host, which decodes it in C (the Lua module
 * gadget.packet): nothing but the header's id and QR bit is read here.
 * The process is the owner of the packet's local port
 * (gadget/socket_owner.h).
 *
 * Latency, as in Inspektor Gadget: a query sent (OUTGOING) is remembered
 * by (netns, protocol, client, server, id); the response that comes back
 * to it (HOST) gets the time between the two.  Each remembered query has
 * a bpf_timer: when no response came within --unanswered-timeout, the
 * timer sends the query again, marked unanswered.  (bpf_timer works in
 * socket programs; the callback writes to the ring buffer like the rest.)
 */
#include <gadget/gadget.h>
#include <gadget/packet.h>
#include <gadget/socket_owner.h>

#define DNS_CAPTURE 1024  /* bytes of a DNS message sent to the host */
_Static_assert(DNS_CAPTURE == 1024, "the gadget_bound() masks assume 1024");
#define PENDING_MAX 1024  /* queries waiting for a response */

struct event {
	GADGET_PROCESS_FIELDS; /* the socket's owner */
	gadget_netns_id netns;
	struct gadget_l4endpoint_t src;
	struct gadget_l4endpoint_t dst;
	enum gadget_pkt_type pktType;
	__u64 latency;      /* ns: response minus its query; unanswered: time waited */
	__u32 dnsLen;       /* bytes of the DNS message (TCP: with its length prefix) */
	__u16 id;
	bool unanswered;
	bool tcp;
	/* must stay last: a record ends where its message ends */
	__u8 payload[DNS_CAPTURE];
};

struct query_key {
	__u32 netns;
	__u16 client_port;
	__u16 server_port;
	__u8 client[16];
	__u8 server[16];
	__u16 id;
	__u8 proto;
	__u8 pad;
};

struct pending {
	struct event query;
	struct bpf_timer timer;
};

/* struct pending's bytes without the timer (a per-CPU map cannot hold one) */
struct scratch {
	struct event query;
	__u64 timer_room[sizeof(struct bpf_timer) / 8];
};

/* 4 MiB: a DNS server's top rate here (~30,000 queries/s, four events
 * each on loopback, ~200 bytes a record) fills 1 MiB in ~40 ms, less than
 * the host is sometimes kept off a CPU by the server and its clients */
GADGET_TRACER_MAP(events, 1 << 22);
GADGET_TRACER(dns, events, event);
GADGET_PARAM(__u16, dns_port, 53);
GADGET_PARAM(__u32, unanswered_timeout_s, 2); /* 0: no unanswered queries */

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct scratch);
} scratch SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, PENDING_MAX);
	__type(key, struct query_key);
	__type(value, struct pending);
} pending SEC(".maps");

static __always_inline void query_key(struct query_key *k, const struct gadget_packet *p,
				      const struct gadget_l4endpoint_t *client,
				      const struct gadget_l4endpoint_t *server, __u16 id)
{
	__builtin_memset(k, 0, sizeof(*k));
	k->netns = p->netns;
	k->proto = p->proto;
	k->id = id;
	k->client_port = client->port;
	k->server_port = server->port;
	__builtin_memcpy(k->client, client->addr.addr_raw.v6, 16);
	__builtin_memcpy(k->server, server->addr.addr_raw.v6, 16);
}

static __always_inline __u32 record_size(const struct event *e)
{
	__u32 len = e->dnsLen;

	if (len > DNS_CAPTURE)
		len = DNS_CAPTURE;
	return offsetof(struct event, payload) + len;
}

/* The timer of a query nobody answered: report it, forget it. */
static int on_unanswered(void *map, struct query_key *key, struct pending *q)
{
	__u32 size = record_size(&q->query);

	q->query.unanswered = true;
	q->query.latency = bpf_ktime_get_boot_ns() - q->query.timestamp;
	q->query.timestamp = bpf_ktime_get_boot_ns();
	gadget_bound(size, 2047);
	if (size <= sizeof(q->query))
		gadget_output(&events, &q->query, size);
	bpf_map_delete_elem(map, key);
	return 0;
}

static __always_inline void remember_query(struct scratch *s, const struct gadget_packet *p)
{
	struct query_key key;
	struct pending *q;

	query_key(&key, p, &p->src, &p->dst, s->query.id);
	if (bpf_map_update_elem(&pending, &key, s, BPF_NOEXIST))
		return; /* a retry of the same query, or too many waiting */
	q = bpf_map_lookup_elem(&pending, &key);
	if (!q)
		return;
	if (bpf_timer_init(&q->timer, &pending, 1 /* CLOCK_MONOTONIC */) ||
	    bpf_timer_set_callback(&q->timer, on_unanswered) ||
	    bpf_timer_start(&q->timer, unanswered_timeout_s * 1000000000ULL, 0))
		bpf_map_delete_elem(&pending, &key);
}

/* A response coming back to the client: its latency, and the query is
 * answered (deleting it cancels its timer). */
static __always_inline __u64 answer_query(const struct event *e, const struct gadget_packet *p)
{
	struct query_key key;
	struct pending *q;
	__u64 latency;

	query_key(&key, p, &p->dst, &p->src, e->id);
	q = bpf_map_lookup_elem(&pending, &key);
	if (!q)
		return 0;
	latency = e->timestamp - q->query.timestamp;
	bpf_map_delete_elem(&pending, &key);
	return latency;
}

/* Copy the DNS message; false when the packet carries none. */
static __always_inline bool copy_message(struct __sk_buff *skb, struct event *e,
					 const struct gadget_packet *p, __u8 *flags)
{
	__u32 len = p->payload_len, hdr_off = e->tcp ? 2 : 0;
	__u8 hdr[4];

	if (len < hdr_off + 12)
		return false; /* no DNS header: a bare ACK, a SYN, a later segment */
	if (gadget_packet_load(skb, p, hdr_off, hdr, sizeof(hdr)))
		return false;
	e->id = (hdr[0] << 8) | hdr[1];
	*flags = hdr[2];
	e->dnsLen = len;
	/* bytes - 1 in [0, DNS_CAPTURE - 1]: the verifier sees 1..DNS_CAPTURE */
	len = (len > DNS_CAPTURE ? DNS_CAPTURE : len) - 1;
	gadget_bound(len, 1023); /* DNS_CAPTURE - 1 */
	return !gadget_packet_load(skb, p, 0, e->payload, len + 1);
}

SEC("socket")
int dns_packet(struct __sk_buff *skb)
{
	const struct gadget_socket_owner *owner;
	struct gadget_packet p;
	struct scratch *s;
	struct event *e;
	__u32 zero = 0, size;
	__u8 flags = 0;
	bool response;

	if (!gadget_packet_parse(skb, &p))
		return 0;
	if (p.src.port != dns_port && p.dst.port != dns_port)
		return 0;
	owner = gadget_socket_owner_lookup(p.netns, p.proto, gadget_packet_local_port(&p));
	if (gadget_owner_should_discard(owner))
		return 0;
	s = bpf_map_lookup_elem(&scratch, &zero);
	if (!s)
		return 0;
	e = &s->query;
	e->tcp = p.proto == GADGET_IPPROTO_TCP;
	if (!copy_message(skb, e, &p, &flags))
		return 0;
	gadget_owner_fill(e, owner); /* and the timestamp */
	e->netns = p.netns;
	e->src = p.src;
	e->dst = p.dst;
	e->pktType = p.pkt_type;
	e->unanswered = false;
	e->latency = 0;
	response = flags & 0x80;
	if (response && p.pkt_type == HOST)
		e->latency = answer_query(e, &p);
	size = record_size(e);
	gadget_bound(size, 2047);
	if (size <= sizeof(*e))
		gadget_output(&events, e, size);
	if (!response && p.pkt_type == OUTGOING && unanswered_timeout_s)
		remember_query(s, &p);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
