/* libbpf_log.h - what libbpf says, kept for error messages. */
#ifndef GH_LIBBPF_LOG_H
#define GH_LIBBPF_LOG_H

#include <stdbool.h>

/* Route libbpf's messages here (idempotent). */
void gh_libbpf_log_install(void);
/* Verbose: also print every message to stderr. */
void gh_libbpf_log_set_verbose(bool verbose);
/* Forget what was said so far. */
void gh_libbpf_log_reset(void);
/* The most telling recent line (a warning or error), or NULL. */
const char *gh_libbpf_log_last(void);

/* Why the verifier rejected the last program, or NULL. */
const char *gh_libbpf_log_verifier(void);
/* The verifier log's last lines, each indented and ending in a newline,
 * or NULL; --verbose prints all of it as it comes. */
#define GH_VERIFIER_TAIL_LINES 20
const char *gh_libbpf_log_verifier_tail(void);

#endif
