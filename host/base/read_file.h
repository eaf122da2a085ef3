/* read_file.h - a whole small file into memory. */
#ifndef GH_READ_FILE_H
#define GH_READ_FILE_H

#include <stddef.h>

#define GH_READ_FILE_MAX (4u << 20) /* state and config files: 4 MiB at most */

/* *text gets the contents, NUL terminated (the caller frees it), *len
 * their length.  -EFBIG past max bytes; -errno of open/read otherwise.
 * Works for /proc files, whose size stat() does not know. */
int gh_read_file(const char *path, size_t max, char **text, size_t *len);
/* gh_read_file() of a regular file only: opened without blocking (a
 * FIFO's open would wait for a writer) and -EINVAL for anything else (a
 * FIFO, a device, a directory): for a path someone else named. */
int gh_read_regular_file(const char *path, size_t max, char **text, size_t *len);
/* The same from an open file descriptor, read to its end (not closed). */
int gh_read_fd(int fd, size_t max, char **text, size_t *len);

#endif
