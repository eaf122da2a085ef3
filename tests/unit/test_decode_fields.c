/* test_decode_fields.c - fields a C decoder computes (script/decode_fields.h),
 * on hand-made records: the values trace/dns prints, one decode per
 * record however many fields are read, a record changed in place decoded
 * again, -F on a decoded field judged before the script, and the
 * declaration's mistakes. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "run/pipeline.h"
#include "schema/filter.h"
#include "script/decode_fields.h"
#include "script/gadget_spec.h"
#include "script/lua_script.h"

struct drec {
	uint32_t dnsLen;
	uint8_t tcp;
	uint8_t unanswered;
	uint8_t src[4];
	uint8_t dst[4];
	uint8_t payload[96];
};

static const char script[] =
	"return {\n"
	"  object = 'none.bpf.o',\n"
	"  decode = { dns = { payload = 'payload', tcp = 'tcp', length = 'dnsLen',\n"
	"                     unanswered = 'unanswered', src = 'src', dst = 'dst' } },\n"
	"  fields = {\n"
	"    qr = { from = 'dns.qr' }, name = { from = 'dns.name' },\n"
	"    rcode = { from = 'dns.rcode' }, numAnswers = { from = 'dns.numAnswers' },\n"
	"    addresses = { from = 'dns.addresses' }, answers = { from = 'dns.answers' },\n"
	"    incomplete = { from = 'dns.incomplete' }, error = { from = 'dns.error' },\n"
	"    nameserver = { from = 'dns.nameserver' }, qtype = { from = 'dns.qtype' },\n"
	"  },\n"
	"}\n";

struct fixture {
	char path[64];
	struct gh_schema s;
	struct gh_lua *lua;
	struct gh_filter *filter;
	struct gh_pipeline p;
	char seen[256];
};

static void add_field(struct gh_schema *s, const char *name, enum gh_kind kind,
		      enum gh_special special, uint32_t offset, uint32_t size)
{
	s->fields[s->n_fields++] = (struct gh_field){
		.name = strdup(name), .kind = kind, .special = special, .offset = offset,
		.size = size, .elem_size = kind == GH_KIND_ARRAY ? 1 : 0,
		.count = kind == GH_KIND_ARRAY ? size : 0, .map_source = -1,
		.lua_format_ref = -1};
}

static void make_schema(struct gh_schema *s)
{
	memset(s, 0, sizeof(*s));
	s->struct_name = strdup("drec");
	s->struct_size = sizeof(struct drec);
	s->mntns_field = -1;
	s->fields = calloc(6, sizeof(*s->fields));
	assert_non_null(s->fields);
	add_field(s, "dnsLen", GH_KIND_UINT, GH_SPECIAL_NONE, offsetof(struct drec, dnsLen), 4);
	add_field(s, "tcp", GH_KIND_BOOL, GH_SPECIAL_NONE, offsetof(struct drec, tcp), 1);
	add_field(s, "unanswered", GH_KIND_BOOL, GH_SPECIAL_NONE,
		  offsetof(struct drec, unanswered), 1);
	add_field(s, "src", GH_KIND_UINT, GH_SPECIAL_IPV4, offsetof(struct drec, src), 4);
	add_field(s, "dst", GH_KIND_UINT, GH_SPECIAL_IPV4, offsetof(struct drec, dst), 4);
	add_field(s, "payload", GH_KIND_ARRAY, GH_SPECIAL_NONE, offsetof(struct drec, payload),
		  sizeof(((struct drec *)0)->payload));
}

static int open_script(struct fixture *fx, const char *text, char *err, size_t errlen)
{
	struct gh_gadget_spec spec = {0};
	FILE *f;
	int fd, ret;

	snprintf(fx->path, sizeof(fx->path), "/tmp/gh-decode-XXXXXX");
	fd = mkstemp(fx->path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	fputs(text, f);
	fclose(f);
	make_schema(&fx->s);
	assert_int_equal(gh_lua_open(&fx->lua, fx->path, err, errlen), 0);
	ret = gh_lua_read_spec(fx->lua, &spec, err, errlen);
	gh_gadget_spec_free(&spec);
	if (!ret)
		ret = gh_lua_apply_fields(fx->lua, &fx->s, err, errlen);
	return ret;
}

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	char err[256];

	assert_non_null(fx);
	assert_int_equal(open_script(fx, script, err, sizeof(err)), 0);
	fx->filter = gh_filter_new();
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;

	gh_lua_close(fx->lua);
	gh_filter_free(fx->filter);
	gh_schema_free(&fx->s);
	unlink(fx->path);
	free(fx);
	return 0;
}

/* a message: id 7, one question NAME A, with an A answer 10.0.0.N when
 * an > 0 (a response, rcode) */
