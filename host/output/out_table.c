/* out_table.c - one sorted block of rows per interval (see out_table.h).
 *
 * Each row is rendered at once, while its event (and its Lua overlay) is
 * alive, by the output's own writers; its bytes are then moved out of the
 * output buffer into the row store, and the sort only permutes them.
 */
#include "output/out_table.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "output/out_private.h"

struct gh_table {
	struct gh_out *out;
	struct gh_table_opts opts;
	struct gh_rows rows;
	size_t blocks;
};

int gh_table_new(struct gh_table **tp, struct gh_out *out, const struct gh_table_opts *o)
{
	struct gh_table *t = calloc(1, sizeof(*t));

	if (!t)
		return -ENOMEM;
	t->out = out;
	t->opts = *o;
	gh_rows_init(&t->rows, o->sort);
	*tp = t;
	return 0;
}

static void truncate_to(struct gh_buf *b, size_t len)
{
	b->len = len;
	if (b->p)
		b->p[len] = '\0';
}

int gh_table_row(struct gh_table *t, const struct gh_event *ev)
{
	struct gh_buf *b = &t->out->buf;
	size_t start = b->len;
	int err = gh_out_event(t->out, ev);

	if (err)
		return err;
	err = gh_rows_add(&t->rows, t->out->schema, ev, b->p + start, b->len - start);
	truncate_to(b, start);
	return err;
}

size_t gh_table_pending(const struct gh_table *t)
{
	return t->rows.n;
}

/* A row's text without its final newline. */
static size_t trimmed(const char *p, size_t len)
{
	while (len && p[len - 1] == '\n')
		len--;
	return len;
}

static int put_columns(struct gh_table *t, size_t n, const char *title)
{
	struct gh_buf *b = &t->out->buf;
	int err = 0;

	if (t->opts.live)
		err = gh_buf_puts(b, "\033[H\033[2J");
	else if (t->blocks)
		err = gh_buf_putc(b, '\n');
	if (!err && title)
		err = gh_buf_printf(b, "%s\n", title);
	if (!err)
		err = gh_out_columns_header(t->out);
	for (size_t i = 0; i < n && !err; i++) {
		size_t len;
		const char *p = gh_rows_text(&t->rows, i, &len);

		err = gh_buf_append(b, p, len);
	}
	return err;
}

/* p (len bytes) one level deeper: two spaces after each line break and
 * before the first line (JSON strings hold no raw line breaks) */
static int put_indented(struct gh_buf *b, const char *p, size_t len)
{
	int err = gh_buf_puts(b, "  ");

	for (const char *nl; !err && (nl = memchr(p, '\n', len)); ) {
		err = gh_buf_append(b, p, (size_t)(nl - p) + 1);
		if (!err)
			err = gh_buf_puts(b, "  ");
		len -= (size_t)(nl - p) + 1;
		p = nl + 1;
	}
	return err ? err : gh_buf_append(b, p, len);
}

static int put_json(struct gh_table *t, size_t n, bool pretty)
{
	struct gh_buf *b = &t->out->buf;
	int err = gh_buf_puts(b, pretty && n ? "[\n" : "[");

	for (size_t i = 0; i < n && !err; i++) {
		size_t len;
		const char *p = gh_rows_text(&t->rows, i, &len);

		if (i)
			err = gh_buf_puts(b, pretty ? ",\n" : ",");
		if (!err && pretty)
			err = put_indented(b, p, trimmed(p, len));
		else if (!err)
			err = gh_buf_append(b, p, trimmed(p, len));
	}
	if (!err)
		err = gh_buf_puts(b, pretty && n ? "\n]\n" : "]\n");
	return err;
}

static int put_documents(struct gh_table *t, size_t n)
{
	int err = 0;

	for (size_t i = 0; i < n && !err; i++) {
		size_t len;
		const char *p = gh_rows_text(&t->rows, i, &len);

		err = gh_buf_append(&t->out->buf, p, len);
	}
	return err;
}

int gh_table_end(struct gh_table *t, const char *title)
{
	struct gh_buf *b = &t->out->buf;
	size_t start = b->len, n;
	int err;

	gh_rows_sort(&t->rows);
	n = t->rows.n;
	if (t->opts.max_rows && n > t->opts.max_rows)
		n = t->opts.max_rows;
	switch (t->out->fmt) {
	case GH_OUT_COLUMNS:
		err = put_columns(t, n, title);
		break;
	case GH_OUT_JSON:
	case GH_OUT_JSONPRETTY:
		err = put_json(t, n, t->out->fmt == GH_OUT_JSONPRETTY);
		break;
	default:
		err = put_documents(t, n);
		break;
	}
	if (err)
		truncate_to(b, start);
	else
		t->blocks++;
	gh_rows_reset(&t->rows);
	return err;
}

void gh_table_free(struct gh_table *t)
{
	if (!t)
		return;
	gh_rows_free(&t->rows);
	free(t);
}
