/* out_pcapng.c - rows as packets: pcap-ng (the IETF draft "PCAP Next
 * Generation Dump File Format"), for a gadget whose events are packets
 * (the script's `packet` table: schema/packet_fields.h).
 *
 *   SHB  at the start: byte order, version 1.0, shb_userappl
 *   IDB  one per interface seen (the packet's interface fields: a
 *        network namespace and an index there), before its first packet:
 *        its link type and snap length, if_name, if_description (the
 *        fields' texts), if_tsresol 9 (ns)
 *   EPB  one per row: interface, time (wall clock, ns), captured and
 *        original length, the bytes, opt_comment (the comment fields),
 *        epb_flags (inbound/outbound, from the direction field)
 *
 * Blocks are written in the host's byte order, as the format allows (the
 * SHB's magic tells readers which).  The columns the user picked play no
 * part: a packet is its packet fields.
 */
#include "output/out_private.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "schema/packet_fields.h"

#define BT_SHB 0x0A0D0D0Au
#define BT_IDB 0x00000001u
#define BT_EPB 0x00000006u
#define BYTE_ORDER_MAGIC 0x1A2B3C4Du

#define OPT_END 0
#define OPT_COMMENT 1
#define SHB_USERAPPL 4
#define IF_NAME 2
#define IF_DESCRIPTION 3
#define IF_TSRESOL 9
#define EPB_FLAGS 2

struct gh_out_pcapng {
	struct gh_buf key, name; /* one event's interface key and name */
	char **ifaces;           /* keys, by interface id */
	size_t n_ifaces;
};

static int put32(struct gh_buf *b, uint32_t v)
{
	return gh_buf_append(b, &v, 4);
}

static int put16(struct gh_buf *b, uint16_t v)
{
	return gh_buf_append(b, &v, 2);
}

/* data padded to 4 bytes */
static int put_padded(struct gh_buf *b, const void *data, size_t len)
{
	static const uint8_t zero[4];
	int ret = gh_buf_append(b, data, len);

	return ret ? ret : gh_buf_append(b, zero, (4 - len % 4) % 4);
}

static int put_opt(struct gh_buf *b, uint16_t code, const void *value, size_t len)
{
	int ret;

	if (len > 0xffff)
		len = 0xffff;
	ret = put16(b, code);
	if (!ret)
		ret = put16(b, (uint16_t)len);
	return ret ? ret : put_padded(b, value, len);
}

/* Open a block: its type and a length filled by end_block. */
static int begin_block(struct gh_buf *b, uint32_t type, size_t *start)
{
	*start = b->len;
	return put32(b, type) ? -ENOMEM : put32(b, 0);
}

static int end_block(struct gh_buf *b, size_t start)
{
	uint32_t total = (uint32_t)(b->len - start + 4);

	memcpy(b->p + start + 4, &total, 4);
	return put32(b, total);
}

static int write_shb(struct gh_out *out)
{
	static const char app[] = "gadgethost";
	struct gh_buf *b = &out->buf;
	uint64_t section_len = UINT64_MAX; /* not given */
	size_t start;
	int ret = begin_block(b, BT_SHB, &start);

	if (!ret)
		ret = put32(b, BYTE_ORDER_MAGIC);
	if (!ret)
		ret = put16(b, 1);
	if (!ret)
		ret = put16(b, 0);
	if (!ret)
		ret = gh_buf_append(b, &section_len, 8);
	if (!ret)
		ret = put_opt(b, SHB_USERAPPL, app, sizeof(app) - 1);
	if (!ret)
		ret = put_opt(b, OPT_END, NULL, 0);
	return ret ? ret : end_block(b, start);
}

static int pcapng_init(struct gh_out *out)
{
	if (!out->schema->packet.on)
		return -EINVAL;
	out->pcapng = calloc(1, sizeof(*out->pcapng));
	if (!out->pcapng)
		return -ENOMEM;
	return write_shb(out);
}

/* "netns=4026531840 ifindex=2" from the interface fields' names and texts */
static int describe_iface(const struct gh_out *out, const char *key, struct gh_buf *d)
{
	const struct gh_packet_fields *pf = &out->schema->packet;
	const char *p = key;
	int ret = 0;

	for (size_t i = 0; !ret && i < pf->n_iface; i++) {
		const char *sp = strchr(p, ' ');
		size_t len = sp && i + 1 < pf->n_iface ? (size_t)(sp - p) : strlen(p);

		ret = gh_buf_printf(d, "%s%s=%.*s", i ? " " : "",
				    out->schema->fields[pf->iface[i]].name, (int)len, p);
		p += len + (p[len] ? 1 : 0);
	}
	return ret;
}

