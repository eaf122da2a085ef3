/* dns_parse.c - DNS messages, decoded defensively (see dns_parse.h). */
#include "decode/dns_parse.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "base/ipv4_text.h"

#define NAME_OCTETS_MAX 255 /* RFC 1035 3.1, length octets included */
#define JUMPS_MAX 64
#define TYPE_OPT 41

struct cursor {
	const uint8_t *p;
	size_t len;
	size_t off;
	bool short_read; /* ran past the end */
};

static bool need(struct cursor *c, size_t n)
{
	if (c->off > c->len || c->len - c->off < n) {
		c->short_read = true;
		return false;
	}
	return true;
}

static uint16_t get16(struct cursor *c)
{
	uint16_t v;

	if (!need(c, 2))
		return 0;
	v = (uint16_t)(c->p[c->off] << 8 | c->p[c->off + 1]);
	c->off += 2;
	return v;
}

static uint32_t get32(struct cursor *c)
{
	uint32_t hi = get16(c);

	return hi << 16 | get16(c);
}

/* Append one label in presentation form: dots and backslashes escaped,
 * bytes outside printable ASCII as \DDD. */
static bool put_label(char *out, size_t *at, const uint8_t *label, size_t n)
{
	size_t o = *at;

	for (size_t i = 0; i < n; i++) {
		uint8_t ch = label[i];
		bool quote = ch == '.' || ch == '\\', code = ch < 0x21 || ch > 0x7e;

		if (o + (code ? 4 : quote ? 2 : 1) >= GH_DNS_NAME_MAX)
			return false;
		if (code) {
			out[o++] = '\\';
			out[o++] = (char)('0' + ch / 100);
			out[o++] = (char)('0' + ch / 10 % 10);
			out[o++] = (char)('0' + ch % 10);
		} else {
			if (quote)
				out[o++] = '\\';
			out[o++] = (char)ch;
		}
	}
	out[o] = '\0';
	*at = o;
	return true;
}

/* Read a name at c->off into out ("." for the root).  Compression
 * pointers must point before the label that holds them, so every jump
 * goes strictly backwards: a loop cannot form; JUMPS_MAX bounds the work
 * anyway.  c->off ends after the name's bytes in place. */
static const char *read_name(struct cursor *c, char *out)
{
	size_t pos = c->off, at = 0, octets = 1, jumps = 0;
	bool jumped = false;

	out[0] = '\0';
	for (;;) {
		uint8_t n;

		if (pos >= c->len) {
			c->short_read = true;
			return "name runs past the end";
		}
		n = c->p[pos];
		if ((n & 0xc0) == 0xc0) {
			size_t target;

			if (pos + 1 >= c->len) {
				c->short_read = true;
				return "name runs past the end";
			}
			target = (size_t)(n & 0x3f) << 8 | c->p[pos + 1];
			if (target >= pos)
				return "compression pointer does not point backwards";
			if (++jumps > JUMPS_MAX)
				return "too many compression pointers";
			if (!jumped)
				c->off = pos + 2;
			jumped = true;
			pos = target;
			continue;
		}
		if (n & 0xc0)
			return "reserved label type";
		if (n == 0) {
			if (!jumped)
				c->off = pos + 1;
			if (!at)
				snprintf(out, GH_DNS_NAME_MAX, ".");
			return NULL;
		}
		octets += n + 1;
		if (octets > NAME_OCTETS_MAX)
			return "name longer than 255 octets";
		if (pos + 1 + n > c->len) {
			c->short_read = true;
			return "label runs past the end";
		}
		if (at) {
			if (at + 1 >= GH_DNS_NAME_MAX)
				return "name too long";
			out[at++] = '.';
			out[at] = '\0';
		}
		if (!put_label(out, &at, c->p + pos + 1, n))
			return "name too long";
		pos += 1 + n;
	}
}

static void rdata_text(struct cursor *c, struct gh_dns_rr *rr, size_t rdlen)
{
	struct cursor sub = *c; /* names in rdata may point anywhere before */
	const uint8_t *d = c->p + c->off;

	rr->data[0] = '\0';
	switch (rr->type) {
	case 1: /* A */
		if (rdlen == 4)
			gh_ipv4_text(rr->data, d);
		break;
	case 28: /* AAAA */
		if (rdlen == 16)
			inet_ntop(AF_INET6, d, rr->data, sizeof(rr->data));
		break;
	case 2: /* NS */
	case 5: /* CNAME */
	case 12: /* PTR */
		sub.len = c->off + rdlen; /* the name stays inside rdata */
		if (read_name(&sub, rr->data))
			rr->data[0] = '\0';
		break;
	case 15: /* MX */
		if (rdlen >= 3) {
			char name[GH_DNS_NAME_MAX];
			uint16_t pref = (uint16_t)(d[0] << 8 | d[1]);

			sub.len = c->off + rdlen;
			sub.off += 2;
			if (!read_name(&sub, name))
				snprintf(rr->data, sizeof(rr->data), "%u %.1000s", pref, name);
		}
		break;
	case 16: /* TXT */
		if (rdlen >= 1 && (size_t)d[0] + 1 <= rdlen) {
			size_t at = 0;

			if (!put_label(rr->data, &at, d + 1, d[0]))
				rr->data[0] = '\0';
		}
		break;
	}
}

