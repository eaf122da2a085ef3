/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR Apache-2.0 */
/* gadget/tcp_sock.h - is the socket behind a file descriptor of the
 * current process a TCP one (gadget_sock_from_fd() is gadget/sockets.h's).
 *
 * A syscall that returns or takes a socket fd (accept, accept4, bind...)
 * gives only a number; its struct sock is found through the task's file
 * table:
 *
 *   struct sock *sk = gadget_sock_from_fd(ctx->ret);
 *   if (sk && gadget_sock_is_tcp(sk)) ...
 *
 * Call it in the process's own context (a sys_enter/sys_exit tracepoint).
 * gadget_tcp_set_endpoints_sock() copies a socket's addresses and ports
 * into an event (any struct sock_common: full, request or time-wait).
 * NULL when the fd is out of the table's range, closed already, or not a
 * socket.  Every step is a bpf_probe_read_kernel(), so a file table that
 * changes under us (another thread closing the fd) gives NULL or a stale
 * but harmless pointer, never a fault.
 */
#ifndef GADGET_TCP_SOCK_H
#define GADGET_TCP_SOCK_H

#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>

#include <gadget/sockets.h> /* gadget_sock_from_fd() */

#ifndef AF_INET
#define AF_INET 2
#endif
#ifndef AF_INET6
#define AF_INET6 10
#endif

/* a TCP socket over IPv4 or IPv6 (not a unix, UDP, MPTCP or raw one) */
static __always_inline bool gadget_sock_is_tcp(const struct sock *sk)
{
	__u16 family = BPF_CORE_READ(sk, __sk_common.skc_family);

	return (family == AF_INET || family == AF_INET6) &&
	       BPF_CORE_READ(sk, sk_protocol) == IPPROTO_TCP;
}

/* the inode number of sk's network namespace */
static __always_inline __u64 gadget_sock_netns(const struct sock *sk)
{
	return BPF_CORE_READ(sk, __sk_common.skc_net.net, ns.inum);
}

/* addresses and ports of a socket (local port in host order already,
 * remote one swapped to it) */
#define gadget_tcp_set_endpoints_sock(e, sk)                                       \
	do {                                                                       \
		(e)->sport = BPF_CORE_READ(sk, __sk_common.skc_num);               \
		(e)->dport = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));  \
		if (BPF_CORE_READ(sk, __sk_common.skc_family) == AF_INET6) {       \
			(e)->ipversion = 6;                                        \
			BPF_CORE_READ_INTO(&(e)->saddr.addr_raw.v6, sk,            \
					   __sk_common.skc_v6_rcv_saddr);          \
			BPF_CORE_READ_INTO(&(e)->daddr.addr_raw.v6, sk,            \
					   __sk_common.skc_v6_daddr);              \
		} else {                                                           \
			(e)->ipversion = 4;                                        \
			(e)->saddr.addr_raw.v4 =                                   \
				BPF_CORE_READ(sk, __sk_common.skc_rcv_saddr);      \
			(e)->daddr.addr_raw.v4 = BPF_CORE_READ(sk, __sk_common.skc_daddr); \
		}                                                                  \
		(e)->saddr.version = (e)->daddr.version = (e)->ipversion;          \
	} while (0)

#endif
