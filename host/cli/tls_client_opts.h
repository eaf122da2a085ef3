/* tls_client_opts.h - the TLS options of the daemon's clients (--remote,
 * k8s run): --ca FILE, --cert FILE, --key FILE, --server-name NAME. */
#ifndef GH_TLS_CLIENT_OPTS_H
#define GH_TLS_CLIENT_OPTS_H

#include <stdbool.h>

#include "daemon/tls.h"

/* argv[*i] is one of them ("--ca FILE" or "--ca=FILE"): stored, *i on
 * its last word, 1.  Not one of them: 0.  One without its value: -1,
 * after saying so. */
int gh_tls_client_option(struct gh_tls_client_opts *o, int argc, char **argv, int *i);
/* Whether any of them was given. */
bool gh_tls_client_opts_used(const struct gh_tls_client_opts *o);

#endif
