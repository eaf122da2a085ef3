/* row_sort.h - the rows of a table (top, snapshot): sort keys, sorting and
 * the row limit, shared by every table gadget.
 *
 *   gh_sort_parse(schema, "-rbytes,comm", &spec)   minus: descending
 *   gh_rows_add(rows, schema, ev, text, len)       keeps the row's rendered
 *                                                  text and its sort values
 *   gh_rows_sort(rows)                             stable: ties keep the
 *                                                  order rows came in
 *
 * Values compare by type: numbers as numbers (signed, unsigned and
 * floating point together), strings byte by byte; a row without a value
 * (null) comes last whichever the direction.
 */
#ifndef GH_ROW_SORT_H
#define GH_ROW_SORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "schema/field.h"

struct gh_sort_key {
	int field;  /* index in the schema */
	bool desc;
};

struct gh_sort_spec {
	struct gh_sort_key *keys;
	size_t n;
};

/* "f,-g,+h" -> spec.  An unknown or internal field is an error naming it
 * (-EINVAL, err set).  NULL or "" gives an empty spec (arrival order). */
int gh_sort_parse(const struct gh_schema *s, const char *text, struct gh_sort_spec *spec,
		  char *err, size_t errlen);
void gh_sort_free(struct gh_sort_spec *spec);

enum gh_sortv_type {
	GH_SORTV_NULL,
	GH_SORTV_INT,
	GH_SORTV_UINT,
	GH_SORTV_DOUBLE,
	GH_SORTV_STR,
};

struct gh_sort_value {
	enum gh_sortv_type type;
	union {
		int64_t i;
		uint64_t u;
		double d;
		struct {
			size_t off; /* in gh_rows.store */
			size_t len;
		} s;
	};
};

struct gh_row {
	size_t text_off; /* the row as printed, in gh_rows.store */
	size_t text_len;
	size_t seq;      /* arrival order */
	struct gh_sort_value *vals; /* one per sort key */
};

struct gh_rows {
	const struct gh_sort_spec *spec;
	struct gh_row *rows;
	size_t n, cap;
	struct gh_buf store;
};

void gh_rows_init(struct gh_rows *r, const struct gh_sort_spec *spec);
/* Keep one row: its text (copied) and the values of the sort keys, read
 * from ev now (while a Lua overlay is still attached to it). */
int gh_rows_add(struct gh_rows *r, const struct gh_schema *s, const struct gh_event *ev,
		const char *text, size_t len);
void gh_rows_sort(struct gh_rows *r);
/* Compare two rows as the sort does: < 0, 0, > 0. */
int gh_rows_compare(const struct gh_rows *r, const struct gh_row *a, const struct gh_row *b);
static inline const char *gh_rows_text(const struct gh_rows *r, size_t i, size_t *len)
{
	*len = r->rows[i].text_len;
	return r->store.p + r->rows[i].text_off;
}
/* Forget every row (memory kept for the next interval). */
void gh_rows_reset(struct gh_rows *r);
void gh_rows_free(struct gh_rows *r);

#endif
