/* test_pcapng.c - a gadget's packets (schema/packet_fields.h) as pcap-ng
 * blocks, byte for byte, and --pf through libpcap (decode/pcap_filter.h). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "decode/pcap_filter.h"
#include "output/out.h"
#include "schema/packet_fields.h"

/* what a socket program would write: the capture last, cut short */
struct pkt {
	uint64_t ts;
	uint64_t netns;
	uint32_t ifindex;
	uint32_t len;
	uint32_t pid;
	char comm[16];
	uint8_t data[64];
};

static void add(struct gh_schema *s, const char *name, enum gh_kind kind, enum gh_special sp,
		uint32_t off, uint32_t size)
{
	struct gh_field *f = &s->fields[s->n_fields++];

	*f = (struct gh_field){.name = strdup(name), .kind = kind, .special = sp, .offset = off,
			       .size = size, .map_source = -1, .lua_format_ref = -1};
	if (kind == GH_KIND_ARRAY) {
		f->elem_size = 1;
		f->count = size;
	}
}

static void make_schema(struct gh_schema *s)
{
	static char *iface[] = {"netns", "ifindex"}, *comment[] = {"comm", "pid"};
	struct gh_packet_spec spec = {.data = "data", .length = "len", .interface = iface,
				      .n_interface = 2, .comment = comment, .n_comment = 2};
	char err[256] = "";

	memset(s, 0, sizeof(*s));
	s->mntns_field = -1;
	s->fields = calloc(8, sizeof(*s->fields));
	assert_non_null(s->fields);
	add(s, "timestamp", GH_KIND_UINT, GH_SPECIAL_TIMESTAMP, offsetof(struct pkt, ts), 8);
	add(s, "netns", GH_KIND_UINT, GH_SPECIAL_NETNS_ID, offsetof(struct pkt, netns), 8);
	add(s, "ifindex", GH_KIND_UINT, GH_SPECIAL_IFINDEX, offsetof(struct pkt, ifindex), 4);
	add(s, "len", GH_KIND_UINT, GH_SPECIAL_NONE, offsetof(struct pkt, len), 4);
	add(s, "pid", GH_KIND_UINT, GH_SPECIAL_NONE, offsetof(struct pkt, pid), 4);
	add(s, "comm", GH_KIND_STRING, GH_SPECIAL_NONE, offsetof(struct pkt, comm), 16);
	add(s, "data", GH_KIND_ARRAY, GH_SPECIAL_NONE, offsetof(struct pkt, data), 64);
	s->boot_to_wall_ns = 1000000000;
	assert_int_equal(gh_packet_fields_resolve(s, &spec, "t.lua", err, sizeof(err)), 0);
	assert_true(s->packet.on);
}

