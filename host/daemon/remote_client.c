/* remote_client.c - requests to a gadgethost daemon. */
#include "daemon/remote_client.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "base/err.h"
#include "base/secret_file.h"
#include "base/write_file.h"
#include "daemon/tcp_addr.h"

#define TLS_HANDSHAKE_MS 10000

/* The TLS client context of this process (gh_remote_tls_setup), made at
 * the first tls:// URL when not set up. */
static struct gh_tls_ctx *tls_ctx;

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

/* A TCP connection to HOST:PORT; plain (tls false): to a loopback
 * address only.  host gets the host part, for the TLS name check. */
static int connect_tcp(const char *url, bool tls, char *host, size_t hlen, char *err,
		       size_t errlen)
{
	const char *hostport = url + 6;
	char port[16];
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res = NULL, *ai;
	int fd = -1, ret, saved = ECONNREFUSED, portnum, one = 1;

	if (gh_tcp_split(hostport, host, hlen, &portnum)) {
		snprintf(err, errlen, "%s: HOST:PORT expected", url);
		return -EINVAL;
	}
	snprintf(port, sizeof(port), "%d", portnum);
	ret = getaddrinfo(host, port, &hints, &res);
	if (ret) {
		snprintf(err, errlen, "%s: %s", url, gai_strerror(ret));
		return -EHOSTUNREACH;
	}
	for (ai = res; ai; ai = ai->ai_next) {
		if (!tls && !gh_sockaddr_is_loopback(ai->ai_addr)) {
			saved = EPERM;
			continue;
		}
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
		if (fd < 0)
			continue;
		if (!connect(fd, ai->ai_addr, ai->ai_addrlen)) {
			/* the request goes in pieces (TLS records): none waits for an ACK */
			setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
			break;
		}
		saved = errno;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0 && saved == EPERM)
		return gh_err(err, errlen, -EPERM, "%s: plain TCP goes to a loopback address only "
			      "(the token would cross the network in clear): use tls://%s", url,
			      hostport);
	if (fd < 0) {
		snprintf(err, errlen, "%s: connect: %s", url, strerror(saved));
		return -saved;
	}
	return fd;
}

int gh_remote_tls_setup(const struct gh_tls_client_opts *o, char *err, size_t errlen)
{
	gh_remote_tls_cleanup();
	return gh_tls_client_ctx(&tls_ctx, o, err, errlen);
}

void gh_remote_tls_cleanup(void)
{
	gh_tls_ctx_free(tls_ctx);
	tls_ctx = NULL;
}

/* Connect r to url (and shake hands on tls://). */
static int connect_url(struct gh_remote *r, const char *url, char *err, size_t errlen)
{
	static const struct gh_tls_client_opts defaults = {0};
	bool tls = !strncmp(url, "tls://", 6);
	char host[256], why[256];
	int ret;

	if (!strncmp(url, "unix://", 7))
		return r->fd = connect_unix(url + 7, err, errlen);
	if (strncmp(url, "tcp://", 6) && !tls)
		return gh_err(err, errlen, -EINVAL, "%s: unix:///PATH, tls://HOST:PORT or "
			      "tcp://HOST:PORT expected", url);
	r->fd = connect_tcp(url, tls, host, sizeof(host), err, errlen);
	if (r->fd < 0 || !tls)
		return r->fd;
	if (!tls_ctx && (ret = gh_tls_client_ctx(&tls_ctx, &defaults, why, sizeof(why))))
		return gh_err(err, errlen, ret, "%s: TLS: %s", url, why);
	ret = gh_tls_client_connect(&r->tls, tls_ctx, r->fd, host, TLS_HANDSHAKE_MS, why,
				    sizeof(why));
	if (ret)
		return gh_err(err, errlen, ret, "%s: %s", url, why);
	return 0;
}

int gh_remote_token(const char *url, const char *token_file, char **token, char *err,
		    size_t errlen)
{
	const char *env = getenv("GADGETHOST_TOKEN");
	char why[256];
	int ret;

	*token = NULL;
	if (strncmp(url, "tcp://", 6) && strncmp(url, "tls://", 6))
		return 0;
	if (!token_file && env && *env) {
		*token = strdup(env);
		return *token ? 0 : gh_err(err, errlen, -ENOMEM, "out of memory");
	}
	if (!token_file)
		return gh_err(err, errlen, -ENOENT, "%s: a TCP daemon needs its token: "
			      "--token-file FILE or $GADGETHOST_TOKEN", url);
	ret = gh_read_token_file(token_file, 1, token, why, sizeof(why));
	if (ret)
		return gh_err(err, errlen, ret, "--token-file %s: %s", token_file, why);
	return 0;
}

/* The request out, through TLS or not. */
static int send_all(struct gh_remote *r, const char *p, size_t len)
{
	if (r->tls)
		return gh_tls_client_write(r->tls, p, len);
	return gh_write_all(r->fd, p, len);
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
	r->fd = -1;
	ret = connect_url(r, url, err, errlen);
	if (ret < 0)
		return ret;
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
		ret = send_all(r, req.p, req.len);
	if (ret)
		snprintf(err, errlen, "%s: sending the request: %s", url,
			 r->tls && gh_tls_client_error(r->tls) ? gh_tls_client_error(r->tls) :
			 strerror(-ret));
	gh_buf_free(&req);
	return ret;
}

/* Read once from the socket, or from the TLS session. */
static ssize_t read_some(struct gh_remote *r, char *buf, size_t len)
{
	ssize_t n;

	if (!r->tls) {
		n = read(r->fd, buf, len);
		return n < 0 ? -errno : n;
	}
	n = gh_tls_client_read(r->tls, buf, len);
	if (n == -EPROTO && gh_tls_client_error(r->tls))
		snprintf(r->tls_error, sizeof(r->tls_error), "TLS: %s",
			 gh_tls_client_error(r->tls));
	return n;
}

int gh_remote_read(struct gh_remote *r)
{
	char buf[65536];
	size_t done;

	/* what TLS decrypted already is not seen by poll(): take it all */
	do {
		ssize_t n = read_some(r, buf, sizeof(buf));

		if (n < 0)
			return n == -EAGAIN ? 0 : (int)n;
		done = http_parser_execute(&r->parser, &settings, buf, (size_t)n);
		if (HTTP_PARSER_ERRNO(&r->parser) != HPE_OK || done != (size_t)n)
			return -EPROTO;
		if (r->complete)
			return 1;
		if (n == 0)
			return -ECONNRESET;
	} while (r->tls && gh_tls_client_pending(r->tls));
	return 0;
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
	gh_tls_client_free(r->tls);
	r->tls = NULL;
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
			snprintf(err, errlen, "%s: reading the answer: %s", url,
				 r.tls_error[0] ? r.tls_error : strerror(-ret));
	}
	if (!ret) {
		ret = r.status;
		if (r.status / 100 != 2 && out)
			gh_buf_append(out, r.err_body.p ? r.err_body.p : "", r.err_body.len);
	}
	gh_remote_close(&r);
	return ret;
}
