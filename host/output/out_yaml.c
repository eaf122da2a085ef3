/* out_yaml.c - -o yaml: one YAML document per event, "---" before each,
 * written by libyaml's emitter into the output buffer.
 *
 * One emitter lives as long as the output: the stream is started once and
 * every event is a document in it.  libyaml flushes at each document end,
 * so after gh_out_event the whole document is in out->buf and flushing
 * stays one write(2) per batch.
 *
 * Types survive a round trip: numbers, booleans and null are plain
 * scalars; a string that would read back as something else ("true", "123",
 * "null", "") is forced into quotes; any other string is left to libyaml,
 * which quotes and escapes whatever needs it.  libyaml refuses invalid
 * UTF-8, so strings are sanitized first (bad bytes become U+FFFD).
 */
#include "output/out_private.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>

struct gh_out_yaml {
	yaml_emitter_t emitter;
	bool ready; /* initialized and the stream started */
};

static int yaml_write(void *data, unsigned char *buffer, size_t size)
{
	struct gh_out *out = data;

	return gh_buf_append(&out->buf, buffer, size) == 0;
}

static int emit(struct gh_out_yaml *y, yaml_event_t *e)
{
	return yaml_emitter_emit(&y->emitter, e) ? 0 : -EIO;
}

static int start(struct gh_out *out)
{
	struct gh_out_yaml *y = out->yaml;
	yaml_event_t e;

	if (!yaml_emitter_initialize(&y->emitter))
		return -ENOMEM;
	yaml_emitter_set_output(&y->emitter, yaml_write, out);
	/* ASCII only: other characters are written as \uXXXX in double
	 * quotes, so no control or bidirectional character reaches a terminal
	 * raw (base/text.h); every YAML parser reads them back the same */
	yaml_emitter_set_unicode(&y->emitter, 0);
	yaml_emitter_set_width(&y->emitter, -1); /* never fold long strings */
	yaml_emitter_set_indent(&y->emitter, 2);
	if (!yaml_stream_start_event_initialize(&e, YAML_UTF8_ENCODING) || emit(y, &e)) {
		yaml_emitter_delete(&y->emitter);
		return -ENOMEM;
	}
	y->ready = true;
	return 0;
}

static void stop(struct gh_out *out)
{
	if (out->yaml && out->yaml->ready) {
		yaml_emitter_delete(&out->yaml->emitter);
		out->yaml->ready = false;
	}
}

static int yaml_init(struct gh_out *out)
{
	int err = gh_out_plans_build(&out->plans, out->schema, out->fields, out->n_fields);

	if (err)
		return err;
	out->yaml = calloc(1, sizeof(*out->yaml));
	if (!out->yaml)
		return -ENOMEM;
	return start(out);
}

static void yaml_free(struct gh_out *out)
{
	stop(out);
	free(out->yaml);
	out->yaml = NULL;
}

/* Would this plain scalar read back as a number?  Generous on purpose
 * (YAML 1.1 and 1.2 differ: 0o17, 1_000, 12:30, 1e5, .5, 0x1f, ...):
 * quoting one string too many costs nothing. */
static bool looks_numeric(const char *s, size_t len)
{
	size_t i = 0;

	if (i < len && (s[i] == '+' || s[i] == '-'))
		i++;
	if (i == len)
		return false;
	if (!(s[i] >= '0' && s[i] <= '9') &&
	    !(s[i] == '.' && i + 1 < len && s[i + 1] >= '0' && s[i + 1] <= '9'))
		return false;
	for (; i < len; i++)
		if (!strchr("0123456789abcdefABCDEFxXoO_.:+-", s[i]) || !s[i])
			return false;
	return true;
}

/* Strings that would read back as another type in YAML 1.1 or 1.2. */
bool gh_yaml_needs_quotes(const char *s, size_t len)
{
	static const char *const words[] = {
		"null", "~", "true", "false", "yes", "no", "on", "off", "y", "n",
		".inf", "+.inf", "-.inf", ".nan", "<<", "=",
	};

	if (len == 0)
		return true;
	if (len <= 5) {
		char w[6];

		memcpy(w, s, len);
		w[len] = '\0';
		for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
			if (strcasecmp(w, words[i]) == 0)
				return true;
	}
	return looks_numeric(s, len);
}

