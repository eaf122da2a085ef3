// SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note
/* profile/tcprtt: TCP round-trip times as a log2 histogram, as
 * libbpf-tools' tcprtt.
 *
 * tcp:tcp_probe fires as an established connection's segment arrives
 * (first thing in tcp_rcv_established()); the value is the socket's
 * smoothed RTT (srtt_us >> 3, microseconds), the one the tracepoint's
 * own srtt field and tcprtt read.  One histogram per mount namespace of
 * the socket's owner (gadget/socket_owner.h: so -c and the container
 * fields work; 0 when the owner is unknown), split further by remote
 * address (--by-raddr) or local port (--by-lport).  A BTF tracepoint
 * (tp_btf): its socket argument is there on every kernel, while the
 * classic record has no socket address before 6.10.
 */
#include <gadget/gadget.h>
#include <gadget/histogram.h>
#include <gadget/socket_owner.h>
#include <gadget/sockets.h>

struct hist_key {
	gadget_mntns_id mountnsid;
	struct gadget_l3endpoint_t raddr;
	gadget_port lport;
};

GADGET_PARAM(bool, by_raddr, false);
GADGET_PARAM(bool, by_lport, false);
GADGET_PARAM(__u16, filter_lport, 0);
GADGET_PARAM(__u16, filter_rport, 0);

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, struct hist_key);
	__type(value, struct gadget_hist);
} hists SEC(".maps");

GADGET_HISTOGRAM(tcprtt, hists, usecs);

SEC("tp_btf/tcp_probe")
int BPF_PROG(tcp_probe, struct sock *sk, const struct sk_buff *skb)
{
	__u16 lport = BPF_CORE_READ(sk, __sk_common.skc_num);
	__u16 rport = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
	const struct gadget_socket_owner *o;
	struct hist_key key;
	__u32 srtt;

	if ((filter_lport && lport != filter_lport) || (filter_rport && rport != filter_rport))
		return 0;
	o = gadget_socket_owner_of(sk, 6 /* IPPROTO_TCP */);
	if (gadget_owner_should_discard(o))
		return 0;
	srtt = BPF_CORE_READ((struct tcp_sock *)sk, srtt_us) >> 3;
	__builtin_memset(&key, 0, sizeof(key));
	key.mountnsid = o ? o->mountnsid : 0;
	if (by_raddr)
		gadget_sock_remote(sk, &key.raddr);
	if (by_lport)
		key.lport = lport;
	gadget_hist_add(gadget_hist_get(&hists, &key), srtt);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
