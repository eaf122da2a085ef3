/* iface_fields.h - ifname and linktype: virtual fields of an event that
 * has a network namespace (gadget_netns_id) and an interface index in it
 * (gadget_ifindex), as a socket program's packets do.
 *
 * The interface is asked of the kernel in its namespace, on the gadget's
 * packet socket there (kernel/packet_socket.h), once per interface while
 * the namespace is traced.  linktype is the pcap LINKTYPE_* of its
 * ARPHRD_* type, as a SOCK_RAW packet socket sees its frames: Ethernet for
 * Ethernet and loopback devices, raw IP for devices without a link-layer
 * header (tun, WireGuard, IP tunnels).  Both are null for an interface
 * no longer there, or a namespace no longer traced.
 */
#ifndef GH_IFACE_FIELDS_H
#define GH_IFACE_FIELDS_H

#include <stdint.h>

#include "schema/field.h"

struct gh_packet_sockets;

struct gh_iface_fields {
	struct gh_packet_sockets *ps; /* NULL until the gadget is loaded */
	int netns_field, ifindex_field;
};

/* Add the fields to s when it has both members: 1 (added), 0 (it has
 * not), -errno.  f stays where it is (the source's context). */
int gh_iface_fields_add(struct gh_schema *s, struct gh_iface_fields *f);
/* The pcap link type of an ARPHRD_* device type. */
uint32_t gh_linktype_of_arphrd(unsigned type);

#endif
