/* write_file.c - a small file written whole, or not at all (write_file.h). */
#include "base/write_file.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int gh_write_all(int fd, const void *data, size_t len)
{
	const char *p = data;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int sync_dir_of(const char *path)
{
	char copy[PATH_MAX];
	int fd, ret = 0;

	snprintf(copy, sizeof(copy), "%s", path);
	fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fsync(fd))
		ret = -errno;
	close(fd);
	return ret;
}

int gh_write_file_atomic(const char *path, const void *data, size_t len, mode_t mode, int sync)
{
	char tmp[PATH_MAX];
	int fd, ret;

	if (snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = gh_write_all(fd, data, len);
	if (!ret && fchmod(fd, mode))
		ret = -errno;
	if (!ret && sync && fsync(fd))
		ret = -errno;
	if (close(fd) && !ret)
		ret = -errno;
	if (!ret && rename(tmp, path))
		ret = -errno;
	if (ret) {
		unlink(tmp);
		return ret;
	}
	return sync ? sync_dir_of(path) : 0;
}

int gh_write_ready_file(const char *path)
{
	char *end;
	long fd;

	if (!strncmp(path, "/dev/fd/", 8)) {
		errno = 0;
		fd = strtol(path + 8, &end, 10);
		if (errno || end == path + 8 || *end || fd < 3 || fd > INT_MAX)
			return -EINVAL;
		return write((int)fd, "ready\n", 6) == 6 ? 0 : -errno;
	}
	/* a new file renamed over path: a symbolic link planted there is
	 * replaced, its target never opened */
	return gh_write_file_atomic(path, "ready\n", 6, 0644, 0);
}
