/* json.c - strict recursive-descent JSON parser into a tree; see json.h. */
#include "base/json.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* An array element (key NULL) or an object member. */
struct gh_json_member {
	char *key;
	size_t key_len;
	struct gh_json *value;
};

struct gh_json {
	enum gh_json_type type;
	bool boolean;
	char *text; /* a decoded string or a number as written; NUL terminated */
	size_t text_len;
	struct gh_json_member *members; /* arrays and objects */
	size_t n, cap;
};

struct parser {
	const char *start, *p, *end;
	int depth;
	int ret; /* the first failure: -EINVAL or -ENOMEM */
	char *err;
	size_t errlen;
};

static struct gh_json *parse_value(struct parser *ps);

/* Record a syntax error at byte at as "line L, column C: message", or with
 * at NULL, running out of memory.  Returns NULL for the caller to return. */
__attribute__((format(printf, 3, 4)))
static void *fail(struct parser *ps, const char *at, const char *fmt, ...)
{
	size_t line = 1, col = 1;
	va_list ap;
	int n = 0;

	if (ps->ret)
		return NULL;
	ps->ret = at ? -EINVAL : -ENOMEM;
	if (!ps->err || !ps->errlen)
		return NULL;
	if (at) {
		for (const char *c = ps->start; c < at; c++) {
			col = *c == '\n' ? 1 : col + 1;
			line += *c == '\n';
		}
		n = snprintf(ps->err, ps->errlen, "line %zu, column %zu: ", line, col);
		if (n < 0 || (size_t)n >= ps->errlen)
			return NULL;
	}
	va_start(ap, fmt);
	vsnprintf(ps->err + n, ps->errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return NULL;
}

#define fail_oom(ps) fail(ps, NULL, "out of memory")

/* "expected X, found Y"; bytes of the input never go into err raw. */
static void *fail_expected(struct parser *ps, const char *at, const char *what)
{
	unsigned char c = at < ps->end ? (unsigned char)*at : 0;

	if (at >= ps->end)
		return fail(ps, at, "unexpected end of input, expected %s", what);
	if (c > ' ' && c < 0x7f)
		return fail(ps, at, "expected %s, found '%c'", what, c);
	return fail(ps, at, "expected %s, found byte 0x%02x", what, c);
}

static bool at_char(const struct parser *ps, const char *at, char c)
{
	return at < ps->end && *at == c;
}

static bool at_digit(const struct parser *ps, const char *at)
{
	return at < ps->end && *at >= '0' && *at <= '9';
}

static void skip_ws(struct parser *ps)
{
	while (ps->p < ps->end &&
	       (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r'))
		ps->p++;
}

static struct gh_json *new_node(struct parser *ps, enum gh_json_type type)
{
	struct gh_json *j = calloc(1, sizeof(*j));

	if (!j)
		return fail_oom(ps);
	j->type = type;
	return j;
}

/* Four hex digits at s, all before end, into *out; -1 if not. */
static int hex4(const char *s, const char *end, unsigned *out)
{
	if (end - s < 4)
		return -1;
	*out = 0;
	for (int i = 0; i < 4; i++) {
		char c = s[i];
		int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
			: c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;

		if (d < 0)
			return -1;
		*out = *out << 4 | (unsigned)d;
	}
	return 0;
}

static char *put_utf8(char *o, unsigned cp)
{
	static const unsigned char lead[] = {0, 0, 0xc0, 0xe0, 0xf0};
	int n = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;

	for (int i = n - 1; i > 0; i--, cp >>= 6)
		o[i] = (char)(0x80 | (cp & 0x3f));
	o[0] = (char)(lead[n] | cp);
	return o + n;
}

/* Length of the well-formed UTF-8 sequence (RFC 3629: no overlong forms,
 * no surrogates, nothing above U+10FFFF) at s, ending before end; 0 if none. */
static size_t utf8_len(const unsigned char *s, const unsigned char *end)
{
	/* the second byte's range narrows after E0, ED, F0 and F4 */
	unsigned char lo = s[0] == 0xe0 ? 0xa0 : s[0] == 0xf0 ? 0x90 : 0x80;
	unsigned char hi = s[0] == 0xed ? 0x9f : s[0] == 0xf4 ? 0x8f : 0xbf;
	size_t n = s[0] < 0x80 ? 1 : s[0] < 0xc2 ? 0 : s[0] < 0xe0 ? 2 : s[0] < 0xf0 ? 3
		 : s[0] < 0xf5 ? 4 : 0;

	if (n < 2)
		return n;
	if ((size_t)(end - s) < n || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return n;
}

/* The escape whose backslash is at e, written at o; returns the end of
 * the output and moves *next past the escape, or NULL. */
static char *decode_escape(struct parser *ps, const char *e, const char *close, char *o,
			   const char **next)
{
	static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
	const char *hit = memchr(from, e[1], sizeof(from) - 1);
	unsigned cp, lo;

	*next = e + 2;
	if (hit) {
		*o = to[hit - from];
		return o + 1;
	}
	if (e[1] != 'u')
		return fail_expected(ps, e + 1, "one of \" \\ / b f n r t u after '\\'");
	if (hex4(e + 2, close, &cp))
		return fail(ps, e, "invalid \\u escape: expected 4 hex digits");
	e += 6;
	*next = e;
	if (cp >= 0xd800 && cp <= 0xdbff && close - e >= 6 && e[0] == '\\' && e[1] == 'u' &&
	    !hex4(e + 2, close, &lo) && lo >= 0xdc00 && lo <= 0xdfff) {
		cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
		*next = e + 6;
	} else if (cp >= 0xd800 && cp <= 0xdfff) {
		cp = 0xfffd; /* a lone surrogate */
	}
	return put_utf8(o, cp);
}

/* The string whose opening quote is at ps->p, decoded into a new buffer. */
static char *parse_string(struct parser *ps, size_t *len)
{
	const char *q = ps->p + 1, *close;
	char *out, *o;

	/* Find the closing quote first: decoding never makes a string longer. */
	for (close = q; close < ps->end && *close != '"'; close++)
		if (*close == '\\' && ++close == ps->end)
			break;
	if (close >= ps->end)
		return fail(ps, ps->p, "unterminated string");
	out = o = malloc((size_t)(close - q) + 1);
	if (!out)
		return fail_oom(ps);
	while (o && q < close) {
		unsigned char c = (unsigned char)*q;
		size_t n;

		if (c == '\\') {
			o = decode_escape(ps, q, close, o, &q);
		} else if (c < 0x20) {
			o = fail(ps, q, "control character 0x%02x in a string must be escaped", c);
		} else if (!(n = utf8_len((const unsigned char *)q, (const unsigned char *)close))) {
			o = fail(ps, q, "invalid UTF-8 in a string");
		} else {
			memcpy(o, q, n);
			o += n;
			q += n;
		}
	}
	if (!o) {
		free(out);
		return NULL;
	}
	*o = '\0';
	*len = (size_t)(o - out);
	ps->p = close + 1;
	return out;
}

/* Skips digits at *q; false if there were none. */
static bool digits(const struct parser *ps, const char **q)
{
	const char *s = *q;

	while (at_digit(ps, *q))
		(*q)++;
	return *q > s;
}

static struct gh_json *parse_number(struct parser *ps)
{
	const char *q = ps->p + at_char(ps, ps->p, '-'), *int_start = q;
	struct gh_json *j;

	if (!digits(ps, &q))
		return fail_expected(ps, q, "a digit");
	if (*int_start == '0' && q - int_start > 1)
		return fail(ps, int_start, "leading zeros are not allowed in numbers");
	if (at_char(ps, q, '.')) {
		q++;
		if (!digits(ps, &q))
			return fail_expected(ps, q, "a digit after '.'");
	}
	if (at_char(ps, q, 'e') || at_char(ps, q, 'E')) {
		q++;
		q += at_char(ps, q, '+') || at_char(ps, q, '-');
		if (!digits(ps, &q))
			return fail_expected(ps, q, "a digit in the exponent");
	}
	j = new_node(ps, GH_JSON_NUMBER);
	if (!j)
		return NULL;
	j->text_len = (size_t)(q - ps->p);
	j->text = strndup(ps->p, j->text_len);
	if (!j->text) {
		free(j);
		return fail_oom(ps);
	}
	ps->p = q;
	return j;
}

static struct gh_json *parse_literal(struct parser *ps, const char *word,
				     enum gh_json_type type, bool value)
{
	struct gh_json *j;
	size_t i;
	char what[16];

	for (i = 0; word[i]; i++) {
		if (!at_char(ps, ps->p + i, word[i])) {
			snprintf(what, sizeof(what), "'%s'", word);
			return fail_expected(ps, ps->p + i, what);
		}
	}
	j = new_node(ps, type);
	if (j) {
		j->boolean = value;
		ps->p += i;
	}
	return j;
}

static int push(struct parser *ps, struct gh_json *j, char *key, size_t key_len,
		struct gh_json *value)
{
	if (j->n == j->cap) {
		size_t cap = j->cap ? j->cap * 2 : 4;
		struct gh_json_member *m = realloc(j->members, cap * sizeof(*m));

		if (!m) {
			fail_oom(ps);
			return -ENOMEM;
		}
		j->members = m;
		j->cap = cap;
	}
	j->members[j->n++] = (struct gh_json_member){key, key_len, value};
	return 0;
}

/* An array or object; ps->p is at its '[' or '{'. */
static struct gh_json *parse_container(struct parser *ps, enum gh_json_type type)
{
	bool object = type == GH_JSON_OBJECT;
	char close = object ? '}' : ']';
	struct gh_json *j = new_node(ps, type), *v;
	size_t key_len = 0;
	char *key = NULL;

	if (!j)
		return NULL;
	ps->p++;
	skip_ws(ps);
	if (at_char(ps, ps->p, close)) { /* empty */
		ps->p++;
		return j;
	}
	for (;;) {
		if (at_char(ps, ps->p, close)) { /* after a comma */
			fail(ps, ps->p, "trailing comma before '%c'", close);
			goto err;
		}
		if (object) {
			key = at_char(ps, ps->p, '"') ? parse_string(ps, &key_len)
				: fail_expected(ps, ps->p, "a string as the object key");
			if (!key)
				goto err;
			skip_ws(ps);
			if (!at_char(ps, ps->p, ':')) {
				fail_expected(ps, ps->p, "':' after an object key");
				goto err;
			}
			ps->p++;
			skip_ws(ps);
		}
		v = parse_value(ps);
		if (!v || push(ps, j, key, key_len, v)) {
			gh_json_free(v);
			goto err;
		}
		key = NULL;
		skip_ws(ps);
		if (at_char(ps, ps->p, close)) {
			ps->p++;
			return j;
		}
		if (!at_char(ps, ps->p, ',')) {
			fail_expected(ps, ps->p, object ? "',' or '}' after an object member"
							: "',' or ']' after an array element");
			goto err;
		}
		ps->p++;
		skip_ws(ps);
	}
err:
	free(key);
	gh_json_free(j);
	return NULL;
}

/* A value starting at ps->p (whitespace already skipped). */
static struct gh_json *parse_value(struct parser *ps)
{
	struct gh_json *j;

	switch (ps->p < ps->end ? *ps->p : '\0') {
	case '[':
	case '{':
		if (ps->depth >= GH_JSON_MAX_DEPTH)
			return fail(ps, ps->p, "arrays and objects nest deeper than %d levels",
				    GH_JSON_MAX_DEPTH);
		ps->depth++;
		j = parse_container(ps, *ps->p == '{' ? GH_JSON_OBJECT : GH_JSON_ARRAY);
		ps->depth--;
		return j;
	case '"':
		j = new_node(ps, GH_JSON_STRING);
		if (j && !(j->text = parse_string(ps, &j->text_len))) {
			free(j);
			j = NULL;
		}
		return j;
	case 't':
		return parse_literal(ps, "true", GH_JSON_BOOL, true);
	case 'f':
		return parse_literal(ps, "false", GH_JSON_BOOL, false);
	case 'n':
		return parse_literal(ps, "null", GH_JSON_NULL, false);
	default:
		if (at_char(ps, ps->p, '-') || at_digit(ps, ps->p))
			return parse_number(ps);
		return fail_expected(ps, ps->p, "a value");
	}
}

int gh_json_parse(const char *text, size_t len, struct gh_json **out, char *err, size_t errlen)
{
	struct parser ps = {.start = text ? text : "", .err = err, .errlen = errlen};
	struct gh_json *j;

	*out = NULL;
	if (!text && len) {
		fail(&ps, ps.start, "no text but a length of %zu", len);
		return ps.ret;
	}
	ps.p = ps.start;
	ps.end = ps.start + len;
	skip_ws(&ps);
	if (ps.p == ps.end) {
		fail(&ps, ps.p, "empty input, expected a JSON value");
		return ps.ret;
	}
	j = parse_value(&ps);
	skip_ws(&ps);
	if (j && ps.p < ps.end) {
		fail(&ps, ps.p, "trailing characters after the JSON value");
		gh_json_free(j);
		j = NULL;
	}
	*out = j;
	return j ? 0 : ps.ret;
}

void gh_json_free(struct gh_json *j)
{
	if (!j)
		return;
	for (size_t i = 0; i < j->n; i++) {
		free(j->members[i].key);
		gh_json_free(j->members[i].value);
	}
	free(j->members);
	free(j->text);
	free(j);
}

enum gh_json_type gh_json_type(const struct gh_json *j)
{
	return j ? j->type : GH_JSON_NULL;
}

static bool is_container(const struct gh_json *j)
{
	return j && (j->type == GH_JSON_ARRAY || j->type == GH_JSON_OBJECT);
}

/* The last member whose key is exactly the len bytes at key. */
static const struct gh_json *get_n(const struct gh_json *obj, const char *key, size_t len)
{
	if (!obj || obj->type != GH_JSON_OBJECT)
		return NULL;
	for (size_t i = obj->n; i-- > 0;)
		if (obj->members[i].key_len == len && !memcmp(obj->members[i].key, key, len))
			return obj->members[i].value;
	return NULL;
}

const struct gh_json *gh_json_get(const struct gh_json *obj, const char *key)
{
	return key ? get_n(obj, key, strlen(key)) : NULL;
}

/* One path segment: a decimal index into an array, else an object key. */
static const struct gh_json *path_step(const struct gh_json *j, const char *seg, size_t n)
{
	size_t i = 0, k;

	if (!j || j->type != GH_JSON_ARRAY)
		return get_n(j, seg, n);
	for (k = 0; k < n && seg[k] >= '0' && seg[k] <= '9' && i <= SIZE_MAX / 10 - 1; k++)
		i = i * 10 + (size_t)(seg[k] - '0');
	return n && k == n ? gh_json_at(j, i) : NULL;
}

const struct gh_json *gh_json_path(const struct gh_json *obj, const char *dotted)
{
	const char *dot;

	if (!dotted)
		return NULL;
	for (; obj && dotted; dotted = dot ? dot + 1 : NULL) {
		dot = strchr(dotted, '.');
		obj = path_step(obj, dotted, dot ? (size_t)(dot - dotted) : strlen(dotted));
	}
	return obj;
}

size_t gh_json_len(const struct gh_json *arr_or_obj)
{
	return is_container(arr_or_obj) ? arr_or_obj->n : 0;
}

const struct gh_json *gh_json_at(const struct gh_json *arr_or_obj, size_t i)
{
	return is_container(arr_or_obj) && i < arr_or_obj->n ? arr_or_obj->members[i].value : NULL;
}

const char *gh_json_key_at(const struct gh_json *obj, size_t i)
{
	return obj && obj->type == GH_JSON_OBJECT && i < obj->n ? obj->members[i].key : NULL;
}

const char *gh_json_str(const struct gh_json *j)
{
	return j && j->type == GH_JSON_STRING ? j->text : NULL;
}

size_t gh_json_str_len(const struct gh_json *j)
{
	return j && j->type == GH_JSON_STRING ? j->text_len : 0;
}

/* The sign and magnitude of a number written as a plain integer. */
static int integer_text(const struct gh_json *j, bool *neg, uint64_t *mag)
{
	const char *s;

	if (!j || j->type != GH_JSON_NUMBER || strpbrk(j->text, ".eE"))
		return -EINVAL;
	*neg = j->text[0] == '-';
	*mag = 0;
	for (s = j->text + *neg; *s; s++) {
		unsigned d = (unsigned)(*s - '0');

		if (*mag > (UINT64_MAX - d) / 10)
			return -ERANGE;
		*mag = *mag * 10 + d;
	}
	return 0;
}

int gh_json_int(const struct gh_json *j, int64_t *out)
{
	uint64_t mag;
	bool neg;
	int err = integer_text(j, &neg, &mag);

	if (err)
		return err;
	if (mag > (uint64_t)INT64_MAX + neg)
		return -ERANGE;
	/* -(mag - 1) - 1 reaches INT64_MIN without overflowing */
	*out = neg && mag ? -(int64_t)(mag - 1) - 1 : (int64_t)mag;
	return 0;
}

int gh_json_uint(const struct gh_json *j, uint64_t *out)
{
	uint64_t mag;
	bool neg;
	int err = integer_text(j, &neg, &mag);

	if (err)
		return err;
	if (neg && mag)
		return -ERANGE;
	*out = mag;
	return 0;
}

double gh_json_double(const struct gh_json *j)
{
	return j && j->type == GH_JSON_NUMBER ? strtod(j->text, NULL) : NAN;
}

bool gh_json_bool(const struct gh_json *j)
{
	return j && j->type == GH_JSON_BOOL && j->boolean;
}
