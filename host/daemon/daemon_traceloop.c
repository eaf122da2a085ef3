/* daemon_traceloop.c - GET/DELETE /v1/traceloop[/NAME]: a traceloop
 * recorder's rings, served by the node service.  The recorder is another
 * process (gadgethost traceloop start); it usually answers in a few
 * milliseconds (a full 4096-record ring: ~30 ms), but a stopped or stuck
 * one must not stop the daemon: each request goes out on the loop with
 * one deadline and a cap on the answer. */
#include "daemon/daemon_traceloop.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/request_async.h"
#include "traceloop/traceloop_client.h"

#define PREFIX "/v1/traceloop"
#define DEADLINE_MS 5000
#define MAX_ANSWER (8u << 20)
#define MAX_WAITING 8

enum ask { ASK_LIST, ASK_DUMP, ASK_DELETE };

struct waiting {
	struct waiting *next;
	struct gh_daemon_traceloop *t;
	struct gh_http_conn *conn;
	struct gh_request_async *req;
	enum ask ask;
	bool columns;
};

struct gh_daemon_traceloop {
	uv_loop_t *loop;
	char *socket_path;
	struct waiting *waiting;
	unsigned n_waiting;
};

int gh_daemon_traceloop_new(struct gh_daemon_traceloop **out, uv_loop_t *loop,
			    const char *socket_path)
{
	struct gh_daemon_traceloop *t = calloc(1, sizeof(*t));

	*out = NULL;
	if (!t || !(t->socket_path = strdup(gh_traceloop_socket(socket_path)))) {
		free(t);
		return -ENOMEM;
	}
	t->loop = loop;
	*out = t;
	return 0;
}

static void respond_buf(struct gh_http_conn *c, int status, const char *type, struct gh_buf *b)
{
	gh_http_respond(c, status, type, b->p ? b->p : "", b->len);
	gh_buf_free(b);
}

/* an error of the request: no recorder (503), too slow (504), too much
 * (502), or its answer (code) */
static void respond_err(struct gh_http_conn *c, int ret, int code, const char *err)
{
	struct gh_buf b = GH_BUF_INIT;
	int status = ret == -EREMOTEIO ? code : ret == -ETIMEDOUT ? 504 :
		     ret == -EFBIG || ret == -EPROTO ? 502 : ret == -ENOMEM ? 500 : 503;

	gh_buf_printf(&b, "gadgethost: traceloop: %s\n", err);
	respond_buf(c, status, NULL, &b);
}

static void waiting_free(struct waiting *w)
{
	struct gh_daemon_traceloop *t = w->t;

	for (struct waiting **p = &t->waiting; *p; p = &(*p)->next) {
		if (*p == w) {
			*p = w->next;
			break;
		}
	}
	t->n_waiting--;
	free(w);
}

/* The client left before the recorder answered. */
static void on_conn_gone(void *ctx)
{
	struct waiting *w = ctx;

	gh_request_async_cancel(w->req);
	waiting_free(w);
}

static void on_answer(void *ctx, int ret, const struct gh_buf *body, const char *err)
{
	struct waiting *w = ctx;
	struct gh_http_conn *c = w->conn;
	struct gh_traceloop_entry *e = NULL;
	struct gh_buf b = GH_BUF_INIT;
	char why[1024];
	size_t n = 0;

	gh_http_conn_on_close(c, NULL, NULL);
	snprintf(why, sizeof(why), "%s", err);
	gh_traceloop_explain(w->t->socket_path, ret, why, sizeof(why));
	if (ret) {
		respond_err(c, ret, w->ask == ASK_DUMP ? 404 : w->ask == ASK_DELETE ? 409 : 502,
			    why);
	} else if (w->ask == ASK_DELETE) {
		gh_http_respond(c, 204, NULL, "", 0);
	} else if (w->ask == ASK_DUMP) {
		gh_http_respond(c, 200, "text/plain; charset=utf-8", body->p ? body->p : "",
				body->len);
	} else if (gh_traceloop_parse_list(body->p ? body->p : "", &e, &n)) {
		snprintf(why, sizeof(why), "%s: a list answer not understood", w->t->socket_path);
		respond_err(c, -EPROTO, 502, why);
	} else {
		gh_traceloop_format_list(e, n, !w->columns, &b);
		gh_traceloop_entries_free(e, n);
		respond_buf(c, 200, w->columns ? "text/plain; charset=utf-8" :
			    "application/x-ndjson", &b);
	}
	waiting_free(w);
}

