/* daemon_traceloop.c - GET/DELETE /v1/traceloop[/NAME]: a traceloop
 * recorder's rings, served by the node service.  The recorder is a
 * separate process (gadgethost traceloop start) that answers one-line
 * requests on a local socket in a few milliseconds (a full 4096-record
 * ring: ~30 ms), so the daemon asks it synchronously. */
#include "daemon_traceloop.h"

#include <errno.h>
#include <string.h>

#include "buf.h"
#include "traceloop_client.h"

#define PREFIX "/v1/traceloop"

static void respond_buf(struct gh_http_conn *c, int status, const char *type, struct gh_buf *b)
{
	gh_http_respond(c, status, type, b->p ? b->p : "", b->len);
	gh_buf_free(b);
}

/* an error of the client call: no recorder (503), or its answer (code) */
static void respond_err(struct gh_http_conn *c, int ret, int code, const char *err)
{
	struct gh_buf b = GH_BUF_INIT;

	gh_buf_printf(&b, "gadgethost: traceloop: %s\n", err);
	respond_buf(c, ret == -EREMOTEIO ? code : ret == -ENOMEM ? 500 : 503, NULL, &b);
}

static void list(struct gh_http_conn *c, const struct gh_http_request *req, const char *path)
{
	bool columns = req->query && strstr(req->query, "o=columns");
	struct gh_traceloop_entry *e = NULL;
	struct gh_buf b = GH_BUF_INIT;
	size_t n = 0;
	char err[1024];
	int ret = gh_traceloop_client_list(path, &e, &n, err, sizeof(err));

	if (ret) {
		respond_err(c, ret, 502, err);
		return;
	}
	gh_traceloop_format_list(e, n, !columns, &b);
	gh_traceloop_entries_free(e, n);
	respond_buf(c, 200, columns ? "text/plain; charset=utf-8" : "application/x-ndjson", &b);
}

static void one(struct gh_http_conn *c, const struct gh_http_request *req, const char *path,
		const char *name)
{
	struct gh_buf b = GH_BUF_INIT;
	char err[1024];
	int ret;

	if (!*name || strpbrk(name, " \t\r\n/")) {
		gh_buf_printf(&b, "gadgethost: %s: a container name or id is expected\n",
			      req->path);
		respond_buf(c, 400, NULL, &b);
		return;
	}
	if (req->method == HTTP_GET) {
		ret = gh_traceloop_client_dump(path, name, &b, err, sizeof(err));
		if (ret) {
			gh_buf_free(&b);
			respond_err(c, ret, 404, err);
			return;
		}
		respond_buf(c, 200, "text/plain; charset=utf-8", &b);
		return;
	}
	ret = gh_traceloop_client_delete(path, name, err, sizeof(err));
	if (ret)
		respond_err(c, ret, 409, err);
	else
		gh_http_respond(c, 204, NULL, "", 0);
}

bool gh_daemon_traceloop(struct gh_http_conn *c, const struct gh_http_request *req,
			 const char *socket_path)
{
	const char *rest;

	if (strncmp(req->path, PREFIX, strlen(PREFIX)))
		return false;
	rest = req->path + strlen(PREFIX);
	if (*rest && *rest != '/')
		return false;
	if (!*rest && req->method == HTTP_GET)
		list(c, req, socket_path);
	else if (*rest && (req->method == HTTP_GET || req->method == HTTP_DELETE))
		one(c, req, socket_path, rest + 1);
	else
		gh_http_respond(c, 405, NULL, "gadgethost: method not allowed here\n", 36);
	return true;
}
