/* row_sort.c - sort keys, row storage and the sort of table gadgets. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "schema/row_sort.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int gh_sort_parse(const struct gh_schema *s, const char *text, struct gh_sort_spec *spec,
		  char *err, size_t errlen)
{
	const char *p = text;

	spec->keys = NULL;
	spec->n = 0;
	while (p && *p) {
		size_t len = strcspn(p, ",");
		bool desc = false;
		char name[128];
		struct gh_sort_key *grown;
		int idx;

		if (*p == '-' || *p == '+') {
			desc = *p == '-';
			p++;
			len--;
		}
		if (!len || len >= sizeof(name)) {
			snprintf(err, errlen, "--sort: \"%s\": an empty or overlong field name",
				 text);
			gh_sort_free(spec);
			return -EINVAL;
		}
		snprintf(name, sizeof(name), "%.*s", (int)len, p);
		idx = gh_schema_find(s, name);
		if (idx < 0 || s->fields[idx].internal) {
			snprintf(err, errlen, "--sort: unknown field \"%s\"", name);
			gh_sort_free(spec);
			return -EINVAL;
		}
		grown = realloc(spec->keys, (spec->n + 1) * sizeof(*grown));
		if (!grown) {
			gh_sort_free(spec);
			snprintf(err, errlen, "out of memory");
			return -ENOMEM;
		}
		spec->keys = grown;
		spec->keys[spec->n].field = idx;
		spec->keys[spec->n].desc = desc;
		spec->n++;
		p += len;
		if (*p == ',')
			p++;
	}
	return 0;
}

void gh_sort_free(struct gh_sort_spec *spec)
{
	free(spec->keys);
	spec->keys = NULL;
	spec->n = 0;
}

void gh_rows_init(struct gh_rows *r, const struct gh_sort_spec *spec)
{
	memset(r, 0, sizeof(*r));
	r->spec = spec;
}

static int keep_value(struct gh_rows *r, const struct gh_schema *s, int idx,
		      const struct gh_event *ev, struct gh_sort_value *out)
{
	struct gh_value v;
	size_t off;

	memset(out, 0, sizeof(*out));
	if (gh_field_value(s, idx, ev, &v))
		return 0; /* null */
	switch (v.type) {
	case GH_V_INT:
		out->type = GH_SORTV_INT;
		out->i = v.i;
		break;
	case GH_V_UINT:
		out->type = GH_SORTV_UINT;
		out->u = v.u;
		break;
	case GH_V_BOOL:
		out->type = GH_SORTV_UINT;
		out->u = v.b;
		break;
	case GH_V_DOUBLE:
		out->type = GH_SORTV_DOUBLE;
		out->d = v.d;
		break;
	case GH_V_STR:
	case GH_V_STRLIST:
		off = r->store.len;
		if (gh_buf_append(&r->store, v.s.p, v.s.len))
			return -ENOMEM;
		out->type = GH_SORTV_STR;
		out->s.off = off;
		out->s.len = v.s.len;
		break;
	default:
		break;
	}
	return 0;
}

int gh_rows_add(struct gh_rows *r, const struct gh_schema *s, const struct gh_event *ev,
		const char *text, size_t len)
{
	size_t nk = r->spec ? r->spec->n : 0;
	struct gh_row *row;

	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 64;
		struct gh_row *grown = realloc(r->rows, cap * sizeof(*grown));

		if (!grown)
			return -ENOMEM;
		memset(grown + r->cap, 0, (cap - r->cap) * sizeof(*grown));
		r->rows = grown;
		r->cap = cap;
	}
	row = &r->rows[r->n];
	if (nk && !row->vals) {
		row->vals = calloc(nk, sizeof(*row->vals));
		if (!row->vals)
			return -ENOMEM;
	}
	for (size_t k = 0; k < nk; k++)
		if (keep_value(r, s, r->spec->keys[k].field, ev, &row->vals[k]))
			return -ENOMEM;
	row->text_off = r->store.len;
	row->text_len = len;
	if (gh_buf_append(&r->store, text, len))
		return -ENOMEM;
	row->seq = r->n++;
	return 0;
}

static bool is_number(enum gh_sortv_type t)
{
	return t == GH_SORTV_INT || t == GH_SORTV_UINT || t == GH_SORTV_DOUBLE;
}

static int cmp_numbers(const struct gh_sort_value *a, const struct gh_sort_value *b)
{
	if (a->type == GH_SORTV_DOUBLE || b->type == GH_SORTV_DOUBLE) {
		double x = a->type == GH_SORTV_DOUBLE ? a->d :
			   a->type == GH_SORTV_INT ? (double)a->i : (double)a->u;
		double y = b->type == GH_SORTV_DOUBLE ? b->d :
			   b->type == GH_SORTV_INT ? (double)b->i : (double)b->u;

		return (x > y) - (x < y);
	}
	if (a->type == GH_SORTV_INT && b->type == GH_SORTV_INT)
		return (a->i > b->i) - (a->i < b->i);
	if (a->type == GH_SORTV_UINT && b->type == GH_SORTV_UINT)
		return (a->u > b->u) - (a->u < b->u);
	if (a->type == GH_SORTV_INT) /* b unsigned */
		return a->i < 0 ? -1 : ((uint64_t)a->i > b->u) - ((uint64_t)a->i < b->u);
	return b->i < 0 ? 1 : (a->u > (uint64_t)b->i) - (a->u < (uint64_t)b->i);
}

/* Ascending order of two values; nulls are handled by the caller. */
static int cmp_values(const struct gh_rows *r, const struct gh_sort_value *a,
		      const struct gh_sort_value *b)
{
	size_t n;
	int c;

	if (is_number(a->type) && is_number(b->type))
		return cmp_numbers(a, b);
	if (a->type == GH_SORTV_STR && b->type == GH_SORTV_STR) {
		n = a->s.len < b->s.len ? a->s.len : b->s.len;
		c = memcmp(r->store.p + a->s.off, r->store.p + b->s.off, n);
		if (c)
			return c < 0 ? -1 : 1;
		return (a->s.len > b->s.len) - (a->s.len < b->s.len);
	}
	/* a number and a string (a Lua field set both ways): numbers first */
	return is_number(a->type) ? -1 : 1;
}

int gh_rows_compare(const struct gh_rows *r, const struct gh_row *a, const struct gh_row *b)
{
	size_t nk = r->spec ? r->spec->n : 0;

	for (size_t k = 0; k < nk; k++) {
		const struct gh_sort_value *x = &a->vals[k], *y = &b->vals[k];
		int c;

		if (x->type == GH_SORTV_NULL || y->type == GH_SORTV_NULL) {
			c = (x->type == GH_SORTV_NULL) - (y->type == GH_SORTV_NULL);
			if (c)
				return c;
			continue;
		}
		c = cmp_values(r, x, y);
		if (c)
			return r->spec->keys[k].desc ? -c : c;
	}
	return (a->seq > b->seq) - (a->seq < b->seq);
}

static int cmp_rows(const void *a, const void *b, void *ctx)
{
	return gh_rows_compare(ctx, a, b);
}

void gh_rows_sort(struct gh_rows *r)
{
	if (r->n > 1)
		qsort_r(r->rows, r->n, sizeof(*r->rows), cmp_rows, r);
}

void gh_rows_reset(struct gh_rows *r)
{
	r->n = 0;
	gh_buf_reset(&r->store);
}

void gh_rows_free(struct gh_rows *r)
{
	for (size_t i = 0; i < r->cap; i++)
		free(r->rows[i].vals);
	free(r->rows);
	gh_buf_free(&r->store);
	memset(r, 0, sizeof(*r));
}
