/* instances.c - gadgets the daemon keeps running (instances.h). */
#include "daemon/instances.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/err.h"
#include "base/json.h"
#include "base/log.h"
#include "base/prom_text.h"
#include "base/read_file.h"
#include "base/write_file.h"
#include "daemon/child.h"
#include "daemon/child_stats.h"
#include "daemon/daemon_runs.h"
#include "daemon/rotating_file.h"
#include "daemon/row_ring.h"
#include "daemon/run_request.h"
#include "output/out.h"

#define STATE_FILE "instances"
#define MAX_REQUEST (64 << 10)  /* an instance's request: a line of the state file */
#define MAX_STATE ((GH_INSTANCES_MAX + 1) * (MAX_REQUEST + 1))
#define KEEP_DEFAULT 100
#define KEEP_MAX 100000
#define RING_BYTES (4 << 20)      /* rows kept per instance, at most */
#define MAX_LINE (1 << 20)        /* a row longer than this is cut */
#define BACKOFF_FIRST_MS 1000
#define BACKOFF_MAX_MS 60000

/* the instance's own fields of a request, beside a run request's */
static const char *const instance_fields[] = {"name", "keep", "rotate", NULL};

enum inst_state { STARTING, RUNNING, WAITING, ENDED };

static const char *const state_names[] = {"starting", "running", "waiting", "ended"};

struct attach {
	struct attach *next;
	struct inst *in;
	struct gh_http_conn *c;
};

struct child;

struct inst {
	struct inst *next;
	struct gh_instances *is;
	char *name;
	char *body;              /* the request, on one line */
	char *gadget;
	unsigned keep;
	uint64_t rotate_size;    /* 0: no file */
	unsigned rotate_files;
	struct gh_rotating_file *rf;
	struct gh_row_ring ring;
	struct attach *attached;
	enum inst_state state;
	char reason[512];
	struct child *child;
	uv_timer_t timer;        /* the next start after a pause */
	struct gh_http_conn *creator; /* waiting for the first start */
	char *peer;
	bool persisted;          /* in the state file */
	bool deleting;
	bool json;               /* its rows are JSON lines */
	uint64_t restarts, rows, backoff_ms, ready_ms;
	time_t since;
};

struct child {
	struct gh_child gc;      /* its process, pipes and stop (child.h) */
	struct inst *in;         /* NULL once the instance let go of it */
	struct gh_instances *is;
	struct gh_buf line;      /* a partial row */
};

struct gh_instances {
	uv_loop_t *loop;
	struct gh_instances_opts opts;
	char *state_path, *rows_dir;
	struct inst *list;
	size_t children;
	void (*shutdown_done)(void *ctx);
	void *shutdown_ctx;
};

static void inst_start(struct inst *in);
static void on_restart_timer(uv_timer_t *t);

/* ---- the state file ---- */

static int persist(struct gh_instances *is)
{
	struct gh_buf b = GH_BUF_INIT;
	int ret = 0;

	for (struct inst *in = is->list; in && !ret; in = in->next)
		if (in->persisted && !in->deleting)
			ret = gh_buf_printf(&b, "%s\n", in->body);
	if (!ret)
		ret = gh_write_file_atomic(is->state_path, b.p ? b.p : "", b.len, 0600, 1);
	if (ret)
		gh_log(GH_LOG_ERROR, "writing %s: %s: the instances may not come back after a "
		       "restart", is->state_path, strerror(-ret));
	gh_buf_free(&b);
	return ret;
}

/* ---- instances: made, found, freed ---- */

static bool name_ok(const char *n)
{
	size_t len = strlen(n);

	if (!len || len > GH_INSTANCE_NAME_MAX || n[0] == '.' || n[0] == '-' || n[0] == '_')
		return false;
	for (const char *p = n; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '_' || *p == '.' || *p == '-'))
			return false;
	return true;
}

static struct inst *find(struct gh_instances *is, const char *name)
{
	for (struct inst *in = is->list; in; in = in->next)
		if (!strcmp(in->name, name))
			return in;
	return NULL;
}

static void unlink_inst(struct inst *in)
{
	for (struct inst **p = &in->is->list; *p; p = &(*p)->next) {
		if (*p == in) {
			*p = in->next;
			break;
		}
	}
	in->next = NULL;
}

