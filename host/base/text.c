/* text.c - text that cannot break a line or fool a terminal (text.h). */
#include "base/text.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "base/text_width.h"

static const char hexdigits[] = "0123456789abcdef";

/* The code point of the valid UTF-8 sequence s (n bytes). */
static uint32_t code_point(const unsigned char *s, size_t n)
{
	static const unsigned char lead_mask[] = {0, 0x7f, 0x1f, 0x0f, 0x07};
	uint32_t cp = s[0] & lead_mask[n];

	for (size_t i = 1; i < n; i++)
		cp = (cp << 6) | (s[i] & 0x3f);
	return cp;
}

#define N_RANGES(r) (sizeof(r) / sizeof((r)[0]))

/* Whether cp is in one of the n sorted ranges r. */
static bool in_ranges(const struct gh_text_width_range *r, size_t n, uint32_t cp)
{
	size_t lo = 0, hi = n;

	if (cp < r[0].first || cp > r[n - 1].last)
		return false;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (cp > r[mid].last)
			lo = mid + 1;
		else if (cp < r[mid].first)
			hi = mid;
		else
			return true;
	}
	return false;
}

/* The terminal cells a character takes: 2 for a wide one (CJK, most
 * emoji), 0 for a combining mark, else 1.  From the built-in table
 * (text_width.h), not the C library's locale: the same on every system,
 * with or without locale files, and as fast as wcwidth() in C.UTF-8. */
static size_t cells(const unsigned char *s, size_t n)
{
	uint32_t cp = code_point(s, n);

	if (in_ranges(gh_text_zero_width, N_RANGES(gh_text_zero_width), cp))
		return 0;
	return in_ranges(gh_text_double_width, N_RANGES(gh_text_double_width), cp) ? 2 : 1;
}

size_t gh_text_unit(const unsigned char *s, size_t len, size_t *width)
{
	unsigned char c = s[0];
	size_t n;

	if (c >= 0x20 && c < 0x7f) {
		*width = 1;
		return 1;
	}
	if (c < 0x80) {
		*width = (c == '\n' || c == '\t' || c == '\r') ? 2 : 4;
		return 1;
	}
	n = gh_utf8_seq(s, len);
	if (!n) {
		*width = 4;
		return 1;
	}
	*width = gh_text_hidden_char(s, n) ? 6 : cells(s, n);
	return n;
}

char *gh_text_put_unit(char *o, const unsigned char *s, size_t n)
{
	unsigned char c = s[0];
	unsigned cp;

	if (c >= 0x20 && c < 0x7f) {
		*o++ = (char)c;
		return o;
	}
	if (c == '\n' || c == '\t' || c == '\r') {
		*o++ = '\\';
		*o++ = c == '\n' ? 'n' : c == '\t' ? 't' : 'r';
		return o;
	}
	if (c < 0x80 || (n == 1 && c >= 0x80)) {
		*o++ = '\\';
		*o++ = 'x';
		*o++ = hexdigits[c >> 4];
		*o++ = hexdigits[c & 0xf];
		return o;
	}
	cp = gh_text_hidden_char(s, n);
	if (cp) {
		*o++ = '\\';
		*o++ = 'u';
		for (int shift = 12; shift >= 0; shift -= 4)
			*o++ = hexdigits[(cp >> shift) & 0xf];
		return o;
	}
	memcpy(o, s, n);
	return o + n;
}

bool gh_text_is_plain(const char *text, size_t len)
{
	const unsigned char *s = (const unsigned char *)text;
	size_t i = 0, n;

	while (i < len) {
		if (s[i] >= 0x20 && s[i] < 0x7f) {
			i++;
			continue;
		}
		/* a control, invalid UTF-8 or a hidden character is escaped */
		n = s[i] < 0x80 ? 0 : gh_utf8_seq(s + i, len - i);
		if (!n || gh_text_hidden_char(s + i, n))
			return false;
		i += n;
	}
	return true;
}

int gh_text_escape(struct gh_buf *b, const char *text, size_t len)
{
	const unsigned char *s = (const unsigned char *)text;
	size_t i = 0, w, n;
	char *o;

	if (len > (SIZE_MAX - 1) / GH_TEXT_UNIT_MAX ||
	    gh_buf_reserve(b, len * GH_TEXT_UNIT_MAX + 1))
		return -ENOMEM;
	o = b->p + b->len;
	while (i < len) {
		n = gh_text_unit(s + i, len - i, &w);
		o = gh_text_put_unit(o, s + i, n);
		i += n;
	}
	*o = '\0';
	b->len = (size_t)(o - b->p);
	return 0;
}

char *gh_text_escape_to(char *dst, size_t size, const char *src)
{
	const unsigned char *s = (const unsigned char *)src;
	size_t len = strlen(src), i = 0, w, n, at = 0;
	char unit[GH_TEXT_UNIT_MAX];

	while (i < len) {
		size_t k;

		n = gh_text_unit(s + i, len - i, &w);
		k = (size_t)(gh_text_put_unit(unit, s + i, n) - unit);
		if (at + k >= size)
			break;
		memcpy(dst + at, unit, k);
		at += k;
		i += n;
	}
	dst[at] = '\0';
	return dst;
}
