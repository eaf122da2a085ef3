/* filter.c - `-F` conditions: parsed once, evaluated per event. */
#include "schema/filter.h"

#include <errno.h>
#include <inttypes.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/buf.h"
#include "base/names.h"

enum op { OP_EQ, OP_NE, OP_GE, OP_GT, OP_LE, OP_LT, OP_RE };

enum num_kind { NUM_NONE, NUM_INT, NUM_UINT, NUM_DOUBLE };

struct cond {
	int field;
	enum op op;
	char *text;          /* the value as written */
	enum num_kind num;   /* the value as a number, when it is one */
	int64_t i;
	uint64_t u;
	double d;
	bool has_re;
	regex_t re;
	enum gh_filter_stage stage; /* before or after the script's enrich */
};

struct gh_filter {
	struct cond *conds;
	size_t n;
	size_t n_stage[2];   /* conditions of each stage */
	struct gh_buf scratch;
};

struct gh_filter *gh_filter_new(void)
{
	return calloc(1, sizeof(struct gh_filter));
}

void gh_filter_free(struct gh_filter *f)
{
	if (!f)
		return;
	for (size_t i = 0; i < f->n; i++) {
		free(f->conds[i].text);
		if (f->conds[i].has_re)
			regfree(&f->conds[i].re);
	}
	free(f->conds);
	gh_buf_free(&f->scratch);
	free(f);
}

bool gh_filter_empty(const struct gh_filter *f)
{
	return !f || f->n == 0;
}

bool gh_filter_has_stage(const struct gh_filter *f, enum gh_filter_stage stage)
{
	return f && f->n_stage[stage];
}

/* The value as a number, if all of it is one. */
static void parse_number(struct cond *c, const struct gh_field *fld)
{
	const char *t = c->text;
	char *end;

	if (!*t)
		return;
	errno = 0;
	if (t[0] == '-') {
		long long v = strtoll(t, &end, 0);

		if (!errno && !*end) {
			c->num = NUM_INT;
			c->i = v;
			return;
		}
	} else {
		unsigned long long v = strtoull(t, &end, 0);

		if (!errno && !*end) {
			c->num = NUM_UINT;
			c->u = v;
			return;
		}
	}
	errno = 0;
	c->d = strtod(t, &end);
	if (!errno && !*end && end != t) {
		c->num = NUM_DOUBLE;
		return;
	}
	if (fld->special == GH_SPECIAL_ERRNO) {
		int e = gh_errno_from_name(t);

		if (e > 0) {
			c->num = NUM_UINT;
			c->u = (uint64_t)e;
		}
	} else if (!strcasecmp(t, "true") || !strcasecmp(t, "false")) {
		c->num = NUM_UINT;
		c->u = !strcasecmp(t, "true");
	}
}

static const char *const op_names[] = {
	[OP_EQ] = "==", [OP_NE] = "!=", [OP_GE] = ">=", [OP_GT] = ">",
	[OP_LE] = "<=", [OP_LT] = "<", [OP_RE] = "~",
};

/* A field whose text is just its number (so a non-number never matches). */
static bool is_plain_number(const struct gh_field *f)
{
	switch (f->special) {
	case GH_SPECIAL_NONE:
	case GH_SPECIAL_MNTNS_ID:
	case GH_SPECIAL_NETNS_ID:
	case GH_SPECIAL_PORT:
	case GH_SPECIAL_UID:
	case GH_SPECIAL_GID:
	case GH_SPECIAL_IFINDEX:
	case GH_SPECIAL_TIMESTAMP:
		break;
	default:
		return false;
	}
	return f->kind == GH_KIND_INT || f->kind == GH_KIND_UINT || f->kind == GH_KIND_FLOAT ||
	       f->kind == GH_KIND_BOOL;
}

/* The names an enum field's value can be written as: a C enum's (from
 * BTF) or a Lua 'enum' map's; false for any other field. */
static bool enum_names(const struct gh_field *f, size_t i, const char **name)
{
	if (f->kind == GH_KIND_ENUM) {
		*name = i < f->n_enum_names ? f->enum_names[i].name : NULL;
		return true;
	}
	if (f->map && !f->map->is_flags && f->map->builtin == GH_FORMAT_NONE) {
		*name = i < f->map->n_entries ? f->map->entries[i].name : NULL;
		return true;
	}
	return false;
}

