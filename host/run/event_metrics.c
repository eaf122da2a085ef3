/* event_metrics.c - counters, gauges and histograms of kept events
 * (event_metrics.h). */
#include "run/event_metrics.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "base/prom_text.h"

#define MAX_BY 8
#define NAME_MAX_LEN 64
#define HIST_SLOTS 64 /* le 2^0 .. 2^63 */

enum metric_kind { COUNTER, GAUGE, HISTOGRAM };

static const char *const kind_names[] = {"counter", "gauge", "histogram"};

/* One label set of a metric and its numbers. */
struct series {
	struct series *next;    /* in its hash bucket */
	struct series *all;     /* every series, newest first */
	char *key;              /* the label values, '\0' separated */
	size_t key_len;
	uint64_t count;         /* events (counter; histogram's _count) */
	double value;           /* gauge: the last; histogram: the sum */
	uint64_t *slots;        /* histogram: events per log2 slot */
};

struct metric {
	char name[NAME_MAX_LEN + 1];
	enum metric_kind kind;
	int field;              /* gauge and histogram: the number's field */
	int by[MAX_BY];
	char by_label[MAX_BY][NAME_MAX_LEN + 1];
	size_t n_by;
	struct series **buckets;
	size_t n_buckets;       /* a power of two */
	struct series *all;
	size_t n_series;
	uint64_t dropped;       /* events past the cardinality limit */
	int top_slot;           /* histogram: the largest slot used, -1: none */
};

struct gh_event_metrics {
	const struct gh_schema *schema;
	struct metric *m;
	size_t n;
	uint32_t max_series;
	struct gh_buf key;      /* scratch: an event's label values */
};

/* ---- specs ---- */

static bool numeric(const struct gh_schema *s, int idx)
{
	const struct gh_field *f = &s->fields[idx];
	static const char *const types[] = {"int", "uint", "bool", "duration", "number", NULL};

	switch (f->kind) {
	case GH_KIND_INT:
	case GH_KIND_UINT:
	case GH_KIND_BOOL:
	case GH_KIND_FLOAT:
		return true;
	case GH_KIND_VIRTUAL:
		if (f->map || !f->virtual_type)
			return false;
		for (size_t i = 0; types[i]; i++)
			if (!strcmp(f->virtual_type, types[i]))
				return true;
		return false;
	default:
		return false;
	}
}

static int find_field(const struct gh_schema *s, const char *spec, const char *name,
		      size_t len, int *idx, char *err, size_t errlen)
{
	char buf[256];

	if (!len || len >= sizeof(buf))
		return gh_err(err, errlen, -EINVAL, "--metric \"%s\": a field name is missing or "
			      "too long", spec);
	memcpy(buf, name, len);
	buf[len] = '\0';
	*idx = gh_schema_find(s, buf);
	if (*idx < 0 || s->fields[*idx].internal)
		return gh_err(err, errlen, -EINVAL, "--metric \"%s\": the gadget has no field "
			      "\"%s\" (gadgethost info GADGET lists them)", spec, buf);
	return 0;
}

static const char *skip_spaces(const char *p)
{
	while (*p == ' ')
		p++;
	return p;
}

/* NAME=KIND[(FIELD)][ by F,G] */
static int parse_spec(struct metric *m, const struct gh_schema *s, const char *spec, char *err,
		      size_t errlen)
{
	const char *eq = strchr(spec, '='), *p, *end;
	size_t len;
	int ret;

	if (!eq || eq == spec || (size_t)(eq - spec) > NAME_MAX_LEN)
		return gh_err(err, errlen, -EINVAL, "--metric \"%s\": NAME=counter|gauge(FIELD)|"
			      "histogram(FIELD) [by FIELD,...] expected", spec);
	memcpy(m->name, spec, (size_t)(eq - spec));
	m->name[eq - spec] = '\0';
	if (!gh_prom_metric_name_ok(m->name) || strchr(m->name, ':'))
		return gh_err(err, errlen, -EINVAL, "--metric \"%s\": the name \"%s\" is not "
			      "letters, digits and '_' (not starting with a digit)", spec, m->name);
	p = eq + 1;
	for (m->kind = COUNTER; m->kind <= HISTOGRAM; m->kind++)
		if (!strncmp(p, kind_names[m->kind], strlen(kind_names[m->kind])))
			break;
	if (m->kind > HISTOGRAM)
		return gh_err(err, errlen, -EINVAL, "--metric \"%s\": the kind is counter, gauge or "
			      "histogram", spec);
	p += strlen(kind_names[m->kind]);
	m->field = -1;
	if (m->kind != COUNTER) {
		end = *p == '(' ? strchr(p, ')') : NULL;
		if (!end)
			return gh_err(err, errlen, -EINVAL, "--metric \"%s\": %s(FIELD) expected",
				      spec, kind_names[m->kind]);
		ret = find_field(s, spec, p + 1, (size_t)(end - p - 1), &m->field, err, errlen);
		if (ret)
			return ret;
		if (!numeric(s, m->field))
			return gh_err(err, errlen, -EINVAL, "--metric \"%s\": a %s needs a number, "
				      "and \"%s\" is a %s field", spec, kind_names[m->kind],
				      s->fields[m->field].name,
				      gh_field_type_name(&s->fields[m->field]));
		p = end + 1;
	}
	p = skip_spaces(p);
	if (!*p)
		return 0;
	if (strncmp(p, "by ", 3))
		return gh_err(err, errlen, -EINVAL, "--metric \"%s\": \"by FIELD,...\" or nothing "
			      "expected after the kind, not \"%s\"", spec, p);
	for (p = skip_spaces(p + 3); *p; p = *end ? skip_spaces(end + 1) : end) {
		int idx;

		end = strchr(p, ',');
		end = end ? end : p + strlen(p);
		len = (size_t)(end - p);
		while (len && p[len - 1] == ' ')
			len--;
		if (m->n_by == MAX_BY)
			return gh_err(err, errlen, -EINVAL, "--metric \"%s\": at most %d fields after "
				      "by", spec, MAX_BY);
		ret = find_field(s, spec, p, len, &idx, err, errlen);
		if (ret)
			return ret;
		m->by[m->n_by] = idx;
		gh_prom_label_name(s->fields[idx].name, m->by_label[m->n_by], NAME_MAX_LEN + 1);
		m->n_by++;
	}
	return 0;
}

