/* docker_api.c - one request to the Docker Engine API (see docker_api.h).
 *
 * HTTP/1.0, so the body comes whole (no chunked encoding) and the end of
 * the connection ends it. */
#include "containers/docker_api.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/json.h"
#include "base/unix_socket.h"

#define REPLY_MAX (1u << 20)

/* The whole reply, NUL terminated. */
static int request(const char *socket_path, const char *req, char **reply, size_t *len)
{
	size_t cap = 8192, n = 0, reqlen = strlen(req);
	char *buf;
	int fd = gh_unix_connect(socket_path, 1000), ret = 0;

	if (fd < 0)
		return fd;
	if (write(fd, req, reqlen) != (ssize_t)reqlen) {
		close(fd);
		return -EIO;
	}
	buf = malloc(cap + 1);
	while (buf) {
		ssize_t r;

		if (n == cap) {
			char *grown = cap < REPLY_MAX ? realloc(buf, cap * 2 + 1) : NULL;

			if (!grown) {
				ret = cap < REPLY_MAX ? -ENOMEM : -EFBIG;
				break;
			}
			buf = grown;
			cap *= 2;
		}
		r = read(fd, buf + n, cap - n);
		if (r < 0) {
			ret = errno == EAGAIN ? -ETIMEDOUT : -errno;
			break;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	if (!buf)
		return -ENOMEM;
	if (ret) {
		free(buf);
		return ret;
	}
	buf[n] = '\0';
	*reply = buf;
	*len = n;
	return 0;
}

int gh_docker_inspect(const char *socket_path, const char *id, char **name, char **image)
{
	char req[512], *reply = NULL, err[128];
	const char *body, *n, *img;
	struct gh_json *j = NULL;
	size_t len;
	int status = 0, ret;

	*name = *image = NULL;
	for (const char *p = id; *p; p++)
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'z') ||
		      (*p >= 'A' && *p <= 'Z') || *p == '_' || *p == '-' || *p == '.'))
			return -EINVAL;
	if ((size_t)snprintf(req, sizeof(req), "GET /containers/%s/json HTTP/1.0\r\n\r\n", id) >=
	    sizeof(req))
		return -ENAMETOOLONG;
	ret = request(socket_path ? socket_path : GH_DOCKER_SOCKET, req, &reply, &len);
	if (ret)
		return ret;
	body = strstr(reply, "\r\n\r\n");
	if (sscanf(reply, "HTTP/1.%*d %d", &status) != 1 || !body) {
		free(reply);
		return -EPROTO;
	}
	if (status == 404) {
		free(reply);
		return -ENOENT;
	}
	body += 4;
	ret = status == 200 ? gh_json_parse(body, len - (size_t)(body - reply), &j, err, sizeof(err))
			    : -EPROTO;
	free(reply);
	if (ret)
		return ret;
	n = gh_json_str(gh_json_get(j, "Name"));
	img = gh_json_str(gh_json_path(j, "Config.Image"));
	if (n && *n == '/')
		n++;
	if (!n || !*n) {
		gh_json_free(j);
		return -EPROTO;
	}
	*name = strdup(n);
	*image = img ? strdup(img) : NULL;
	gh_json_free(j);
	if (!*name || (img && !*image)) {
		free(*name);
		free(*image);
		*name = *image = NULL;
		return -ENOMEM;
	}
	return 0;
}
