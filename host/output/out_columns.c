/* out_columns.c - the human format: a header line, then one line per event,
 * each field padded or cut to its column width.
 *
 * Widths count characters, not bytes: a UTF-8 sequence is one character
 * and is never split.  Text that would break the line or fool the terminal
 * is shown escaped (base/text.h), so a row is always exactly one line.  An
 * escape is one unit: a cut never falls inside it.
 */
#include "output/out_private.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define ELLIPSIS "\xe2\x80\xa6" /* U+2026 */
#define ELLIPSIS_LEN 3
#define MAX_UNIT_OUT GH_TEXT_UNIT_MAX

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
		n = gh_text_unit(s + i, len - i, &w);
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
		if (s[i] >= 0x20 && s[i] < 0x7f) {
			*o++ = (char)s[i++];
			continue;
		}
		n = gh_text_unit(s + i, len - i, &w);
		o = gh_text_put_unit(o, s + i, n);
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
static int columns_init(struct gh_out *out)
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

/* One argument of a list as a shell would read it back: as it is, or in
 * double quotes when it is empty or holds a space or a quote (execsnoop -q
 * quotes these), with " and \ escaped inside. */
static int put_arg(struct gh_buf *t, const char *a, size_t len)
{
	bool quote = !len || memchr(a, ' ', len) || memchr(a, '"', len);
	int err = 0;

	if (!quote)
		return gh_buf_append(t, a, len);
	err = gh_buf_putc(t, '"');
	for (size_t i = 0; i < len && !err; i++) {
		if (a[i] == '"' || a[i] == '\\')
			err = gh_buf_putc(t, '\\');
		if (!err)
			err = gh_buf_putc(t, a[i]);
	}
	return err ? err : gh_buf_putc(t, '"');
}

/* A string list (argv): its arguments joined by spaces, each one put_arg()
 * so that "a b" and "" stay one argument on screen. */
static int strlist_text(const struct gh_value *v, struct gh_buf *t)
{
	size_t start = 0;
	int err = 0;

	for (size_t i = 0; i <= v->s.len && !err; i++) {
		bool end = i == v->s.len;

		if (!end && v->s.p[i])
			continue;
		if (end && start == i)
			break; /* after the last argument's NUL */
		if (start && gh_buf_putc(t, ' '))
			return -ENOMEM;
		err = put_arg(t, v->s.p + start, i - start);
		start = i + 1;
	}
	return err;
}

static int field_text(struct gh_out *out, int idx, const struct gh_event *ev)
{
	struct gh_buf *t = &out->scratch;
	struct gh_value v;
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
	if (!gh_field_value(out->schema, idx, ev, &v) && v.type == GH_V_STRLIST)
		return strlist_text(&v, t);
	return gh_field_text(out->schema, idx, ev, t);
}

static int columns_event(struct gh_out *out, const struct gh_event *ev)
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

const struct gh_out_format_ops gh_out_columns_ops = {
	.init = columns_init,
	.header = gh_out_columns_header,
	.event = columns_event,
};
