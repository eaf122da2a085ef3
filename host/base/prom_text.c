/* prom_text.c - Prometheus's text format, piece by piece (prom_text.h). */
#include "base/prom_text.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static bool name_char(char c, bool first)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' ||
	       (!first && c >= '0' && c <= '9');
}

bool gh_prom_metric_name_ok(const char *name)
{
	if (!*name)
		return false;
	for (const char *p = name; *p; p++)
		if (!name_char(*p, p == name))
			return false;
	return true;
}

void gh_prom_label_name(const char *field, char *out, size_t len)
{
	size_t i = 0;

	if (!len)
		return;
	if (field[0] >= '0' && field[0] <= '9' && i + 1 < len)
		out[i++] = '_';
	for (const char *p = field; *p && i + 1 < len; p++)
		out[i++] = (name_char(*p, false) && *p != ':') ? *p : '_';
	out[i] = '\0';
}

/* The length of a valid UTF-8 sequence at s (at most n bytes), or 0. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	size_t need = s[0] < 0x80 ? 1 : (s[0] & 0xe0) == 0xc0 ? 2 : (s[0] & 0xf0) == 0xe0 ? 3 :
		      (s[0] & 0xf8) == 0xf0 ? 4 : 0;

	if (!need || need > n || (need == 2 && s[0] < 0xc2))
		return 0;
	for (size_t i = 1; i < need; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return need;
}

int gh_prom_label(struct gh_buf *b, const char *name, const char *value, size_t len)
{
	const unsigned char *v = (const unsigned char *)value;
	int ret = 0;

	if (b->len && b->p[b->len - 1] != '{')
		ret = gh_buf_putc(b, ',');
	if (!ret)
		ret = gh_buf_printf(b, "%s=\"", name);
	for (size_t i = 0; i < len && !ret;) {
		size_t n = utf8_len(v + i, len - i);

		if (!n || !v[i]) { /* a NUL too: the daemon reads reports as C text */
			ret = gh_buf_puts(b, "\xef\xbf\xbd"); /* U+FFFD */
			i++;
		} else if (v[i] == '\\' || v[i] == '"') {
			ret = gh_buf_putc(b, '\\');
			ret = ret ? ret : gh_buf_putc(b, (char)v[i++]);
		} else if (v[i] == '\n') {
			ret = gh_buf_puts(b, "\\n");
			i++;
		} else {
			ret = gh_buf_append(b, v + i, n);
			i += n;
		}
	}
	return ret ? ret : gh_buf_putc(b, '"');
}

int gh_prom_value(struct gh_buf *b, double v)
{
	if (isnan(v))
		return gh_buf_puts(b, "NaN");
	if (isinf(v))
		return gh_buf_puts(b, v > 0 ? "+Inf" : "-Inf");
	if (v == floor(v) && fabs(v) < 9007199254740992.0)
		return gh_buf_printf(b, "%.0f", v);
	return gh_buf_printf(b, "%.17g", v);
}

int gh_prom_family(struct gh_buf *b, const char *name, const char *type, const char *help)
{
	int ret = *help ? gh_buf_printf(b, "# HELP %s ", name) : 0;

	/* help text: \\ and \n escaped */
	for (const char *p = help; *p && !ret; p++)
		ret = *p == '\\' ? gh_buf_puts(b, "\\\\") : *p == '\n' ? gh_buf_puts(b, "\\n")
									: gh_buf_putc(b, *p);
	if (!ret && *help)
		ret = gh_buf_putc(b, '\n');
	return ret ? ret : gh_buf_printf(b, "# TYPE %s %s\n", name, type);
}
