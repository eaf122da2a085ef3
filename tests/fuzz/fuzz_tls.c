/* fuzz_tls.c - libFuzzer target: gh_tls_sni() on any bytes. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "decode/tls_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char name[GH_TLS_SNI_MAX];
	const char *why = NULL;
	int ret = gh_tls_sni(data, size, name, sizeof(name), &why);

	if (ret == 1 && strnlen(name, sizeof(name)) == sizeof(name))
		__builtin_trap(); /* not terminated */
	if (ret != 1 && !why)
		__builtin_trap(); /* every failure says why */
	return 0;
}
