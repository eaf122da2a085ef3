/* test_packet_parse.c - the DNS and TLS parsers on hand-made packets. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "decode/dns_parse.h"
#include "decode/tls_parse.h"

static struct gh_dns_msg m;

#define HDR(id, flags, qd, an, ns, ar)                                                     \
	(id) >> 8, (id) & 0xff, (flags) >> 8, (flags) & 0xff, 0, qd, 0, an, 0, ns, 0, ar

static void test_query_with_edns(void **state)
{
	const uint8_t q[] = {HDR(0x1234, 0x0100, 1, 0, 0, 1), 1, 'a', 4, 't', 'e', 's', 't', 0,
			     0, 28, 0, 1,
			     /* OPT: root, type 41, udp 1232, ext rcode 0, version 0, DO */
			     0, 0, 41, 0x04, 0xd0, 0, 0, 0x80, 0, 0, 0};

	assert_int_equal(gh_dns_parse(q, sizeof(q), false, &m), 0);
	assert_null(m.error);
	assert_false(m.qr);
	assert_int_equal(m.id, 0x1234);
	assert_string_equal(m.name, "a.test");
	assert_int_equal(m.qtype, 28);
	assert_string_equal(gh_dns_type_name(m.qtype), "AAAA");
	assert_true(m.edns);
	assert_int_equal(m.edns_udp_size, 1232);
	assert_true(m.edns_do);
	assert_false(m.incomplete);
}

/* alias.test CNAME a.test (compressed), a.test A 10.1.2.3; NXDOMAIN-free */
static const uint8_t response[] = {
	HDR(7, 0x8580, 1, 2, 0, 0),
	5, 'a', 'l', 'i', 'a', 's', 4, 't', 'e', 's', 't', 0, 0, 1, 0, 1, /* q at 12 */
	0xc0, 12, 0, 5, 0, 1, 0, 0, 0, 60, 0, 4, 1, 'a', 0xc0, 18,       /* -> "a" + test */
	0xc0, 40, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 10, 1, 2, 3,
};

static void test_response_cname_chain(void **state)
{
	assert_int_equal(gh_dns_parse(response, sizeof(response), false, &m), 0);
	assert_null(m.error);
	assert_true(m.qr);
	assert_true(m.aa);
	assert_string_equal(gh_dns_rcode_name(m.rcode), "NoError");
	assert_int_equal(m.n_answers, 2);
	assert_string_equal(m.answers[0].name, "alias.test");
	assert_string_equal(m.answers[0].data, "a.test");
	assert_string_equal(m.answers[1].name, "a.test");
	assert_string_equal(m.answers[1].data, "10.1.2.3");
}

static void test_tcp_framing(void **state)
{
	uint8_t framed[2 + sizeof(response) + 5];

	framed[0] = 0;
	framed[1] = sizeof(response);
	memcpy(framed + 2, response, sizeof(response));
	memset(framed + 2 + sizeof(response), 0xff, 5); /* the next message's bytes */
	assert_int_equal(gh_dns_parse(framed, sizeof(framed), true, &m), 0);
	assert_null(m.error);
	assert_int_equal(m.tcp_length, sizeof(response));
	assert_int_equal(m.n_answers, 2);
	assert_false(m.incomplete);
	/* cut by the capture: what is there, and incomplete */
	assert_int_equal(gh_dns_parse(framed, 2 + sizeof(response) - 6, true, &m), 0);
	assert_true(m.incomplete);
	assert_int_equal(m.n_answers, 1);
	assert_int_equal(gh_dns_parse(framed, 1, true, &m), -EINVAL);
}

static void test_compression_loop(void **state)
{
	/* the name is a pointer to itself, then one pointing forward */
	const uint8_t self[] = {HDR(1, 0, 1, 0, 0, 0), 0xc0, 12, 0, 1, 0, 1};
	const uint8_t fwd[] = {HDR(1, 0, 1, 0, 0, 0), 0xc0, 14, 0xc0, 12, 0, 1, 0, 1};

	assert_int_equal(gh_dns_parse(self, sizeof(self), false, &m), 0);
	assert_string_equal(m.error, "compression pointer does not point backwards");
	assert_false(m.has_question);
	assert_int_equal(gh_dns_parse(fwd, sizeof(fwd), false, &m), 0);
	assert_non_null(m.error);
}

