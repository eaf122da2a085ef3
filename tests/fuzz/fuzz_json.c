/* fuzz_json.c - libFuzzer target: gh_json_parse() on any bytes (run
 * requests, OCI states, runc's state.json and Docker's answers all go
 * through it), then a walk of whatever tree it made. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "base/json.h"

static size_t walk(const struct gh_json *j, int depth)
{
	size_t n = 1;
	int64_t i;
	double d;

	switch (gh_json_type(j)) {
	case GH_JSON_STRING:
		/* the length said is the length there (NULs inside allowed) */
		n += gh_json_str_len(j) + (gh_json_str(j)[gh_json_str_len(j)] == '\0');
		break;
	case GH_JSON_NUMBER:
		n += (size_t)(gh_json_int(j, &i) == 0);
		d = gh_json_double(j);
		n += d != d;
		break;
	case GH_JSON_ARRAY:
	case GH_JSON_OBJECT:
		for (size_t k = 0; k < gh_json_len(j); k++) {
			if (gh_json_type(j) == GH_JSON_OBJECT)
				n += strlen(gh_json_key_at(j, k));
			n += walk(gh_json_at(j, k), depth + 1);
		}
		break;
	default:
		break;
	}
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gh_json *j = NULL;
	char err[256];
	size_t n = 0;

	if (!gh_json_parse((const char *)data, size, &j, err, sizeof(err)))
		n = walk(j, 0);
	else
		n = strnlen(err, sizeof(err));
	gh_json_free(j);
	return n == (size_t)-1;
}
