/* packet_socket.h - a gadget's SEC("socket") programs, attached to an
 * AF_PACKET socket in each traced network namespace.
 *
 * Socket programs have no hook of their own: they filter a socket's
 * packets.  For each network namespace to trace, and each socket program
 * of the gadget, the host opens a raw AF_PACKET socket (ETH_P_ALL) inside
 * that namespace and attaches a dispatcher: a five-instruction program
 * made here that writes the namespace's inode number to skb->cb[0] and
 * tail-calls the gadget's program (see sdk/include/gadget/packet.h).  The
 * gadget's program then writes to its ring buffer like any tracer.
 *
 * Namespaces are reference counted: one socket per namespace per program,
 * closed when the last user of the namespace (a container, --host) goes.
 */
#ifndef GH_PACKET_SOCKET_H
#define GH_PACKET_SOCKET_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct bpf_object;
struct gh_packet_sockets;

/* After load: the object's socket programs.  *out is NULL (and 0 is
 * returned) when it has none. */
int gh_packet_sockets_new(struct gh_packet_sockets **out, struct bpf_object *obj);
/* Trace the network namespace at path (/proc/PID/ns/net, /run/netns/NAME;
 * NULL: this process's).  *netns gets its inode number.  -errno on
 * failure. */
int gh_packet_sockets_add(struct gh_packet_sockets *ps, const char *path, uint64_t *netns);
/* One user of netns less; its sockets close with the last one. */
void gh_packet_sockets_put(struct gh_packet_sockets *ps, uint64_t netns);
/* The interface ifindex of the traced namespace netns: its name and its
 * type (ARPHRD_*), asked of the kernel in that namespace once and
 * remembered while the namespace is traced (*name points there).
 * -ENOENT: netns is not traced; -ENODEV: no such interface. */
int gh_packet_sockets_interface(struct gh_packet_sockets *ps, uint64_t netns, int ifindex,
				const char **name, unsigned *type);
/* How many namespaces are traced. */
size_t gh_packet_sockets_count(const struct gh_packet_sockets *ps);
void gh_packet_sockets_free(struct gh_packet_sockets *ps);

#endif
