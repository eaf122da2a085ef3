/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR Apache-2.0 */
/* gadget/tcp_conn.h - TCP connections seen through sock:inet_sock_set_state
 * (its raw tracepoint), with the process that owns each one.
 *
 * The tracepoint fires on every state change of a TCP socket, but many of
 * them run in softirq (the handshake's ESTABLISHED, a RST, the last ACK),
 * where the current task is whoever the CPU happened to interrupt.  So the
 * process is remembered per socket while it is in its own context:
 *
 *   CLOSE -> SYN_SENT   connect(): gadget_tcp_remember(sk)
 *   sys_exit_accept*    gadget_tcp_remember(sk of the returned fd)
 *
 * and later state changes read it back with gadget_tcp_owner_of(sk).
 * Forget a socket at TCP_CLOSE (gadget_tcp_forget()) so nothing stays
 * behind; the map is an LRU one, so a socket missed there (closed before
 * it was remembered) is pushed out by newer ones rather than filling it.
 *
 * The event of a gadget that uses this starts with GADGET_PROCESS_FIELDS
 * (gadget/process.h), has members named netns, ipversion, saddr, sport,
 * daddr and dport, and fills them with gadget_tcp_set_owner() and
 * gadget_tcp_set_endpoints_state() / gadget_tcp_set_endpoints_sock().
 *
 * Attach with SEC("raw_tp/inet_sock_set_state") and
 * BPF_PROG(name, const struct sock *sk, int oldstate, int newstate), not
 * the classic tracepoint: the kernel runs a classic tracepoint's program
 * only when no other kprobe, tracepoint or perf_event program runs on the
 * CPU, so a state change in a softirq (a SYN-ACK, a RST, a retransmission
 * timer) that interrupts, say, an open tracer's syscall program would be
 * lost.  A raw tracepoint is skipped only inside itself, and attaching it
 * needs no kernel BTF.
 */
#ifndef GADGET_TCP_CONN_H
#define GADGET_TCP_CONN_H

#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include <gadget/filter.h>
#include <gadget/process.h>
#include <gadget/tcp_sock.h>
#include <gadget/types.h>

#ifndef GADGET_TCP_OWNERS_MAX
#define GADGET_TCP_OWNERS_MAX 16384
#endif

#define GADGET_ECONNABORTED 103

struct gadget_tcp_owner {
	GADGET_TASK_FIELDS; /* mountnsid pid tid ppid uid gid comm */
	__u32 pad;	    /* no hole: the struct is copied whole into the map */
	__u64 netns;
	__u64 start_ns; /* bpf_ktime_get_ns() when it was remembered */
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, GADGET_TCP_OWNERS_MAX);
	__type(key, __u64); /* the struct sock pointer */
	__type(value, struct gadget_tcp_owner);
} gadget_tcp_owners SEC(".maps");

/* the current process, as the owner of sk (call in process context) */
static __always_inline void gadget_tcp_owner_current(struct gadget_tcp_owner *o, const void *sk)
{
	gadget_task_fill_current(o);
	o->pad = 0;
	o->netns = gadget_sock_netns(sk);
	o->start_ns = bpf_ktime_get_ns();
}

static __always_inline void gadget_tcp_remember_as(const void *sk, const struct gadget_tcp_owner *o)
{
	__u64 key = (__u64)sk;

	bpf_map_update_elem(&gadget_tcp_owners, &key, o, BPF_ANY);
}

/* the current process owns sk from now on */
static __always_inline void gadget_tcp_remember(const void *sk)
{
	struct gadget_tcp_owner o;

	gadget_tcp_owner_current(&o, sk);
	gadget_tcp_remember_as(sk, &o);
}

static __always_inline struct gadget_tcp_owner *gadget_tcp_owner_of(const void *sk)
{
	__u64 key = (__u64)sk;

	return bpf_map_lookup_elem(&gadget_tcp_owners, &key);
}

static __always_inline void gadget_tcp_forget(const void *sk)
{
	__u64 key = (__u64)sk;

	bpf_map_delete_elem(&gadget_tcp_owners, &key);
}

/* the errno of a connect that went from SYN_SENT to CLOSE: the socket's
 * sk_err (ECONNREFUSED for a RST, ETIMEDOUT...), or ECONNABORTED when the
 * process closed it before the handshake ended */
static __always_inline int gadget_tcp_connect_error(const void *sk)
{
	int err = BPF_CORE_READ((const struct sock *)sk, sk_err);

	return err ? err : GADGET_ECONNABORTED;
}

#define gadget_tcp_set_owner(e, o)                                                 \
	do {                                                                       \
		gadget_task_copy(e, o);                                            \
		(e)->netns = (o)->netns;                                           \
	} while (0)

/* addresses and ports of sk exactly as sock:inet_sock_set_state's record
 * has them (ports in host order), for its raw tracepoint, which is handed
 * only the socket: the source is inet_sport and inet_saddr, which keep
 * the local end when the socket is unhashed at TCP_CLOSE (skc_num is 0
 * by then), and an IPv6 socket's addresses are its sk_v6_* ones. */
#define gadget_tcp_set_endpoints_state(e, sk)                                      \
	do {                                                                       \
		const struct inet_sock *__inet = (const struct inet_sock *)(sk);   \
		(e)->sport = bpf_ntohs(BPF_CORE_READ(__inet, inet_sport));         \
		(e)->dport = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));  \
		if (BPF_CORE_READ(sk, __sk_common.skc_family) == AF_INET6) {       \
			(e)->ipversion = 6;                                        \
			BPF_CORE_READ_INTO(&(e)->saddr.addr_raw.v6, sk,            \
					   __sk_common.skc_v6_rcv_saddr);          \
			BPF_CORE_READ_INTO(&(e)->daddr.addr_raw.v6, sk,            \
					   __sk_common.skc_v6_daddr);              \
		} else {                                                           \
			(e)->ipversion = 4;                                        \
			(e)->saddr.addr_raw.v4 = BPF_CORE_READ(__inet, inet_saddr); \
			(e)->daddr.addr_raw.v4 = BPF_CORE_READ(sk, __sk_common.skc_daddr); \
		}                                                                  \
		(e)->saddr.version = (e)->daddr.version = (e)->ipversion;          \
	} while (0)

#endif
