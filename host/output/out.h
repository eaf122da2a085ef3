/* out.h - turning events into rows: columns, JSON, pretty JSON, YAML.
 *
 * An output writes into one large buffer and the caller flushes it with a
 * single write(2) per batch of events (gh_out_flush), so a storm of events
 * costs one system call per ring buffer drain, not one per row.
 */
#ifndef GH_OUT_H
#define GH_OUT_H

#include <stddef.h>

#include "base/buf.h"
#include "schema/field.h"

enum gh_out_format {
	GH_OUT_COLUMNS,
	GH_OUT_JSON,
	GH_OUT_JSONPRETTY,
	GH_OUT_YAML,
	GH_OUT_PCAPNG, /* a gadget whose events are packets (schema/packet_fields.h) */
};

/* Column text override (the gadget's Lua format functions).  Returns 1
 * when it appended the field's text to b, 0 to use the default text,
 * -errno on failure. */
typedef int (*gh_text_hook_fn)(void *ctx, int field_index, const struct gh_event *ev,
			       struct gh_buf *b);

struct gh_out;

/* "columns", "json", "jsonpretty", "yaml", "pcapng" -> format; -EINVAL if
 * unknown.  pcapng: gh_out_new() fails (-EINVAL) for a schema without a
 * packet. */
int gh_out_format_parse(const char *name, enum gh_out_format *fmt);

/* fields: indexes into s, in output order; copied.  fd: where flush writes. */
int gh_out_new(struct gh_out **out, enum gh_out_format fmt, const struct gh_schema *s,
	       const int *fields, size_t n_fields, int fd);
void gh_out_set_text_hook(struct gh_out *out, gh_text_hook_fn fn, void *ctx);
/* Columns: the header line; other formats: nothing. */
int gh_out_header(struct gh_out *out);
/* Append one event. */
int gh_out_event(struct gh_out *out, const struct gh_event *ev);
/* The output buffer itself, for whole documents a script writes
 * (lua_doc.h) between rows; flushed with them. */
struct gh_buf *gh_out_buffer(struct gh_out *out);
/* Bytes waiting in the buffer. */
size_t gh_out_pending(const struct gh_out *out);
/* Write everything buffered; 0 or -errno (EPIPE when the reader left). */
int gh_out_flush(struct gh_out *out);
void gh_out_free(struct gh_out *out);

/* Escaping helpers, shared by the JSON writer and the tests. */
/* Append s (len bytes) as a JSON string with quotes: control characters
 * as \uXXXX, invalid UTF-8 bytes as U+FFFD. */
int gh_json_put_string(struct gh_buf *b, const char *s, size_t len);

/* Columns: append text padded or cut to width; a cut is marked with "…"
 * (UTF-8 aware: never splits a character).  width 0: no limit. */
int gh_col_put(struct gh_buf *b, const char *text, size_t len, unsigned width,
	       int align_right);

#endif
