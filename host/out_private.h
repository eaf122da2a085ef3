/* out_private.h - what the output formats share: struct gh_out, the
 * nesting plan of JSON and YAML, and small helpers.  Not for other modules:
 * they see struct gh_out only through out.h.
 */
#ifndef GH_OUT_PRIVATE_H
#define GH_OUT_PRIVATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "field.h"
#include "out.h"

/* One step of the nesting plan, built once in gh_out_new.  Dotted field
 * names become nested objects: "runtime.containerName" is the key
 * "containerName" inside the object "runtime".  Fields sharing a prefix
 * are grouped at the place of the first of them.  Writing an event is a
 * walk over this flat list: no look-ups, no allocation. */
enum gh_out_op_type {
	GH_OP_FIELD, /* key: value of field */
	GH_OP_OPEN,  /* key: start of a nested object */
	GH_OP_CLOSE, /* end of the nested object opened last */
};

struct gh_out_op {
	enum gh_out_op_type type;
	int field;            /* GH_OP_FIELD: index in the schema */
	unsigned depth;       /* 0: a key of the event's top level object */
	bool first;           /* first key of its object: no comma before */
	const char *key;      /* the key (one segment of the dotted name) */
	size_t key_len;
	const char *json_key; /* the key as a quoted, escaped JSON string */
	size_t json_key_len;
	/* compact JSON: what goes before the value, in one piece: a comma
	 * unless first, the key, ':' and, for a group, '{' */
	const char *json_prefix;
	size_t json_prefix_len;
};

struct gh_out_plan {
	struct gh_out_op *ops;
	size_t n_ops;
};

struct gh_out_yaml; /* out_yaml.c */

struct gh_out {
	enum gh_out_format fmt;
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

	/* json, jsonpretty, yaml: the plan of an event in a container, and
	 * (has_host_plan: container fields are selected) the plan of a host
	 * process's event, which leaves them out */
	struct gh_out_plan plan;
	struct gh_out_plan host_plan;
	bool has_host_plan;
	struct gh_buf keys;    /* storage of the ops' key strings */

	struct gh_out_yaml *yaml;
};

/* Per format set-up and per event writers.  The event writers append to
 * out->buf; on error gh_out_event drops whatever they appended. */
int gh_out_columns_init(struct gh_out *out);
int gh_out_columns_header(struct gh_out *out);
int gh_out_columns_event(struct gh_out *out, const struct gh_event *ev);

int gh_out_json_event(struct gh_out *out, const struct gh_event *ev, bool pretty);

/* The plan for this event: without the container fields when it comes
 * from no known container. */
const struct gh_out_plan *gh_out_plan_for(const struct gh_out *out, const struct gh_event *ev);

int gh_out_yaml_init(struct gh_out *out);
int gh_out_yaml_event(struct gh_out *out, const struct gh_event *ev);
void gh_out_yaml_free(struct gh_out *out);
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

/* Length of the valid UTF-8 sequence at s (1 to 4), or 0 when s[0] does
 * not start one: a bad lead byte, a truncated sequence, an overlong form,
 * a surrogate or a code point above U+10FFFF.  len must be > 0. */
static inline size_t gh_utf8_seq(const unsigned char *s, size_t len)
{
	unsigned char c = s[0];
	unsigned char lo = 0x80, hi = 0xbf;
	size_t n;

	if (c < 0x80)
		return 1;
	if (c < 0xc2)
		return 0;
	if (c < 0xe0) {
		n = 2;
	} else if (c < 0xf0) {
		n = 3;
		if (c == 0xe0)
			lo = 0xa0; /* overlong */
		else if (c == 0xed)
			hi = 0x9f; /* surrogates */
	} else if (c < 0xf5) {
		n = 4;
		if (c == 0xf0)
			lo = 0x90; /* overlong */
		else if (c == 0xf4)
			hi = 0x8f; /* above U+10FFFF */
	} else {
		return 0;
	}
	if (len < n || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return n;
}

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
int gh_fmt_double(char *p, size_t size, double d);

/* Read one element of an array field (elem_size 1, 2, 4 or 8). */
uint64_t gh_out_read_uint(const void *p, uint32_t size);
int64_t gh_out_read_int(const void *p, uint32_t size);

#endif
