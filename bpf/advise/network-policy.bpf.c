// SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note
/* advise/network-policy: the TCP connections of each pod, in and out, for
 * Kubernetes NetworkPolicy manifests (ig's advise network-policy).
 *
 *   CLOSE -> SYN_SENT        connect(), in the process: remember it
 *   SYN_SENT -> ESTABLISHED  "connect": an egress connection
 *   sys_exit_accept/accept4  "accept": an ingress connection
 *
 * (sock:inet_sock_set_state and the owner per socket of gadget/tcp_conn.h,
 * as trace/tcp.)  A failed connect is no policy need: not reported.  The
 * script keeps the set of (pod, direction, peer, port) and writes the
 * policies at the end.
 */
#include <gadget/gadget.h>
#include <gadget/tcp_conn.h>
#include <gadget/tcp_sock.h>

enum conn_type { TYPE_CONNECT = 0, TYPE_ACCEPT = 1 };

struct event {
	gadget_timestamp timestamp;
	gadget_mntns_id mountnsid;
	gadget_netns_id netns;
	__u32 pid;
	__u32 tid;
	gadget_uid uid;
	gadget_gid gid;
	char comm[TASK_COMM_LEN];
	__u8 typeRaw;
	__u8 ipversion;
	struct gadget_l3endpoint_t saddr; /* this side */
	gadget_port sport;
	struct gadget_l3endpoint_t daddr; /* the peer */
	gadget_port dport;
};

GADGET_TRACER_MAP(events, 1 << 18);
GADGET_TRACER(netpol, events, event);

SEC("tracepoint/sock/inet_sock_set_state")
int netpol_set_state(struct trace_event_raw_inet_sock_set_state *ctx)
{
	const void *sk = ctx->skaddr;
	struct gadget_tcp_owner *o;
	struct event e = {};

	if (ctx->protocol != IPPROTO_TCP)
		return 0;
	if (ctx->newstate == TCP_SYN_SENT) {
		if (!gadget_should_discard())
			gadget_tcp_remember(sk);
		return 0;
	}
	if (ctx->oldstate != TCP_SYN_SENT)
		return 0;
	o = gadget_tcp_owner_of(sk);
	if (!o)
		return 0;
	if (ctx->newstate == TCP_ESTABLISHED) {
		e.timestamp = bpf_ktime_get_boot_ns();
		gadget_tcp_set_owner(&e, o);
		gadget_tcp_set_endpoints_tp(&e, ctx);
		e.typeRaw = TYPE_CONNECT;
		gadget_output(&events, &e, sizeof(e));
	}
	gadget_tcp_forget(sk);
	return 0;
}

static __always_inline int accepted(long fd)
{
	struct gadget_tcp_owner o;
	struct event e = {};
	struct sock *sk;

	if (fd < 0 || gadget_should_discard())
		return 0;
	sk = gadget_sock_from_fd(fd);
	if (!sk || !gadget_sock_is_tcp(sk))
		return 0;
	gadget_tcp_owner_current(&o, sk);
	e.timestamp = bpf_ktime_get_boot_ns();
	gadget_tcp_set_owner(&e, &o);
	gadget_tcp_set_endpoints_sock(&e, sk);
	e.typeRaw = TYPE_ACCEPT;
	gadget_output(&events, &e, sizeof(e));
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_accept")
int netpol_exit_accept(struct trace_event_raw_sys_exit *ctx)
{
	return accepted(ctx->ret);
}

SEC("tracepoint/syscalls/sys_exit_accept4")
int netpol_exit_accept4(struct trace_event_raw_sys_exit *ctx)
{
	return accepted(ctx->ret);
}

char LICENSE[] SEC("license") = "GPL";
