/* out_json.c - -o json (one object per line) and -o jsonpretty (the same
 * object indented by two spaces, one key per line).
 *
 * The shape of the object (nesting of dotted names, commas, key strings) is
 * the plan made once in gh_out_new; an event only adds the values.
 */
#include "output/out_private.h"

#include <errno.h>
#include <math.h>
#include <string.h>

static int put_lit(struct gh_buf *b, const char *s, size_t len)
{
	return gh_buf_append(b, s, len);
}

#define PUT_LIT(b, s) put_lit(b, s, sizeof(s) - 1)

/* A newline and the indentation of nesting level lvl (pretty only). */
static int put_indent(struct gh_buf *b, unsigned lvl)
{
	size_t n = (size_t)lvl * 2;

	if (gh_buf_reserve(b, n + 1))
		return -ENOMEM;
	b->p[b->len] = '\n';
	memset(b->p + b->len + 1, ' ', n);
	b->len += n + 1;
	b->p[b->len] = '\0';
	return 0;
}

static int put_i64(struct gh_buf *b, int64_t v)
{
	if (gh_buf_reserve(b, 24))
		return -ENOMEM;
	b->len += gh_fmt_i64(b->p + b->len, v);
	b->p[b->len] = '\0';
	return 0;
}

static int put_u64(struct gh_buf *b, uint64_t v)
{
	if (gh_buf_reserve(b, 24))
		return -ENOMEM;
	b->len += gh_fmt_u64(b->p + b->len, v);
	b->p[b->len] = '\0';
	return 0;
}

static int put_double(struct gh_buf *b, double d)
{
	char t[40];

	if (!isfinite(d))
		return PUT_LIT(b, "null");
	return put_lit(b, t, (size_t)gh_fmt_double(t, sizeof(t), d));
}

/* Separator before element i of an array at key level lvl. */
static int array_sep(struct gh_buf *b, size_t i, bool pretty, unsigned lvl)
{
	if (i && gh_buf_putc(b, ','))
		return -ENOMEM;
	return pretty ? put_indent(b, lvl + 1) : 0;
}

static int array_end(struct gh_buf *b, size_t n, bool pretty, unsigned lvl)
{
	if (n && pretty && put_indent(b, lvl))
		return -ENOMEM;
	return gh_buf_putc(b, ']');
}

/* NUL separated strings; an empty string after the final NUL is not an
 * element, empty strings between NULs are. */
static int put_strlist(struct gh_buf *b, const char *p, size_t len, bool pretty, unsigned lvl)
{
	size_t i = 0, n = 0;
	int err;

	if (gh_buf_putc(b, '['))
		return -ENOMEM;
	while (i < len) {
		const char *end = memchr(p + i, '\0', len - i);
		size_t slen = end ? (size_t)(end - (p + i)) : len - i;

		err = array_sep(b, n++, pretty, lvl);
		if (!err)
			err = gh_json_put_string(b, p + i, slen);
		if (err)
			return err;
		i += slen + 1;
	}
	return array_end(b, n, pretty, lvl);
}

static int put_array(struct gh_buf *b, const struct gh_field *f, const struct gh_value *v,
		     bool pretty, unsigned lvl)
{
	size_t n = f->elem_size ? v->s.len / f->elem_size : 0;
	int err;

	if (f->elem_size != 1 && f->elem_size != 2 && f->elem_size != 4 && f->elem_size != 8)
		n = 0;
	if (gh_buf_putc(b, '['))
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		const char *e = v->s.p + i * f->elem_size;

		err = array_sep(b, i, pretty, lvl);
		if (err)
			return err;
		if (f->elem_signed)
			err = put_i64(b, gh_out_read_int(e, f->elem_size));
		else
			err = put_u64(b, gh_out_read_uint(e, f->elem_size));
		if (err)
			return err;
	}
	return array_end(b, n, pretty, lvl);
}