/* An errno field holds a positive errno (gh_field_value), so a value
 * must be one too, as a number or a name: "ret==-2" or "err==ENOENTT"
 * would silently match nothing. */
static int check_errno_value(const struct cond *c, const struct gh_field *f, const char *spec,
			     char *err, size_t errlen)
{
	if (f->special != GH_SPECIAL_ERRNO || c->op == OP_RE)
		return 0;
	if (c->num == NUM_UINT)
		return 0;
	snprintf(err, errlen,
		 "filter \"%s\": %s is an errno: a positive number or a name (2 or ENOENT), "
		 "not \"%s\"",
		 spec, f->name, c->text);
	return -EINVAL;
}

/* A value that is not a number, compared with an enum field, must be one
 * of its names: "reason==NO_SOKCET" would silently match nothing. */
static int check_enum_name(const struct cond *c, const struct gh_field *f, const char *spec,
			   char *err, size_t errlen)
{
	struct gh_buf known = GH_BUF_INIT;
	const char *name;

	if (c->num != NUM_NONE || !enum_names(f, 0, &name))
		return 0;
	for (size_t i = 0; enum_names(f, i, &name) && name; i++)
		if (!strcmp(name, c->text))
			return 0;
	for (size_t i = 0; enum_names(f, i, &name) && name; i++) {
		gh_buf_puts(&known, i ? ", " : "");
		gh_buf_puts(&known, name);
	}
	snprintf(err, errlen, "filter \"%s\": \"%s\" is not a value of %s (%s)", spec, c->text,
		 f->name, known.p ? known.p : "it has none");
	gh_buf_free(&known);
	return -EINVAL;
}

static void known_fields(const struct gh_schema *s, struct gh_buf *b)
{
	for (size_t i = 0; i < s->n_fields; i++) {
		if (i)
			gh_buf_puts(b, ", ");
		gh_buf_puts(b, s->fields[i].name);
	}
}

/* s without the spaces at its start and end (cut in place) */
static char *trim_spaces(char *s)
{
	size_t l;

	while (*s == ' ')
		s++;
	for (l = strlen(s); l && s[l - 1] == ' '; l--)
		s[l - 1] = '\0';
	return s;
}

