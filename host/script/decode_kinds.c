/* decode_kinds.c - the dns and tls decoders of decode_fields.h. */
#include "script/decode_kinds.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "base/buf.h"
#include "decode/dns_parse.h"
#include "decode/tls_parse.h"

const uint8_t *gh_decode_bytes(const struct gh_schema *s, int idx, const struct gh_event *ev,
			       uint32_t *len)
{
	const struct gh_field *f = &s->fields[idx];

	*len = 0;
	if (f->offset >= ev->len)
		return ev->data;
	*len = ev->len - f->offset < f->size ? ev->len - f->offset : f->size;
	return ev->data + f->offset;
}

uint64_t gh_decode_uint(const struct gh_schema *s, int idx, const struct gh_event *ev)
{
	struct gh_value v;

	if (idx < 0 || gh_field_value(s, idx, ev, &v))
		return 0;
	switch (v.type) {
	case GH_V_BOOL: return v.b;
	case GH_V_UINT: return v.u;
	case GH_V_INT: return (uint64_t)v.i;
	default: return 0;
	}
}

static void str(struct gh_value *v, const char *p)
{
	v->type = GH_V_STR;
	v->s.p = p;
	v->s.len = strlen(p);
}

/* a type or rcode's name, or its number */
static void name_or_number(struct gh_value *v, const char *name, unsigned n)
{
	if (name) {
		str(v, name);
		return;
	}
	snprintf(v->tmp, sizeof(v->tmp), "%d", (int)n);
	str(v, v->tmp);
}

static void strlist(struct gh_value *v, const struct gh_buf *b)
{
	v->type = GH_V_STRLIST;
	v->s.p = b->p ? b->p : "";
	v->s.len = b->len;
}

/* ---- dns: dns_parse.h; what trace/dns prints of a message ---- */

enum { DNS_PAYLOAD, DNS_TCP, DNS_LENGTH, DNS_UNANSWERED, DNS_SRC, DNS_DST };
enum {
	DNS_QR, DNS_QTYPE, DNS_NAME, DNS_RCODE, DNS_NUM_ANSWERS, DNS_ADDRESSES, DNS_ANSWERS,
	DNS_TRUNCATED, DNS_INCOMPLETE, DNS_EDNS_UDP_SIZE, DNS_ERROR, DNS_NAMESERVER,
};

static const char *const dns_inputs[] = {
	"payload", "tcp", "length", "unanswered", "src", "dst", NULL,
};
static const char *const dns_values[] = {
	"qr", "qtype", "name", "rcode", "numAnswers", "addresses", "answers", "truncated",
	"incomplete", "ednsUdpSize", "error", "nameserver", NULL,
};
static const char *const dns_types[] = {
	"string", "string", "string", "string", "int", "strlist", "strlist", "bool",
	"bool", "int", "string", "string",
};

struct dns_state {
	struct gh_dns_msg m;
	bool parsed;     /* a header was read */
	bool unanswered; /* the query's record of a timeout */
	bool incomplete; /* the message or the capture is cut */
	bool answered;   /* a response, not a timeout: its answers count */
	struct gh_buf addresses, answers; /* strlists */
};

static void dns_free(void *p)
{
	struct dns_state *st = p;

	gh_buf_free(&st->addresses);
	gh_buf_free(&st->answers);
}

static void add(struct gh_buf *b, const char *s)
{
	if (b->len)
		gh_buf_putc(b, '\0');
	gh_buf_puts(b, s);
}

static void dns_lists(struct dns_state *st)
{
	const struct gh_dns_msg *m = &st->m;

	gh_buf_reset(&st->addresses);
	gh_buf_reset(&st->answers);
	for (size_t i = 0; i < m->n_answers; i++) {
		const struct gh_dns_rr *rr = &m->answers[i];
		const char *type = gh_dns_type_name(rr->type);
		char number[8];

		if ((rr->type == 1 || rr->type == 28) && rr->data[0])
			add(&st->addresses, rr->data);
		if (!type) {
			snprintf(number, sizeof(number), "%u", (unsigned)rr->type);
			type = number;
		}
		if (st->answers.len)
			gh_buf_putc(&st->answers, '\0');
		gh_buf_printf(&st->answers, "%s %s %s", rr->name, type, rr->data);
	}
}