static void on_inst_timer_closed(uv_handle_t *h)
{
	struct inst *in = h->data;

	gh_row_ring_free(&in->ring);
	gh_rotating_file_close(in->rf);
	free(in->name);
	free(in->body);
	free(in->gadget);
	free(in->peer);
	free(in);
}

static void end_attached(struct inst *in)
{
	while (in->attached) {
		struct attach *a = in->attached;

		in->attached = a->next;
		gh_http_conn_on_close(a->c, NULL, NULL);
		gh_http_stream_end(a->c);
		free(a);
	}
}

/* Gone from the list already, its child gone: free it (its timer first). */
static void inst_free(struct inst *in)
{
	end_attached(in);
	uv_close((uv_handle_t *)&in->timer, on_inst_timer_closed);
}

/* The request's own fields: name, keep, rotate; the body on one line. */
static int inst_new(struct gh_instances *is, const char *body, size_t len, struct inst **out,
		    char *err, size_t errlen)
{
	struct gh_json *j = NULL;
	const struct gh_json *v;
	struct inst *in;
	char jerr[256];
	uint64_t keep = KEEP_DEFAULT;
	int ret;

	*out = NULL;
	if (len > MAX_REQUEST)
		return gh_err(err, errlen, -EINVAL, "an instance's request has at most %d bytes",
			      MAX_REQUEST);
	ret = gh_json_parse(body, len, &j, jerr, sizeof(jerr));
	if (ret)
		return ret == -ENOMEM ? gh_err(err, errlen, ret, "out of memory")
				      : gh_err(err, errlen, -EINVAL, "the request body is not JSON: %s",
					       jerr);
	in = calloc(1, sizeof(*in));
	if (!in) {
		gh_json_free(j);
		return gh_err(err, errlen, -ENOMEM, "out of memory");
	}
	in->is = is;
	in->timer.data = in;
	uv_timer_init(is->loop, &in->timer);
	v = gh_json_get(j, "name");
	if (gh_json_type(v) != GH_JSON_STRING || strlen(gh_json_str(v)) != gh_json_str_len(v) ||
	    !name_ok(gh_json_str(v)))
		ret = gh_err(err, errlen, -EINVAL, "\"name\": an instance needs a name of letters, "
			     "digits, '_', '.' and '-' (up to %d, not starting with '.', '-' or "
			     "'_')", GH_INSTANCE_NAME_MAX);
	else if (!(in->name = strdup(gh_json_str(v))))
		ret = -ENOMEM;
	v = gh_json_get(j, "keep");
	if (!ret && v && (gh_json_uint(v, &keep) || keep > KEEP_MAX))
		ret = gh_err(err, errlen, -EINVAL, "\"keep\": rows kept for attach, 0 to %d",
			     KEEP_MAX);
	v = gh_json_get(j, "rotate");
	if (!ret && v && gh_json_type(v) != GH_JSON_STRING)
		ret = gh_err(err, errlen, -EINVAL, "\"rotate\": \"SIZE[,COUNT]\" expected (e.g. "
			     "\"10M,5\")");
	else if (!ret && v)
		ret = gh_rotating_file_spec(gh_json_str(v), &in->rotate_size, &in->rotate_files, err,
					    errlen);
	if (!ret && gh_json_get(j, "script"))
		ret = gh_err(err, errlen, -EINVAL, "\"script\": an instance runs an installed "
			     "gadget or an image, not an inline script");
	v = gh_json_get(j, "gadget");
	if (!ret && gh_json_type(v) == GH_JSON_STRING)
		in->gadget = strdup(gh_json_str(v));
	in->keep = (unsigned)keep;
	if (!ret && (!(in->body = strndup(body, len)) || !in->gadget))
		ret = -ENOMEM;
	if (!ret)
		ret = gh_row_ring_init(&in->ring, in->keep, RING_BYTES);
	gh_json_free(j);
	if (ret == -ENOMEM)
		gh_err(err, errlen, ret, "out of memory");
	if (ret) {
		inst_free(in);
		return ret;
	}
	/* JSON's whitespace only: a line of the state file */
	for (char *p = in->body; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	in->backoff_ms = BACKOFF_FIRST_MS;
	*out = in;
	return 0;
}

/* ---- rows ---- */

static void on_attached_gone(void *ctx)
{
	struct attach *a = ctx;

	for (struct attach **p = &a->in->attached; *p; p = &(*p)->next) {
		if (*p == a) {
			*p = a->next;
			break;
		}
	}
	free(a);
}

static void row(struct inst *in, const char *data, size_t len)
{
	struct attach *a, *next;

	in->rows++;
	gh_row_ring_push(&in->ring, data, len);
	if (in->rf && gh_rotating_file_write(in->rf, data, len)) {
		gh_daemon_log("instance %s: writing its rows file failed: %s; no more rows go "
			      "there", in->name, strerror(errno));
		gh_rotating_file_close(in->rf);
		in->rf = NULL;
	}
	for (a = in->attached; a; a = next) {
		next = a->next;
		gh_http_stream_write(a->c, data, len);
		if (gh_http_conn_queued(a->c) > in->is->opts.client_buffer) {
			gh_daemon_log("instance %s: an attached client left %zu bytes unread: "
				      "dropped", in->name, gh_http_conn_queued(a->c));
			gh_http_conn_abort(a->c); /* on_attached_gone frees a */
		}
	}
}

/* ---- the child ---- */

/* The child's stdout: its rows, one a line. */
static void child_out(void *ctx, const char *data, size_t n)
{
	struct child *c = ctx;
	const char *p, *end, *nl;

	if (!data) {
		if (c->in && c->line.len) /* a last row without its newline */
			row(c->in, c->line.p, c->line.len);
		return;
	}
	if (!c->in)
		return;
	for (p = data, end = data + n; p < end; p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl) {
			gh_buf_append(&c->line, p, (size_t)(end - p));
			if (c->line.len > MAX_LINE) { /* cut, so one row never eats the node */
				gh_buf_putc(&c->line, '\n');
				row(c->in, c->line.p, c->line.len);
				gh_buf_reset(&c->line);
			}
			return;
		}
		if (c->line.len) {
			gh_buf_append(&c->line, p, (size_t)(nl - p + 1));
			row(c->in, c->line.p, c->line.len);
			gh_buf_reset(&c->line);
		} else {
			row(c->in, p, (size_t)(nl - p + 1));
		}
	}
}

