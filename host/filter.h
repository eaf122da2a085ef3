/* filter.h - userspace event filters in Inspektor Gadget's language.
 *
 *   -F 'comm==cat,fd>=0'     operators: == != >= > <= < ~ (POSIX ERE)
 *   -F comm:cat -F fd:>=0    ig's older form: f:v, f:!v, f:>=v, f:~re
 *
 * Commas AND conditions; several -F options AND as well.  Numbers compare
 * as numbers, everything else as the field's text (so err==ENOENT works
 * on an errno field, and ret==-2 too).
 */
#ifndef GH_FILTER_H
#define GH_FILTER_H

#include <stdbool.h>
#include <stddef.h>

#include "field.h"

struct gh_filter;

struct gh_filter *gh_filter_new(void);
/* Parse one -F argument and AND it in.  On error returns -EINVAL and
 * writes a one-line message naming the field or the position to err. */
int gh_filter_add(struct gh_filter *f, const struct gh_schema *s, const char *spec,
		  char *err, size_t errlen);
bool gh_filter_empty(const struct gh_filter *f);
/* True when any condition reads a virtual field (so it must run after
 * the Lua enrich step rather than before it). */
bool gh_filter_needs_enrich(const struct gh_filter *f, const struct gh_schema *s);
bool gh_filter_match(const struct gh_filter *f, const struct gh_schema *s,
		     const struct gh_event *ev);
void gh_filter_free(struct gh_filter *f);

/* --fields: "a,b" picks and orders; "+f,-g" edits the defaults.  On
 * success *out is a malloc'd array of field indexes.  Unknown field:
 * -EINVAL with a message naming it. */
int gh_fields_select(const struct gh_schema *s, const int *defaults, size_t n_defaults,
		     const char *spec, int **out, size_t *n_out, char *err, size_t errlen);

#endif