static void dns_decode(void *p, const struct gh_schema *s, const int *in,
		       const struct gh_event *ev)
{
	struct dns_state *st = p;
	uint32_t len;
	const uint8_t *bytes = gh_decode_bytes(s, in[DNS_PAYLOAD], ev, &len);

	st->parsed = !gh_dns_parse(bytes, len, gh_decode_uint(s, in[DNS_TCP], ev), &st->m);
	st->unanswered = gh_decode_uint(s, in[DNS_UNANSWERED], ev);
	st->incomplete = !st->parsed || st->m.incomplete ||
			 (in[DNS_LENGTH] >= 0 && gh_decode_uint(s, in[DNS_LENGTH], ev) > len);
	st->answered = st->parsed && !st->unanswered && st->m.qr;
	if (st->answered)
		dns_lists(st);
}

static int dns_value(void *p, const struct gh_schema *s, const int *in, int which,
		     const struct gh_event *ev, struct gh_value *v)
{
	struct dns_state *st = p;
	const struct gh_dns_msg *m = &st->m;

	v->type = GH_V_NULL;
	switch (which) {
	case DNS_QR:
		if (st->parsed)
			str(v, m->qr ? "R" : "Q");
		break;
	case DNS_QTYPE:
		if (st->parsed && m->has_question)
			name_or_number(v, gh_dns_type_name(m->qtype), m->qtype);
		break;
	case DNS_NAME:
		if (st->parsed && m->has_question)
			str(v, m->name);
		break;
	case DNS_RCODE:
		if (st->parsed && st->unanswered)
			str(v, "Timeout");
		else if (st->answered)
			name_or_number(v, gh_dns_rcode_name(m->rcode), m->rcode);
		break;
	case DNS_NUM_ANSWERS:
		if (st->answered) {
			v->type = GH_V_INT;
			v->i = m->ancount;
		}
		break;
	case DNS_ADDRESSES:
		if (st->answered)
			strlist(v, &st->addresses);
		break;
	case DNS_ANSWERS:
		if (st->answered)
			strlist(v, &st->answers);
		break;
	case DNS_TRUNCATED:
	case DNS_INCOMPLETE:
		if (st->parsed || which == DNS_INCOMPLETE) {
			v->type = GH_V_BOOL;
			v->b = which == DNS_TRUNCATED ? m->tc : st->incomplete;
		}
		break;
	case DNS_EDNS_UDP_SIZE:
		if (st->parsed && m->edns) {
			v->type = GH_V_INT;
			v->i = m->edns_udp_size;
		}
		break;
	case DNS_ERROR:
		if (!st->parsed || m->error)
			str(v, m->error ? m->error : "not a DNS message");
		break;
	case DNS_NAMESERVER: {
		/* the server: a response's source, a query's destination */
		int idx = in[st->parsed && m->qr ? DNS_SRC : DNS_DST];

		return idx >= 0 ? gh_field_value(s, idx, ev, v) : 0;
	}
	}
	return 0;
}

const struct gh_decode_kind gh_decode_dns = {
	.name = "dns",
	.inputs = dns_inputs,
	.values = dns_values,
	.types = dns_types,
	.state_size = sizeof(struct dns_state),
	.free_state = dns_free,
	.decode = dns_decode,
	.value = dns_value,
};

/* ---- tls: the server name of a ClientHello (tls_parse.h) ---- */

enum { TLS_NAME, TLS_ERROR, TLS_STATUS };

static const char *const tls_inputs[] = {"payload", NULL};
static const char *const tls_values[] = {"name", "error", "status", NULL};
static const char *const tls_types[] = {"string", "string", "string"};

struct tls_state {
	char name[GH_TLS_SNI_MAX];
	int ret;
	const char *why;
};

static void tls_decode(void *p, const struct gh_schema *s, const int *in,
		       const struct gh_event *ev)
{
	struct tls_state *st = p;
	uint32_t len;
	const uint8_t *bytes = gh_decode_bytes(s, in[0], ev, &len);

	st->why = NULL;
	st->ret = gh_tls_sni(bytes, len, st->name, sizeof(st->name), &st->why);
}

static int tls_value(void *p, const struct gh_schema *s, const int *in, int which,
		     const struct gh_event *ev, struct gh_value *v)
{
	struct tls_state *st = p;

	(void)s;
	(void)in;
	(void)ev;
	v->type = GH_V_NULL;
	if (st->ret == 1) {
		if (which == TLS_NAME)
			str(v, st->name);
		return 0;
	}
	if (which == TLS_ERROR)
		str(v, st->why ? st->why : "no server_name");
	else if (which == TLS_STATUS)
		str(v, st->ret == 0 ? "none" : st->ret == -EAGAIN ? "cut" : "invalid");
	return 0;
}

const struct gh_decode_kind gh_decode_tls = {
	.name = "tls",
	.inputs = tls_inputs,
	.values = tls_values,
	.types = tls_types,
	.state_size = sizeof(struct tls_state),
	.decode = tls_decode,
	.value = tls_value,
};
