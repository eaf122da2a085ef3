/* run_lua_opts.c - --lua, --lua-file and the Lua limits. */
#include "run_lua_opts.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *const lua_options[] = {
	"--lua", "--lua-file", "--lua-memory-limit", "--lua-instruction-limit", NULL,
};

bool gh_run_is_lua_option(const char *opt)
{
	for (size_t i = 0; lua_options[i]; i++)
		if (!strcmp(opt, lua_options[i]))
			return true;
	return false;
}

/* N, NK, NM, NG (powers of 1024 for sizes, of 1000 for counts) */
static int parse_amount(const char *opt, const char *text, unsigned long long unit,
			unsigned long long *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(text, &end, 10);
	if (errno || end == text || text[0] == '-')
		goto bad;
	if (*end == 'K' || *end == 'k')
		v *= unit, end++;
	else if (*end == 'M' || *end == 'm')
		v *= unit * unit, end++;
	else if (*end == 'G' || *end == 'g')
		v *= unit * unit * unit, end++;
	if (unit == 1024 && (*end == 'i' || *end == 'B'))
		end += *end == 'i' ? 1 : 0;
	if (unit == 1024 && *end == 'B')
		end++;
	if (*end)
		goto bad;
	*out = v;
	return 0;
bad:
	fprintf(stderr, "gadgethost: %s: \"%s\" is not an amount (a number, with K, M or G)\n",
		opt, text);
	return 1;
}

int gh_run_lua_options(int argc, char **argv, struct gh_lua_config *c,
		       struct gh_lua_layer **layers)
{
	struct gh_lua_layer *list = NULL;
	size_t n = 0;

	*layers = NULL;
	for (int i = 0; i < argc; i++) {
		const char *arg = argv[i], *eq = strchr(arg, '='), *val;
		char opt[64];
		unsigned long long v;

		snprintf(opt, sizeof(opt), "%.*s", eq ? (int)(eq - arg) : (int)strlen(arg), arg);
		if (!gh_run_is_lua_option(opt))
			continue;
		if (eq) {
			val = eq + 1;
		} else if (i + 1 < argc) {
			val = argv[++i];
		} else {
			fprintf(stderr, "gadgethost: %s needs a value\n", opt);
			goto fail;
		}
		if (!strcmp(opt, "--lua-memory-limit")) {
			if (parse_amount(opt, val, 1024, &v))
				goto fail;
			if (v && v < (1u << 20)) {
				fprintf(stderr, "gadgethost: %s: at least 1M (the libraries take "
					"hundreds of KiB), or 0 for no limit\n", opt);
				goto fail;
			}
			c->memory_limit = (size_t)v;
			continue;
		}
		if (!strcmp(opt, "--lua-instruction-limit")) {
			if (parse_amount(opt, val, 1000, &v))
				goto fail;
			if (v > 2000000000ULL) {
				fprintf(stderr, "gadgethost: %s: at most 2G\n", opt);
				goto fail;
			}
			c->instruction_limit = v;
			continue;
		}
		if (!strcmp(opt, "--lua-file") && access(val, R_OK)) {
			fprintf(stderr, "gadgethost: --lua-file %s: %s\n", val, strerror(errno));
			goto fail;
		}
		struct gh_lua_layer *grown = realloc(list, (n + 1) * sizeof(*grown));

		if (!grown) {
			fprintf(stderr, "gadgethost: out of memory\n");
			goto fail;
		}
		list = grown;
		list[n].code = strcmp(opt, "--lua") ? NULL : val;
		list[n].file = strcmp(opt, "--lua") ? val : NULL;
		n++;
	}
	c->layers = list;
	c->n_layers = n;
	*layers = list;
	return 0;
fail:
	free(list);
	return 1;
}