static void log_stderr_line(void *ctx, const char *s, size_t len)
{
	struct child *c = ctx;

	if (c->in)
		gh_daemon_log("instance %s: %.*s", c->in->name, (int)len, s);
}

static void answer_created(struct inst *in);

/* The child's --ready-file said "ready": the instance runs. */
static void child_ready(void *ctx)
{
	struct child *c = ctx;
	struct inst *in = c->in;

	if (!in)
		return;
	in->state = RUNNING;
	in->since = time(NULL);
	in->ready_ms = uv_now(in->is->loop);
	in->reason[0] = '\0';
	gh_daemon_log("instance %s (%s): running, pid %d", in->name, in->gadget, c->gc.proc.pid);
	if (c->gc.errtext.len) /* warnings before ready */
		gh_daemon_log("instance %s: %.*s", in->name, (int)c->gc.errtext.len - 1,
			      c->gc.errtext.p);
	answer_created(in);
}

/* The first lines of what a child said before it ended, as one line. */
static void reason_from(struct inst *in, const struct gh_child *c)
{
	size_t n = c->errtext.len;
	const char *t = c->errtext.p ? c->errtext.p : "";

	while (n && t[n - 1] == '\n')
		n--;
	if (!c->ready_seen && n > 12 && !strncmp(t, "gadgethost: ", 12)) {
		t += 12; /* answered with the daemon's own prefix */
		n -= 12;
	}
	if (!c->ready_seen && n)
		snprintf(in->reason, sizeof(in->reason), "%.*s", (int)n, t);
	else if (c->sig)
		snprintf(in->reason, sizeof(in->reason), "%s on signal %d",
			 c->ready_seen ? "ended" : "ended before it started", c->sig);
	else
		snprintf(in->reason, sizeof(in->reason), "%s with exit status %d",
			 c->ready_seen ? "ended" : "ended before it started", (int)c->status);
	for (char *p = in->reason; *p; p++)
		if (*p == '\n')
			*p = ' ';
}

