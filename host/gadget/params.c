/* params.c - gadget params and kernel filters, set before load.
 *
 * Both land in const volatile globals of the object's .rodata: libbpf
 * hands us the section's initial image, we write the values in, and the
 * verifier then sees them as constants.
 */
#include "gadget/params.h"

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

#include "base/err.h"
#include "schema/btf_schema.h"
#include "base/names.h"

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

bool gh_param_bool_word(const char *s)
{
	bool b;

	return !parse_bool(s, &b);
}

/* "80,443" into consecutive __u16s (an array such as __u16 ports[16]),
 * the rest zero: 0 ends the list, so it is not a valid entry. */
static int encode_uint16_list(const char *what, const char *text, uint16_t *dst, size_t size,
			      char *err, size_t errlen)
{
	size_t max = size / sizeof(*dst), n = 0;
	const char *p = text;

	memset(dst, 0, size);
	while (*p) {
		char *end;
		unsigned long v;

		if (n == max)
			return gh_err(err, errlen, -EINVAL,
				      "%s: \"%s\" has more than %zu entries", what, text,
				      max);
		errno = 0;
		v = *p >= '0' && *p <= '9' ? strtoul(p, &end, 10) : 0;
		if (errno || v == 0 || v > UINT16_MAX || (*end && *end != ','))
			return gh_err(err, errlen, -EINVAL,
				      "%s: \"%s\" is not a list of numbers from 1 to 65535 (80,443)",
				      what, text);
		dst[n++] = (uint16_t)v;
		p = *end ? end + 1 : end;
		if (*end && !*p)
			return gh_err(err, errlen, -EINVAL,
				      "%s: \"%s\" ends with a comma", what, text);
	}
	return 0;
}

/* "SIGKILL", "kill" or "9" -> "9": a signal param is an integer by the time
 * it is encoded; a name the kernel does not know is an error. */
static int signal_number_text(const char *what, const char *text, char *out, size_t outlen,
			      char *err, size_t errlen)
{
	char name[32];
	size_t i;
	int sig;

	if (text[0] >= '0' && text[0] <= '9') {
		char *end;
		unsigned long n = strtoul(text, &end, 10);

		if (*end || n > 64)
			return gh_err(err, errlen, -EINVAL,
				      "%s: \"%s\" is not a signal number (0 to 64)", what,
				      text);
		snprintf(out, outlen, "%lu", n);
		return 0;
	}
	for (i = 0; text[i] && i < sizeof(name) - 1; i++)
		name[i] = (char)toupper((unsigned char)text[i]);
	name[i] = '\0';
	sig = text[i] ? -1 : gh_signal_from_name(name);
	if (sig < 0)
		return gh_err(err, errlen, -EINVAL,
			      "%s: unknown signal \"%s\" (a name like SIGKILL or a number)",
			      what, text);
	snprintf(out, outlen, "%d", sig);
	return 0;
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
	char number[16];

	if (!strcmp(type, "signal")) {
		int ret = signal_number_text(what, text, number, sizeof(number), err, errlen);

		if (ret)
			return ret;
		type = "uint";
		text = number;
	}
	if (!strcmp(type, "duration")) {
		uint64_t ns;

		if (parse_duration_ns(text, &ns))
			return gh_err(err, errlen, -EINVAL,
				      "%s: \"%s\" is not a duration (milliseconds, or a number with "
				      "ns, us, ms, s, m or h)", what, text);
		if (size != sizeof(ns))
			return gh_err(err, errlen, -EINVAL,
				      "%s: a duration needs a 64-bit global", what);
		memcpy(dst, &ns, size);
		return 0;
	}

	if (!strcmp(type, "bool")) {
		bool b;

		if (parse_bool(text, &b))
			return gh_err(err, errlen, -EINVAL,
				      "%s: \"%s\" is not a boolean (true/false)", what,
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
				return gh_err(err, errlen, -EINVAL,
					      "%s: \"%s\" must not be negative", what, text);
			u = strtoull(text, &end, 0);
		}
		if (errno || end == text || *end)
			return gh_err(err, errlen, -EINVAL,
				      "%s: \"%s\" is not an integer", what, text);
		if (size < 8) {
			unsigned bits = size * 8;
			bool fits = is_signed ? ((long long)u >= -(1LL << (bits - 1)) &&
						 (long long)u < (1LL << (bits - 1)))
					      : u < (1ULL << bits);
			if (!fits)
				return gh_err(err, errlen, -EINVAL,
					      "%s: %s does not fit in %zu bytes", what, text,
					      size);
		}
		memcpy(dst, &u, size); /* little endian: the low bytes */
		return 0;
	}
	if (!strcmp(type, "string")) {
		size_t len = strlen(text);

		if (len >= size)
			return gh_err(err, errlen, -EINVAL,
				      "%s: \"%s\" is longer than %zu bytes", what, text,
				      size - 1);
		memset(dst, 0, size);
		memcpy(dst, text, len);
		return 0;
	}
	if (!strcmp(type, "uint16list"))
		return encode_uint16_list(what, text, dst, size, err, errlen);
	return gh_err(err, errlen, -EINVAL,
		      "%s: unknown param type \"%s\" (bool, int, uint, string, "
		      "duration, uint16list, signal)", what, type);
}
