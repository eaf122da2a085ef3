/* write_file.h - a small file written whole, or not at all. */
#ifndef GH_WRITE_FILE_H
#define GH_WRITE_FILE_H

#include <stddef.h>
#include <sys/types.h>

/* write(2) until len bytes are written (EINTR retried): 0 or -errno. */
int gh_write_all(int fd, const void *data, size_t len);
/* Write data to a new file beside path (mkstemp: O_EXCL), then rename it
 * over path.  Whatever stood at path (a file, a symbolic link planted to
 * make root truncate another file) is replaced, never written through;
 * readers see the old contents or the new, never a part.  sync: fsync
 * the file and its folder (state that must survive a crash).  0 or
 * -errno; nothing is left behind on failure. */
int gh_write_file_atomic(const char *path, const void *data, size_t len, mode_t mode, int sync);

/* A --ready-file: "ready\n" written whole (as above), or to descriptor N
 * when path is /dev/fd/N (a pipe the parent handed over). */
int gh_write_ready_file(const char *path);

#endif