static void schedule_start(struct inst *in)
{
	in->state = WAITING;
	/* a child that ran a minute starts the pauses anew */
	if (in->ready_ms && uv_now(in->is->loop) - in->ready_ms > BACKOFF_MAX_MS)
		in->backoff_ms = BACKOFF_FIRST_MS;
	gh_daemon_log("instance %s: %s; starting it again in %" PRIu64 " s", in->name, in->reason,
		      in->backoff_ms / 1000);
	uv_timer_start(&in->timer, on_restart_timer, in->backoff_ms, 0);
	in->backoff_ms = in->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : in->backoff_ms * 2;
}

static void maybe_shutdown_done(struct gh_instances *is);

/* The child is gone, every handle closed. */
static void child_gone(void *ctx)
{
	struct child *c = ctx;
	struct gh_instances *is = c->is;
	struct inst *in = c->in;

	is->children--;
	if (in) {
		in->child = NULL;
		reason_from(in, &c->gc);
		if (in->deleting) {
			inst_free(in);
		} else if (is->shutdown_done) {
			in->state = ENDED;
		} else if (in->creator || (!c->gc.ready_seen && !in->persisted)) {
			/* the first start failed: no instance */
			gh_daemon_log("instance %s (%s) for %s did not start: %s", in->name, in->gadget,
				      in->peer ? in->peer : "?", in->reason);
			if (in->creator) {
				gh_http_conn_on_close(in->creator, NULL, NULL);
				gh_daemon_answer(in->creator, c->gc.status == 1 ? 400 : 500, "%s",
					    in->reason);
			}
			unlink_inst(in);
			inst_free(in);
		} else if (c->gc.ready_seen && !c->gc.sig && !c->gc.status) {
			in->state = ENDED;
			gh_daemon_log("instance %s: %s", in->name, in->reason);
		} else {
			in->restarts++;
			schedule_start(in);
		}
	}
	gh_child_free(&c->gc);
	gh_buf_free(&c->line);
	free(c);
	gh_child_stats_ref(-1);
	maybe_shutdown_done(is);
}

static const struct gh_child_ops child_ops = {
	.out = child_out,
	.err_line = log_stderr_line,
	.ready = child_ready,
	.closed = child_gone,
};

/* Start the instance's child: 0, or -errno with err saying why. */
static int child_start(struct inst *in, char *err, size_t errlen)
{
	struct gh_instances *is = in->is;
	struct gh_run_request req;
	struct gh_json *j = NULL;
	struct child *c;
	const char **args = NULL;
	char jerr[256];
	int ret;

	ret = gh_json_parse(in->body, strlen(in->body), &j, jerr, sizeof(jerr));
	if (ret)
		return gh_err(err, errlen, ret, "the request is not JSON: %s", jerr);
	ret = gh_run_request_from_json(j, instance_fields, is->opts.policy, &req, err, errlen);
	gh_json_free(j);
	if (ret)
		return ret;
	in->json = req.json;
	c = calloc(1, sizeof(*c));
	args = c ? gh_child_run_args(&req, is->opts.run_args, true) : NULL;
	if (!args) {
		free(c);
		ret = gh_err(err, errlen, -ENOMEM, "starting it: %s", strerror(ENOMEM));
		goto out;
	}
	c->in = in;
	c->is = is;
	gh_child_init(&c->gc, is->loop, &child_ops, c);
	is->children++; /* till child_gone(), started or not */
	gh_child_stats_ref(1);
	ret = gh_child_start(&c->gc, is->opts.exe, args, true);
	if (ret == UV_ENOMEM) {
		c->in = NULL;
		ret = gh_err(err, errlen, -ENOMEM, "out of memory");
	} else if (ret) {
		c->in = NULL;
		ret = gh_err(err, errlen, ret, "starting it: %s", uv_strerror(ret));
	} else {
		in->child = c;
		in->state = STARTING;
	}
out:
	free(args);
	gh_run_request_free(&req);
	return ret;
}

/* (Re)start, from the restart timer too: a failure waits and tries again. */
static void inst_start(struct inst *in)
{
	char err[512];

	if (in->deleting || in->child || in->is->shutdown_done)
		return;
	if (child_start(in, err, sizeof(err))) {
		snprintf(in->reason, sizeof(in->reason), "%s", err);
		in->restarts += in->persisted;
		schedule_start(in);
	}
}

