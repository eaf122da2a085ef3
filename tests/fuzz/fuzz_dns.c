/* fuzz_dns.c - libFuzzer target: gh_dns_parse() on any bytes, as UDP and
 * as DNS over TCP.  Built by tests/fuzz/meson.build with clang
 * -fsanitize=fuzzer,address,undefined. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "decode/dns_parse.h"

static struct gh_dns_msg msg;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t n = 0;

	for (int tcp = 0; tcp < 2; tcp++) {
		gh_dns_parse(data, size, tcp, &msg);
		/* every string the parser made is terminated inside its buffer */
		n += strnlen(msg.name, sizeof(msg.name));
		for (size_t i = 0; i < msg.n_answers && i < GH_DNS_ANSWERS_MAX; i++)
			n += strnlen(msg.answers[i].data, sizeof(msg.answers[i].data)) +
			     strnlen(msg.answers[i].name, sizeof(msg.answers[i].name));
		if (gh_dns_rcode_name(msg.rcode))
			n++;
	}
	return n == (size_t)-1;
}
