/* secret_file.c - reading tokens and keys (see secret_file.h). */
#include "base/secret_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/err.h"
#include "base/read_file.h"

int gh_read_secret_file(const char *path, size_t max, char **text, size_t *len, char *err,
			size_t errlen)
{
	struct stat st;
	int fd, ret;

	*text = NULL;
	*len = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return gh_err(err, errlen, -errno, "%s", strerror(errno));
	if (fstat(fd, &st)) {
		ret = -errno;
		close(fd);
		return gh_err(err, errlen, ret, "%s", strerror(-ret));
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return gh_err(err, errlen, -EINVAL, "not a regular file");
	}
	if (st.st_mode & 077) {
		close(fd);
		return gh_err(err, errlen, -EPERM, "mode %04o lets others read a secret: it must "
			      "be 0600 (chmod 600 %s)", (unsigned)(st.st_mode & 07777), path);
	}
	ret = gh_read_fd(fd, max, text, len);
	close(fd);
	if (ret)
		return gh_err(err, errlen, ret, "%s", ret == -EFBIG ? "longer than expected" :
			      strerror(-ret));
	return 0;
}

int gh_read_token_file(const char *path, size_t min_len, char **token, char *err,
		       size_t errlen)
{
	char *text;
	size_t len;
	int ret = gh_read_secret_file(path, 4096, &text, &len, err, errlen);

	*token = NULL;
	if (ret)
		return ret;
	while (len && (text[len - 1] == '\n' || text[len - 1] == '\r' || text[len - 1] == ' '))
		text[--len] = '\0';
	if (len < (min_len ? min_len : 1) || strlen(text) != len || strpbrk(text, "\r\n")) {
		free(text);
		return gh_err(err, errlen, -EINVAL, "the token must be one line of at least %zu "
			      "characters", min_len ? min_len : 1);
	}
	*token = text;
	return 0;
}
