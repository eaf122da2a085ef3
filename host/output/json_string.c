/* json_string.c - a string as a JSON string literal (out.h). */
#include "output/out_private.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>

static const char hexdigits[] = "0123456789abcdef";

int gh_json_put_string(struct gh_buf *b, const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0, n;
	char *o;

	/* at most 6 bytes out per byte in ("\u00XX", "\udcXX"), plus quotes */
	if (len > (SIZE_MAX - 2) / 6 || gh_buf_reserve(b, len * 6 + 2))
		return -ENOMEM;
	o = b->p + b->len;
	*o++ = '"';
	while (i < len) {
		unsigned char c = s[i];

		if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
			*o++ = (char)c;
			i++;
			continue;
		}
		if (c < 0x80) {
			*o++ = '\\';
			switch (c) {
			case '"': *o++ = '"'; break;
			case '\\': *o++ = '\\'; break;
			case '\n': *o++ = 'n'; break;
			case '\r': *o++ = 'r'; break;
			case '\t': *o++ = 't'; break;
			case '\b': *o++ = 'b'; break;
			case '\f': *o++ = 'f'; break;
			default:
				memcpy(o, "u00", 3);
				o[3] = hexdigits[c >> 4];
				o[4] = hexdigits[c & 0xf];
				o += 5;
				break;
			}
			i++;
			continue;
		}
		n = gh_utf8_seq(s + i, len - i);
		if (n && gh_text_hidden_char(s + i, n)) {
			/* C1, bidirectional controls, separators: the same
			 * character, but escaped for whoever looks at the JSON */
			unsigned cp = gh_text_hidden_char(s + i, n);

			memcpy(o, "\\u", 2);
			o[2] = hexdigits[(cp >> 12) & 0xf];
			o[3] = hexdigits[(cp >> 8) & 0xf];
			o[4] = hexdigits[(cp >> 4) & 0xf];
			o[5] = hexdigits[cp & 0xf];
			o += 6;
			i += n;
		} else if (n) {
			memcpy(o, s + i, n);
			o += n;
			i += n;
		} else {
			/* a byte that is not UTF-8: U+DC80..U+DCFF, Python's
			 * surrogateescape, so that the bytes can be had back */
			memcpy(o, "\\udc", 4);
			o[4] = hexdigits[c >> 4];
			o[5] = hexdigits[c & 0xf];
			o += 6;
			i++;
		}
	}
	*o++ = '"';
	*o = '\0';
	b->len = (size_t)(o - b->p);
	return 0;
}
