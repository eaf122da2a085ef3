/* out_private.h - what the output formats share: struct gh_out, the
 * nesting plan of JSON and YAML, and small helpers.  Not for other modules:
 * they see struct gh_out only through out.h.
 */
#ifndef GH_OUT_PRIVATE_H
#define GH_OUT_PRIVATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/text.h"
#include "schema/field.h"
#include "output/out.h"
#include "output/out_plan.h"

struct gh_out_yaml;   /* out_yaml.c */
struct gh_out_pcapng; /* out_pcapng.c */

struct gh_out {
	enum gh_out_format fmt;
	const struct gh_out_format_ops *ops;
	const struct gh_schema *schema;
	int *fields;
	size_t n_fields;
	int fd;

	struct gh_buf buf;     /* everything not yet written */
	struct gh_buf scratch; /* one field's text or a sanitized string */

	gh_text_hook_fn text_hook;
	void *text_hook_ctx;

	/* columns: width of each column; 0 for the last (unbounded) one */
	unsigned *widths;

	/* json, jsonpretty, yaml: the shape of an event's object */
	struct gh_out_plans plans;

	struct gh_out_yaml *yaml;
	struct gh_out_pcapng *pcapng;
};

/* A format: what out_common.c calls, each writer in a file of its own.
 * The event writers append to out->buf; on error gh_out_event drops
 * whatever they appended. */
struct gh_out_format_ops {
	int (*init)(struct gh_out *out);   /* NULL: nothing to set up */
	int (*header)(struct gh_out *out); /* NULL: no header */
	int (*event)(struct gh_out *out, const struct gh_event *ev);
	void (*free)(struct gh_out *out);  /* NULL: nothing to free */
};

extern const struct gh_out_format_ops gh_out_columns_ops; /* out_columns.c */
extern const struct gh_out_format_ops gh_out_json_ops;    /* out_json.c */
extern const struct gh_out_format_ops gh_out_jsonpretty_ops;
extern const struct gh_out_format_ops gh_out_yaml_ops;    /* out_yaml.c */
extern const struct gh_out_format_ops gh_out_pcapng_ops;  /* out_pcapng.c */

/* The column header (out_table.c writes it above each block). */
int gh_out_columns_header(struct gh_out *out);
/* Whether a YAML plain scalar s would read back as another type ("true",
 * "123", "null", ""): such strings are quoted. */
bool gh_yaml_needs_quotes(const char *s, size_t len);
/* s with invalid UTF-8 bytes replaced by U+FFFD: s itself when valid,
 * otherwise a copy in scratch (*s and *len then point there). */
int gh_utf8_sanitize(struct gh_buf *scratch, const char **s, size_t *len);
/* A libyaml scalar event for s: a string (valid UTF-8 through scratch,
 * quoted where a plain scalar would read back as another type), or with
 * plain_only a number or a key written as it is.  0 or -ENOMEM.  For the
 * YAML rows (out_yaml.c) and the script's documents (lua_doc.c). */
struct yaml_event_s;
int gh_yaml_string_event(struct yaml_event_s *e, struct gh_buf *scratch, const char *s,
			 size_t len);
int gh_yaml_plain_event(struct yaml_event_s *e, const char *s, size_t len);

/* Decimal integers, without printf: this runs for every number of every
 * event.  Return the number of characters written to p (at most 20). */
static inline size_t gh_fmt_u64(char *p, uint64_t v)
{
	char t[20];
	size_t n = 0;

	do {
		t[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	for (size_t i = 0; i < n; i++)
		p[i] = t[n - 1 - i];
	return n;
}

static inline size_t gh_fmt_i64(char *p, int64_t v)
{
	if (v < 0) {
		p[0] = '-';
		return 1 + gh_fmt_u64(p + 1, (uint64_t)0 - (uint64_t)v);
	}
	return gh_fmt_u64(p, (uint64_t)v);
}

/* Shortest of %.15g / %.17g that reads back as d; d must be finite.
 * Returns the length written to p (at least 32 bytes). */
static inline int gh_fmt_double(char *p, size_t size, double d)
{
	int n = snprintf(p, size, "%.15g", d);

	if (strtod(p, NULL) != d)
		n = snprintf(p, size, "%.17g", d);
	return n;
}

/* Read one element of an array field (elem_size 1, 2, 4 or 8). */
static inline uint64_t gh_out_read_uint(const void *p, uint32_t size)
{
	switch (size) {
	case 1: return *(const uint8_t *)p;
	case 2: { uint16_t v; memcpy(&v, p, 2); return v; }
	case 4: { uint32_t v; memcpy(&v, p, 4); return v; }
	case 8: { uint64_t v; memcpy(&v, p, 8); return v; }
	}
	return 0;
}

static inline int64_t gh_out_read_int(const void *p, uint32_t size)
{
	switch (size) {
	case 1: return *(const int8_t *)p;
	case 2: { int16_t v; memcpy(&v, p, 2); return v; }
	case 4: { int32_t v; memcpy(&v, p, 4); return v; }
	case 8: { int64_t v; memcpy(&v, p, 8); return v; }
	}
	return 0;
}

#endif
