/* params.h - writing the user's settings into an object's .rodata. */
#ifndef GH_PARAMS_H
#define GH_PARAMS_H

#include <stddef.h>

#include "gadget.h"

/* Parse text as a value of type ("bool", "int", "uint", "string", or
 * "uint16list": "80,443" into an array of __u16, 0 after the last) into
 * the size bytes at dst.  -EINVAL with a message naming what on error. */
int gh_param_encode(const char *what, const char *type, const char *text, void *dst, size_t size,
		    char *err, size_t errlen);

#endif