static void on_restart_timer(uv_timer_t *t)
{
	inst_start(t->data);
}

/* ---- the API ---- */

static int put_json(struct gh_buf *b, const struct inst *in)
{
	bool running = in->child && in->state == RUNNING;
	char since[32] = "";
	struct tm tm;
	int ret;

	if (in->since)
		strftime(since, sizeof(since), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&in->since, &tm));
	ret = gh_buf_puts(b, "{\"name\":");
	ret = ret ? ret : gh_json_put_string(b, in->name, strlen(in->name));
	ret = ret ? ret : gh_buf_puts(b, ",\"gadget\":");
	ret = ret ? ret : gh_json_put_string(b, in->gadget, strlen(in->gadget));
	ret = ret ? ret : gh_buf_printf(b, ",\"state\":\"%s\",\"pid\":%d,\"since\":\"%s\","
					"\"restarts\":%" PRIu64 ",\"rows\":%" PRIu64 ",\"keep\":%u",
					state_names[in->state],
					running ? in->child->gc.proc.pid : 0,
					since, in->restarts, in->rows, in->keep);
	ret = ret ? ret : gh_buf_puts(b, ",\"reason\":");
	ret = ret ? ret : gh_json_put_string(b, in->reason, strlen(in->reason));
	return ret ? ret : gh_buf_puts(b, "}\n");
}

static void answer_created(struct inst *in)
{
	struct gh_buf b = GH_BUF_INIT;

	if (in->persisted)
		return;
	in->persisted = true;
	persist(in->is);
	if (!in->creator)
		return;
	gh_http_conn_on_close(in->creator, NULL, NULL);
	put_json(&b, in);
	gh_http_respond(in->creator, 201, "application/json", b.p ? b.p : "", b.len);
	in->creator = NULL;
	gh_buf_free(&b);
}

static void on_creator_gone(void *ctx)
{
	struct inst *in = ctx;

	in->creator = NULL; /* the instance goes on: it is detached */
}

/* STATE/rows/NAME.jsonl */
static int rows_path(const struct inst *in, struct gh_buf *path)
{
	return gh_buf_printf(path, "%s/%s.jsonl", in->is->rows_dir, in->name);
}

static int open_rows_file(struct inst *in, char *err, size_t errlen)
{
	struct gh_buf path = GH_BUF_INIT;
	int ret;

	if (!in->rotate_size)
		return 0;
	mkdir(in->is->rows_dir, 0700);
	if (rows_path(in, &path))
		return gh_err(err, errlen, -ENOMEM, "out of memory");
	ret = gh_rotating_file_open(&in->rf, path.p, in->rotate_size, in->rotate_files, err,
				    errlen);
	gh_buf_free(&path);
	return ret;
}

/* A restored instance with a rows file: the rows attach replays are its
 * last ones there, as the daemon before kept them. */
static void replay_rows_file(struct inst *in)
{
	struct gh_buf path = GH_BUF_INIT, rows = GH_BUF_INIT;
	int ret;

	if (!in->rf || !in->keep)
		return;
	ret = rows_path(in, &path);
	ret = ret ? ret : gh_rotating_file_tail(path.p, in->rotate_files, in->keep, RING_BYTES,
						&rows);
	for (size_t at = 0; !ret && at < rows.len;) {
		const char *nl = memchr(rows.p + at, '\n', rows.len - at);
		size_t len = (size_t)(nl - (rows.p + at)) + 1;

		gh_row_ring_push(&in->ring, rows.p + at, len);
		at += len;
	}
	if (ret)
		gh_daemon_log("instance %s: reading its rows file: %s: attach replays only new "
			      "rows", in->name, strerror(-ret));
	gh_buf_free(&path);
	gh_buf_free(&rows);
}

/* The run request in it, as its child would be started: the policy's
 * word, before the instance's name or the count are looked at. */
static int check_request(struct gh_instances *is, struct inst *in, char *err, size_t errlen)
{
	struct gh_run_request req;
	struct gh_json *j = NULL;
	char jerr[256];
	int ret = gh_json_parse(in->body, strlen(in->body), &j, jerr, sizeof(jerr));

	if (ret)
		return gh_err(err, errlen, ret, "the request is not JSON: %s", jerr);
	ret = gh_run_request_from_json(j, instance_fields, is->opts.policy, &req, err, errlen);
	gh_json_free(j);
	if (!ret)
		gh_run_request_free(&req);
	return ret;
}

