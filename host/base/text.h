/* text.h - text that cannot break a line or fool a terminal.
 *
 * Names and paths in events come from the traced processes: a container
 * names its own files and functions, a process its comm.  Wherever such
 * text reaches a terminal or a log (columns, tables, profile reports, the
 * container list, log lines) it is escaped unit by unit, so a row stays one
 * line and what is shown is what is there:
 *
 *   \n \t \r                    as those two characters
 *   other C0 controls, DEL       as \xNN
 *   C1 controls (U+0080..009F)   as \u00NN
 *   bidirectional controls       as \uNNNN: U+061C, U+200E, U+200F,
 *                                U+202A..202E, U+2066..2069 (they reorder
 *                                what follows them on screen), and the
 *                                line and paragraph separators U+2028, 2029
 *   invalid UTF-8                as \xNN, byte by byte
 *
 * Everything else (printable ASCII, valid UTF-8) is kept as it is.
 */
#ifndef GH_TEXT_H
#define GH_TEXT_H

#include <stdbool.h>
#include <stddef.h>

#include "base/buf.h"

#define GH_TEXT_UNIT_MAX 6 /* bytes written for one escaped unit at most */

/* Length of the valid UTF-8 sequence at s (1 to 4), or 0 when s[0] does
 * not start one: a bad lead byte, a truncated sequence, an overlong form,
 * a surrogate or a code point above U+10FFFF.  len must be > 0. */
static inline size_t gh_utf8_seq(const unsigned char *s, size_t len)
{
	unsigned char c = s[0];
	unsigned char lo = 0x80, hi = 0xbf;
	size_t n;

	if (c < 0x80)
		return 1;
	if (c < 0xc2)
		return 0;
	if (c < 0xe0) {
		n = 2;
	} else if (c < 0xf0) {
		n = 3;
		if (c == 0xe0)
			lo = 0xa0; /* overlong */
		else if (c == 0xed)
			hi = 0x9f; /* surrogates */
	} else if (c < 0xf5) {
		n = 4;
		if (c == 0xf0)
			lo = 0x90; /* overlong */
		else if (c == 0xf4)
			hi = 0x8f; /* above U+10FFFF */
	} else {
		return 0;
	}
	if (len < n || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return n;
}

/* The code point of a 2 or 3 byte sequence at s whose escape is \uNNNN
 * (C1, bidirectional controls, separators), or 0. */
static inline unsigned gh_text_hidden_char(const unsigned char *s, size_t n)
{
	unsigned cp;

	if (n == 2 && s[0] == 0xc2 && s[1] < 0xa0)
		return 0x80 + (s[1] - 0x80);   /* C1 */
	if (n == 2 && s[0] == 0xd8 && s[1] == 0x9c)
		return 0x061c;                 /* ARABIC LETTER MARK */
	if (n != 3 || s[0] != 0xe2 || (s[1] != 0x80 && s[1] != 0x81))
		return 0;
	cp = 0x2000 + ((unsigned)(s[1] & 0x3f) << 6) + (s[2] & 0x3f);
	if (cp == 0x200e || cp == 0x200f || (cp >= 0x2028 && cp <= 0x202e) ||
	    (cp >= 0x2066 && cp <= 0x2069))
		return cp;
	return 0;
}

/* One unit of text at s (len > 0): its bytes in the source; *width is
 * what it takes on screen, shown as gh_text_put_unit() writes it. */
size_t gh_text_unit(const unsigned char *s, size_t len, size_t *width);
/* Write the unit at s (n bytes, from gh_text_unit) at o, escaped as
 * needed (GH_TEXT_UNIT_MAX bytes at most); returns the end. */
char *gh_text_put_unit(char *o, const unsigned char *s, size_t n);
/* Whether s has nothing to escape. */
bool gh_text_is_plain(const char *s, size_t len);
/* Append s escaped to b: 0 or -ENOMEM. */
int gh_text_escape(struct gh_buf *b, const char *s, size_t len);
/* Escape the NUL terminated src into dst (size n > 0), cut at a whole
 * unit when it does not fit; returns dst. */
char *gh_text_escape_to(char *dst, size_t n, const char *src);

#endif