static void ask(struct gh_daemon_traceloop *t, struct gh_http_conn *c, enum ask what,
		const char *name, bool columns)
{
	static const char *const verbs[] = {"list", "dump", "delete"};
	struct waiting *w;
	char line[1024], err[512];
	int ret = gh_traceloop_request_line(verbs[what], name, line, sizeof(line), err,
					    sizeof(err));

	if (ret) {
		respond_err(c, -EREMOTEIO, 400, err);
		return;
	}
	if (t->n_waiting >= MAX_WAITING) {
		respond_err(c, -EBUSY, 503, "busy: requests to the recorder wait already");
		return;
	}
	w = calloc(1, sizeof(*w));
	if (!w) {
		respond_err(c, -ENOMEM, 500, "out of memory");
		return;
	}
	w->t = t;
	w->conn = c;
	w->ask = what;
	w->columns = columns;
	ret = gh_request_async(&w->req, t->loop, t->socket_path, line, DEADLINE_MS, MAX_ANSWER,
			       on_answer, w);
	if (ret) {
		free(w);
		respond_err(c, ret, 500, strerror(-ret));
		return;
	}
	w->next = t->waiting;
	t->waiting = w;
	t->n_waiting++;
	gh_http_conn_on_close(c, on_conn_gone, w);
}

/* NAME or NAMESPACE/POD/NAME (the recorder judges the parts) */
static bool selector_shaped(const char *name)
{
	const char *a = strchr(name, '/'), *b = a ? strchr(a + 1, '/') : NULL;

	return !a || (b && !strchr(b + 1, '/') && b[1]);
}

bool gh_daemon_traceloop(struct gh_daemon_traceloop *t, struct gh_http_conn *c,
			 const struct gh_http_request *req)
{
	const char *rest;
	struct gh_buf b = GH_BUF_INIT;

	if (strncmp(req->path, PREFIX, strlen(PREFIX)))
		return false;
	rest = req->path + strlen(PREFIX);
	if (*rest && *rest != '/')
		return false;
	if (!*rest && req->method == HTTP_GET) {
		ask(t, c, ASK_LIST, NULL, req->query && strstr(req->query, "o=columns"));
	} else if (*rest && (req->method == HTTP_GET || req->method == HTTP_DELETE)) {
		if (!rest[1] || strpbrk(rest + 1, " \t\r\n") || !selector_shaped(rest + 1)) {
			gh_buf_printf(&b, "gadgethost: %s: a container name or id is expected\n",
				      req->path);
			respond_buf(c, 400, NULL, &b);
		} else {
			ask(t, c, req->method == HTTP_GET ? ASK_DUMP : ASK_DELETE, rest + 1, false);
		}
	} else {
		gh_http_respond(c, 405, NULL, "gadgethost: method not allowed here\n", 36);
	}
	return true;
}

void gh_daemon_traceloop_free(struct gh_daemon_traceloop *t)
{
	if (!t)
		return;
	while (t->waiting) {
		struct waiting *w = t->waiting;

		gh_request_async_cancel(w->req);
		gh_http_conn_on_close(w->conn, NULL, NULL);
		respond_err(w->conn, -ESHUTDOWN, 503, "the daemon is stopping");
		waiting_free(w);
	}
	free(t->socket_path);
	free(t);
}