int gh_utf8_sanitize(struct gh_buf *t, const char **s, size_t *len)
{
	const unsigned char *p = (const unsigned char *)*s;
	size_t i = 0, n;

	while (i < *len && (n = gh_utf8_seq(p + i, *len - i)))
		i += n;
	if (i == *len)
		return 0;
	gh_buf_reset(t);
	if (gh_buf_append(t, p, i))
		return -ENOMEM;
	while (i < *len) {
		n = gh_utf8_seq(p + i, *len - i);
		if (n) {
			if (gh_buf_append(t, p + i, n))
				return -ENOMEM;
			i += n;
		} else {
			if (gh_buf_append(t, "\xef\xbf\xbd", 3))
				return -ENOMEM;
			i++;
		}
	}
	*s = t->p;
	*len = t->len;
	return 0;
}

static int emit_scalar(struct gh_out_yaml *y, const char *s, size_t len, bool plain_only)
{
	yaml_event_t e;

	if (!yaml_scalar_event_initialize(&e, NULL, NULL, (yaml_char_t *)s, (int)len, 1,
					  !plain_only, plain_only ? YAML_PLAIN_SCALAR_STYLE
								  : YAML_ANY_SCALAR_STYLE))
		return -ENOMEM;
	return emit(y, &e);
}

int gh_yaml_plain_event(yaml_event_t *e, const char *s, size_t len)
{
	return yaml_scalar_event_initialize(e, NULL, NULL, (yaml_char_t *)s, (int)len, 1, 0,
					    YAML_PLAIN_SCALAR_STYLE) ? 0 : -ENOMEM;
}

int gh_yaml_string_event(yaml_event_t *e, struct gh_buf *scratch, const char *s, size_t len)
{
	bool quote;
	int err;

	if (len > INT32_MAX)
		len = INT32_MAX;
	err = gh_utf8_sanitize(scratch, &s, &len);
	if (err)
		return err;
	/* plain_implicit 0: libyaml will not write it plain, so quotes it */
	quote = gh_yaml_needs_quotes(s, len);
	return yaml_scalar_event_initialize(e, NULL, NULL, (yaml_char_t *)s, (int)len, !quote, 1,
					    YAML_ANY_SCALAR_STYLE) ? 0 : -ENOMEM;
}

static int emit_string(struct gh_out *out, const char *s, size_t len)
{
	yaml_event_t e;
	int err = gh_yaml_string_event(&e, &out->scratch, s, len);

	return err ? err : emit(out->yaml, &e);
}

static int emit_i64(struct gh_out_yaml *y, int64_t v)
{
	char t[24];

	return emit_scalar(y, t, gh_fmt_i64(t, v), true);
}

static int emit_u64(struct gh_out_yaml *y, uint64_t v)
{
	char t[24];

	return emit_scalar(y, t, gh_fmt_u64(t, v), true);
}

static int emit_double(struct gh_out_yaml *y, double d)
{
	char t[48];
	int n;

	if (isnan(d))
		return emit_scalar(y, ".nan", 4, true);
	if (isinf(d))
		return d > 0 ? emit_scalar(y, ".inf", 4, true) : emit_scalar(y, "-.inf", 5, true);
	n = gh_fmt_double(t, sizeof(t) - 2, d);
	/* keep it a float when read back: 3 -> 3.0 */
	if (!strpbrk(t, ".eE")) {
		memcpy(t + n, ".0", 3);
		n += 2;
	}
	return emit_scalar(y, t, (size_t)n, true);
}

static int seq_start(struct gh_out_yaml *y)
{
	yaml_event_t e;

	if (!yaml_sequence_start_event_initialize(&e, NULL, NULL, 1, YAML_ANY_SEQUENCE_STYLE))
		return -ENOMEM;
	return emit(y, &e);
}

static int seq_end(struct gh_out_yaml *y)
{
	yaml_event_t e;

	if (!yaml_sequence_end_event_initialize(&e))
		return -ENOMEM;
	return emit(y, &e);
}

static int map_start(struct gh_out_yaml *y)
{
	yaml_event_t e;

	if (!yaml_mapping_start_event_initialize(&e, NULL, NULL, 1, YAML_ANY_MAPPING_STYLE))
		return -ENOMEM;
	return emit(y, &e);
}

