/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR Apache-2.0 */
/* gadget/types.h - types the host recognises by name and formats itself.
 *
 * Use them for members of an event struct.  The host reads the struct's
 * layout from the object's BTF, where these typedef names survive, and
 * prints every member of such a type the same way in every gadget:
 *
 *   gadget_timestamp   ns since boot (bpf_ktime_get_boot_ns)  -> wall clock
 *   gadget_mntns_id    mount namespace inode                  -> container
 *   gadget_netns_id    network namespace inode
 *   gadget_errno       0 or a positive errno (ENOENT is 2)     -> ENOENT
 *   gadget_syscall     syscall number                         -> openat
 *   gadget_signal      signal number                          -> SIGKILL
 *   gadget_uid/gid     user and group ids
 *   gadget_ipv4_addr   IPv4 address, network byte order       -> 10.0.0.1
 *   gadget_ipv6_addr   IPv6 address                           -> ::1
 *   gadget_port        L4 port, host byte order
 *   gadget_ifindex     interface index in the event's         -> ifname, linktype
 *                      gadget_netns_id's namespace (socket programs)
 *   gadget_strlist_t   char array of NUL separated strings    -> ["ls","-l"]
 *   struct gadget_l3endpoint_t / gadget_l4endpoint_t          -> addr, port
 */
#ifndef GADGET_TYPES_H
#define GADGET_TYPES_H

typedef __u64 gadget_timestamp;
typedef __u64 gadget_mntns_id;
typedef __u64 gadget_netns_id;
typedef __s32 gadget_errno;
typedef __u32 gadget_syscall;
typedef __u32 gadget_signal;
typedef __u32 gadget_uid;
typedef __u32 gadget_gid;
typedef __u32 gadget_ipv4_addr;
typedef __u8 gadget_ipv6_addr[16];
typedef __u16 gadget_port;
typedef __u32 gadget_ifindex;
typedef char gadget_strlist_t;

struct gadget_l3endpoint_t {
	union {
		__u32 v4;
		__u8 v6[16];
	} addr_raw;
	__u8 version; /* 4 or 6 */
	__u8 pad[3];
};

struct gadget_l4endpoint_t {
	struct gadget_l3endpoint_t addr;
	gadget_port port;
	__u16 proto; /* IPPROTO_TCP, IPPROTO_UDP */
};

/* The errno of a call that returned ret (a negative errno on failure):
 * what a gadget_errno member holds, 0 on success.  Every gadget stores a
 * positive number (the host shows any negative one by its magnitude
 * anyway, so an errno has one sign in every output and in -F). */
static __always_inline gadget_errno gadget_errno_of(long ret)
{
	return ret < 0 ? (gadget_errno)-ret : 0;
}

#ifndef TASK_COMM_LEN
#define TASK_COMM_LEN 16
#endif

#endif
