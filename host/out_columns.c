/* out_columns.c - the human format: a header line, then one line per event,
 * each field padded or cut to its column width.
 *
 * Widths count characters, not bytes: a UTF-8 sequence is one character
 * and is never split.  Bytes that would break the line or the terminal are
 * shown escaped, so a row is always exactly one line:
 *   \n \t \r            as those two characters
 *   other C0, DEL       as \xNN
 *   C1 (U+0080..U+009F) as \u00NN
 *   invalid UTF-8       as \xNN, byte by byte
 * An escape is one unit: a cut never falls inside it.
 */
#include "out_private.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define ELLIPSIS "\xe2\x80\xa6" /* U+2026 */
#define ELLIPSIS_LEN 3
#define MAX_UNIT_OUT 6         /* bytes written for one unit at most */

static const char hexdigits[] = "0123456789abcdef";

/* One unit of text at s: its width on screen and its bytes in the source.
 * Returns the source bytes; *w is the width. */
static inline size_t unit_at(const unsigned char *s, size_t len, size_t *w)
{
	unsigned char c = s[0];
	size_t n;

	if (c >= 0x20 && c < 0x7f) {
		*w = 1;
		return 1;
	}
	if (c < 0x80) {
		*w = (c == '\n' || c == '\t' || c == '\r') ? 2 : 4;
		return 1;
	}
	n = gh_utf8_seq(s, len);
	if (!n) {
		*w = 4;
		return 1;
	}
	/* C1 controls are two byte sequences c2 80 .. c2 9f */
	*w = (n == 2 && c == 0xc2 && s[1] < 0xa0) ? 6 : 1;
	return n;
}

/* The longest prefix of s whose width is at most limit: its byte length;
 * its width in *width. */
static size_t fit(const unsigned char *s, size_t len, size_t limit, size_t *width)
{
	size_t i = 0, acc = 0, w, n;

	while (i < len) {
		/* plain ASCII: the common case */
		if (s[i] >= 0x20 && s[i] < 0x7f) {
			if (acc == limit)
				break;
			acc++;
			i++;
			continue;
		}
		n = unit_at(s + i, len - i, &w);
		if (acc + w > limit)
			break;
		acc += w;
		i += n;
	}
	*width = acc;
	return i;
}

/* Write s (len bytes, whole units) escaped at o; returns the end. */
static char *put_escaped(char *o, const unsigned char *s, size_t len)
{
	size_t i = 0, w, n;

	while (i < len) {
		unsigned char c = s[i];

		if (c >= 0x20 && c < 0x7f) {
			*o++ = (char)c;
			i++;
			continue;
		}
		n = unit_at(s + i, len - i, &w);
		if (w == 1) {
			memcpy(o, s + i, n);
			o += n;
		} else if (w == 2) {
			*o++ = '\\';
			*o++ = c == '\n' ? 'n' : c == '\t' ? 't' : 'r';
		} else if (w == 4) {
			*o++ = '\\';
			*o++ = 'x';
			*o++ = hexdigits[c >> 4];
			*o++ = hexdigits[c & 0xf];
		} else {
			memcpy(o, "\\u00", 4);
			o[4] = hexdigits[s[i + 1] >> 4];
			o[5] = hexdigits[s[i + 1] & 0xf];
			o += 6;
		}
		i += n;
	}
	return o;
}

static char *put_spaces(char *o, size_t n)
{
	memset(o, ' ', n);
	return o + n;
}

int gh_col_put(struct gh_buf *b, const char *text, size_t len, unsigned width,
	       int align_right)
{
	const unsigned char *s = (const unsigned char *)text;
	size_t n, w, pad = 0;
	bool cut = false;
	char *o;

	if (width == 0) {
		n = len;
	} else {
		n = fit(s, len, width, &w);
		if (n < len) {
			n = fit(s, len, width - 1, &w);
			cut = true;
			w++;
		}
		pad = width - w;
	}
	if (n > (SIZE_MAX - width - ELLIPSIS_LEN) / MAX_UNIT_OUT)
		return -ENOMEM;
	if (gh_buf_reserve(b, n * MAX_UNIT_OUT + ELLIPSIS_LEN + width))
		return -ENOMEM;
	o = b->p + b->len;
	if (align_right)
		o = put_spaces(o, pad);
	o = put_escaped(o, s, n);
	if (cut) {
		memcpy(o, ELLIPSIS, ELLIPSIS_LEN);
		o += ELLIPSIS_LEN;
	}
	if (!align_right)
		o = put_spaces(o, pad);
	*o = '\0';
	b->len = (size_t)(o - b->p);
	return 0;
}

/* A column is at least as wide as its name, so the header stays readable;
 * the last one is unbounded. */
int gh_out_columns_init(struct gh_out *out)
{
	out->widths = calloc(out->n_fields ? out->n_fields : 1, sizeof(*out->widths));
	if (!out->widths)
		return -ENOMEM;
	for (size_t i = 0; i + 1 < out->n_fields; i++) {
		const struct gh_field *f = &out->schema->fields[out->fields[i]];
		size_t name_len = strlen(f->name);
		unsigned w = gh_field_default_width(f);

		out->widths[i] = name_len > w ? (unsigned)name_len : w;
	}
	return 0;
}

static bool col_right(const struct gh_out *out, size_t i)
{
	return out->schema->fields[out->fields[i]].align == GH_ALIGN_RIGHT;
}

/* End a line: no trailing spaces, then the newline. */
static int end_line(struct gh_buf *b, size_t line_start)
{
	while (b->len > line_start && b->p[b->len - 1] == ' ')
		b->len--;
	return gh_buf_putc(b, '\n');
}

int gh_out_columns_header(struct gh_out *out)
{
	size_t start = out->buf.len;
	int err;

	for (size_t i = 0; i < out->n_fields; i++) {
		const char *name = out->schema->fields[out->fields[i]].name;
		struct gh_buf *t = &out->scratch;

		gh_buf_reset(t);
		err = gh_buf_puts(t, name);
		if (err)
			return err;
		for (size_t j = 0; j < t->len; j++)
			t->p[j] = (char)toupper((unsigned char)t->p[j]);
		if (i && gh_buf_putc(&out->buf, ' '))
			return -ENOMEM;
		err = gh_col_put(&out->buf, t->p, t->len, out->widths[i], col_right(out, i));
		if (err)
			return err;
	}
	return end_line(&out->buf, start);
}

static int field_text(struct gh_out *out, int idx, const struct gh_event *ev)
{
	struct gh_buf *t = &out->scratch;
	int ret;

	gh_buf_reset(t);
	if (out->text_hook) {
		ret = out->text_hook(out->text_hook_ctx, idx, ev, t);
		if (ret < 0)
			return ret;
		if (ret > 0)
			return 0;
		gh_buf_reset(t);
	}
	return gh_field_text(out->schema, idx, ev, t);
}

int gh_out_columns_event(struct gh_out *out, const struct gh_event *ev)
{
	size_t start = out->buf.len;
	int err;

	for (size_t i = 0; i < out->n_fields; i++) {
		err = field_text(out, out->fields[i], ev);
		if (err)
			return err;
		if (i && gh_buf_putc(&out->buf, ' '))
			return -ENOMEM;
		err = gh_col_put(&out->buf, out->scratch.p ? out->scratch.p : "",
				 out->scratch.len, out->widths[i], col_right(out, i));
		if (err)
			return err;
	}
	return end_line(&out->buf, start);
}
