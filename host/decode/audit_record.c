/* audit_record.c - parsing kernel audit records (audit_record.h). */
#include "decode/audit_record.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int gh_audit_parse(const char *text, size_t len, struct gh_audit_record *r)
{
	unsigned long long sec, msec, serial;
	char *p, *end;
	int n = 0;

	if (len >= sizeof(r->text))
		len = sizeof(r->text) - 1;
	memcpy(r->text, text, len);
	r->text[len] = '\0';
	/* netlink payloads may carry trailing NULs or a newline */
	while (len && (r->text[len - 1] == '\n' || r->text[len - 1] == '\0'))
		r->text[--len] = '\0';
	r->n_pairs = 0;
	if (sscanf(r->text, "audit(%llu.%llu:%llu):%n", &sec, &msec, &serial, &n) != 3 || !n)
		return -EINVAL;
	r->time_ns = sec * 1000000000ULL + msec * 1000000ULL;
	r->serial = serial;
	p = r->text + n;
	end = r->text + len;
	while (p < end && r->n_pairs < GH_AUDIT_MAX_PAIRS) {
		struct gh_audit_pair *pair;
		char *eq;

		while (p < end && *p == ' ')
			p++;
		if (p >= end)
			break;
		eq = p;
		while (eq < end && *eq != '=' && *eq != ' ')
			eq++;
		if (eq >= end || *eq != '=') {
			/* a word without a value: skip it */
			p = eq;
			continue;
		}
		pair = &r->pairs[r->n_pairs++];
		*eq = '\0';
		pair->key = p;
		p = eq + 1;
		pair->quoted = *p == '"';
		if (pair->quoted) {
			char *q = strchr(p + 1, '"');

			pair->value = p + 1;
			if (!q)
				q = end;
			*q = '\0';
			p = q + 1;
		} else {
			pair->value = p;
			while (p < end && *p != ' ')
				p++;
			*p++ = '\0';
		}
	}
	return 0;
}

const struct gh_audit_pair *gh_audit_get(const struct gh_audit_record *r, const char *key)
{
	for (size_t i = 0; i < r->n_pairs; i++)
		if (!strcmp(r->pairs[i].key, key))
			return &r->pairs[i];
	return NULL;
}

int gh_audit_number(const char *value, uint64_t *out)
{
	char *end;
	int base = 10;

	if (!value[0] || value[0] == '-')
		return -EINVAL;
	errno = 0;
	*out = strtoull(value, &end, 10);
	if (!errno && !*end)
		return 0;
	if (value[0] == '0' && (value[1] == 'x' || value[1] == 'X'))
		value += 2;
	base = 16;
	errno = 0;
	*out = strtoull(value, &end, base);
	return errno || end == value || *end ? -EINVAL : 0;
}

static int hexval(char c)
{
	return isdigit((unsigned char)c) ? c - '0' : (tolower((unsigned char)c) - 'a' + 10);
}

size_t gh_audit_string(const struct gh_audit_pair *p, char *out, size_t size)
{
	size_t len = strlen(p->value), n = 0;
	bool hex = !p->quoted && len && len % 2 == 0;

	for (size_t i = 0; hex && i < len; i++)
		hex = isxdigit((unsigned char)p->value[i]);
	if (!size)
		return 0;
	if (!hex) {
		n = len < size - 1 ? len : size - 1;
		memcpy(out, p->value, n);
	} else {
		for (size_t i = 0; i + 1 < len && n < size - 1; i += 2)
			out[n++] = (char)(hexval(p->value[i]) << 4 | hexval(p->value[i + 1]));
	}
	out[n] = '\0';
	return n;
}
