/* fields_select.c - `--fields a,b` and `--fields +f,-g`. */
#include "schema/filter.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"

static void known_fields(const struct gh_schema *s, struct gh_buf *b)
{
	for (size_t i = 0; i < s->n_fields; i++) {
		if (i)
			gh_buf_puts(b, ", ");
		gh_buf_puts(b, s->fields[i].name);
	}
}

static int unknown(const struct gh_schema *s, const char *name, char *err, size_t errlen)
{
	struct gh_buf b = GH_BUF_INIT;

	known_fields(s, &b);
	snprintf(err, errlen, "unknown field \"%s\" in --fields (known: %s)", name,
		 b.p ? b.p : "");
	gh_buf_free(&b);
	return -EINVAL;
}

static ssize_t find_in(const int *list, size_t n, int idx)
{
	for (size_t i = 0; i < n; i++)
		if (list[i] == idx)
			return (ssize_t)i;
	return -1;
}

int gh_fields_select(const struct gh_schema *s, const int *defaults, size_t n_defaults,
		     const char *spec, int **out, size_t *n_out, char *err, size_t errlen)
{
	char *copy = NULL, *tok, *save = NULL;
	int *list;
	size_t n = 0, cap = n_defaults + s->n_fields + 1;
	int edit = -1; /* unknown yet; 1: +/- edits, 0: a plain list */
	int ret = 0;

	list = calloc(cap, sizeof(*list));
	if (!list)
		return -ENOMEM;
	if (!spec || !*spec) {
		if (n_defaults) /* a schema may have no field (an unkeyed histogram) */
			memcpy(list, defaults, n_defaults * sizeof(*list));
		*out = list;
		*n_out = n_defaults;
		return 0;
	}
	copy = strdup(spec);
	if (!copy) {
		free(list);
		return -ENOMEM;
	}
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		int is_edit = tok[0] == '+' || tok[0] == '-';
		const char *name = is_edit ? tok + 1 : tok;
		int idx;
		ssize_t at;

		while (*name == ' ')
			name++;
		if (edit < 0) {
			edit = is_edit;
			if (edit) {
				memcpy(list, defaults, n_defaults * sizeof(*list));
				n = n_defaults;
			}
		} else if (edit != is_edit) {
			snprintf(err, errlen, "--fields \"%s\": use either a list (a,b) or edits "
				 "(+a,-b), not both", spec);
			ret = -EINVAL;
			break;
		}
		idx = gh_schema_find(s, name);
		if (idx < 0 || s->fields[idx].internal) {
			ret = unknown(s, name, err, errlen);
			break;
		}
		at = find_in(list, n, idx);
		if (tok[0] == '-') {
			if (at >= 0) {
				memmove(list + at, list + at + 1, (n - at - 1) * sizeof(*list));
				n--;
			}
		} else if (at < 0 && n < cap) {
			list[n++] = idx;
		}
	}
	free(copy);
	if (ret) {
		free(list);
		return ret;
	}
	*out = list;
	*n_out = n;
	return 0;
}
