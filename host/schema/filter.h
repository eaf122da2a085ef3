/* filter.h - userspace event filters in Inspektor Gadget's language.
 *
 *   -F 'comm==cat,fd>=0'     operators: == != >= > <= < ~ (POSIX ERE)
 *   -F comm:cat -F fd:>=0    ig's older form: f:v, f:!v, f:>=v, f:~re
 *
 * Commas AND conditions; several -F options AND as well.  Numbers compare
 * as numbers, everything else as the field's text.  An errno field is a
 * positive errno: err==ENOENT and err==2 are the same condition, and a
 * negative number or an unknown name is refused.
 */
#ifndef GH_FILTER_H
#define GH_FILTER_H

#include <stdbool.h>
#include <stddef.h>

#include "schema/field.h"

struct gh_filter;

struct gh_filter *gh_filter_new(void);
/* Parse one -F argument and AND it in.  On error returns -EINVAL and
 * writes a one-line message naming the field or the position to err. */
int gh_filter_add(struct gh_filter *f, const struct gh_schema *s, const char *spec,
		  char *err, size_t errlen);
/* AND in one condition on field idx: op is "==", "!=", ">=", ">", "<="
 * or "<", value is taken as it is (no spaces trimmed, no commas split;
 * for conditions made by a program, not typed).  0, -EINVAL for another
 * op, or -ENOMEM. */
int gh_filter_add_cond(struct gh_filter *f, const struct gh_schema *s, int idx, const char *op,
		       const char *value);
bool gh_filter_empty(const struct gh_filter *f);
/* Every condition: whether ev passes them all. */
bool gh_filter_match(const struct gh_filter *f, const struct gh_schema *s,
		     const struct gh_event *ev);

/* When a condition can be judged: one on a field of the record, of a
 * field source or mapped in C from one, before the script's filter and
 * enrich (an event it drops costs no Lua); one on a field only enrich
 * sets (gh_field_needs_enrich), after them.  (A record field that enrich
 * overwrites is judged on the record's value.) */
enum gh_filter_stage {
	GH_FILTER_BEFORE_SCRIPT,
	GH_FILTER_AFTER_ENRICH,
};
/* Whether f (may be NULL) has conditions of that stage. */
bool gh_filter_has_stage(const struct gh_filter *f, enum gh_filter_stage stage);
/* Whether ev passes the conditions of that stage. */
bool gh_filter_match_stage(const struct gh_filter *f, const struct gh_schema *s,
			   const struct gh_event *ev, enum gh_filter_stage stage);
void gh_filter_free(struct gh_filter *f);

/* --fields: "a,b" picks and orders; "+f,-g" edits the defaults.  On
 * success *out is a malloc'd array of field indexes.  Unknown field:
 * -EINVAL with a message naming it. */
int gh_fields_select(const struct gh_schema *s, const int *defaults, size_t n_defaults,
		     const char *spec, int **out, size_t *n_out, char *err, size_t errlen);

#endif