static int map_end(struct gh_out_yaml *y)
{
	yaml_event_t e;

	if (!yaml_mapping_end_event_initialize(&e))
		return -ENOMEM;
	return emit(y, &e);
}

static int emit_strlist(struct gh_out *out, const char *p, size_t len)
{
	size_t i = 0;
	int err;

	err = seq_start(out->yaml);
	while (!err && i < len) {
		const char *end = memchr(p + i, '\0', len - i);
		size_t slen = end ? (size_t)(end - (p + i)) : len - i;

		err = emit_string(out, p + i, slen);
		i += slen + 1;
	}
	return err ? err : seq_end(out->yaml);
}

static int emit_array(struct gh_out_yaml *y, const struct gh_field *f, const struct gh_value *v)
{
	size_t n = f->elem_size ? v->s.len / f->elem_size : 0;
	int err;

	if (f->elem_size != 1 && f->elem_size != 2 && f->elem_size != 4 && f->elem_size != 8)
		n = 0;
	err = seq_start(y);
	for (size_t i = 0; !err && i < n; i++) {
		const char *e = v->s.p + i * f->elem_size;

		if (f->elem_signed)
			err = emit_i64(y, gh_out_read_int(e, f->elem_size));
		else
			err = emit_u64(y, gh_out_read_uint(e, f->elem_size));
	}
	return err ? err : seq_end(y);
}

static int emit_value(struct gh_out *out, int idx, const struct gh_event *ev)
{
	struct gh_out_yaml *y = out->yaml;
	struct gh_value v;
	int err;

	err = gh_field_value(out->schema, idx, ev, &v);
	if (err)
		return err;
	switch (v.type) {
	case GH_V_NULL:
		return emit_scalar(y, "null", 4, true);
	case GH_V_INT:
		return emit_i64(y, v.i);
	case GH_V_UINT:
		return emit_u64(y, v.u);
	case GH_V_BOOL:
		return v.b ? emit_scalar(y, "true", 4, true) : emit_scalar(y, "false", 5, true);
	case GH_V_DOUBLE:
		return emit_double(y, v.d);
	case GH_V_STR:
		return emit_string(out, v.s.p, v.s.len);
	case GH_V_STRLIST:
		return emit_strlist(out, v.s.p, v.s.len);
	case GH_V_ARRAY:
		return emit_array(y, &out->schema->fields[idx], &v);
	}
	return emit_scalar(y, "null", 4, true);
}

static int emit_document(struct gh_out *out, const struct gh_event *ev)
{
	const struct gh_out_plan *plan = gh_out_plans_for(&out->plans, out->schema, ev);
	struct gh_out_yaml *y = out->yaml;
	yaml_event_t e;
	int err;

	/* implicit 0: an explicit "---" before every document */
	if (!yaml_document_start_event_initialize(&e, NULL, NULL, NULL, 0))
		return -ENOMEM;
	err = emit(y, &e);
	if (!err)
		err = map_start(y);
	for (size_t i = 0; !err && i < plan->n_ops; i++) {
		const struct gh_out_op *op = &plan->ops[i];

		if (op->type == GH_OP_CLOSE) {
			err = map_end(y);
			continue;
		}
		err = emit_string(out, op->key, op->key_len);
		if (err)
			break;
		if (op->type == GH_OP_OPEN)
			err = map_start(y);
		else
			err = emit_value(out, op->field, ev);
	}
	if (!err)
		err = map_end(y);
	if (err)
		return err;
	if (!yaml_document_end_event_initialize(&e, 1))
		return -ENOMEM;
	return emit(y, &e);
}

static int yaml_event(struct gh_out *out, const struct gh_event *ev)
{
	int err;

	if (!out->yaml->ready) {
		err = start(out);
		if (err)
			return err;
	}
	err = emit_document(out, ev);
	if (err) {
		/* the emitter is mid-document or failed: start a new stream
		 * for the next event (the caller drops this one's bytes) */
		stop(out);
		start(out);
	}
	return err;
}

const struct gh_out_format_ops gh_out_yaml_ops = {
	.init = yaml_init,
	.event = yaml_event,
	.free = yaml_free,
};
