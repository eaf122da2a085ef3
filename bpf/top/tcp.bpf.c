// SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note
/* top/tcp: bytes sent and received per process and TCP connection.
 *
 * sock:sock_send_length and sock:sock_recv_length fire in sock_sendmsg()
 * and sock_recvmsg(), in the task that calls them, with the bytes moved:
 * every send/write/recv/read on a socket (not sendfile or splice, which
 * do not pass there).  Peeks (MSG_PEEK) move nothing and are not counted.
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

static __always_inline int count(struct trace_event_raw_sock_msg_length *ctx, bool sent)
{
	struct sock *sk = ctx->sk;
	struct conn_stats *st, fresh = {};
	struct conn_key key;

	if (ctx->ret <= 0 || ctx->protocol != GADGET_IPPROTO_TCP || (ctx->flags & GADGET_MSG_PEEK))
		return 0;
	if (ctx->family != GADGET_AF_INET && ctx->family != GADGET_AF_INET6)
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
		__sync_fetch_and_add(&st->sent, ctx->ret);
	else
		__sync_fetch_and_add(&st->recv, ctx->ret);
	return 0;
}

SEC("tracepoint/sock/sock_send_length")
int sock_send(struct trace_event_raw_sock_msg_length *ctx)
{
	return count(ctx, true);
}

SEC("tracepoint/sock/sock_recv_length")
int sock_recv(struct trace_event_raw_sock_msg_length *ctx)
{
	return count(ctx, false);
}

char LICENSE[] SEC("license") = "GPL";
