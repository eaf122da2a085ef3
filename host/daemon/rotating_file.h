/* rotating_file.h - rows appended to a file that is rotated by size:
 * past max_size bytes, PATH becomes PATH.1 (PATH.1 becomes PATH.2, ...)
 * and a new PATH is started; at most max_files old ones are kept, the
 * oldest removed.  So the rows of an instance take at most
 * (max_files + 1) * max_size bytes of the node's disk.
 *
 * The file is opened O_APPEND | O_NOFOLLOW, mode 0600: a link planted at
 * PATH is not written through.  Writes are whole rows, never cut. */
#ifndef GH_ROTATING_FILE_H
#define GH_ROTATING_FILE_H

#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"

struct gh_rotating_file;

/* 0, or -errno with err naming the file. */
int gh_rotating_file_open(struct gh_rotating_file **out, const char *path, uint64_t max_size,
			  unsigned max_files, char *err, size_t errlen);
/* Append one row, rotating first when it would pass max_size: 0 or -errno. */
int gh_rotating_file_write(struct gh_rotating_file *f, const char *row, size_t len);
void gh_rotating_file_close(struct gh_rotating_file *f);

/* The newest whole rows of PATH and its old files (PATH.1, ... PATH.max_files),
 * at most max_rows of them and max_bytes, oldest first, appended to b: what
 * a restarted daemon replays.  The first file missing ends them.  0 or
 * -errno. */
int gh_rotating_file_tail(const char *path, unsigned max_files, size_t max_rows,
			  size_t max_bytes, struct gh_buf *b);

/* "SIZE[,COUNT]" (10M,5; SIZE in bytes with K, M, G): 0, or -EINVAL
 * with err saying why. */
int gh_rotating_file_spec(const char *text, uint64_t *max_size, unsigned *max_files, char *err,
			  size_t errlen);

#endif
