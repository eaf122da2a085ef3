// SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note
/* trace/bind: bind() on IPv4 and IPv6 sockets, with the options that
 * change what bind does and the interface the socket is bound to.
 *
 * One program, at sys_exit_bind: the socket is found from the fd argument
 * (gadget/sockets.h), the syscall's result is known, so no sys_enter
 * program and no per-thread map.  A successful bind reports the socket's
 * own local address and port (the port the kernel chose for port 0); a
 * failed one reports the address the caller asked for.
 */
#include <gadget/gadget.h>
#include <gadget/process.h>
#include <gadget/sockets.h>

#define MAX_PORTS 16

/* bits of optsRaw, as Inspektor Gadget (and bcc's bindsnoop) number them */
#define OPT_FREEBIND 0x01
#define OPT_TRANSPARENT 0x02
#define OPT_BIND_ADDRESS_NO_PORT 0x04
#define OPT_REUSEADDR 0x08
#define OPT_REUSEPORT 0x10

/* bit numbers in inet_sock->inet_flags (Linux 6.6 and later; older kernels:
 * struct inet_sock___old below) */
#define INET_FLAG_BIT_FREEBIND 11
#define INET_FLAG_BIT_TRANSPARENT 15
#define INET_FLAG_BIT_BIND_ADDRESS_NO_PORT 18

struct event {
	GADGET_PROCESS_FIELDS;
	__u16 protoRaw;
	gadget_port port;
	struct gadget_l3endpoint_t addr;
	gadget_errno error;
	__u32 optsRaw;
	__s32 ifindex;
	char ifname[GADGET_IFNAMSIZ];
};

GADGET_TRACER_MAP(events, 1 << 18);
GADGET_TRACER(bind, events, event);
GADGET_PARAM(bool, ignore_errors, true);
/* --ports 80,443: only these ports (0 ends the list) */
const volatile __u16 target_ports[MAX_PORTS] = {};

static __always_inline bool port_selected(__u16 port)
{
	if (!target_ports[0])
		return true;
	for (int i = 0; i < MAX_PORTS && target_ports[i]; i++) {
		if (target_ports[i] == port)
			return true;
	}
	return false;
}

/* before Linux 6.6 the same options were bitfields of struct inet_sock */
struct inet_sock___old {
	__u8 freebind : 1;
	__u8 transparent : 1;
	__u8 bind_address_no_port : 1;
} __attribute__((preserve_access_index));

static __always_inline __u32 bind_options(struct sock *sk)
{
	__u32 opts = 0;

	if (bpf_core_field_exists(struct inet_sock, inet_flags)) {
		unsigned long inet_flags = BPF_CORE_READ((struct inet_sock *)sk, inet_flags);

		if (inet_flags & (1UL << INET_FLAG_BIT_FREEBIND))
			opts |= OPT_FREEBIND;
		if (inet_flags & (1UL << INET_FLAG_BIT_TRANSPARENT))
			opts |= OPT_TRANSPARENT;
		if (inet_flags & (1UL << INET_FLAG_BIT_BIND_ADDRESS_NO_PORT))
			opts |= OPT_BIND_ADDRESS_NO_PORT;
	} else {
		struct inet_sock___old *old = (void *)sk;

		if (BPF_CORE_READ_BITFIELD_PROBED(old, freebind))
			opts |= OPT_FREEBIND;
		if (BPF_CORE_READ_BITFIELD_PROBED(old, transparent))
			opts |= OPT_TRANSPARENT;
		if (BPF_CORE_READ_BITFIELD_PROBED(old, bind_address_no_port))
			opts |= OPT_BIND_ADDRESS_NO_PORT;
	}
	if (BPF_CORE_READ_BITFIELD_PROBED(&sk->__sk_common, skc_reuse))
		opts |= OPT_REUSEADDR;
	if (BPF_CORE_READ_BITFIELD_PROBED(&sk->__sk_common, skc_reuseport))
		opts |= OPT_REUSEPORT;
	return opts;
}

SEC("tracepoint/syscalls/sys_exit_bind")
int exit_bind(struct trace_event_raw_sys_exit *ctx)
{
	struct pt_regs *regs;
	struct event *e;
	struct sock *sk;
	long ret = ctx->ret;
	__u16 port;

	if (gadget_should_discard())
		return 0;
	if (ignore_errors && ret != 0)
		return 0;
	regs = gadget_syscall_regs();
	sk = gadget_sock_from_fd(gadget_syscall_arg1(regs));
	if (!sk || !gadget_sock_is_inet(sk))
		return 0;
	e = gadget_reserve(&events, sizeof(*e));
	if (!e)
		return 0;
	if (ret == 0)
		port = gadget_sock_local(sk, &e->addr);
	else
		port = gadget_user_sockaddr((const void *)gadget_syscall_arg2(regs), &e->addr);
	if (!port_selected(port)) {
		bpf_ringbuf_discard(e, BPF_RB_NO_WAKEUP);
		return 0;
	}
	gadget_process_fill(e);
	e->port = port;
	e->protoRaw = gadget_sock_protocol(sk);
	e->error = gadget_errno_of(ret);
	e->optsRaw = bind_options(sk);
	e->ifindex = gadget_sock_bound_ifindex(sk);
	gadget_sock_ifname(sk, e->ifindex, e->ifname);
	gadget_submit(&events, e);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