static uint32_t u32_at(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

/* The blocks of a pcap-ng stream: their types, and each block's start */
static size_t blocks(const uint8_t *p, size_t len, uint32_t *types, const uint8_t **at)
{
	size_t n = 0, off = 0;

	while (off + 12 <= len) {
		uint32_t total = u32_at(p + off + 4);

		assert_true(total % 4 == 0 && total >= 12 && off + total <= len);
		assert_int_equal(u32_at(p + off + total - 4), total); /* trailing length */
		types[n] = u32_at(p + off);
		at[n++] = p + off;
		off += total;
	}
	assert_int_equal(off, len);
	return n;
}

/* The option of code in an IDB or EPB's options from opts, or NULL */
static const uint8_t *option(const uint8_t *opts, const uint8_t *end, uint16_t code,
			     uint16_t *len)
{
	while (opts + 4 <= end) {
		uint16_t c, l;

		memcpy(&c, opts, 2);
		memcpy(&l, opts + 2, 2);
		if (c == 0)
			return NULL;
		if (c == code) {
			*len = l;
			return opts + 4;
		}
		opts += 4 + ((l + 3u) & ~3u);
	}
	return NULL;
}

static struct gh_event event(struct pkt *r, uint64_t netns, uint32_t ifindex, uint32_t pid,
			     const char *comm, uint32_t caplen, uint32_t len)
{
	memset(r, 0, sizeof(*r));
	r->ts = 5000000123; /* boot ns: 6.000000123 s of wall clock */
	r->netns = netns;
	r->ifindex = ifindex;
	r->len = len;
	r->pid = pid;
	strcpy(r->comm, comm);
	for (uint32_t i = 0; i < caplen; i++)
		r->data[i] = (uint8_t)(i + 1);
	return (struct gh_event){.data = (const uint8_t *)r,
				 .len = (uint32_t)offsetof(struct pkt, data) + caplen};
}

static void test_blocks(void **state)
{
	struct gh_schema s;
	struct gh_out *out;
	struct pkt r;
	struct gh_event ev;
	const uint8_t *at[8];
	uint32_t types[8];
	int fds[2];
	uint8_t buf[4096];
	ssize_t n;
	uint16_t olen;
	const uint8_t *o;
	int all[] = {0};

	(void)state;
	make_schema(&s);
	assert_int_equal(pipe(fds), 0);
	assert_int_equal(gh_out_new(&out, GH_OUT_PCAPNG, &s, all, 1, fds[1]), 0);
	ev = event(&r, 4026531840u, 2, 7, "nc", 5, 1500); /* cut: 5 of 1500 bytes */
	assert_int_equal(gh_out_event(out, &ev), 0);
	ev = event(&r, 4026531840u, 2, 0, "", 3, 3); /* same interface, no owner */
	assert_int_equal(gh_out_event(out, &ev), 0);
	ev = event(&r, 4026532000u, 2, 9, "socat", 4, 4); /* another namespace */
	assert_int_equal(gh_out_event(out, &ev), 0);
	assert_int_equal(gh_out_flush(out), 0);
	n = read(fds[0], buf, sizeof(buf));
	assert_true(n > 0);
	assert_int_equal(blocks(buf, (size_t)n, types, at), 6);
	assert_int_equal(types[0], 0x0A0D0D0A);
	assert_int_equal(u32_at(at[0] + 8), 0x1A2B3C4D);
	assert_int_equal(types[1], 1);
	assert_int_equal(types[2], 6);
	assert_int_equal(types[3], 6);
	assert_int_equal(types[4], 1);
	assert_int_equal(types[5], 6);
	/* IDB: Ethernet (no linktype field), the data's size as snaplen,
	 * if_description from the interface fields, ns timestamps */
	assert_int_equal(at[1][8] | at[1][9] << 8, 1);
	assert_int_equal(u32_at(at[1] + 12), 64);
	o = option(at[1] + 16, at[1] + u32_at(at[1] + 4) - 4, 3, &olen);
	assert_non_null(o);
	assert_int_equal(olen, strlen("netns=4026531840 ifindex=2"));
	assert_memory_equal(o, "netns=4026531840 ifindex=2", olen);
	o = option(at[1] + 16, at[1] + u32_at(at[1] + 4) - 4, 9, &olen);
	assert_true(o && olen == 1 && o[0] == 9);
	/* EPB 1: interface 0, wall clock ns, caplen 5 of 1500, the bytes, padded */
	assert_int_equal(u32_at(at[2] + 8), 0);
	assert_int_equal(((uint64_t)u32_at(at[2] + 12) << 32 | u32_at(at[2] + 16)), 6000000123u);
	assert_int_equal(u32_at(at[2] + 20), 5);
	assert_int_equal(u32_at(at[2] + 24), 1500);
	assert_memory_equal(at[2] + 28, "\1\2\3\4\5\0\0\0", 8);
	o = option(at[2] + 36, at[2] + u32_at(at[2] + 4) - 4, 1, &olen);
	assert_non_null(o);
	assert_int_equal(olen, strlen("comm=nc pid=7"));
	assert_memory_equal(o, "comm=nc pid=7", olen);
	/* EPB 2: no owner, no comment */
	assert_int_equal(u32_at(at[3] + 8), 0);
	assert_null(option(at[3] + 32, at[3] + u32_at(at[3] + 4) - 4, 1, &olen));
	/* the other namespace: IDB 1, its packet on it */
	assert_int_equal(u32_at(at[5] + 8), 1);
	gh_out_free(out);
	close(fds[0]);
	close(fds[1]);
	gh_schema_free(&s);
}

static void test_needs_packet(void **state)
{
	struct gh_schema s = {.mntns_field = -1};
	struct gh_out *out = NULL;

	(void)state;
	assert_int_equal(gh_out_new(&out, GH_OUT_PCAPNG, &s, NULL, 0, 1), -EINVAL);
	assert_null(out);
}

static void test_bad_spec(void **state)
{
	struct gh_schema s;
	struct gh_packet_spec spec = {.data = "comm", .length = "len"};
	char err[256] = "";

	(void)state;
	make_schema(&s);
	s.packet.on = false;
	assert_int_equal(gh_packet_fields_resolve(&s, &spec, "t.lua", err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "t.lua: packet.data: \"comm\" is not an array of bytes");
	spec.data = "nope";
	assert_int_equal(gh_packet_fields_resolve(&s, &spec, "t.lua", err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "t.lua: packet.data: unknown field \"nope\"");
	gh_schema_free(&s);
}

/* an Ethernet frame: IPv4, TCP from port sport to dport */
static size_t frame(uint8_t *f, uint16_t sport, uint16_t dport)
{
	static const uint8_t head[] = {
		0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0x08, 0x00,     /* Ethernet */
		0x45, 0, 0, 40, 0, 0, 0x40, 0, 64, 6, 0, 0,             /* IPv4 */
		10, 0, 0, 1, 10, 0, 0, 2,
	};
	uint8_t tcp[20] = {sport >> 8, sport & 0xff, dport >> 8, dport & 0xff,
			   0, 0, 0, 0, 0, 0, 0, 0, 0x50, 0x02, 0xff, 0xff};

	memcpy(f, head, sizeof(head));
	memcpy(f + sizeof(head), tcp, sizeof(tcp));
	return sizeof(head) + sizeof(tcp);
}

static void test_pcap_filter(void **state)
{
	struct gh_pcap_filter *pf = NULL;
	uint8_t f[64];
	size_t n;
	char err[256] = "";

	(void)state;
	assert_int_equal(gh_pcap_filter_new(&pf, "tcp prot 80", err, sizeof(err)), -EINVAL);
	assert_null(pf);
	assert_non_null(strstr(err, "syntax error"));
	assert_int_equal(gh_pcap_filter_new(&pf, "tcp dst port 80", err, sizeof(err)), 0);
	n = frame(f, 40000, 80);
	assert_true(gh_pcap_filter_match(pf, 1, f, (uint32_t)n, (uint32_t)n));
	n = frame(f, 80, 40000);
	assert_false(gh_pcap_filter_match(pf, 1, f, (uint32_t)n, (uint32_t)n));
	/* raw IP (LINKTYPE_RAW): the same packet without its Ethernet header */
	n = frame(f, 40000, 80);
	assert_true(gh_pcap_filter_match(pf, 101, f + 14, (uint32_t)n - 14, (uint32_t)n - 14));
	gh_pcap_filter_free(pf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_blocks),
		cmocka_unit_test(test_needs_packet),
		cmocka_unit_test(test_bad_spec),
		cmocka_unit_test(test_pcap_filter),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
