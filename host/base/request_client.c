/* request_client.c - one request to a request_server.h socket. */
#include "base/request_client.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/err.h"
#include "base/unix_socket.h"
#include "base/write_file.h"

int gh_request(const char *path, const char *line, struct gh_buf *body, int timeout_ms,
	       char *err, size_t errlen)
{
	struct gh_buf in = GH_BUF_INIT;
	int fd, ret;

	if (strchr(line, '\n')) {
		snprintf(err, errlen, "a request is one line");
		return -EINVAL;
	}
	fd = gh_unix_connect(path, timeout_ms);
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(-fd));
		return fd;
	}
	ret = gh_write_all(fd, line, strlen(line));
	if (!ret)
		ret = gh_write_all(fd, "\n", 1);
	while (!ret) {
		ssize_t r;

		if (gh_buf_reserve(&in, 65536)) {
			ret = -ENOMEM;
			break;
		}
		r = read(fd, in.p + in.len, 65536);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			ret = -errno;
		if (r <= 0)
			break;
		in.len += (size_t)r;
		in.p[in.len] = '\0';
	}
	close(fd);
	if (ret) {
		snprintf(err, errlen, "%s: %s", path,
			 ret == -EAGAIN ? "no answer in time" : strerror(-ret));
		gh_buf_free(&in);
		return ret;
	}
	ret = gh_request_answer(path, in.p, in.len, body, err, errlen);
	gh_buf_free(&in);
	return ret;
}

int gh_request_answer(const char *path, const char *in, size_t len, struct gh_buf *body,
		      char *err, size_t errlen)
{
	const char *nl = in ? memchr(in, '\n', len) : NULL;

	if (!nl)
		return gh_err(err, errlen, -EPROTO, "%s: no answer", path);
	if (!strncmp(in, "ok\n", 3))
		return gh_buf_append(body, nl + 1, len - (size_t)(nl + 1 - in));
	if (!strncmp(in, "error: ", 7))
		in += 7;
	return gh_err(err, errlen, -EREMOTEIO, "%.*s", (int)(nl - in), in);
}