void gh_instances_create(struct gh_instances *is, struct gh_http_conn *c, const char *body,
			 size_t len, const char *peer)
{
	struct inst *in = NULL;
	char err[512];
	int ret, status;

	if (is->shutdown_done) {
		gh_daemon_answer(c, 503, "the daemon is stopping");
		return;
	}
	ret = inst_new(is, body, len, &in, err, sizeof(err));
	if (!ret)
		ret = check_request(is, in, err, sizeof(err));
	if (!ret && find(is, in->name)) {
		ret = gh_err(err, sizeof(err), -EEXIST, "an instance named \"%s\" exists already "
			     "(gadgethost instances list; delete it first)", in->name);
	} else if (!ret && gh_instances_count(is) >= is->opts.max_instances) {
		ret = gh_err(err, sizeof(err), -EBUSY, "%zu instances already (the daemon's "
			     "--max-instances)", gh_instances_count(is));
	}
	if (!ret)
		ret = open_rows_file(in, err, sizeof(err));
	if (!ret) {
		in->peer = strdup(peer);
		in->next = is->list;
		is->list = in;
		in->creator = c;
		gh_http_conn_on_close(c, on_creator_gone, in);
		ret = child_start(in, err, sizeof(err));
		if (ret) {
			in->creator = NULL;
			gh_http_conn_on_close(c, NULL, NULL);
			unlink_inst(in);
		}
	}
	if (!ret) {
		gh_daemon_log("instance %s (%s) for %s: starting", in->name, in->gadget, peer);
		return;
	}
	status = ret == -EPERM ? 403 : ret == -EEXIST ? 409 : ret == -EBUSY ? 503 :
		 ret == -ENOMEM ? 500 : 400;
	gh_daemon_log("refused an instance for %s (%d): %s", peer, status, err);
	gh_daemon_answer(c, status, "%s", err);
	if (in)
		inst_free(in);
}

int gh_instances_list(struct gh_instances *is, struct gh_buf *b)
{
	int ret = 0;

	for (struct inst *in = is->list; in && !ret; in = in->next)
		if (in->persisted)
			ret = put_json(b, in);
	return ret;
}

void gh_instances_attach(struct gh_instances *is, struct gh_http_conn *c, const char *name)
{
	struct inst *in = find(is, name);
	struct gh_buf kept = GH_BUF_INIT;
	struct attach *a;

	if (!in || !in->persisted) {
		gh_daemon_answer(c, 404, "no instance named \"%s\" (gadgethost instances list)",
				 name);
		return;
	}
	a = calloc(1, sizeof(*a));
	if (!a || gh_row_ring_dump(&in->ring, &kept)) {
		free(a);
		gh_buf_free(&kept);
		gh_daemon_answer(c, 500, "out of memory");
		return;
	}
	a->in = in;
	a->c = c;
	a->next = in->attached;
	in->attached = a;
	gh_http_conn_on_close(c, on_attached_gone, a);
	gh_http_stream_start(c, 200, in->json ? "application/x-ndjson" :
			     "text/plain; charset=utf-8", NULL);
	if (kept.len)
		gh_http_stream_write(c, kept.p, kept.len);
	gh_buf_free(&kept);
}

int gh_instances_delete(struct gh_instances *is, const char *name)
{
	struct inst *in = find(is, name);

	if (!in || !in->persisted)
		return -ENOENT;
	gh_daemon_log("instance %s (%s): deleted", in->name, in->gadget);
	in->deleting = true;
	unlink_inst(in);
	persist(is);
	uv_timer_stop(&in->timer);
	end_attached(in);
	if (in->child)
		gh_child_stop(&in->child->gc); /* child_gone frees it */
	else
		inst_free(in);
	return 0;
}

size_t gh_instances_count(const struct gh_instances *is)
{
	size_t n = 0;

	for (const struct inst *in = is->list; in; in = in->next)
		n++;
	return n;
}

/* ---- metrics ---- */

