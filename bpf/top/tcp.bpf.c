// SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note
/* top/tcp: bytes sent and received per process and TCP connection.
 *
 * sock:sock_send_length and sock:sock_recv_length fire in sock_sendmsg()
 * and sock_recvmsg(), in the task that calls them, with the bytes moved:
 * every send/write/recv/read on a socket (not sendfile or splice, which
 * do not pass there).  Peeks (MSG_PEEK) move nothing and are not counted.
 * Where the kernel lacks them (older kernels: Debian 12's 6.1), fexit on tcp_sendmsg() and
 * tcp_recvmsg(), which sock_sendmsg()/sock_recvmsg() reach for TCP.
 */
#include <gadget/gadget.h>
#include <gadget/sockets.h>

#define GADGET_IPPROTO_TCP 6
#define GADGET_MSG_PEEK 2

struct conn_key {
	gadget_mntns_id mountnsid;
	__u32 pid;
	__u32 ip; /* 4 or 6 */
	struct gadget_l3endpoint_t saddr;
	struct gadget_l3endpoint_t daddr;
	gadget_port sport;
	gadget_port dport;
};

struct conn_stats {
	char comm[TASK_COMM_LEN];
	__u64 sent;
	__u64 recv;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8192);
	__type(key, struct conn_key);
	__type(value, struct conn_stats);
} conns SEC(".maps");

GADGET_MAPITER(tcp, conns);

static __always_inline int count(struct sock *sk, int family, int ret, bool sent)
{
	struct conn_stats *st, fresh = {};
	struct conn_key key;

	if (ret <= 0 || (family != GADGET_AF_INET && family != GADGET_AF_INET6))
		return 0;
	if (gadget_should_discard())
		return 0;
	__builtin_memset(&key, 0, sizeof(key));
	key.mountnsid = gadget_get_mntns_id();
	key.pid = bpf_get_current_pid_tgid() >> 32;
	key.sport = gadget_sock_local(sk, &key.saddr);
	key.dport = gadget_sock_remote(sk, &key.daddr);
	key.ip = key.saddr.version;

	st = bpf_map_lookup_elem(&conns, &key);
	if (!st) {
		bpf_get_current_comm(fresh.comm, sizeof(fresh.comm));
		bpf_map_update_elem(&conns, &key, &fresh, BPF_NOEXIST);
		st = bpf_map_lookup_elem(&conns, &key);
		if (!st)
			return 0; /* the map is full */
	}
	if (sent)
		__sync_fetch_and_add(&st->sent, ret);
	else
		__sync_fetch_and_add(&st->recv, ret);
	return 0;
}

static __always_inline int count_tp(struct trace_event_raw_sock_msg_length *ctx, bool sent)
{
	if (ctx->protocol != GADGET_IPPROTO_TCP || (ctx->flags & GADGET_MSG_PEEK))
		return 0;
	return count(ctx->sk, ctx->family, ctx->ret, sent);
}

SEC("tracepoint/sock/sock_send_length")
int sock_send(struct trace_event_raw_sock_msg_length *ctx)
{
	return count_tp(ctx, true);
}

SEC("tracepoint/sock/sock_recv_length")
int sock_recv(struct trace_event_raw_sock_msg_length *ctx)
{
	return count_tp(ctx, false);
}

/* Older kernels (6.1) have no sock_*_length tracepoints: the variants at
 * the return of TCP's own sendmsg and recvmsg (gadgets/top/tcp.lua) */
SEC("fexit/tcp_sendmsg")
int BPF_PROG(fexit_tcp_sendmsg, struct sock *sk, struct msghdr *msg, size_t size, int ret)
{
	return count(sk, BPF_CORE_READ(sk, __sk_common.skc_family), ret, true);
}

SEC("fexit/tcp_recvmsg")
int BPF_PROG(fexit_tcp_recvmsg, struct sock *sk, struct msghdr *msg, size_t len, int flags,
	     int *addr_len, int ret)
{
	if (flags & GADGET_MSG_PEEK)
		return 0;
	return count(sk, BPF_CORE_READ(sk, __sk_common.skc_family), ret, false);
}

char LICENSE[] SEC("license") = "GPL";
