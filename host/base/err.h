/* err.h - errors as a negative errno plus one line of text.
 *
 * Library code never prints: a function that can fail returns 0 or
 * -errno, and when the caller gave it a buffer, says why in one line
 * there (no "gadgethost:" prefix, no newline).  Only host/cli prints.
 *
 *     if (!obj)
 *             return gh_err(err, errlen, -ENOENT, "%s: no such gadget", name);
 */
#ifndef GH_ERR_H
#define GH_ERR_H

#include <stddef.h>

/* Write the message into err (when err is not NULL and errlen > 0, cut to
 * fit) and return ret: a one-line `return gh_err(...)`. */
int gh_err(char *err, size_t errlen, int ret, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#endif
