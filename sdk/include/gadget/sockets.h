/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR Apache-2.0 */
/* gadget/sockets.h - from a file descriptor to its socket, and what the
 * socket is bound to.
 *
 * A syscall on a socket (bind, connect, listen, setsockopt...) names it by
 * file descriptor.  At sys_exit_X the descriptor is still in the caller's
 * file table, so the socket can be found without a kprobe on the protocol
 * function (kprobes are not available everywhere; syscall tracepoints are):
 *
 *   struct pt_regs *regs = gadget_syscall_regs();
 *   struct sock *sk = gadget_sock_from_fd(gadget_syscall_arg1(regs));
 *   if (sk && gadget_sock_is_inet(sk)) {
 *       struct gadget_l3endpoint_t addr;
 *       __u16 port = gadget_sock_local(sk, &addr);
 *       ...
 *   }
 *
 * The walk is current->files->fdt->fd[fd]->private_data (a struct socket
 * when the file's inode is a socket) ->sk, read with CO-RE, so it follows
 * the running kernel's layout.  A descriptor that is not open or not a
 * socket gives NULL.  Another thread closing the descriptor between the
 * syscall's return and this walk makes it see NULL or the new file: the
 * usual limit of reading at sys_exit.
 *
 * gadget_sock_ifname() names the interface a socket is bound to
 * (SO_BINDTODEVICE) in the socket's own network namespace, so a socket in
 * a container's netns gets its interface's name there.
 */
#ifndef GADGET_SOCKETS_H
#define GADGET_SOCKETS_H

#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include <gadget/files.h>
#include <gadget/types.h>

#define GADGET_AF_INET 2
#define GADGET_AF_INET6 10
#define GADGET_IFNAMSIZ 16
/* the kernel hashes net_devices by ifindex in 1 << NETDEV_HASHBITS lists */
#define GADGET_NETDEV_HASHENTRIES 256
/* entries of one hash list looked at; a list holds ifindexes 256 apart */
#define GADGET_NETDEV_CHAIN_MAX 8

/* the struct socket behind fd, or NULL if fd is not an open socket */
static __always_inline struct socket *gadget_socket_from_fd(long fd)
{
	struct file *file = gadget_file_from_fd(fd);
	umode_t mode;

	if (!file)
		return NULL;
	mode = BPF_CORE_READ(file, f_inode, i_mode);
	if ((mode & GADGET_S_IFMT) != GADGET_S_IFSOCK)
		return NULL;
	return (struct socket *)BPF_CORE_READ(file, private_data);
}

/* the struct sock behind fd, or NULL */
static __always_inline struct sock *gadget_sock_from_fd(long fd)
{
	struct socket *socket = gadget_socket_from_fd(fd);

	return socket ? BPF_CORE_READ(socket, sk) : NULL;
}

static __always_inline __u16 gadget_sock_family(struct sock *sk)
{
	return BPF_CORE_READ(sk, __sk_common.skc_family);
}

static __always_inline bool gadget_sock_is_inet(struct sock *sk)
{
	__u16 family = gadget_sock_family(sk);

	return family == GADGET_AF_INET || family == GADGET_AF_INET6;
}

/* IPPROTO_TCP, IPPROTO_UDP... of the socket */
static __always_inline __u16 gadget_sock_protocol(struct sock *sk)
{
	return BPF_CORE_READ(sk, sk_protocol);
}

/* The local (bound) address into addr; returns the local port, host byte
 * order.  For an inet socket only (gadget_sock_is_inet()). */
static __always_inline __u16 gadget_sock_local(struct sock *sk, struct gadget_l3endpoint_t *addr)
{
	struct inet_sock *inet = (struct inet_sock *)sk;

	__builtin_memset(addr, 0, sizeof(*addr));
	if (gadget_sock_family(sk) == GADGET_AF_INET) {
		addr->version = 4;
		addr->addr_raw.v4 = BPF_CORE_READ(sk, __sk_common.skc_rcv_saddr);
	} else {
		addr->version = 6;
		BPF_CORE_READ_INTO(&addr->addr_raw.v6, sk, __sk_common.skc_v6_rcv_saddr);
	}
	return bpf_ntohs(BPF_CORE_READ(inet, inet_sport));
}

/* The peer's address into addr; returns the peer's port, host byte order
 * (0 and the zero address when not connected).  Inet sockets only. */
static __always_inline __u16 gadget_sock_remote(struct sock *sk, struct gadget_l3endpoint_t *addr)
{
	__builtin_memset(addr, 0, sizeof(*addr));
	if (gadget_sock_family(sk) == GADGET_AF_INET) {
		addr->version = 4;
		addr->addr_raw.v4 = BPF_CORE_READ(sk, __sk_common.skc_daddr);
	} else {
		addr->version = 6;
		BPF_CORE_READ_INTO(&addr->addr_raw.v6, sk, __sk_common.skc_v6_daddr);
	}
	return bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
}

/* The index of the interface the socket is bound to (SO_BINDTODEVICE),
 * 0 if none. */
static __always_inline int gadget_sock_bound_ifindex(struct sock *sk)
{
	return BPF_CORE_READ(sk, __sk_common.skc_bound_dev_if);
}

/* The name of interface ifindex in the socket's network namespace into
 * name (GADGET_IFNAMSIZ bytes); 0, or -1 when not found (name is then ""). */
static __always_inline int gadget_sock_ifname(struct sock *sk, int ifindex, char *name)
{
	struct net *net = BPF_CORE_READ(sk, __sk_common.skc_net.net);
	struct hlist_head *heads = BPF_CORE_READ(net, dev_index_head);
	struct hlist_node *node = NULL;
	__u64 link_offset = bpf_core_field_offset(struct net_device, index_hlist);

	name[0] = '\0';
	if (ifindex <= 0 || !heads)
		return -1;
	bpf_probe_read_kernel(&node, sizeof(node),
			      &heads[ifindex & (GADGET_NETDEV_HASHENTRIES - 1)].first);
	for (int i = 0; i < GADGET_NETDEV_CHAIN_MAX && node; i++) {
		struct net_device *dev = (struct net_device *)((void *)node - link_offset);

		if (BPF_CORE_READ(dev, ifindex) == ifindex) {
			bpf_core_read_str(name, GADGET_IFNAMSIZ, &dev->name);
			return 0;
		}
		node = BPF_CORE_READ(node, next);
	}
	return -1;
}

/* A struct sockaddr_in or sockaddr_in6 in user memory (the address a
 * caller passed to bind, sendto, ...; or one the kernel filled for
 * recvfrom) into addr; returns its port, host byte order.  0 and addr
 * zeroed (version 0) when it cannot be read or is of another family. */
static __always_inline __u16 gadget_user_sockaddr(const void *uaddr,
						  struct gadget_l3endpoint_t *addr)
{
	struct sockaddr_in6 sa = {};

	__builtin_memset(addr, 0, sizeof(*addr));
	if (!uaddr || bpf_probe_read_user(&sa, sizeof(struct sockaddr_in), uaddr))
		return 0;
	if (sa.sin6_family == GADGET_AF_INET) {
		addr->version = 4;
		addr->addr_raw.v4 = ((struct sockaddr_in *)&sa)->sin_addr.s_addr;
	} else if (sa.sin6_family == GADGET_AF_INET6) {
		addr->version = 6;
		bpf_probe_read_user(&sa, sizeof(sa), uaddr);
		__builtin_memcpy(addr->addr_raw.v6, &sa.sin6_addr, sizeof(addr->addr_raw.v6));
	} else {
		return 0;
	}
	return bpf_ntohs(sa.sin6_port);
}

#endif