static int inst_metrics(struct inst *in, struct gh_prom_set *p)
{
	struct gh_buf l = GH_BUF_INIT, info = GH_BUF_INIT;
	const struct gh_buf *rep;
	bool running = in->child && in->state == RUNNING;
	int ret = gh_prom_label(&l, "gadget_instance", in->name, strlen(in->name));

	ret = ret ? ret : gh_buf_puts(&info, l.p);
	ret = ret ? ret : gh_prom_label(&info, "gadget", in->gadget, strlen(in->gadget));
	ret = ret ? ret : gh_prom_set_add(p, "gadgethost_instance_info", "gauge",
					  "An instance of a gadget on this node (always 1).", "",
					  info.p, 1);
	ret = ret ? ret : gh_prom_set_add(p, "gadgethost_instance_up", "gauge",
					  "1 while the instance's run is going, 0 while it waits to "
					  "start again or has ended.", "", l.p, running);
	ret = ret ? ret : gh_prom_set_add(p, "gadgethost_instance_restarts_total", "counter",
					  "Times the instance's run was started again.", "", l.p,
					  (double)in->restarts);
	ret = ret ? ret : gh_prom_set_add(p, "gadgethost_instance_rows_total", "counter",
					  "Rows the instance's run wrote.", "", l.p, (double)in->rows);
	if (!ret && running)
		ret = gh_child_stats_metrics(p, in->child->gc.proc.pid, l.p);
	rep = running ? &in->child->gc.last_report : NULL;
	if (!ret && rep && rep->len)
		ret = gh_prom_set_merge(p, rep->p, rep->len, l.p);
	gh_buf_free(&l);
	gh_buf_free(&info);
	return ret;
}

int gh_instances_metrics(struct gh_instances *is, struct gh_prom_set *p)
{
	int ret = 0;

	for (struct inst *in = is->list; in && !ret; in = in->next)
		if (in->persisted)
			ret = inst_metrics(in, p);
	return ret;
}

/* ---- life of the whole ---- */

static int read_state(struct gh_instances *is, char *err, size_t errlen)
{
	char *text = NULL, *line, *save = NULL;
	size_t len = 0, n = 0;
	int ret = gh_read_file(is->state_path, MAX_STATE, &text, &len);
	struct inst *last = NULL;

	if (ret == -ENOENT)
		return 0;
	if (ret)
		return gh_err(err, errlen, ret, "%s: %s", is->state_path, strerror(-ret));
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		struct inst *in;
		char why[512];

		n++;
		if (inst_new(is, line, strlen(line), &in, why, sizeof(why))) {
			gh_log(GH_LOG_ERROR, "%s, line %zu: %s: left out", is->state_path, n, why);
			continue;
		}
		if (find(is, in->name)) {
			gh_log(GH_LOG_ERROR, "%s, line %zu: a second instance named %s: left out",
			       is->state_path, n, in->name);
			inst_free(in);
			continue;
		}
		in->persisted = true;
		if (last)
			last->next = in;
		else
			is->list = in;
		last = in;
	}
	free(text);
	return 0;
}

/* mkdir -p, the last one 0700 (the others 0755, as /var/lib is): 0 or
 * -errno */
static int make_dirs(const char *path)
{
	char buf[4096];
	size_t len = strlen(path);

	if (len >= sizeof(buf))
		return -ENAMETOOLONG;
	memcpy(buf, path, len + 1);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0755) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	return mkdir(buf, 0700) && errno != EEXIST ? -errno : 0;
}

int gh_instances_new(struct gh_instances **out, uv_loop_t *loop,
		     const struct gh_instances_opts *opts, char *err, size_t errlen)
{
	struct gh_instances *is = calloc(1, sizeof(*is));
	struct gh_buf b = GH_BUF_INIT;
	int ret;

	*out = NULL;
	if (!is)
		return gh_err(err, errlen, -ENOMEM, "out of memory");
	is->loop = loop;
	is->opts = *opts;
	ret = make_dirs(opts->state_dir);
	if (ret) {
		ret = gh_err(err, errlen, ret, "--state-dir %s: %s", opts->state_dir, strerror(-ret));
		free(is);
		return ret;
	}
	gh_buf_printf(&b, "%s/%s", opts->state_dir, STATE_FILE);
	is->state_path = b.p ? strdup(b.p) : NULL;
	gh_buf_reset(&b);
	gh_buf_printf(&b, "%s/rows", opts->state_dir);
	is->rows_dir = b.p ? strdup(b.p) : NULL;
	gh_buf_free(&b);
	ret = is->state_path && is->rows_dir ? read_state(is, err, errlen)
					     : gh_err(err, errlen, -ENOMEM, "out of memory");
	if (ret) {
		gh_instances_shutdown(is, NULL, NULL);
		gh_instances_free(is);
		return ret;
	}
	*out = is;
	return 0;
}