static size_t message(uint8_t *p, const char *name, int an, int rcode)
{
	size_t n = 0;
	const char *label = name;

	p[n++] = 0;
	p[n++] = 7;
	p[n++] = an >= 0 ? 0x81 : 0x01;
	p[n++] = (uint8_t)(an >= 0 ? 0x80 | rcode : 0);
	p[n++] = 0, p[n++] = 1, p[n++] = 0, p[n++] = (uint8_t)(an > 0 ? an : 0);
	p[n++] = 0, p[n++] = 0, p[n++] = 0, p[n++] = 0;
	while (*label) {
		const char *dot = strchr(label, '.');
		size_t l = dot ? (size_t)(dot - label) : strlen(label);

		p[n++] = (uint8_t)l;
		memcpy(p + n, label, l);
		n += l;
		label += l + (dot ? 1 : 0);
	}
	p[n++] = 0;
	p[n++] = 0, p[n++] = 1, p[n++] = 0, p[n++] = 1;
	for (int i = 0; i < an; i++) {
		const uint8_t rr[] = {0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 10, 0, 0,
				      (uint8_t)(i + 1)};

		memcpy(p + n, rr, sizeof(rr));
		n += sizeof(rr);
	}
	return n;
}

static struct gh_event record(struct drec *r, const char *name, int an, int rcode)
{
	size_t n;

	memset(r, 0, sizeof(*r));
	memcpy(r->src, "\x7f\0\0\x01", 4);
	memcpy(r->dst, "\x7f\0\0\x02", 4);
	n = message(r->payload, name, an, rcode);
	r->dnsLen = (uint32_t)n;
	return (struct gh_event){.data = (const uint8_t *)r,
				 .len = (uint32_t)(offsetof(struct drec, payload) + n)};
}

/* field name's text as a column shows it; "null" for none */
static const char *text(struct fixture *fx, const char *name, const struct gh_event *ev)
{
	static char out[128];
	struct gh_buf b = GH_BUF_INIT;
	struct gh_value v;
	int idx = gh_schema_find(&fx->s, name);

	assert_true(idx >= 0);
	assert_int_equal(gh_field_value(&fx->s, idx, ev, &v), 0);
	if (v.type == GH_V_NULL)
		return "null";
	if (v.type == GH_V_STRLIST) {
		assert_true(v.s.len < sizeof(out));
		memcpy(out, v.s.p, v.s.len);
		out[v.s.len] = '\0';
		for (size_t i = 0; i < v.s.len; i++)
			if (!out[i])
				out[i] = '|';
		return out;
	}
	assert_int_equal(gh_field_text(&fx->s, idx, ev, &b), 0);
	snprintf(out, sizeof(out), "%s", b.p ? b.p : "");
	gh_buf_free(&b);
	return out;
}

/* A query and its response: what trace/dns's fields say of each. */
static void test_values(void **state)
{
	struct fixture *fx = *state;
	struct drec r;
	struct gh_event ev = record(&r, "x.test", -1, 0);

	assert_string_equal(text(fx, "qr", &ev), "Q");
	assert_string_equal(text(fx, "name", &ev), "x.test");
	assert_string_equal(text(fx, "qtype", &ev), "A");
	assert_string_equal(text(fx, "rcode", &ev), "null");
	assert_string_equal(text(fx, "addresses", &ev), "null");
	assert_string_equal(text(fx, "nameserver", &ev), "127.0.0.2");
	assert_string_equal(text(fx, "incomplete", &ev), "false");
	assert_string_equal(text(fx, "error", &ev), "null");

	ev = record(&r, "x.test", 2, 0);
	assert_string_equal(text(fx, "qr", &ev), "R");
	assert_string_equal(text(fx, "rcode", &ev), "NoError");
	assert_string_equal(text(fx, "numAnswers", &ev), "2");
	assert_string_equal(text(fx, "addresses", &ev), "10.0.0.1|10.0.0.2");
	assert_string_equal(text(fx, "answers", &ev), "x.test A 10.0.0.1|x.test A 10.0.0.2");
	assert_string_equal(text(fx, "nameserver", &ev), "127.0.0.1");

	ev = record(&r, "nx.test", 0, 3);
	assert_string_equal(text(fx, "rcode", &ev), "NXDomain");
	assert_string_equal(text(fx, "addresses", &ev), "");

	/* unanswered: Timeout; the capture shorter than dnsLen: incomplete */
	ev = record(&r, "lost.test", -1, 0);
	r.unanswered = 1;
	r.dnsLen += 100;
	assert_string_equal(text(fx, "rcode", &ev), "Timeout");
	assert_string_equal(text(fx, "incomplete", &ev), "true");

	/* not even a header: the error, incomplete, no qr */
	ev.len = offsetof(struct drec, payload) + 5;
	assert_string_equal(text(fx, "error", &ev), "shorter than a DNS header");
	assert_string_equal(text(fx, "incomplete", &ev), "true");
	assert_string_equal(text(fx, "qr", &ev), "null");
	assert_string_equal(text(fx, "nameserver", &ev), "127.0.0.2");
}