/* Split "field OP value" (or ig's "field:OPvalue"). */
static int parse_cond(struct cond *c, const struct gh_schema *s, char *spec, char *err,
		      size_t errlen)
{
	size_t flen = strcspn(spec, "=!<>~:");
	char *p = spec + flen, *name = spec, *value;
	struct gh_buf known = GH_BUF_INIT;
	char what[256];
	const char *shown;
	int rc;

	if (!*p) {
		snprintf(err, errlen, "filter \"%s\": no operator (use ==, !=, >=, >, <=, <, ~)",
			 spec);
		return -EINVAL;
	}
	if (*p == ':') {
		*p++ = '\0';
		while (*p == ' ')
			p++;
		if (*p == '!') { c->op = OP_NE; p++; }
		else if (!strncmp(p, ">=", 2)) { c->op = OP_GE; p += 2; }
		else if (!strncmp(p, "<=", 2)) { c->op = OP_LE; p += 2; }
		else if (*p == '>') { c->op = OP_GT; p++; }
		else if (*p == '<') { c->op = OP_LT; p++; }
		else if (*p == '~') { c->op = OP_RE; p++; }
		else c->op = OP_EQ;
	} else {
		char *op = p, *next;

		if (!strncmp(op, "==", 2)) { c->op = OP_EQ; p += 2; }
		else if (!strncmp(op, "!=", 2)) { c->op = OP_NE; p += 2; }
		else if (!strncmp(op, ">=", 2)) { c->op = OP_GE; p += 2; }
		else if (!strncmp(op, "<=", 2)) { c->op = OP_LE; p += 2; }
		else if (*op == '>') { c->op = OP_GT; p++; }
		else if (*op == '<') { c->op = OP_LT; p++; }
		else if (*op == '~') { c->op = OP_RE; p++; }
		else if (*op == '=') { c->op = OP_EQ; p++; }
		else {
			snprintf(err, errlen, "filter \"%s\": unknown operator at \"%s\"", spec, op);
			return -EINVAL;
		}
		/* "comm=~x" is no regex but comm equal to "~x": refuse it */
		next = p + strspn(p, " ");
		if (c->op != OP_RE && *next && strchr("=~<>", *next)) {
			snprintf(err, errlen,
				 "filter \"%s\": unknown operator \"%.*s\" (use ==, !=, >=, >, <=, <, ~)",
				 spec, (int)(next - op) + 1, op);
			return -EINVAL;
		}
		*op = '\0';
	}
	/* spaces around the name and the value are not part of them:
	 * "comm == x" and ig's "comm: x" are comm==x */
	value = trim_spaces(p);
	name = trim_spaces(name);
	if (!*name) {
		snprintf(err, errlen, "filter condition with no field name before \"%s\"", value);
		return -EINVAL;
	}
	c->field = gh_schema_find(s, name);
	if (c->field < 0) {
		known_fields(s, &known);
		snprintf(err, errlen, "unknown field \"%s\" in filter (known: %s)", name,
			 known.p ? known.p : "");
		gh_buf_free(&known);
		return -EINVAL;
	}
	c->text = strdup(value);
	if (!c->text)
		return -ENOMEM;
	if (c->op == OP_RE) {
		rc = regcomp(&c->re, value, REG_EXTENDED | REG_NOSUB);
		if (rc) {
			char why[128];

			regerror(rc, &c->re, why, sizeof(why));
			snprintf(err, errlen, "filter on \"%s\": bad regular expression \"%s\": %s",
				 name, value, why);
			return -EINVAL;
		}
		c->has_re = true;
		return 0;
	}
	parse_number(c, &s->fields[c->field]);
	if (c->num == NUM_NONE && is_plain_number(&s->fields[c->field])) {
		snprintf(err, errlen, "filter \"%s%s%s\": field \"%s\" is a number, \"%s\" is not",
			 name, op_names[c->op], value, name, value);
		return -EINVAL;
	}
	rc = snprintf(what, sizeof(what), "%s%s%s", name, op_names[c->op], value);
	shown = rc < (int)sizeof(what) ? what : name;
	rc = check_errno_value(c, &s->fields[c->field], shown, err, errlen);
	if (rc)
		return rc;
	return check_enum_name(c, &s->fields[c->field], shown, err, errlen);
}

int gh_filter_add(struct gh_filter *f, const struct gh_schema *s, const char *spec, char *err,
		  size_t errlen)
{
	size_t len = strlen(spec);
	char *copy = malloc(len + 1), *w;
	const char *r;
	int ret = 0;

	if (!copy)
		return -ENOMEM;
	/* conditions split at commas; "\," is a literal comma */
	for (r = spec, w = copy;; r++) {
		if (*r == '\\' && r[1] == ',') {
			*w++ = ',';
			r++;
			continue;
		}
		if (*r && *r != ',') {
			*w++ = *r;
			continue;
		}
		*w = '\0';
		if (w != copy) {
			struct cond *grown = realloc(f->conds, (f->n + 1) * sizeof(*grown));

			if (!grown) {
				ret = -ENOMEM;
				break;
			}
			f->conds = grown;
			memset(&f->conds[f->n], 0, sizeof(struct cond));
			ret = parse_cond(&f->conds[f->n], s, copy, err, errlen);
			if (ret) {
				free(f->conds[f->n].text);
				break;
			}
			f->conds[f->n].stage = gh_field_needs_enrich(s, f->conds[f->n].field)
						       ? GH_FILTER_AFTER_ENRICH
						       : GH_FILTER_BEFORE_SCRIPT;
			f->n_stage[f->conds[f->n].stage]++;
			f->n++;
		} else if (*r == ',' || r == spec) {
			snprintf(err, errlen, "filter \"%s\": empty condition", spec);
			ret = -EINVAL;
			break;
		}
		if (!*r)
			break;
		w = copy;
	}
	free(copy);
	return ret;
}

