/* tls_parse.h - the server name (SNI) of a TLS ClientHello, read
 * defensively: every length is checked against the bytes there and
 * against the length that encloses it. */
#ifndef GH_TLS_PARSE_H
#define GH_TLS_PARSE_H

#include <stddef.h>
#include <stdint.h>

#define GH_TLS_SNI_MAX 256 /* a DNS name: 253 characters */

/* p: the start of a TLS record carrying a ClientHello.  Returns 1 with the
 * host name in out (NUL terminated, non-printable bytes as \xHH), 0 when
 * the ClientHello has no server_name, -EAGAIN when the bytes end first,
 * -EINVAL when it is not a ClientHello or a length is inconsistent;
 * *why (if not NULL) says which. */
int gh_tls_sni(const uint8_t *p, size_t len, char *out, size_t outlen, const char **why);

#endif
