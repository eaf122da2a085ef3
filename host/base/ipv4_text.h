/* ipv4_text.h - an IPv4 address as a dotted quad, without inet_ntop().
 *
 * glibc's inet_ntop() formats each byte with sprintf(); the packet
 * gadgets write two or three addresses per event (the row's endpoints, A
 * records), where that showed in profiles.
 */
#ifndef GH_IPV4_TEXT_H
#define GH_IPV4_TEXT_H

#include <stddef.h>
#include <stdint.h>

#define GH_IPV4_TEXT_MAX 16 /* "255.255.255.255" and its NUL */

/* Write a[0..3] as "a.b.c.d" and a NUL at out (GH_IPV4_TEXT_MAX bytes);
 * returns the length without the NUL. */
static inline size_t gh_ipv4_text(char *out, const uint8_t *a)
{
	char *p = out;

	for (int i = 0; i < 4; i++) {
		unsigned x = a[i];

		if (x >= 100)
			*p++ = (char)('0' + x / 100);
		if (x >= 10)
			*p++ = (char)('0' + x / 10 % 10);
		*p++ = (char)('0' + x % 10);
		*p++ = i < 3 ? '.' : '\0';
	}
	return (size_t)(p - out - 1);
}

#endif
