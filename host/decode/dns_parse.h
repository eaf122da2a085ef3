/* dns_parse.h - a DNS message decoder that trusts nothing in the packet.
 *
 * Every length and pointer in the message is checked against the bytes
 * actually there; names are followed through compression pointers that
 * must point backwards (no loop can form) with a bounded number of jumps.
 * A message cut short (by the capture, or lying about its counts) is
 * decoded as far as it goes and marked incomplete.
 */
#ifndef GH_DNS_PARSE_H
#define GH_DNS_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GH_DNS_NAME_MAX 1024 /* presentation form, \DDD escapes included */
#define GH_DNS_ANSWERS_MAX 64
#define GH_DNS_DATA_MAX GH_DNS_NAME_MAX

struct gh_dns_rr {
	char name[GH_DNS_NAME_MAX];
	uint16_t type;
	uint16_t class;
	uint32_t ttl;
	/* A, AAAA: the address; CNAME, NS, PTR: the name; MX: "pref name";
	 * TXT: the first string; others: empty */
	char data[GH_DNS_DATA_MAX];
};

struct gh_dns_msg {
	uint16_t id;
	bool qr;          /* a response */
	uint8_t opcode;
	uint16_t rcode;   /* with EDNS's extended bits */
	bool aa, tc, rd, ra;
	uint16_t qdcount, ancount, nscount, arcount;

	bool has_question;
	char name[GH_DNS_NAME_MAX]; /* the first question's */
	uint16_t qtype, qclass;

	struct gh_dns_rr answers[GH_DNS_ANSWERS_MAX];
	size_t n_answers; /* decoded; ancount may say more */

	bool edns;        /* an OPT record */
	uint16_t edns_udp_size;
	uint8_t edns_version;
	bool edns_do;

	uint32_t tcp_length; /* DNS over TCP: the 2-byte length prefix */
	bool incomplete;     /* the bytes end before the message does */
	const char *error;   /* NULL, or why decoding stopped */
};

/* Decode len bytes at p (with tcp, a 2-byte length prefix first).
 * 0 when the header was read (m->error may still say where the rest went
 * wrong), -EINVAL when not even a header is there. */
int gh_dns_parse(const uint8_t *p, size_t len, bool tcp, struct gh_dns_msg *m);

/* "NoError", "NXDomain", ...; NULL when unnamed. */
const char *gh_dns_rcode_name(unsigned rcode);
/* "A", "AAAA", "CNAME", ...; NULL when unnamed. */
const char *gh_dns_type_name(unsigned type);

#endif
