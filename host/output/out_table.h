/* out_table.h - printing a table gadget (top, snapshot): the rows of one
 * interval, sorted and limited, written as one block.
 *
 *   gh_table_row(t, ev)      render one row through the gadget's output
 *                            (columns, JSON, YAML) and keep it
 *   gh_table_end(t, title)   sort, keep the first max_rows, append the
 *                            block to the output's buffer (then flush)
 *
 * A block is, in columns, an optional title line, the header and the
 * rows; live (a terminal) it first clears the screen, like top; piped,
 * blocks after the first are preceded by a blank line.  In JSON it is one
 * array of the rows' objects, on one line (-o json) or indented
 * (jsonpretty); in YAML the rows' documents.
 */
#ifndef GH_OUT_TABLE_H
#define GH_OUT_TABLE_H

#include <stdbool.h>
#include <stddef.h>

#include "schema/field.h"
#include "output/out.h"
#include "schema/row_sort.h"

struct gh_table_opts {
	const struct gh_sort_spec *sort; /* NULL or empty: arrival order */
	size_t max_rows;                 /* 0: every row */
	bool live;                       /* redraw in place (a terminal) */
};

struct gh_table;

int gh_table_new(struct gh_table **t, struct gh_out *out, const struct gh_table_opts *o);
/* 0, or -errno (the row is not kept). */
int gh_table_row(struct gh_table *t, const struct gh_event *ev);
/* Rows kept since the last block. */
size_t gh_table_pending(const struct gh_table *t);
/* title: NULL for none (columns only). */
int gh_table_end(struct gh_table *t, const char *title);
void gh_table_free(struct gh_table *t);

#endif
