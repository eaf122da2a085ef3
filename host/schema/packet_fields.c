/* packet_fields.c - an event as a packet (packet_fields.h). */
#include "schema/packet_fields.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"

void gh_packet_spec_free(struct gh_packet_spec *p)
{
	char **names[] = {&p->data, &p->length, &p->linktype, &p->snaplen, &p->ifname,
			  &p->direction};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		free(*names[i]);
	for (size_t i = 0; i < p->n_interface; i++)
		free(p->interface[i]);
	free(p->interface);
	for (size_t i = 0; i < p->n_comment; i++)
		free(p->comment[i]);
	free(p->comment);
	memset(p, 0, sizeof(*p));
}

bool gh_packet_spec_given(const struct gh_packet_spec *p)
{
	return p->data || p->length || p->linktype || p->n_interface;
}

static int field(const struct gh_schema *s, const char *name, bool required, const char *key,
		 const char *where, int *idx, char *err, size_t errlen)
{
	*idx = -1;
	if (!name) {
		if (required)
			return gh_err(err, errlen, -EINVAL, "%s: packet.%s is required", where,
				      key);
		return 0;
	}
	*idx = gh_schema_find(s, name);
	if (*idx < 0)
		return gh_err(err, errlen, -EINVAL, "%s: packet.%s: unknown field \"%s\"", where,
			      key, name);
	return 0;
}

int gh_packet_fields_resolve(struct gh_schema *s, const struct gh_packet_spec *p,
			     const char *where, char *err, size_t errlen)
{
	struct gh_packet_fields pf = {.timestamp = -1};
	const struct gh_field *d;
	int ret;

	if (!gh_packet_spec_given(p))
		return 0;
	ret = field(s, p->data, true, "data", where, &pf.data, err, errlen);
	if (!ret)
		ret = field(s, p->length, true, "length", where, &pf.length, err, errlen);
	if (!ret)
		ret = field(s, p->linktype, false, "linktype", where, &pf.linktype, err, errlen);
	if (!ret)
		ret = field(s, p->snaplen, false, "snaplen", where, &pf.snaplen, err, errlen);
	if (!ret)
		ret = field(s, p->ifname, false, "ifname", where, &pf.ifname, err, errlen);
	if (!ret)
		ret = field(s, p->direction, false, "direction", where, &pf.direction, err, errlen);
	if (!ret && p->n_interface > GH_PACKET_IFACE_MAX)
		ret = gh_err(err, errlen, -EINVAL, "%s: packet.interface: at most %d fields", where,
			     GH_PACKET_IFACE_MAX);
	for (size_t i = 0; !ret && i < p->n_interface; i++)
		ret = field(s, p->interface[i], true, "interface", where, &pf.iface[pf.n_iface++],
			    err, errlen);
	if (!ret && p->n_comment > GH_PACKET_COMMENT_MAX)
		ret = gh_err(err, errlen, -EINVAL, "%s: packet.comment: at most %d fields", where,
			     GH_PACKET_COMMENT_MAX);
	for (size_t i = 0; !ret && i < p->n_comment; i++)
		ret = field(s, p->comment[i], true, "comment", where, &pf.comment[pf.n_comment++],
			    err, errlen);
	if (ret)
		return ret;
	d = &s->fields[pf.data];
	if (d->kind != GH_KIND_ARRAY || d->elem_size != 1)
		return gh_err(err, errlen, -EINVAL, "%s: packet.data: \"%s\" is not an array of "
			      "bytes", where, d->name);
	for (size_t i = 0; i < s->n_fields; i++) {
		if (s->fields[i].special == GH_SPECIAL_TIMESTAMP &&
		    s->fields[i].kind != GH_KIND_VIRTUAL) {
			pf.timestamp = (int)i;
			break;
		}
	}
	pf.on = true;
	s->packet = pf;
	return 0;
}

