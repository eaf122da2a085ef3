/* packet_fields.h - the fields of an event that make it a packet.
 *
 * A gadget whose events carry a captured packet says which of its fields
 * hold what (the script's `packet` table, docs/lua-api.md): the captured
 * bytes (a byte array member, last in the struct: the record ends where
 * the capture ends), the packet's length on the wire, its link type
 * (LINKTYPE_*), the snap length, the fields naming its interface, and
 * optionally its direction and the fields of its comment (each written
 * NAME=TEXT, NAME the field's last dotted part: "comm=nc pid=7
 * containerName=web"; a field without a value, empty or 0 is left out).  The pcap-ng output and the
 * --pf filter read an event through gh_packet_view(), whatever the gadget.
 */
#ifndef GH_PACKET_FIELDS_H
#define GH_PACKET_FIELDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "schema/field.h"

#define GH_LINKTYPE_ETHERNET 1

/* The script's names (script layer: gadget_spec.h embeds it). */
struct gh_packet_spec {
	char *data, *length, *linktype, *snaplen, *ifname, *direction;
	char **interface; /* the fields that tell interfaces apart ("netns", "ifindex") */
	size_t n_interface;
	char **comment;   /* the fields of the comment */
	size_t n_comment;
};

enum gh_packet_dir { GH_PACKET_DIR_UNKNOWN, GH_PACKET_DIR_IN, GH_PACKET_DIR_OUT };

/* One event as a packet; data points into the record. */
struct gh_packet_view {
	uint64_t wall_ns;    /* when: ns since the epoch (0: unknown) */
	const uint8_t *data;
	uint32_t caplen;     /* bytes of data */
	uint32_t len;        /* on the wire */
	uint32_t linktype;   /* GH_LINKTYPE_ETHERNET when the event has none */
	uint32_t snaplen;
	enum gh_packet_dir dir;
};

void gh_packet_spec_free(struct gh_packet_spec *p);
/* Whether the script declared a packet. */
bool gh_packet_spec_given(const struct gh_packet_spec *p);
/* Resolve the names into s->packet; -EINVAL with one line (naming
 * `where`, the script) for an unknown field or a data field that is no
 * byte array. */
int gh_packet_fields_resolve(struct gh_schema *s, const struct gh_packet_spec *p,
			     const char *where, char *err, size_t errlen);
/* Whether a packet field is one only the script's enrich sets (else the
 * pcap-ng output needs no enrich). */
bool gh_packet_fields_need_enrich(const struct gh_schema *s);
/* The comment of ev, appended to b ("" when it has none).  0 or -errno. */
int gh_packet_comment(const struct gh_schema *s, const struct gh_event *ev, struct gh_buf *b);
/* ev as a packet; -ENOENT when the schema declares none. */
int gh_packet_view(const struct gh_schema *s, const struct gh_event *ev,
		   struct gh_packet_view *v);
/* The interface's key ("4026531840 2": the texts of the interface
 * fields, appended to key) and its name (the ifname field's text, if
 * any, appended to name).  0 or -errno. */
int gh_packet_iface_text(const struct gh_schema *s, const struct gh_event *ev,
			 struct gh_buf *key, struct gh_buf *name);

#endif