/* One resource record; answers are kept, an OPT one read as EDNS. */
static const char *read_rr(struct cursor *c, struct gh_dns_msg *m, bool keep)
{
	struct gh_dns_rr scratch, *rr = keep ? &m->answers[m->n_answers] : &scratch;
	const char *why = read_name(c, rr->name);
	uint16_t rdlen;

	if (why)
		return why;
	rr->type = get16(c);
	rr->class = get16(c);
	rr->ttl = get32(c);
	rdlen = get16(c);
	if (c->short_read)
		return "record runs past the end";
	if (!need(c, rdlen))
		return "record data runs past the end";
	if (rr->type == TYPE_OPT && !keep) {
		m->edns = true;
		m->edns_udp_size = rr->class;
		m->rcode |= (uint16_t)((rr->ttl >> 24) << 4);
		m->edns_version = (uint8_t)(rr->ttl >> 16);
		m->edns_do = rr->ttl & 0x8000;
	}
	if (keep) {
		rdata_text(c, rr, rdlen);
		m->n_answers++;
	}
	c->off += rdlen;
	return NULL;
}

static const char *read_sections(struct cursor *c, struct gh_dns_msg *m)
{
	const char *why = NULL;

	for (unsigned i = 0; i < m->qdcount && !why; i++) {
		char name[GH_DNS_NAME_MAX];

		why = read_name(c, i ? name : m->name);
		if (!why) {
			uint16_t type = get16(c), class = get16(c);

			if (c->short_read)
				why = "question runs past the end";
			else if (!i) {
				m->qtype = type;
				m->qclass = class;
				m->has_question = true;
			}
		}
	}
	for (unsigned i = 0; i < m->ancount && !why; i++)
		why = read_rr(c, m, m->n_answers < GH_DNS_ANSWERS_MAX);
	for (unsigned i = 0; i < (unsigned)m->nscount + m->arcount && !why; i++)
		why = read_rr(c, m, false);
	return why;
}

int gh_dns_parse(const uint8_t *p, size_t len, bool tcp, struct gh_dns_msg *m)
{
	struct cursor c = {.p = p, .len = len};
	uint16_t flags;

	memset(m, 0, offsetof(struct gh_dns_msg, answers));
	m->n_answers = 0;
	memset(&m->edns, 0, sizeof(*m) - offsetof(struct gh_dns_msg, edns));
	if (tcp) {
		m->tcp_length = get16(&c);
		if (c.short_read) {
			m->incomplete = true;
			m->error = "no DNS over TCP length";
			return -EINVAL;
		}
		/* the message is the prefix's length, or what was captured */
		if (c.len - c.off > m->tcp_length)
			c.len = c.off + m->tcp_length;
		else if (c.len - c.off < m->tcp_length)
			m->incomplete = true;
		c.p += c.off;
		c.len -= c.off;
		c.off = 0;
	}
	m->id = get16(&c);
	flags = get16(&c);
	m->qdcount = get16(&c);
	m->ancount = get16(&c);
	m->nscount = get16(&c);
	m->arcount = get16(&c);
	if (c.short_read) {
		m->incomplete = true;
		m->error = "shorter than a DNS header";
		return -EINVAL;
	}
	m->qr = flags & 0x8000;
	m->opcode = (flags >> 11) & 0xf;
	m->aa = flags & 0x0400;
	m->tc = flags & 0x0200;
	m->rd = flags & 0x0100;
	m->ra = flags & 0x0080;
	m->rcode = flags & 0xf;
	m->error = read_sections(&c, m);
	if (c.short_read)
		m->incomplete = true;
	return 0;
}

const char *gh_dns_rcode_name(unsigned rcode)
{
	static const char *const names[] = {
		"NoError", "FormErr", "ServFail", "NXDomain", "NotImp", "Refused",
		"YXDomain", "YXRRSet", "NXRRSet", "NotAuth", "NotZone", "DSOTYPENI",
	};

	if (rcode < sizeof(names) / sizeof(names[0]))
		return names[rcode];
	switch (rcode) {
	case 16: return "BADVERS";
	case 17: return "BADKEY";
	case 18: return "BADTIME";
	case 19: return "BADMODE";
	case 20: return "BADNAME";
	case 21: return "BADALG";
	case 22: return "BADTRUNC";
	case 23: return "BADCOOKIE";
	}
	return NULL;
}

const char *gh_dns_type_name(unsigned type)
{
	static const struct {
		unsigned type;
		const char *name;
	} names[] = {
		{1, "A"}, {2, "NS"}, {5, "CNAME"}, {6, "SOA"}, {12, "PTR"}, {13, "HINFO"},
		{15, "MX"}, {16, "TXT"}, {28, "AAAA"}, {33, "SRV"}, {35, "NAPTR"}, {39, "DNAME"},
		{41, "OPT"}, {43, "DS"}, {46, "RRSIG"}, {47, "NSEC"}, {48, "DNSKEY"},
		{50, "NSEC3"}, {52, "TLSA"}, {64, "SVCB"}, {65, "HTTPS"}, {99, "SPF"},
		{251, "IXFR"}, {252, "AXFR"}, {255, "ANY"}, {257, "CAA"},
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].type == type)
			return names[i].name;
	return NULL;
}