/* An integer field's value; def when it has none. */
static uint64_t uint_of(const struct gh_schema *s, int idx, const struct gh_event *ev,
			uint64_t def)
{
	struct gh_value v;

	if (gh_field_enum_number(s, idx, ev, &v.u))
		return v.u;
	if (idx < 0 || gh_field_value(s, idx, ev, &v))
		return def;
	if (v.type == GH_V_UINT)
		return v.u;
	if (v.type == GH_V_INT && v.i >= 0)
		return (uint64_t)v.i;
	return def;
}

bool gh_packet_fields_need_enrich(const struct gh_schema *s)
{
	const struct gh_packet_fields *pf = &s->packet;
	int single[] = {pf->data, pf->length, pf->linktype, pf->snaplen, pf->ifname,
			pf->direction};

	for (size_t i = 0; i < sizeof(single) / sizeof(single[0]); i++)
		if (single[i] >= 0 && gh_field_needs_enrich(s, single[i]))
			return true;
	for (size_t i = 0; i < pf->n_iface; i++)
		if (gh_field_needs_enrich(s, pf->iface[i]))
			return true;
	for (size_t i = 0; i < pf->n_comment; i++)
		if (gh_field_needs_enrich(s, pf->comment[i]))
			return true;
	return false;
}

static bool no_value(const struct gh_value *v)
{
	switch (v->type) {
	case GH_V_NULL: return true;
	case GH_V_INT: return v->i == 0;
	case GH_V_UINT: return v->u == 0;
	case GH_V_STR:
	case GH_V_STRLIST: return v->s.len == 0;
	default: return false;
	}
}

int gh_packet_comment(const struct gh_schema *s, const struct gh_event *ev, struct gh_buf *b)
{
	const struct gh_packet_fields *pf = &s->packet;
	size_t start = b->len;
	struct gh_value v;
	int ret = 0;

	for (size_t i = 0; !ret && i < pf->n_comment; i++) {
		const char *name = s->fields[pf->comment[i]].name, *dot = strrchr(name, '.');

		if (gh_field_value(s, pf->comment[i], ev, &v) || no_value(&v))
			continue;
		ret = gh_buf_printf(b, "%s%s=", b->len > start ? " " : "", dot ? dot + 1 : name);
		if (!ret)
			ret = gh_field_text(s, pf->comment[i], ev, b);
	}
	return ret;
}

int gh_packet_view(const struct gh_schema *s, const struct gh_event *ev,
		   struct gh_packet_view *v)
{
	const struct gh_packet_fields *pf = &s->packet;
	const struct gh_field *d;
	uint64_t dir;

	if (!pf->on)
		return -ENOENT;
	d = &s->fields[pf->data];
	memset(v, 0, sizeof(*v));
	v->data = ev->data + d->offset;
	v->caplen = ev->len > d->offset ? ev->len - d->offset : 0;
	if (v->caplen > d->size)
		v->caplen = d->size;
	v->len = (uint32_t)uint_of(s, pf->length, ev, v->caplen);
	v->linktype = (uint32_t)uint_of(s, pf->linktype, ev, GH_LINKTYPE_ETHERNET);
	v->snaplen = (uint32_t)uint_of(s, pf->snaplen, ev, d->size);
	v->wall_ns = uint_of(s, pf->timestamp, ev, 0); /* a timestamp reads as wall clock */
	/* linux's PACKET_* (enum gadget_pkt_type): 4 is OUTGOING, the others in */
	dir = uint_of(s, pf->direction, ev, UINT64_MAX);
	if (dir != UINT64_MAX)
		v->dir = dir == 4 ? GH_PACKET_DIR_OUT : GH_PACKET_DIR_IN;
	return 0;
}

int gh_packet_iface_text(const struct gh_schema *s, const struct gh_event *ev,
			 struct gh_buf *key, struct gh_buf *name)
{
	const struct gh_packet_fields *pf = &s->packet;
	int ret = 0;

	for (size_t i = 0; !ret && i < pf->n_iface; i++) {
		if (i)
			ret = gh_buf_puts(key, " ");
		if (!ret)
			ret = gh_field_text(s, pf->iface[i], ev, key);
	}
	if (!ret && pf->ifname >= 0)
		ret = gh_field_text(s, pf->ifname, ev, name);
	return ret;
}
