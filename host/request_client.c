/* request_client.c - one request to a request_server.h socket. */
#include "request_client.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "unix_socket.h"

static int write_all(int fd, const char *p, size_t len)
{
	while (len) {
		ssize_t w = write(fd, p, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

int gh_request(const char *path, const char *line, struct gh_buf *body, int timeout_ms,
	       char *err, size_t errlen)
{
	struct gh_buf in = GH_BUF_INIT;
	char *nl;
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
	ret = write_all(fd, line, strlen(line));
	if (!ret)
		ret = write_all(fd, "\n", 1);
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
	nl = in.p ? memchr(in.p, '\n', in.len) : NULL;
	if (!nl) {
		snprintf(err, errlen, "%s: no answer", path);
		ret = -EPROTO;
	} else if (!strncmp(in.p, "ok\n", 3)) {
		ret = gh_buf_append(body, nl + 1, in.len - (size_t)(nl + 1 - in.p));
	} else {
		*nl = '\0';
		snprintf(err, errlen, "%s", !strncmp(in.p, "error: ", 7) ? in.p + 7 : in.p);
		ret = -EREMOTEIO;
	}
	gh_buf_free(&in);
	return ret;
}