void gh_instances_restore(struct gh_instances *is)
{
	for (struct inst *in = is->list; in; in = in->next) {
		char err[512];

		if (open_rows_file(in, err, sizeof(err)))
			gh_daemon_log("instance %s: %s: its rows go to no file", in->name, err);
		replay_rows_file(in);
		gh_daemon_log("instance %s (%s): restored from %s", in->name, in->gadget,
			      is->state_path);
		inst_start(in);
	}
}

static void maybe_shutdown_done(struct gh_instances *is)
{
	void (*fn)(void *);

	if (!is->shutdown_done || is->children)
		return;
	/* every child gone: the instances' timers closed, the memory freed */
	while (is->list) {
		struct inst *in = is->list;

		is->list = in->next;
		if (in->creator) {
			gh_http_conn_on_close(in->creator, NULL, NULL);
			gh_daemon_answer(in->creator, 503, "the daemon is stopping");
		}
		inst_free(in);
	}
	fn = is->shutdown_done;
	is->shutdown_done = NULL;
	fn(is->shutdown_ctx);
}

static void nothing(void *ctx)
{
}

void gh_instances_shutdown(struct gh_instances *is, void (*done)(void *ctx), void *ctx)
{
	is->shutdown_done = done ? done : nothing;
	is->shutdown_ctx = ctx;
	for (struct inst *in = is->list; in; in = in->next) {
		uv_timer_stop(&in->timer);
		if (in->child)
			gh_child_stop(&in->child->gc);
	}
	maybe_shutdown_done(is);
}

void gh_instances_free(struct gh_instances *is)
{
	if (!is)
		return;
	free(is->state_path);
	free(is->rows_dir);
	free(is);
}

/* ---- HTTP ---- */

bool gh_instances_route(struct gh_instances *is, struct gh_http_conn *c,
			const struct gh_http_request *req, const char *peer)
{
	const char *p = req->path, *name, *slash;
	struct gh_buf b = GH_BUF_INIT;
	char nm[GH_INSTANCE_NAME_MAX + 1];
	size_t len;

	if (!strcmp(p, "/v1/instances")) {
		if (req->method == HTTP_POST) {
			gh_instances_create(is, c, req->body, req->body_len, peer);
		} else if (req->method == HTTP_GET) {
			if (gh_instances_list(is, &b))
				gh_daemon_answer(c, 500, "out of memory");
			else
				gh_http_respond(c, 200, "application/x-ndjson", b.p ? b.p : "", b.len);
		} else {
			gh_daemon_answer(c, 405, "method not allowed here (GET, POST)");
		}
		gh_buf_free(&b);
		return true;
	}
	if (strncmp(p, "/v1/instances/", 14))
		return false;
	name = p + 14;
	slash = strchr(name, '/');
	len = slash ? (size_t)(slash - name) : strlen(name);
	if (!len || len > GH_INSTANCE_NAME_MAX) {
		gh_daemon_answer(c, 404, "no such instance");
		return true;
	}
	memcpy(nm, name, len);
	nm[len] = '\0';
	if (slash && !strcmp(slash, "/rows") && req->method == HTTP_GET)
		gh_instances_attach(is, c, nm);
	else if (!slash && req->method == HTTP_DELETE && gh_instances_delete(is, nm))
		gh_daemon_answer(c, 404, "no instance named \"%s\" (gadgethost instances list)",
				 nm);
	else if (!slash && req->method == HTTP_DELETE)
		gh_http_respond(c, 204, NULL, "", 0);
	else
		gh_daemon_answer(c, 405,
				 "/v1/instances/NAME: DELETE; /v1/instances/NAME/rows: GET");
	return true;
}
