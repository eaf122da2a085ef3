/* fuzz_hook.c - libFuzzer target: an OCI hook's message as a host gets it
 * from a runtime ("KIND\n" then the OCI state JSON) into gh_hook_apply(),
 * with a container collection of its own.  A start hook's pid is looked up
 * in /proc (the fuzzer's own processes, or none): read only. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "containers/container.h"
#include "containers/hook.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *nl = memchr(data, '\n', size);
	struct gh_containers *cc;
	char kind[32], err[256];
	size_t klen, rest;

	if (!nl || gh_containers_new(&cc))
		return 0;
	rest = size - (size_t)(nl - (const char *)data) - 1;
	klen = (size_t)(nl - (const char *)data);
	if (klen >= sizeof(kind))
		klen = sizeof(kind) - 1;
	memcpy(kind, data, klen);
	kind[klen] = '\0';
	err[0] = '\0';
	gh_hook_apply(cc, kind, nl + 1, rest, NULL, 0, err, sizeof(err));
	gh_containers_free(cc);
	return strnlen(err, sizeof(err)) == sizeof(err);
}