static int write_idb(struct gh_out *out, const struct gh_packet_view *v, const char *key,
		     const struct gh_buf *name)
{
	struct gh_buf *b = &out->buf, desc = GH_BUF_INIT;
	uint8_t tsresol = 9;
	size_t start;
	int ret = begin_block(b, BT_IDB, &start);

	if (!ret)
		ret = put16(b, (uint16_t)v->linktype);
	if (!ret)
		ret = put16(b, 0);
	if (!ret)
		ret = put32(b, v->snaplen);
	if (!ret && name->len)
		ret = put_opt(b, IF_NAME, name->p, name->len);
	if (!ret && out->schema->packet.n_iface)
		ret = describe_iface(out, key, &desc);
	if (!ret && desc.len)
		ret = put_opt(b, IF_DESCRIPTION, desc.p, desc.len);
	if (!ret)
		ret = put_opt(b, IF_TSRESOL, &tsresol, 1);
	if (!ret)
		ret = put_opt(b, OPT_END, NULL, 0);
	gh_buf_free(&desc);
	return ret ? ret : end_block(b, start);
}

/* The id of the event's interface; its IDB written when it is new. */
static int iface_id(struct gh_out *out, const struct gh_event *ev,
		    const struct gh_packet_view *v, uint32_t *id)
{
	struct gh_out_pcapng *pc = out->pcapng;
	char **grown, *key;
	int ret;

	gh_buf_reset(&pc->key);
	gh_buf_reset(&pc->name);
	ret = gh_packet_iface_text(out->schema, ev, &pc->key, &pc->name);
	if (ret)
		return ret;
	key = pc->key.p ? pc->key.p : "";
	for (size_t i = 0; i < pc->n_ifaces; i++) {
		if (!strcmp(pc->ifaces[i], key)) {
			*id = (uint32_t)i;
			return 0;
		}
	}
	grown = realloc(pc->ifaces, (pc->n_ifaces + 1) * sizeof(*grown));
	if (!grown)
		return -ENOMEM;
	pc->ifaces = grown;
	if (!(pc->ifaces[pc->n_ifaces] = strdup(key)))
		return -ENOMEM;
	ret = write_idb(out, v, key, &pc->name);
	if (ret) {
		free(pc->ifaces[pc->n_ifaces]);
		return ret;
	}
	*id = (uint32_t)pc->n_ifaces++;
	return 0;
}

static int pcapng_event(struct gh_out *out, const struct gh_event *ev)
{
	struct gh_buf *b = &out->buf, *comment = &out->scratch;
	struct gh_packet_view v;
	uint64_t ts;
	uint32_t id, flags;
	size_t start;
	int ret = gh_packet_view(out->schema, ev, &v);

	if (!ret)
		ret = iface_id(out, ev, &v, &id);
	if (ret)
		return ret;
	gh_buf_reset(comment);
	if (gh_packet_comment(out->schema, ev, comment))
		return -ENOMEM;
	ts = v.wall_ns;
	ret = begin_block(b, BT_EPB, &start);
	if (!ret)
		ret = put32(b, id);
	if (!ret)
		ret = put32(b, (uint32_t)(ts >> 32));
	if (!ret)
		ret = put32(b, (uint32_t)ts);
	if (!ret)
		ret = put32(b, v.caplen);
	if (!ret)
		ret = put32(b, v.len > v.caplen ? v.len : v.caplen);
	if (!ret)
		ret = put_padded(b, v.data, v.caplen);
	if (!ret && comment->len)
		ret = put_opt(b, OPT_COMMENT, comment->p, comment->len);
	flags = v.dir == GH_PACKET_DIR_IN ? 1 : v.dir == GH_PACKET_DIR_OUT ? 2 : 0;
	if (!ret && flags)
		ret = put_opt(b, EPB_FLAGS, &flags, 4);
	if (!ret)
		ret = put_opt(b, OPT_END, NULL, 0);
	return ret ? ret : end_block(b, start);
}

static void pcapng_free(struct gh_out *out)
{
	struct gh_out_pcapng *pc = out->pcapng;

	if (!pc)
		return;
	for (size_t i = 0; i < pc->n_ifaces; i++)
		free(pc->ifaces[i]);
	free(pc->ifaces);
	gh_buf_free(&pc->key);
	gh_buf_free(&pc->name);
	free(pc);
	out->pcapng = NULL;
}

const struct gh_out_format_ops gh_out_pcapng_ops = {
	.init = pcapng_init,
	.event = pcapng_event,
	.free = pcapng_free,
};