static int put_value(struct gh_out *out, int idx, const struct gh_event *ev, bool pretty,
		     unsigned lvl)
{
	struct gh_buf *b = &out->buf;
	struct gh_value v;
	int err;

	err = gh_field_value(out->schema, idx, ev, &v);
	if (err)
		return err;
	switch (v.type) {
	case GH_V_NULL:
		return PUT_LIT(b, "null");
	case GH_V_INT:
		return put_i64(b, v.i);
	case GH_V_UINT:
		return put_u64(b, v.u);
	case GH_V_BOOL:
		return v.b ? PUT_LIT(b, "true") : PUT_LIT(b, "false");
	case GH_V_DOUBLE:
		return put_double(b, v.d);
	case GH_V_STR:
		return gh_json_put_string(b, v.s.p, v.s.len);
	case GH_V_STRLIST:
		return put_strlist(b, v.s.p, v.s.len, pretty, lvl);
	case GH_V_ARRAY:
		return put_array(b, &out->schema->fields[idx], &v, pretty, lvl);
	}
	return PUT_LIT(b, "null");
}

/* -o json: one line; each op's key comes as one precomputed piece. */
static int compact_event(struct gh_out *out, const struct gh_event *ev)
{
	const struct gh_out_plan *plan = gh_out_plans_for(&out->plans, out->schema, ev);
	struct gh_buf *b = &out->buf;
	int err;

	if (gh_buf_putc(b, '{'))
		return -ENOMEM;
	for (size_t i = 0; i < plan->n_ops; i++) {
		const struct gh_out_op *op = &plan->ops[i];

		if (op->type == GH_OP_CLOSE) {
			if (gh_buf_putc(b, '}'))
				return -ENOMEM;
			continue;
		}
		if (put_lit(b, op->json_prefix, op->json_prefix_len))
			return -ENOMEM;
		if (op->type == GH_OP_FIELD) {
			err = put_value(out, op->field, ev, false, 0);
			if (err)
				return err;
		}
	}
	return PUT_LIT(b, "}\n");
}

static int json_event(struct gh_out *out, const struct gh_event *ev, bool pretty)
{
	const struct gh_out_plan *plan;
	struct gh_buf *b = &out->buf;
	int err;

	if (!pretty)
		return compact_event(out, ev);
	plan = gh_out_plans_for(&out->plans, out->schema, ev);
	if (gh_buf_putc(b, '{'))
		return -ENOMEM;
	for (size_t i = 0; i < plan->n_ops; i++) {
		const struct gh_out_op *op = &plan->ops[i];
		unsigned lvl = op->depth + 1; /* indentation level of the key */

		if (op->type == GH_OP_CLOSE) {
			if (pretty && put_indent(b, lvl))
				return -ENOMEM;
			if (gh_buf_putc(b, '}'))
				return -ENOMEM;
			continue;
		}
		if (!op->first && gh_buf_putc(b, ','))
			return -ENOMEM;
		if (pretty && put_indent(b, lvl))
			return -ENOMEM;
		if (put_lit(b, op->json_key, op->json_key_len))
			return -ENOMEM;
		if (pretty ? PUT_LIT(b, ": ") : gh_buf_putc(b, ':'))
			return -ENOMEM;
		if (op->type == GH_OP_OPEN) {
			if (gh_buf_putc(b, '{'))
				return -ENOMEM;
			continue;
		}
		err = put_value(out, op->field, ev, pretty, lvl);
		if (err)
			return err;
	}
	if (pretty && plan->n_ops && put_indent(b, 0))
		return -ENOMEM;
	return PUT_LIT(b, "}\n");
}

static int init(struct gh_out *out)
{
	return gh_out_plans_build(&out->plans, out->schema, out->fields, out->n_fields);
}

static int compact(struct gh_out *out, const struct gh_event *ev)
{
	return json_event(out, ev, false);
}

static int pretty(struct gh_out *out, const struct gh_event *ev)
{
	return json_event(out, ev, true);
}

const struct gh_out_format_ops gh_out_json_ops = {.init = init, .event = compact};
const struct gh_out_format_ops gh_out_jsonpretty_ops = {.init = init, .event = pretty};
