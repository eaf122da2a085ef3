// SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note
/* trace/tcpconnect: each TCP connect, when the handshake ends, with its
 * result and (--latency) the time from SYN to the answer.
 *
 * sock:inet_sock_set_state only (gadget/tcp_conn.h):
 *
 *   CLOSE -> SYN_SENT         connect(), in the process: remember it and
 *                             the time
 *   SYN_SENT -> ESTABLISHED   report the connect, latency = now - then
 *   SYN_SENT -> CLOSE         report it failed (ECONNREFUSED, ETIMEDOUT...)
 *
 * and the socket is forgotten at once: nothing is kept per connection.
 * A raw tracepoint (gadget/tcp_conn.h: the kernel would skip a classic
 * one's program in a softirq that interrupts another eBPF program, where
 * most handshakes end); addresses and ports are read from the socket as
 * the tracepoint's record has them.
 */
#include <gadget/gadget.h>
#include <gadget/tcp_conn.h>

struct event {
	GADGET_PROCESS_FIELDS; /* the socket's owner */
	gadget_netns_id netns;
	__u8 ipversion;
	struct gadget_l3endpoint_t saddr;
	gadget_port sport;
	struct gadget_l3endpoint_t daddr;
	gadget_port dport;
	__u64 latency; /* ns; 0 without --latency */
	gadget_errno error;
};

GADGET_TRACER_MAP(events, 1 << 18);
GADGET_TRACER(tcpconnect, events, event);
GADGET_PARAM(bool, calculate_latency, false);
GADGET_PARAM(__u64, min_latency_ns, 0);

static __always_inline void report(const struct sock *sk, int newstate,
				   const struct gadget_tcp_owner *o)
{
	struct event e = {};
	__u64 now = bpf_ktime_get_ns();

	if (calculate_latency || min_latency_ns) {
		e.latency = now - o->start_ns;
		if (e.latency < min_latency_ns)
			return;
	}
	e.timestamp = bpf_ktime_get_boot_ns();
	gadget_tcp_set_owner(&e, o);
	gadget_tcp_set_endpoints_state(&e, sk);
	if (newstate == TCP_CLOSE)
		e.error = gadget_tcp_connect_error(sk);
	gadget_output(&events, &e, sizeof(e));
}

SEC("raw_tp/inet_sock_set_state")
int BPF_PROG(tcp_set_state, const struct sock *sk, int oldstate, int newstate)
{
	struct gadget_tcp_owner *o;

	if (BPF_CORE_READ(sk, sk_protocol) != IPPROTO_TCP)
		return 0;
	if (newstate == TCP_SYN_SENT) {
		/* connect(): the process is current */
		if (!gadget_should_discard())
			gadget_tcp_remember(sk);
		return 0;
	}
	if (oldstate != TCP_SYN_SENT)
		return 0;
	o = gadget_tcp_owner_of(sk);
	if (!o)
		return 0;
	if (newstate == TCP_ESTABLISHED || newstate == TCP_CLOSE)
		report(sk, newstate, o);
	gadget_tcp_forget(sk);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
