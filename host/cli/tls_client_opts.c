/* tls_client_opts.c - --ca, --cert, --key, --server-name. */
#include "cli/tls_client_opts.h"

#include <stdio.h>
#include <string.h>

int gh_tls_client_option(struct gh_tls_client_opts *o, int argc, char **argv, int *i)
{
	static const char *const names[] = {"--ca", "--cert", "--key", "--server-name"};
	const char **fields[] = {&o->ca_file, &o->cert_file, &o->key_file, &o->server_name};

	for (size_t k = 0; k < sizeof(names) / sizeof(names[0]); k++) {
		size_t n = strlen(names[k]);

		if (strncmp(argv[*i], names[k], n))
			continue;
		if (argv[*i][n] == '=') {
			*fields[k] = argv[*i] + n + 1;
			return 1;
		}
		if (argv[*i][n])
			continue;
		if (*i + 1 >= argc) {
			fprintf(stderr, "gadgethost: %s needs a value\n", names[k]);
			return -1;
		}
		*fields[k] = argv[++*i];
		return 1;
	}
	return 0;
}

bool gh_tls_client_opts_used(const struct gh_tls_client_opts *o)
{
	return o->ca_file || o->cert_file || o->key_file || o->server_name;
}
