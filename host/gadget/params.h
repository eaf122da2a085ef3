/* params.h - writing the user's settings into an object's .rodata. */
#ifndef GH_PARAMS_H
#define GH_PARAMS_H

#include <stdbool.h>
#include <stddef.h>

/* Parse text as a value of type ("bool", "int", "uint", "string", or
 * "uint16list": "80,443" into an array of __u16, 0 after the last) into
 * the size bytes at dst.  -EINVAL with a message naming what on error. */
int gh_param_encode(const char *what, const char *type, const char *text, void *dst, size_t size,
		    char *err, size_t errlen);
/* Whether s is a bool param's value: true/false, yes/no, 1/0. */
bool gh_param_bool_word(const char *s);

#endif