/* An error in one of the script's own: named by the script, not --metric. */
static void from_script(const char *script, char *err, size_t errlen)
{
	char copy[512];

	if (!script || strncmp(err, "--metric ", 9))
		return;
	snprintf(copy, sizeof(copy), "%s", err + 9);
	snprintf(err, errlen, "%s: metrics: %s", script, copy);
}

int gh_event_metrics_new(struct gh_event_metrics **out, const struct gh_schema *s,
			 const char *const *specs, size_t n, const char *script, size_t n_script,
			 uint32_t max_series, char *err, size_t errlen)
{
	struct gh_event_metrics *em = calloc(1, sizeof(*em));
	int ret = 0;

	*out = NULL;
	if (!em || !(em->m = calloc(n ? n : 1, sizeof(*em->m)))) {
		free(em);
		return gh_err(err, errlen, -ENOMEM, "out of memory");
	}
	em->schema = s;
	em->max_series = max_series ? max_series : GH_EVENT_METRICS_MAX_SERIES;
	for (size_t i = 0; i < n && !ret; i++) {
		struct metric *m = &em->m[i];

		ret = parse_spec(m, s, specs[i], err, errlen);
		for (size_t k = 0; k < i && !ret; k++)
			if (!strcmp(em->m[k].name, m->name))
				ret = gh_err(err, errlen, -EINVAL, "--metric \"%s\": a second metric "
					     "named %s", specs[i], m->name);
		if (ret && i < n_script)
			from_script(script, err, errlen);
		m->top_slot = -1;
		m->n_buckets = 64;
		while (!ret && m->n_buckets < em->max_series && m->n_buckets < (1u << 16))
			m->n_buckets *= 2;
		if (!ret && !(m->buckets = calloc(m->n_buckets, sizeof(*m->buckets))))
			ret = gh_err(err, errlen, -ENOMEM, "out of memory");
		em->n = i + 1;
	}
	if (ret) {
		gh_event_metrics_free(em);
		return ret;
	}
	*out = em;
	return 0;
}

void gh_event_metrics_free(struct gh_event_metrics *em)
{
	if (!em)
		return;
	for (size_t i = 0; i < em->n; i++) {
		struct series *s = em->m[i].all, *next;

		for (; s; s = next) {
			next = s->all;
			free(s->key);
			free(s->slots);
			free(s);
		}
		free(em->m[i].buckets);
	}
	free(em->m);
	gh_buf_free(&em->key);
	free(em);
}

/* ---- events ---- */

static uint64_t hash(const char *p, size_t len)
{
	uint64_t h = 1469598103934665603ull; /* FNV-1a */

	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)p[i]) * 1099511628211ull;
	return h;
}

static struct series *series_of(struct gh_event_metrics *em, struct metric *m)
{
	size_t b = hash(em->key.p, em->key.len) & (m->n_buckets - 1);
	struct series *s;