static void test_truncated_name_and_bad_lengths(void **state)
{
	const uint8_t cut[] = {HDR(1, 0, 1, 0, 0, 0), 5, 'a', 'b'};
	const uint8_t rdlen[] = {HDR(1, 0x8000, 0, 1, 0, 0), 0, 0, 1, 0, 1, 0, 0, 0, 1, 0xff, 0xff,
				 1, 2, 3, 4};
	const uint8_t lying[] = {HDR(1, 0x8200, 0, 9, 0, 0)};

	assert_int_equal(gh_dns_parse(cut, sizeof(cut), false, &m), 0);
	assert_true(m.incomplete);
	assert_string_equal(m.error, "label runs past the end");
	assert_int_equal(gh_dns_parse(rdlen, sizeof(rdlen), false, &m), 0);
	assert_string_equal(m.error, "record data runs past the end");
	assert_int_equal(m.n_answers, 0);
	assert_int_equal(gh_dns_parse(lying, sizeof(lying), false, &m), 0);
	assert_true(m.tc);
	assert_true(m.incomplete);
	assert_int_equal(gh_dns_parse(lying, 11, false, &m), -EINVAL);
}

static void test_long_name_and_escapes(void **state)
{
	uint8_t q[12 + 300 + 4] = {HDR(1, 0, 1, 0, 0, 0)};
	size_t at = 12;
	const uint8_t odd[] = {HDR(1, 0, 1, 0, 0, 0), 3, 'a', '.', 0x01, 0, 0, 1, 0, 1};

	for (int i = 0; i < 5; i++) { /* 5 labels of 63: 320 octets > 255 */
		q[at++] = 63;
		memset(q + at, 'x', 63);
		at += 63;
		if (at > sizeof(q) - 70)
			break;
	}
	assert_int_equal(gh_dns_parse(q, sizeof(q), false, &m), 0);
	assert_string_equal(m.error, "name longer than 255 octets");
	assert_int_equal(gh_dns_parse(odd, sizeof(odd), false, &m), 0);
	assert_string_equal(m.name, "a\\.\\001");
}

/* A ClientHello: record, handshake, fields, then extensions
 * (a padding one, then server_name). */
static size_t client_hello(uint8_t *p, const char *host)
{
	size_t n = strlen(host), at = 0, ext_len = (4 + 2) + (4 + 2 + 1 + 2 + n);
	size_t body = 2 + 32 + 1 + 2 + 2 + 1 + 1 + 2 + ext_len;

	p[at++] = 0x16, p[at++] = 3, p[at++] = 1;
	p[at++] = (uint8_t)((4 + body) >> 8), p[at++] = (uint8_t)(4 + body);
	p[at++] = 1, p[at++] = 0, p[at++] = (uint8_t)(body >> 8), p[at++] = (uint8_t)body;
	p[at++] = 3, p[at++] = 3;
	memset(p + at, 0xaa, 32), at += 32;
	p[at++] = 0;                            /* session id */
	p[at++] = 0, p[at++] = 2, p[at++] = 0x13, p[at++] = 0x01; /* one suite */
	p[at++] = 1, p[at++] = 0;               /* compression: null */
	p[at++] = (uint8_t)(ext_len >> 8), p[at++] = (uint8_t)ext_len;
	p[at++] = 0, p[at++] = 21, p[at++] = 0, p[at++] = 2, p[at++] = 0, p[at++] = 0;
	p[at++] = 0, p[at++] = 0;               /* server_name */
	p[at++] = (uint8_t)((2 + 1 + 2 + n) >> 8), p[at++] = (uint8_t)(2 + 1 + 2 + n);
	p[at++] = (uint8_t)((1 + 2 + n) >> 8), p[at++] = (uint8_t)(1 + 2 + n);
	p[at++] = 0, p[at++] = (uint8_t)(n >> 8), p[at++] = (uint8_t)n;
	memcpy(p + at, host, n), at += n;
	return at;
}

static void test_tls_sni(void **state)
{
	uint8_t p[512];
	char name[GH_TLS_SNI_MAX];
	const char *why;
	size_t n = client_hello(p, "www.example.test");

	assert_int_equal(gh_tls_sni(p, n, name, sizeof(name), &why), 1);
	assert_string_equal(name, "www.example.test");
	/* cut anywhere: never a name read past the end, "cut" near the end */
	for (size_t cut = 0; cut < n; cut++)
		assert_true(gh_tls_sni(p, cut, name, sizeof(name), &why) <= 0 || cut == n);
	assert_int_equal(gh_tls_sni(p, n - 3, name, sizeof(name), &why), -EAGAIN);
	/* a server_name longer than its extension */
	p[n - 16 - 1] = 200;
	assert_int_equal(gh_tls_sni(p, n, name, sizeof(name), &why), -EINVAL);
	assert_non_null(why);
	/* not a handshake */
	p[0] = 0x17;
	assert_int_equal(gh_tls_sni(p, n, name, sizeof(name), &why), -EINVAL);
	assert_string_equal(why, "not a TLS handshake record");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_query_with_edns),
		cmocka_unit_test(test_response_cname_chain),
		cmocka_unit_test(test_tcp_framing),
		cmocka_unit_test(test_compression_loop),
		cmocka_unit_test(test_truncated_name_and_bad_lengths),
		cmocka_unit_test(test_long_name_and_escapes),
		cmocka_unit_test(test_tls_sni),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
