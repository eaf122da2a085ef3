/* prom_set.c - samples grouped by family (prom_set.h). */
#include "daemon/prom_set.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/prom_text.h"

struct family {
	char *name, *type, *help;
	struct gh_buf samples;
};

struct gh_prom_set {
	struct family *f;
	size_t n, cap;
};

int gh_prom_set_new(struct gh_prom_set **out)
{
	*out = calloc(1, sizeof(**out));
	return *out ? 0 : -ENOMEM;
}

void gh_prom_set_free(struct gh_prom_set *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++) {
		free(s->f[i].name);
		free(s->f[i].type);
		free(s->f[i].help);
		gh_buf_free(&s->f[i].samples);
	}
	free(s->f);
	free(s);
}

static struct family *family_of(struct gh_prom_set *s, const char *name, size_t len,
				const char *type, const char *help)
{
	struct family *f;

	for (size_t i = 0; i < s->n; i++)
		if (strlen(s->f[i].name) == len && !memcmp(s->f[i].name, name, len))
			return &s->f[i];
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 32;
		struct family *grown = realloc(s->f, cap * sizeof(*grown));

		if (!grown)
			return NULL;
		s->f = grown;
		s->cap = cap;
	}
	f = &s->f[s->n];
	memset(f, 0, sizeof(*f));
	f->name = strndup(name, len);
	f->type = strdup(type);
	f->help = strdup(help);
	if (!f->name || !f->type || !f->help) {
		free(f->name);
		free(f->type);
		free(f->help);
		return NULL;
	}
	s->n++;
	return f;
}

/* name{labels,more} v */
static int put_sample(struct family *f, const char *name, size_t name_len, const char *labels,
		      const char *more, size_t more_len, const char *value, size_t value_len)
{
	struct gh_buf *b = &f->samples;
	int ret = gh_buf_append(b, name, name_len);

	if (!ret && (*labels || more_len)) {
		ret = gh_buf_putc(b, '{');
		ret = ret ? ret : gh_buf_puts(b, labels);
		if (!ret && *labels && more_len)
			ret = gh_buf_putc(b, ',');
		ret = ret ? ret : gh_buf_append(b, more, more_len);
		ret = ret ? ret : gh_buf_putc(b, '}');
	}
	ret = ret ? ret : gh_buf_putc(b, ' ');
	ret = ret ? ret : gh_buf_append(b, value, value_len);
	return ret ? ret : gh_buf_putc(b, '\n');
}

int gh_prom_set_add(struct gh_prom_set *s, const char *family, const char *type,
		    const char *help, const char *suffix, const char *labels, double v)
{
	struct family *f = family_of(s, family, strlen(family), type, help);
	struct gh_buf name = GH_BUF_INIT, value = GH_BUF_INIT;
	int ret;

	if (!f)
		return -ENOMEM;
	ret = gh_buf_printf(&name, "%s%s", family, suffix);
	ret = ret ? ret : gh_prom_value(&value, v);
	if (!ret)
		ret = put_sample(f, name.p, name.len, "", labels, strlen(labels), value.p,
				 value.len);
	gh_buf_free(&name);
	gh_buf_free(&value);
	return ret;
}

static bool is_family_of(const char *metric, size_t len, const struct family *f)
{
	static const char *const suffixes[] = {"", "_bucket", "_sum", "_count", NULL};
	size_t n = strlen(f->name);

	if (len < n || memcmp(metric, f->name, n))
		return false;
	for (size_t i = 0; suffixes[i]; i++)
		if (len - n == strlen(suffixes[i]) && !memcmp(metric + n, suffixes[i], len - n))
			return true;
	return false;
}

/* One line of the text; cur: the family of the last TYPE line; skip: that
 * family is another source's of another type (two instances' metrics of
 * one name, a counter and a gauge): its samples are left out, so the
 * exposition stays one a scraper takes. */
static int merge_line(struct gh_prom_set *s, const char *line, size_t len, const char *labels,
		      struct family **cur, bool *skip, char *help, size_t helplen)
{
	const char *end = line + len, *p, *value;
	size_t name_len;

	if (len > 7 && !memcmp(line, "# HELP ", 7)) {
		p = memchr(line + 7, ' ', len - 7);
		snprintf(help, helplen, "%.*s", p ? (int)(end - p - 1) : 0, p ? p + 1 : "");
		return 0;
	}
	if (len > 7 && !memcmp(line, "# TYPE ", 7)) {
		p = memchr(line + 7, ' ', len - 7);
		if (!p)
			return 0;
		char type[32];

		snprintf(type, sizeof(type), "%.*s", (int)(end - p - 1), p + 1);
		*cur = family_of(s, line + 7, (size_t)(p - line - 7), type, help);
		help[0] = '\0';
		*skip = *cur && strcmp((*cur)->type, type);
		return *cur ? 0 : -ENOMEM;
	}
	if (!len || line[0] == '#' || *skip)
		return 0;
	for (p = line; p < end && *p != '{' && *p != ' '; p++)
		;
	name_len = (size_t)(p - line);
	if (p == end || !name_len)
		return 0;
	if (*p == '{') {
		const char *close = memchr(p, '}', (size_t)(end - p));

		/* a '}' inside a label value: ours never escape it, so look for
		 * the last one */
		for (const char *q = close; q && q < end; q = memchr(q + 1, '}', (size_t)(end - q - 1)))
			close = q;
		if (!close || close + 1 >= end || close[1] != ' ')
			return 0;
		value = close + 2;
		if (!*cur || !is_family_of(line, name_len, *cur))
			*cur = family_of(s, line, name_len, "untyped", "");
		return *cur ? put_sample(*cur, line, name_len, labels, p + 1,
					 (size_t)(close - p - 1), value, (size_t)(end - value))
			    : -ENOMEM;
	}
	value = p + 1;
	if (!*cur || !is_family_of(line, name_len, *cur))
		*cur = family_of(s, line, name_len, "untyped", "");
	return *cur ? put_sample(*cur, line, name_len, labels, "", 0, value, (size_t)(end - value))
		    : -ENOMEM;
}

int gh_prom_set_merge(struct gh_prom_set *s, const char *text, size_t len, const char *labels)
{
	struct family *cur = NULL;
	bool skip = false;
	char help[256] = "";
	int ret = 0;

	while (len && !ret) {
		const char *nl = memchr(text, '\n', len);
		size_t n = nl ? (size_t)(nl - text) : len;

		ret = merge_line(s, text, n, labels, &cur, &skip, help, sizeof(help));
		text += n + (nl ? 1 : 0);
		len -= n + (nl ? 1 : 0);
	}
	return ret;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct family *)a)->name, ((const struct family *)b)->name);
}

int gh_prom_set_render(const struct gh_prom_set *s, struct gh_buf *out)
{
	int ret = 0;

	qsort(s->f, s->n, sizeof(*s->f), by_name);
	for (size_t i = 0; i < s->n && !ret; i++) {
		const struct family *f = &s->f[i];

		if (!f->samples.len)
			continue;
		ret = gh_prom_family(out, f->name, f->type, f->help);
		ret = ret ? ret : gh_buf_append(out, f->samples.p, f->samples.len);
	}
	return ret;
}
