/* rotating_file.c - rows to a size-rotated file (rotating_file.h). */
#include "daemon/rotating_file.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/err.h"
#include "base/write_file.h"

#define DEFAULT_FILES 5
#define MAX_FILES 100
#define MIN_SIZE 4096

struct gh_rotating_file {
	char *path;
	int fd;
	uint64_t size, max_size;
	unsigned max_files;
};

static int open_path(struct gh_rotating_file *f)
{
	struct stat st;

	f->fd = open(f->path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (f->fd < 0)
		return -errno;
	if (fstat(f->fd, &st) || !S_ISREG(st.st_mode)) {
		close(f->fd);
		f->fd = -1;
		return -EINVAL;
	}
	f->size = (uint64_t)st.st_size;
	return 0;
}

int gh_rotating_file_open(struct gh_rotating_file **out, const char *path, uint64_t max_size,
			  unsigned max_files, char *err, size_t errlen)
{
	struct gh_rotating_file *f = calloc(1, sizeof(*f));
	int ret;

	*out = NULL;
	if (!f || !(f->path = strdup(path))) {
		free(f);
		return gh_err(err, errlen, -ENOMEM, "out of memory");
	}
	f->max_size = max_size;
	f->max_files = max_files;
	ret = open_path(f);
	if (ret) {
		gh_err(err, errlen, ret, "%s: %s", path, ret == -EINVAL ? "not a regular file" :
		       strerror(-ret));
		gh_rotating_file_close(f);
		return ret;
	}
	*out = f;
	return 0;
}

static void old_name(const struct gh_rotating_file *f, unsigned k, char *buf, size_t len)
{
	snprintf(buf, len, "%s.%u", f->path, k);
}

/* PATH.k -> PATH.k+1 down to PATH -> PATH.1, the oldest removed. */
static int rotate(struct gh_rotating_file *f)
{
	char from[4096], to[4096];

	close(f->fd);
	f->fd = -1;
	old_name(f, f->max_files, to, sizeof(to));
	unlink(to);
	for (unsigned k = f->max_files; k > 1; k--) {
		old_name(f, k - 1, from, sizeof(from));
		old_name(f, k, to, sizeof(to));
		rename(from, to);
	}
	if (f->max_files) {
		old_name(f, 1, to, sizeof(to));
		rename(f->path, to);
	} else {
		unlink(f->path);
	}
	return open_path(f);
}

int gh_rotating_file_write(struct gh_rotating_file *f, const char *row, size_t len)
{
	int ret;

	if (f->size && f->size + len > f->max_size && (ret = rotate(f)))
		return ret;
	if (f->fd < 0 && (ret = open_path(f)))
		return ret;
	ret = gh_write_all(f->fd, row, len);
	if (!ret)
		f->size += len;
	return ret;
}

void gh_rotating_file_close(struct gh_rotating_file *f)
{
	if (!f)
		return;
	if (f->fd >= 0)
		close(f->fd);
	free(f->path);
	free(f);
}

/* The last whole rows of one file, at most *rows and *bytes, put before
 * what b holds; *rows and *bytes less what was taken.  *whole: every row
 * of the file was taken, so older ones may be wanted. */
static int tail_of(const char *path, size_t *rows, size_t *bytes, struct gh_buf *b, bool *whole)
{
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	struct gh_buf t = GH_BUF_INIT;
	size_t len, start, end, n = 0;
	struct stat st;
	off_t from;
	int ret;

	*whole = false; /* a file missing: rotation renames in order, none is older */
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		close(fd);
		return -EINVAL;
	}
	from = (uint64_t)st.st_size > *bytes ? st.st_size - (off_t)*bytes : 0;
	len = (size_t)(st.st_size - from);
	ret = gh_buf_reserve(&t, len + 1);
	for (size_t got = 0; !ret && got < len;) {
		ssize_t r = pread(fd, t.p + got, len - got, from + (off_t)got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			len = got; /* the file shrank: what was read */
		else
			got += (size_t)r;
	}
	close(fd);
	/* whole rows: up to the last newline, then back row by row; a row
	 * cut by the byte budget is not one */
	for (end = len; end && t.p[end - 1] != '\n'; end--)
		;
	for (start = end; !ret && start && n < *rows; n++) {
		size_t s = start - 1;

		while (s && t.p[s - 1] != '\n')
			s--;
		if (!s && from)
			break;
		start = s;
	}
	*whole = !from && !start;
	if (!ret && end > start)
		ret = gh_buf_reserve(b, end - start);
	if (!ret && end > start) {
		memmove(b->p + (end - start), b->p, b->len);
		memcpy(b->p, t.p + start, end - start);
		b->len += end - start;
		*rows -= n;
		*bytes -= end - start;
	}
	gh_buf_free(&t);
	return ret;
}

int gh_rotating_file_tail(const char *path, unsigned max_files, size_t max_rows,
			  size_t max_bytes, struct gh_buf *b)
{
	struct gh_buf rows = GH_BUF_INIT;
	char name[4096];
	bool whole = true;
	int ret = 0;

	/* PATH, then PATH.1, ...: each older than the one before */
	for (unsigned k = 0; !ret && whole && k <= max_files && max_rows && max_bytes; k++) {
		if (k)
			snprintf(name, sizeof(name), "%s.%u", path, k);
		ret = tail_of(k ? name : path, &max_rows, &max_bytes, &rows, &whole);
	}
	if (!ret)
		ret = gh_buf_append(b, rows.p, rows.len);
	gh_buf_free(&rows);
	return ret;
}

int gh_rotating_file_spec(const char *text, uint64_t *max_size, unsigned *max_files, char *err,
			  size_t errlen)
{
	unsigned long long v, count = DEFAULT_FILES;
	uint64_t scale = 1;
	char *end;

	errno = 0;
	v = strtoull(text, &end, 10);
	if (end == text || errno || text[0] == '-')
		goto bad;
	if (*end == 'K' || *end == 'k')
		scale = 1024, end++;
	else if (*end == 'M' || *end == 'm')
		scale = 1024 * 1024, end++;
	else if (*end == 'G' || *end == 'g')
		scale = 1024ULL * 1024 * 1024, end++;
	if (*end == ',') {
		char *cend;

		errno = 0;
		count = strtoull(end + 1, &cend, 10);
		if (cend == end + 1 || *cend || errno || end[1] == '-' || count > MAX_FILES)
			goto bad;
		end = cend;
	}
	if (*end || v > UINT64_MAX / scale || v * scale < MIN_SIZE)
		goto bad;
	*max_size = v * scale;
	*max_files = (unsigned)count;
	return 0;
bad:
	return gh_err(err, errlen, -EINVAL, "rotate: \"%.64s\" is not SIZE[,COUNT] (a size of at "
		      "least 4K, with K, M or G; 0 to %d old files; e.g. 10M,5)", text, MAX_FILES);
}
