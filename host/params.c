/* params.c - gadget params and kernel filters, set before load.
 *
 * Both land in const volatile globals of the object's .rodata: libbpf
 * hands us the section's initial image, we write the values in, and the
 * verifier then sees them as constants.
 */
#include "params.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "btf_schema.h"

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static int parse_bool(const char *s, bool *b)
{
	if (!strcasecmp(s, "true") || !strcmp(s, "1") || !strcasecmp(s, "yes")) {
		*b = true;
		return 0;
	}
	if (!strcasecmp(s, "false") || !strcmp(s, "0") || !strcasecmp(s, "no")) {
		*b = false;
		return 0;
	}
	return -EINVAL;
}

/* "250" (milliseconds), "1.5ms", "250us", "2s", "100ns", "1m": nanoseconds */
static int parse_duration_ns(const char *s, uint64_t *ns)
{
	static const struct {
		const char *suffix;
		double ns;
	} units[] = {{"", 1e6},  {"ns", 1},    {"us", 1e3}, {"ms", 1e6},
		     {"s", 1e9}, {"m", 60e9}, {"h", 3600e9}};
	char *end;
	double v;

	if (!isdigit((unsigned char)s[0]) && s[0] != '.')
		return -EINVAL;
	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s)
		return -EINVAL;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(end, units[i].suffix))
			continue;
		v *= units[i].ns;
		if (v >= 18446744073709551616.0)
			return -ERANGE;
		*ns = (uint64_t)v;
		return 0;
	}
	return -EINVAL;
}

int gh_param_encode(const char *what, const char *type, const char *text, void *dst, size_t size,
		    char *err, size_t errlen)
{
	if (!strcmp(type, "duration")) {
		uint64_t ns;

		if (parse_duration_ns(text, &ns))
			return fail(err, errlen,
				    "%s: \"%s\" is not a duration (milliseconds, or a number with "
				    "ns, us, ms, s, m or h)", what, text);
		if (size != sizeof(ns))
			return fail(err, errlen, "%s: a duration needs a 64-bit global", what);
		memcpy(dst, &ns, size);
		return 0;
	}

	if (!strcmp(type, "bool")) {
		bool b;

		if (parse_bool(text, &b))
			return fail(err, errlen, "%s: \"%s\" is not a boolean (true/false)", what,
				    text);
		memset(dst, 0, size);
		*(uint8_t *)dst = b;
		return 0;
	}
	if (!strcmp(type, "int") || !strcmp(type, "uint")) {
		bool is_signed = type[0] == 'i';
		char *end;
		long long v;
		unsigned long long u;

		errno = 0;
		if (is_signed) {
			v = strtoll(text, &end, 0);
			u = (unsigned long long)v;
		} else {
			if (text[0] == '-')
				return fail(err, errlen, "%s: \"%s\" must not be negative", what, text);
			u = strtoull(text, &end, 0);
		}
		if (errno || end == text || *end)
			return fail(err, errlen, "%s: \"%s\" is not an integer", what, text);
		if (size < 8) {
			unsigned bits = size * 8;
			bool fits = is_signed ? ((long long)u >= -(1LL << (bits - 1)) &&
						 (long long)u < (1LL << (bits - 1)))
					      : u < (1ULL << bits);
			if (!fits)
				return fail(err, errlen, "%s: %s does not fit in %zu bytes", what, text,
					    size);
		}
		memcpy(dst, &u, size); /* little endian: the low bytes */
		return 0;
	}
	if (!strcmp(type, "string")) {
		size_t len = strlen(text);

		if (len >= size)
			return fail(err, errlen, "%s: \"%s\" is longer than %zu bytes", what, text,
				    size - 1);
		memset(dst, 0, size);
		memcpy(dst, text, len);
		return 0;
	}
	return fail(err, errlen,
		    "%s: unknown param type \"%s\" (bool, int, uint, string, duration)", what,
		    type);
}
