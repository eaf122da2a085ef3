// SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note
/* trace/tcp: connect, accept and close of TCP connections (ig's tcptracer).
 *
 * sock:inet_sock_set_state sees every state change; the process is the
 * one remembered for the socket (gadget/tcp_conn.h), since most changes
 * run in softirq:
 *
 *   CLOSE -> SYN_SENT                 connect(), in the process: remember it
 *   SYN_SENT -> ESTABLISHED           "connect"
 *   SYN_SENT -> CLOSE                 "connect" that failed, with its errno
 *   sys_exit_accept/accept4           "accept", by the accepting process;
 *                                     remember it for the close
 *   ESTABLISHED/CLOSE_WAIT/SYN_RECV
 *     -> FIN_WAIT1/LAST_ACK/CLOSE     "close": this side closed (or shut
 *                                     down writing) or the connection was
 *                                     reset
 *   any -> CLOSE                      forget the socket
 *
 * gadget_should_discard() runs where the process is current (connect,
 * accept): only their sockets are remembered, so later events of other
 * processes are never reported.
 *
 * inet_sock_set_state is attached as a raw tracepoint (gadget/tcp_conn.h:
 * the kernel would skip a classic one's program in a softirq that
 * interrupts another eBPF program); addresses and ports are read from the
 * socket as the tracepoint's record has them.
 */
#include <gadget/gadget.h>
#include <gadget/tcp_conn.h>
#include <gadget/tcp_sock.h>

enum tcp_event_type { TYPE_CONNECT = 0, TYPE_ACCEPT = 1, TYPE_CLOSE = 2 };

struct event {
	GADGET_PROCESS_FIELDS; /* the socket's owner */
	gadget_netns_id netns;
	__u8 typeRaw;
	__u8 ipversion;
	struct gadget_l3endpoint_t saddr;
	gadget_port sport;
	struct gadget_l3endpoint_t daddr;
	gadget_port dport;
	gadget_errno error;
};

GADGET_TRACER_MAP(events, 1 << 18);
GADGET_TRACER(tcp, events, event);
GADGET_PARAM(bool, accept_only, false);
GADGET_PARAM(bool, connect_only, false);
GADGET_PARAM(bool, failure_only, false);

static __always_inline bool want_connects(void)
{
	return !accept_only;
}

static __always_inline bool want_accepts(void)
{
	return !connect_only && !failure_only;
}

static __always_inline bool want_closes(void)
{
	return !accept_only && !connect_only && !failure_only;
}

static __always_inline void report_state_change(const struct sock *sk,
						const struct gadget_tcp_owner *o,
						enum tcp_event_type type, int error)
{
	struct event e = {};

	e.timestamp = bpf_ktime_get_boot_ns();
	gadget_tcp_set_owner(&e, o);
	gadget_tcp_set_endpoints_state(&e, sk);
	e.typeRaw = type;
	e.error = error;
	gadget_output(&events, &e, sizeof(e));
}

/* this side closed the connection (or it was reset) */
static __always_inline bool is_close(int oldstate, int newstate)
{
	return (oldstate == TCP_ESTABLISHED || oldstate == TCP_CLOSE_WAIT ||
		oldstate == TCP_SYN_RECV) &&
	       (newstate == TCP_FIN_WAIT1 || newstate == TCP_LAST_ACK || newstate == TCP_CLOSE);
}

static __always_inline void connect_ended(const struct sock *sk, int newstate,
					  const struct gadget_tcp_owner *o)
{
	if (newstate == TCP_ESTABLISHED && !failure_only)
		report_state_change(sk, o, TYPE_CONNECT, 0);
	else if (newstate == TCP_CLOSE)
		report_state_change(sk, o, TYPE_CONNECT, gadget_tcp_connect_error(sk));
}

SEC("raw_tp/inet_sock_set_state")
int BPF_PROG(tcp_set_state, const struct sock *sk, int oldstate, int newstate)
{
	struct gadget_tcp_owner *o;

	if (BPF_CORE_READ(sk, sk_protocol) != IPPROTO_TCP)
		return 0;
	if (newstate == TCP_SYN_SENT) {
		/* connect(): the process is current */
		if (want_connects() && !gadget_should_discard())
			gadget_tcp_remember(sk);
		return 0;
	}
	if (oldstate != TCP_SYN_SENT && newstate != TCP_CLOSE && !is_close(oldstate, newstate))
		return 0; /* FIN_WAIT2, CLOSE_WAIT, a listener's...: no lookup */
	o = gadget_tcp_owner_of(sk);
	if (!o)
		return 0;
	if (oldstate == TCP_SYN_SENT)
		connect_ended(sk, newstate, o);
	else if (want_closes() && is_close(oldstate, newstate))
		report_state_change(sk, o, TYPE_CLOSE, 0);
	/* without close events, a connect needs no memory past its end */
	if (newstate == TCP_CLOSE || (oldstate == TCP_SYN_SENT && !want_closes()))
		gadget_tcp_forget(sk);
	return 0;
}

static __always_inline void report_accept(const struct sock *sk, const struct gadget_tcp_owner *o)
{
	struct event e = {};

	e.timestamp = bpf_ktime_get_boot_ns();
	gadget_tcp_set_owner(&e, o);
	gadget_tcp_set_endpoints_sock(&e, sk);
	e.typeRaw = TYPE_ACCEPT;
	gadget_output(&events, &e, sizeof(e));
}

static __always_inline int accepted(long fd)
{
	struct gadget_tcp_owner o;
	struct sock *sk;
	int state;

	if (!want_accepts() && !want_closes())
		return 0;
	if (gadget_should_discard())
		return 0;
	if (fd < 0)
		return 0;
	sk = gadget_sock_from_fd(fd);
	if (!sk || !gadget_sock_is_tcp(sk))
		return 0;
	gadget_tcp_owner_current(&o, sk);
	if (want_accepts())
		report_accept(sk, &o);
	/* remember it for its close, unless it is closed already (a reset
	 * while it waited in the accept queue): no CLOSE would forget it */
	state = BPF_CORE_READ(sk, __sk_common.skc_state);
	if (want_closes() && (state == TCP_ESTABLISHED || state == TCP_CLOSE_WAIT))
		gadget_tcp_remember_as(sk, &o);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_accept")
int exit_accept(struct trace_event_raw_sys_exit *ctx)
{
	return accepted(ctx->ret);
}

SEC("tracepoint/syscalls/sys_exit_accept4")
int exit_accept4(struct trace_event_raw_sys_exit *ctx)
{
	return accepted(ctx->ret);
}

char LICENSE[] SEC("license") = "GPL";
