/* remote_client.c - requests to a gadgethost daemon. */
#include "remote_client.h"

#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "read_file.h"

static int connect_unix(const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd, ret;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		snprintf(err, errlen, "unix://%s: the path is too long", path);
		return -ENAMETOOLONG;
	}
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		ret = -errno;
		snprintf(err, errlen, "unix://%s: connect: %s%s", path, strerror(errno),
			 errno == EACCES ? " (the daemon's socket is root's only)" :
			 errno == ENOENT ? " (is gadgethost daemon running?)" : "");
		close(fd);
		return ret;
	}
	return fd;
}

static int connect_tcp(const char *hostport, char *err, size_t errlen)
{
	char host[256], port[16];
	const char *colon = strrchr(hostport, ':');
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res = NULL, *ai;
	int fd = -1, ret, saved = ECONNREFUSED;

	if (!colon || colon == hostport || !colon[1] || strlen(colon + 1) >= sizeof(port)) {
		snprintf(err, errlen, "tcp://%s: HOST:PORT expected", hostport);
		return -EINVAL;
	}
	if (hostport[0] == '[' && colon[-1] == ']')
		snprintf(host, sizeof(host), "%.*s", (int)(colon - hostport - 2), hostport + 1);
	else
		snprintf(host, sizeof(host), "%.*s", (int)(colon - hostport), hostport);
	snprintf(port, sizeof(port), "%s", colon + 1);
	ret = getaddrinfo(host, port, &hints, &res);
	if (ret) {
		snprintf(err, errlen, "tcp://%s: %s", hostport, gai_strerror(ret));
		return -EHOSTUNREACH;
	}
	for (ai = res; ai; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
		if (fd < 0)
			continue;
		if (!connect(fd, ai->ai_addr, ai->ai_addrlen))
			break;
		saved = errno;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0) {
		snprintf(err, errlen, "tcp://%s: connect: %s", hostport, strerror(saved));
		return -saved;
	}
	return fd;
}

static int connect_url(const char *url, char *err, size_t errlen)
{
	if (!strncmp(url, "unix://", 7))
		return connect_unix(url + 7, err, errlen);
	if (!strncmp(url, "tcp://", 6))
		return connect_tcp(url + 6, err, errlen);
	snprintf(err, errlen, "%s: unix:///PATH or tcp://HOST:PORT expected", url);
	return -EINVAL;
}

int gh_remote_token(const char *url, const char *token_file, char **token)
{
	const char *env = getenv("GADGETHOST_TOKEN");
	size_t len = 0;
	int ret;

	*token = NULL;
	if (strncmp(url, "tcp://", 6))
		return 0;
	if (!token_file && env && *env) {
		*token = strdup(env);
		return *token ? 0 : 1;
	}
	if (!token_file) {
		fprintf(stderr, "gadgethost: %s: a TCP daemon needs its token: --token-file FILE "
				"or $GADGETHOST_TOKEN\n", url);
		return 1;
	}
	ret = gh_read_file(token_file, 4096, token, &len);
	if (ret) {
		fprintf(stderr, "gadgethost: --token-file %s: %s\n", token_file, strerror(-ret));
		return 1;
	}
	while (len && ((*token)[len - 1] == '\n' || (*token)[len - 1] == '\r' ||
		       (*token)[len - 1] == ' '))
		(*token)[--len] = '\0';
	return 0;
}

