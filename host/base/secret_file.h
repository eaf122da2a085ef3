/* secret_file.h - files that hold a secret (a bearer token, a private
 * key): read only when no one but their owner may read them.
 *
 * A secret file must be a regular file without any group or other
 * permission (mode 0600 or 0400); anything else is refused with one line
 * that says how to mend it.  The mode is checked on the opened file
 * (fstat), so a rename in between cannot slip another file in. */
#ifndef GH_SECRET_FILE_H
#define GH_SECRET_FILE_H

#include <stddef.h>

/* The whole file into *text (NUL terminated, the caller frees it), at
 * most max bytes.  0, or -errno with err saying why (-EPERM: the mode). */
int gh_read_secret_file(const char *path, size_t max, char **text, size_t *len, char *err,
			size_t errlen);
/* A token file: one line, its trailing newline and spaces cut, at least
 * min_len characters.  0, or -errno with err saying why. */
int gh_read_token_file(const char *path, size_t min_len, char **token, char *err,
		       size_t errlen);

#endif
