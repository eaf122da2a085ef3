/* err.c - errors as a negative errno plus one line of text. */
#include "base/err.h"

#include <stdarg.h>
#include <stdio.h>

int gh_err(char *err, size_t errlen, int ret, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return ret;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return ret;
}