static int write_all(int fd, const char *p, size_t len)
{
	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -errno;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* ---- the answer ---- */

static struct gh_remote *of(http_parser *p)
{
	return p->data;
}

static int on_header_field(http_parser *p, const char *at, size_t len)
{
	struct gh_remote *r = of(p);

	if (r->in_value) {
		gh_buf_reset(&r->field);
		r->in_value = false;
	}
	return gh_buf_append(&r->field, at, len) ? -1 : 0;
}

static int on_header_value(http_parser *p, const char *at, size_t len)
{
	struct gh_remote *r = of(p);

	if (!r->in_value) {
		r->in_value = true;
		r->is_run_header = r->field.p && !strcasecmp(r->field.p, "x-gadgethost-run");
	}
	if (r->is_run_header && r->run_header.len < 32)
		return gh_buf_append(&r->run_header, at, len) ? -1 : 0;
	return 0;
}

static int on_headers_complete(http_parser *p)
{
	struct gh_remote *r = of(p);

	r->status = p->status_code;
	r->headers_done = true;
	if (r->run_header.p)
		r->run_id = strtoull(r->run_header.p, NULL, 10);
	return 0;
}

static int on_body(http_parser *p, const char *at, size_t len)
{
	struct gh_remote *r = of(p);

	if (r->status / 100 == 2 && r->on_body) {
		r->on_body(r->ctx, at, len);
		return 0;
	}
	if (r->status / 100 != 2 && r->err_body.len < 65536)
		gh_buf_append(&r->err_body, at, len);
	return 0;
}

static int on_message_complete(http_parser *p)
{
	of(p)->complete = true;
	return 0;
}

static const http_parser_settings settings = {
	.on_header_field = on_header_field,
	.on_header_value = on_header_value,
	.on_headers_complete = on_headers_complete,
	.on_body = on_body,
	.on_message_complete = on_message_complete,
};

int gh_remote_request(struct gh_remote *r, const char *url, const char *token,
		      const char *method, const char *path, const char *body, size_t len,
		      char *err, size_t errlen)
{
	struct gh_buf req = GH_BUF_INIT;
	void (*cb)(void *, const char *, size_t) = r->on_body;
	void *ctx = r->ctx;
	int ret;

	memset(r, 0, sizeof(*r));
	r->on_body = cb;
	r->ctx = ctx;
	r->fd = connect_url(url, err, errlen);
	if (r->fd < 0)
		return r->fd;
	http_parser_init(&r->parser, HTTP_RESPONSE);
	r->parser.data = r;
	ret = gh_buf_printf(&req, "%s %s HTTP/1.1\r\nHost: gadgethost\r\nUser-Agent: gadgethost\r\n"
			    "Connection: close\r\n", method, path);
	if (!ret && token)
		ret = gh_buf_printf(&req, "Authorization: Bearer %s\r\n", token);
	if (!ret && body)
		ret = gh_buf_printf(&req, "Content-Type: application/json\r\nContent-Length: %zu"
				    "\r\n", len);
	if (!ret)
		ret = gh_buf_puts(&req, "\r\n");
	if (!ret && body)
		ret = gh_buf_append(&req, body, len);
	if (!ret)
		ret = write_all(r->fd, req.p, req.len);
	if (ret)
		snprintf(err, errlen, "%s: sending the request: %s", url, strerror(-ret));
	gh_buf_free(&req);
	return ret;
}

int gh_remote_read(struct gh_remote *r)
{
	char buf[65536];
	ssize_t n = read(r->fd, buf, sizeof(buf));
	size_t done;

	if (n < 0)
		return errno == EAGAIN ? 0 : -errno;
	done = http_parser_execute(&r->parser, &settings, buf, (size_t)n);
	if (HTTP_PARSER_ERRNO(&r->parser) != HPE_OK || done != (size_t)n)
		return -EPROTO;
	if (r->complete)
		return 1;
	return n == 0 ? -ECONNRESET : 0;
}

int gh_remote_wait(struct gh_remote *r)
{
	int ret;

	do
		ret = gh_remote_read(r);
	while (ret == 0 || ret == -EINTR);
	return ret < 0 ? ret : 0;
}

void gh_remote_close(struct gh_remote *r)
{
	if (r->fd >= 0)
		close(r->fd);
	r->fd = -1;
	gh_buf_free(&r->err_body);
	gh_buf_free(&r->field);
	gh_buf_free(&r->run_header);
}

static void keep_body(void *ctx, const char *data, size_t len)
{
	struct gh_buf *out = ctx;

	if (out)
		gh_buf_append(out, data, len);
}

int gh_remote_simple(const char *url, const char *token, const char *method, const char *path,
		     struct gh_buf *out, char *err, size_t errlen)
{
	struct gh_remote r = {.on_body = keep_body, .ctx = out};
	int ret = gh_remote_request(&r, url, token, method, path, NULL, 0, err, errlen);

	if (!ret) {
		ret = gh_remote_wait(&r);
		if (ret)
			snprintf(err, errlen, "%s: reading the answer: %s", url, strerror(-ret));
	}
	if (!ret) {
		ret = r.status;
		if (r.status / 100 != 2 && out)
			gh_buf_append(out, r.err_body.p ? r.err_body.p : "", r.err_body.len);
	}
	gh_remote_close(&r);
	return ret;
}