	for (s = m->buckets[b]; s; s = s->next)
		if (s->key_len == em->key.len && !memcmp(s->key, em->key.p, s->key_len))
			return s;
	if (m->n_series >= em->max_series) {
		m->dropped++;
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (!s || !(s->key = malloc(em->key.len + 1)) ||
	    (m->kind == HISTOGRAM && !(s->slots = calloc(HIST_SLOTS, sizeof(*s->slots))))) {
		if (s)
			free(s->key);
		free(s);
		m->dropped++;
		return NULL;
	}
	memcpy(s->key, em->key.p, em->key.len);
	s->key[em->key.len] = '\0';
	s->key_len = em->key.len;
	s->next = m->buckets[b];
	m->buckets[b] = s;
	s->all = m->all;
	m->all = s;
	m->n_series++;
	return s;
}

static bool number_of(const struct gh_schema *sc, int idx, const struct gh_event *ev, double *d)
{
	struct gh_value v;

	if (gh_field_value(sc, idx, ev, &v))
		return false;
	switch (v.type) {
	case GH_V_INT: *d = (double)v.i; return true;
	case GH_V_UINT: *d = (double)v.u; return true;
	case GH_V_DOUBLE: *d = v.d; return true;
	case GH_V_BOOL: *d = v.b; return true;
	default: return false;
	}
}

static int slot_of(double d)
{
	int k = 0;

	while (k < HIST_SLOTS - 1 && d > (double)(1ull << k))
		k++;
	return k;
}

void gh_event_metrics_observe(struct gh_event_metrics *em, const struct gh_event *ev)
{
	for (size_t i = 0; i < em->n; i++) {
		struct metric *m = &em->m[i];
		struct series *s;
		double d = 0;
		bool bad = false;

		if (m->field >= 0 && !number_of(em->schema, m->field, ev, &d))
			continue; /* no value in this event: nothing to count */
		gh_buf_reset(&em->key);
		for (size_t k = 0; k < m->n_by && !bad; k++)
			bad = gh_field_text(em->schema, m->by[k], ev, &em->key) ||
			      gh_buf_append(&em->key, "", 1);
		/* no labels: the one series, keyed by one NUL */
		if (bad || (!m->n_by && gh_buf_append(&em->key, "", 1))) {
			m->dropped++;
			continue;
		}
		s = series_of(em, m);
		if (!s)
			continue;
		s->count++;
		if (m->kind == GAUGE) {
			s->value = d;
		} else if (m->kind == HISTOGRAM) {
			int k = slot_of(d);

			s->value += d;
			s->slots[k]++;
			if (k > m->top_slot)
				m->top_slot = k;
		}
	}
}

/* ---- the exposition ---- */

/* {a="x",b="y"[,le="..."]} from the series' key */
static int labels(struct gh_buf *b, const struct metric *m, const struct series *s,
		  const char *le)
{
	const char *v = s->key;
	int ret = 0;

	if (!m->n_by && !le)
		return 0;
	ret = gh_buf_putc(b, '{');
	for (size_t k = 0; k < m->n_by && !ret; k++) {
		size_t len = strlen(v);

		ret = gh_prom_label(b, m->by_label[k], v, len);
		v += len + 1;
	}
	if (!ret && le)
		ret = gh_prom_label(b, "le", le, strlen(le));
	return ret ? ret : gh_buf_putc(b, '}');
}

static int sample(struct gh_buf *b, const struct metric *m, const struct series *s,
		  const char *suffix, const char *le, double v)
{
	int ret = gh_buf_printf(b, "gadgethost_event_%s%s", m->name, suffix);

	ret = ret ? ret : labels(b, m, s, le);
	ret = ret ? ret : gh_buf_putc(b, ' ');
	ret = ret ? ret : gh_prom_value(b, v);
	return ret ? ret : gh_buf_putc(b, '\n');
}

static int render_histogram(struct gh_buf *b, const struct metric *m, const struct series *s)
{
	uint64_t cum = 0;
	int ret = 0;

	for (int k = 0; k <= m->top_slot && !ret; k++) {
		char le[32];

		cum += s->slots[k];
		snprintf(le, sizeof(le), "%llu", 1ull << k);
		ret = sample(b, m, s, "_bucket", le, (double)cum);
	}
	ret = ret ? ret : sample(b, m, s, "_bucket", "+Inf", (double)s->count);
	ret = ret ? ret : sample(b, m, s, "_sum", NULL, s->value);
	return ret ? ret : sample(b, m, s, "_count", NULL, (double)s->count);
}

int gh_event_metrics_render(const struct gh_event_metrics *em, struct gh_buf *b)
{
	int ret = 0;

	for (size_t i = 0; i < em->n && !ret; i++) {
		const struct metric *m = &em->m[i];
		char family[NAME_MAX_LEN + 32];

		snprintf(family, sizeof(family), "gadgethost_event_%s%s", m->name,
			 m->kind == COUNTER ? "_total" : "");
		ret = gh_buf_printf(b, "# TYPE %s %s\n", family, kind_names[m->kind]);
		for (const struct series *s = m->all; s && !ret; s = s->all) {
			if (m->kind == COUNTER)
				ret = sample(b, m, s, "_total", NULL, (double)s->count);
			else if (m->kind == GAUGE)
				ret = sample(b, m, s, "", NULL, s->value);
			else
				ret = render_histogram(b, m, s);
		}
	}
	if (!ret && em->n)
		ret = gh_buf_puts(b, "# TYPE gadgethost_event_series_dropped_total counter\n");
	for (size_t i = 0; i < em->n && !ret; i++) {
		ret = gh_buf_puts(b, "gadgethost_event_series_dropped_total{");
		ret = ret ? ret : gh_prom_label(b, "metric", em->m[i].name, strlen(em->m[i].name));
		ret = ret ? ret : gh_buf_printf(b, "} %llu\n", (unsigned long long)em->m[i].dropped);
	}
	return ret;
}