/* TCP: the 2-byte length prefix first. */
static void test_tcp(void **state)
{
	struct fixture *fx = *state;
	struct drec r;
	struct gh_event ev = record(&r, "t.test", 1, 0);
	size_t n = r.dnsLen;

	memmove(r.payload + 2, r.payload, n);
	r.payload[0] = 0;
	r.payload[1] = (uint8_t)n;
	r.tcp = 1;
	r.dnsLen = (uint32_t)n + 2;
	ev.len += 2;
	assert_string_equal(text(fx, "name", &ev), "t.test");
	assert_string_equal(text(fx, "addresses", &ev), "10.0.0.1");
	assert_string_equal(text(fx, "incomplete", &ev), "false");
}

/* Every field of one record read twice: one decode.  The same buffer
 * holding another record (a ring buffer reuses its memory): decoded
 * again, never the old values. */
static void test_once_per_record(void **state)
{
	struct fixture *fx = *state;
	static const char *const names[] = {"qr", "name", "rcode", "numAnswers", "addresses",
					     "answers", "incomplete", "error", "nameserver"};
	struct drec r;
	struct gh_event ev = record(&r, "a.test", 1, 0);
	uint64_t before = gh_decoders_runs(&fx->s);

	for (int k = 0; k < 2; k++)
		for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
			text(fx, names[i], &ev);
	assert_int_equal(gh_decoders_runs(&fx->s), before + 1);
	record(&r, "b.test", 1, 0); /* same address, same length */
	assert_string_equal(text(fx, "name", &ev), "b.test");
	assert_int_equal(gh_decoders_runs(&fx->s), before + 2);
	r.payload[r.dnsLen - 1] = 9; /* one byte of the answer */
	assert_string_equal(text(fx, "addresses", &ev), "10.0.0.9");
	assert_int_equal(gh_decoders_runs(&fx->s), before + 3);
}

static int sink(void *ctx, struct gh_event *ev)
{
	struct fixture *fx = ctx;
	size_t at = strlen(fx->seen);

	snprintf(fx->seen + at, sizeof(fx->seen) - at, "%s ", text(fx, "name", ev));
	return 0;
}

/* -F name==b.test: judged before the script (no enrich to wait for). */
static void test_filter(void **state)
{
	struct fixture *fx = *state;
	const char *const names[] = {"a.test", "b.test", "c.test", "b.test"};
	char err[256];

	assert_int_equal(gh_filter_add(fx->filter, &fx->s, "name==b.test", err, sizeof(err)), 0);
	gh_pipeline_init(&fx->p, &fx->s, fx->filter, fx->lua, false);
	gh_pipeline_set_sink(&fx->p, sink, fx);
	assert_true(fx->p.before);
	assert_false(fx->p.after);
	for (size_t i = 0; i < 4; i++) {
		struct drec r;
		struct gh_event ev = record(&r, names[i], -1, 0);

		assert_int_equal(gh_pipeline_event(&fx->p, &ev), 0);
	}
	assert_string_equal(fx->seen, "b.test b.test ");
	assert_int_equal(fx->p.n.kept, 2);
	assert_int_equal(fx->p.n.dropped, 2);
}

/* A declaration's mistakes: one line naming the key. */
static void test_mistakes(void **state)
{
	static const struct {
		const char *decode, *field, *message;
	} cases[] = {
		{"dns = { payload = 'payload' }", "x = { from = 'dns.nope' }",
		 "fields.x.from: decoder dns gives no \"nope\""},
		{"smtp = { payload = 'payload' }", "x = { from = 'smtp.a' }",
		 "decode.smtp: no such decoder (dns, tls)"},
		{"dns = { tcp = 'tcp' }", "x = { from = 'dns.qr' }",
		 "decode.dns.payload is required"},
		{"dns = { payload = 'dnsLen' }", "x = { from = 'dns.qr' }",
		 "decode.dns.payload: \"dnsLen\" is not an array of bytes"},
		{"dns = { payload = 'payload', tcp = 'nope' }", "x = { from = 'dns.qr' }",
		 "decode.dns.tcp: \"nope\" is no member of the event struct"},
		{"dns = { payload = 'payload', port = 'tcp' }", "x = { from = 'dns.qr' }",
		 "decode.dns: unknown key \"port\""},
		{"dns = { payload = 'payload' }", "tcp = { from = 'dns.qr' }",
		 "fields.tcp: 'from' is for new fields, but tcp is in the event struct"},
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct fixture fx = {0};
		char text_[512], err[256] = "";

		snprintf(text_, sizeof(text_),
			 "return { object = 'none.bpf.o', decode = { %s }, fields = { %s } }",
			 cases[i].decode, cases[i].field);
		assert_true(open_script(&fx, text_, err, sizeof(err)) < 0);
		if (!strstr(err, cases[i].message))
			fail_msg("case %zu: \"%s\" lacks \"%s\"", i, err, cases[i].message);
		gh_lua_close(fx.lua);
		gh_schema_free(&fx.s);
		unlink(fx.path);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_values, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tcp, setup, teardown),
		cmocka_unit_test_setup_teardown(test_once_per_record, setup, teardown),
		cmocka_unit_test_setup_teardown(test_filter, setup, teardown),
		cmocka_unit_test(test_mistakes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