int gh_filter_add_cond(struct gh_filter *f, const struct gh_schema *s, int idx, const char *op,
		       const char *value)
{
	struct cond c = {.field = idx};
	struct cond *grown;
	size_t i;

	for (i = 0; i < OP_RE; i++)
		if (!strcmp(op, op_names[i]))
			break;
	if (i == OP_RE || idx < 0 || (size_t)idx >= s->n_fields)
		return -EINVAL;
	c.op = (enum op)i;
	c.text = strdup(value);
	grown = c.text ? realloc(f->conds, (f->n + 1) * sizeof(*grown)) : NULL;
	if (!grown) {
		free(c.text);
		return -ENOMEM;
	}
	parse_number(&c, &s->fields[idx]);
	c.stage = gh_field_needs_enrich(s, idx) ? GH_FILTER_AFTER_ENRICH : GH_FILTER_BEFORE_SCRIPT;
	f->conds = grown;
	f->conds[f->n++] = c;
	f->n_stage[c.stage]++;
	return 0;
}

/* -1, 0, 1: the event's number against the condition's. */
static int cmp_num(const struct gh_value *v, const struct cond *c)
{
	if (v->type == GH_V_DOUBLE || c->num == NUM_DOUBLE) {
		double a = v->type == GH_V_DOUBLE ? v->d : v->type == GH_V_INT ? (double)v->i
										: (double)v->u;
		double b = c->num == NUM_DOUBLE ? c->d : c->num == NUM_INT ? (double)c->i
									  : (double)c->u;
		return a < b ? -1 : a > b;
	}
	if (v->type == GH_V_INT) {
		int64_t a = v->i;

		if (c->num == NUM_INT)
			return a < c->i ? -1 : a > c->i;
		if (a < 0)
			return -1;
		return (uint64_t)a < c->u ? -1 : (uint64_t)a > c->u;
	}
	/* unsigned event value */
	if (c->num == NUM_INT)
		return 1; /* any unsigned is above a negative number */
	return v->u < c->u ? -1 : v->u > c->u;
}

static bool verdict(enum op op, int cmp)
{
	switch (op) {
	case OP_EQ: return cmp == 0;
	case OP_NE: return cmp != 0;
	case OP_GE: return cmp >= 0;
	case OP_GT: return cmp > 0;
	case OP_LE: return cmp <= 0;
	case OP_LT: return cmp < 0;
	case OP_RE: return false;
	}
	return false;
}

static bool match_one(struct gh_filter *f, const struct cond *c, const struct gh_schema *s,
		      const struct gh_event *ev)
{
	struct gh_value v;
	int cmp;

	if (c->num != NUM_NONE && c->op != OP_RE && !gh_field_value(s, c->field, ev, &v)) {
		if (v.type == GH_V_BOOL) {
			v.type = GH_V_UINT;
			v.u = v.b;
		}
		if (v.type == GH_V_INT || v.type == GH_V_UINT || v.type == GH_V_DOUBLE)
			return verdict(c->op, cmp_num(&v, c));
	}
	gh_buf_reset(&f->scratch);
	if (gh_field_text(s, c->field, ev, &f->scratch))
		return false;
	if (c->op == OP_RE)
		return regexec(&c->re, f->scratch.p ? f->scratch.p : "", 0, NULL, 0) == 0;
	cmp = strcmp(f->scratch.p ? f->scratch.p : "", c->text);
	return verdict(c->op, cmp < 0 ? -1 : cmp > 0);
}

bool gh_filter_match(const struct gh_filter *f, const struct gh_schema *s,
		     const struct gh_event *ev)
{
	struct gh_filter *mut = (struct gh_filter *)f; /* the scratch buffer */

	for (size_t i = 0; i < f->n; i++)
		if (!match_one(mut, &f->conds[i], s, ev))
			return false;
	return true;
}

bool gh_filter_match_stage(const struct gh_filter *f, const struct gh_schema *s,
			   const struct gh_event *ev, enum gh_filter_stage stage)
{
	struct gh_filter *mut = (struct gh_filter *)f;

	for (size_t i = 0; i < f->n; i++)
		if (f->conds[i].stage == stage && !match_one(mut, &f->conds[i], s, ev))
			return false;
	return true;
}
