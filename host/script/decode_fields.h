/* decode_fields.h - fields a C decoder computes from a record's bytes.
 *
 * A script declares decoders by kind, naming the members they read:
 *   decode = { dns = { payload = "payload", tcp = "tcp", ... } }
 * and fields that take one of a decoder's values:
 *   name = { from = "dns.name", type = "string" }
 * Such a field is a field source's (field.h): no Lua runs for it, -F and
 * --fields judge it in C.  A decoder runs once per event, at the first
 * read of one of its fields: its result is kept with a copy of the
 * record it came from, so later reads of the same record reuse it and
 * any other record decodes again.  The members it reads are taken from
 * the record itself, never from an enrich overlay: the result is a
 * function of the record's bytes.
 *
 * The kinds (decode_kinds.c): "dns" (dns_parse.h) and "tls" (tls_parse.h).
 */
#ifndef GH_DECODE_FIELDS_H
#define GH_DECODE_FIELDS_H

#include <stddef.h>
#include <stdint.h>

#include <lua.h>

#include "schema/field.h"

struct gh_decoders;

/* Read the `decode` table of the gadget table at index t (none: *out
 * NULL) and register the decoders' field source on s.  0 or -errno with
 * err set. */
int gh_decoders_read(lua_State *L, int t, struct gh_schema *s, const char *path,
		     struct gh_decoders **out, char *err, size_t errlen);
/* from = "KIND.VALUE" for field idx: 1 when KIND is a declared decoder
 * (the field is now its), 0 when it is none (from names a field), or
 * -errno with err set. */
int gh_decoders_field(struct gh_decoders *d, struct gh_schema *s, int idx, const char *from,
		      const char *path, char *err, size_t errlen);
void gh_decoders_free(struct gh_decoders *d);
/* How many times s's decoders decoded a record (one per event read). */
uint64_t gh_decoders_runs(const struct gh_schema *s);

#endif
