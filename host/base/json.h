/* json.h - a small, strict JSON (RFC 8259) parser into a read-only tree,
 * for container runtime state: runc state.json, OCI config.json and hook
 * payloads, Docker Engine API replies.  The input may be hostile.
 *
 * Strict: the RFC 8259 grammar and nothing more - no comments, no trailing
 * commas, no leading zeros, no byte order mark, no NaN/Infinity, no
 * control characters or invalid UTF-8 inside strings (overlong forms and
 * UTF-8 encoded surrogates included), nothing but whitespace after the
 * value.  Containers nest at most GH_JSON_MAX_DEPTH deep.  The input is
 * read only within [text, text + len); bounding len is the caller's job.
 *
 * Strings are decoded to UTF-8 and NUL terminated; they may hold "\u0000",
 * so use gh_json_str_len for their length.  Surrogate pairs are joined;
 * a lone surrogate escape becomes U+FFFD (as Go's encoding/json, which
 * writes most of these files, does).
 *
 * Objects keep every member in document order.  Duplicate keys are kept;
 * gh_json_get returns the last one (as Go, Python and most parsers do).
 *
 * Numbers are kept as their text and converted on demand.  gh_json_int
 * and gh_json_uint accept plain integer text only ("123", "-5", "-0"):
 * a fraction or an exponent ("1.0", "1e3") is -EINVAL even when the value
 * is integral.  gh_json_double uses strtod, so it assumes the "C" numeric
 * locale like the rest of the host, and overflows to +-HUGE_VAL.
 *
 * Every accessor accepts NULL and the wrong type, and answers NULL, 0,
 * false, NaN or -EINVAL, so lookups chain without checks in between.
 */
#ifndef GH_JSON_H
#define GH_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GH_JSON_MAX_DEPTH 64

enum gh_json_type {
	GH_JSON_NULL,
	GH_JSON_BOOL,
	GH_JSON_NUMBER,
	GH_JSON_STRING,
	GH_JSON_ARRAY,
	GH_JSON_OBJECT,
};

struct gh_json; /* one node; the tree is owned by the root */

/* Parse len bytes (need not be NUL terminated) into *out.  Returns 0,
 * -EINVAL or -ENOMEM; on failure *out is NULL and err (if errlen > 0) gets
 * one line like "line 3, column 14: expected ':' after an object key".
 * Lines and columns count from 1; columns count bytes. */
int gh_json_parse(const char *text, size_t len, struct gh_json **out, char *err, size_t errlen);
void gh_json_free(struct gh_json *j);

enum gh_json_type gh_json_type(const struct gh_json *j); /* NULL j -> GH_JSON_NULL */

/* The value of the last member named key; NULL if absent or obj is not an
 * object.  key is compared as a C string, so keys with "\u0000" never match. */
const struct gh_json *gh_json_get(const struct gh_json *obj, const char *key);
/* Follow a dotted path: "config.labels".  A segment of decimal digits
 * indexes an array ("labels.0"); otherwise it is an object key.  Keys that
 * contain '.' are reachable only through gh_json_get. */
const struct gh_json *gh_json_path(const struct gh_json *obj, const char *dotted);

/* Arrays and objects: element / member count (0 for anything else), the
 * i-th element or member value, the i-th member key (NULL out of range). */
size_t gh_json_len(const struct gh_json *arr_or_obj);
const struct gh_json *gh_json_at(const struct gh_json *arr_or_obj, size_t i);
const char *gh_json_key_at(const struct gh_json *obj, size_t i);

const char *gh_json_str(const struct gh_json *j); /* NULL unless a string */
size_t gh_json_str_len(const struct gh_json *j);  /* bytes; 0 unless a string */

/* 0, -EINVAL (not a number, or not plain integer text) or -ERANGE. */
int gh_json_int(const struct gh_json *j, int64_t *out);
int gh_json_uint(const struct gh_json *j, uint64_t *out); /* "-0" is 0; other negatives -ERANGE */
double gh_json_double(const struct gh_json *j);           /* NaN if not a number */
bool gh_json_bool(const struct gh_json *j);               /* false unless true */

#endif
