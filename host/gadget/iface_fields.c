/* iface_fields.c - ifname and linktype of a packet's interface
 * (iface_fields.h). */
#include "gadget/iface_fields.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/if_arp.h>

#include "kernel/packet_socket.h"

#define LINKTYPE_ETHERNET 1
#define LINKTYPE_RAW 101

enum { ATTR_IFNAME = 1, ATTR_LINKTYPE };

uint32_t gh_linktype_of_arphrd(unsigned type)
{
	switch (type) {
	case ARPHRD_NONE:
	case ARPHRD_RAWIP:
	case ARPHRD_TUNNEL:
	case ARPHRD_TUNNEL6:
	case ARPHRD_SIT:
	case ARPHRD_IPGRE:
	case ARPHRD_IP6GRE:
	case ARPHRD_PPP:
		return LINKTYPE_RAW;
	default:
		return LINKTYPE_ETHERNET; /* ARPHRD_ETHER, ARPHRD_LOOPBACK, ... */
	}
}

static int find_special(const struct gh_schema *s, enum gh_special sp)
{
	for (size_t i = 0; i < s->n_fields; i++)
		if (s->fields[i].special == sp && s->fields[i].kind != GH_KIND_VIRTUAL)
			return (int)i;
	return -1;
}

static uint64_t member(const struct gh_schema *s, int idx, const struct gh_event *ev)
{
	struct gh_value v;

	if (gh_field_value(s, idx, ev, &v) || v.type != GH_V_UINT)
		return 0;
	return v.u;
}

static int field_value(void *ctx, const struct gh_schema *s, const struct gh_field *f,
		       const struct gh_event *ev, struct gh_value *v)
{
	struct gh_iface_fields *fl = ctx;
	const char *name;
	unsigned type;

	v->type = GH_V_NULL;
	if (!fl || !fl->ps)
		return 0;
	if (gh_packet_sockets_interface(fl->ps, member(s, fl->netns_field, ev),
					(int)member(s, fl->ifindex_field, ev), &name, &type))
		return 0;
	if (f->source_attr == ATTR_LINKTYPE) {
		v->type = GH_V_UINT;
		v->u = gh_linktype_of_arphrd(type);
		return 0;
	}
	v->type = GH_V_STR;
	v->s.len = strnlen(name, sizeof(v->tmp) - 1);
	memcpy(v->tmp, name, v->s.len);
	v->tmp[v->s.len] = '\0';
	v->s.p = v->tmp;
	return 0;
}

static const struct gh_field_source_ops iface_source = {
	.name = "interfaces",
	.value = field_value,
};

static int add_one(struct gh_schema *s, int source, const char *name, int attr,
		   const char *type, unsigned width, bool hidden, const char *description)
{
	int idx;

	if (gh_schema_find(s, name) >= 0)
		return 0; /* the gadget has its own */
	idx = gh_schema_add_sourced(s, source, attr, name, type, description, width, hidden);
	return idx < 0 ? idx : 0;
}

int gh_iface_fields_add(struct gh_schema *s, struct gh_iface_fields *f)
{
	int source, ret;

	f->netns_field = find_special(s, GH_SPECIAL_NETNS_ID);
	f->ifindex_field = find_special(s, GH_SPECIAL_IFINDEX);
	if (f->netns_field < 0 || f->ifindex_field < 0)
		return 0;
	source = gh_schema_add_source(s, &iface_source, f);
	if (source < 0)
		return source;
	ret = add_one(s, source, "ifname", ATTR_IFNAME, "string", 8, false,
		      "the interface's name in its network namespace");
	if (!ret)
		ret = add_one(s, source, "linktype", ATTR_LINKTYPE, "uint", 4, true,
			      "pcap LINKTYPE_* of the interface: 1 Ethernet (and loopback), "
			      "101 raw IP");
	return ret ? ret : 1;
}
