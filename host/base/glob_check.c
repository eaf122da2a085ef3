/* glob_check.c - a glob's syntax, as fnmatch(3) without flags reads it
 * (glob_check.h). */
#include "base/glob_check.h"

#include <string.h>

/* The end of the bracket expression opened at p[-1] ('['), or NULL: a
 * ']' right after "[" or "[!" / "[^" is a member, not the end. */
static const char *bracket_end(const char *p)
{
	if (*p == '!' || *p == '^')
		p++;
	if (*p == ']')
		p++;
	for (; *p; p++) {
		if (*p == '[' && (p[1] == ':' || p[1] == '.' || p[1] == '=')) {
			const char *close = strstr(p + 2, (char[]){p[1], ']', '\0'});

			if (!close)
				return NULL;
			p = close + 1;
			continue;
		}
		if (*p == ']')
			return p;
	}
	return NULL;
}

const char *gh_glob_problem(const char *glob)
{
	for (const char *p = glob; *p; p++) {
		if (*p == '\\') {
			if (!p[1])
				return "a \\ at the end escapes nothing";
			p++;
		} else if (*p == '[') {
			p = bracket_end(p + 1);
			if (!p)
				return "a [ that no ] closes";
		}
	}
	return NULL;
}
