/* cmd_daemon.c - `gadgethost daemon`: the node service.
 *
 * Keeps the container collection running (runc state dirs, OCI hooks)
 * and answers HTTP/1.1 on a Unix socket (root only: mode 0600 and the
 * peer's SO_PEERCRED uid) and, with --listen, on TCP (a bearer token):
 *
 *   GET    /v1/ping          {"version":...,"runs":N,"droppedClients":N}
 *   GET    /v1/gadgets       the installed gadgets, JSON lines (?o=columns)
 *   GET    /v1/containers    the containers, JSON lines (?o=columns, ?all=1)
 *   GET    /v1/runs          the runs going on, JSON lines
 *   POST   /v1/runs          start a run (run_request.h), stream its output
 *   DELETE /v1/runs/ID       stop a run: its stream ends after the last event
 *   GET    /v1/traceloop[/NAME], DELETE /v1/traceloop/NAME: a traceloop
 *                            recorder's rings (daemon_traceloop.h)
 *
 * Each run is a child `gadgethost run ... --ready-file /dev/fd/3`
 * (daemon_runs.h; docs/architecture.md says why).
 */
#include "commands.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <uv.h>

#include "buf.h"
#include "config.h"
#include "container.h"
#include "container_exits.h"
#include "container_watch.h"
#include "containers_format.h"
#include "daemon_runs.h"
#include "daemon_traceloop.h"
#include "traceloop_client.h"
#include "hook.h"
#include "http_server.h"
#include "read_file.h"

#define DEFAULT_SOCKET "/run/gadgethost.sock"
#define MAX_HEADER (16 << 10)
#define MAX_BODY (1 << 20)
#define MAX_RUN_ARGS 16

struct daemon {
	uv_loop_t loop;
	const char *socket_path;
	int socket_mode;
	const char *listen;
	char *token;
	const char **runc_roots;
	size_t n_runc_roots;
	const char *docker_socket;
	const char *hook_dir;
	const char *traceloop_socket; /* NULL: traceloop_client.h's default */
	struct gh_daemon_runs_opts ro;
	const char *run_args[MAX_RUN_ARGS]; /* ro.run_args: the options above, for runs */
	char exe[4096];

	struct gh_http_server *unix_srv, *tcp_srv;
	struct gh_containers *cc;
	struct gh_container_watch *watch;
	struct gh_container_exits *exits;
	struct gh_hook_server *hooks;
	struct gh_daemon_runs *runs;
	uv_signal_t sigint, sigterm;
	bool stopping;
};

static int usage_error(const char *msg)
{
	fprintf(stderr, "gadgethost: daemon: %s\n", msg);
	return 1;
}

static void usage(void)
{
	printf("usage: gadgethost daemon [options]\n\n"
	       "The node service: keeps the container collection running and serves\n"
	       "HTTP/1.1 (docs/deploy.md).\n\n"
	       "options:\n"
	       "  --socket PATH         the Unix socket (default " DEFAULT_SOCKET ", mode 0600,\n"
	       "                        root peers only)\n"
	       "  --listen tcp://ADDR:PORT   also TCP; needs --token-file\n"
	       "  --token-file FILE     the bearer token TCP clients must send\n"
	       "  --allow-inline-lua    let clients send a gadget's Lua in the request\n"
	       "  --max-runs N          runs at once (default 64)\n"
	       "  --client-buffer BYTES output a client may leave unread before it is\n"
	       "                        dropped (default 4194304)\n"
	       "  --runc-root DIR --docker-socket PATH --hook-dir DIR   as for run\n"
	       "  --traceloop-socket PATH  the traceloop recorder's (default " GH_TRACELOOP_SOCKET ")\n"
	       "  --socket-mode OCTAL   the socket file's mode (default 0600)\n");
}

static bool constant_time_equal(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	unsigned char diff = la != lb;

	for (size_t i = 0; i < la; i++)
		diff |= (unsigned char)(a[i] ^ b[i % (lb ? lb : 1)]);
	return !diff;
}

static bool authorized(struct daemon *d, struct gh_http_conn *c, const struct gh_http_request *req,
		       int *status, const char **why)
{
	if (gh_http_conn_is_unix(c)) {
		if (gh_http_conn_peer_uid(c) == 0)
			return true;
		*status = 403;
		*why = "gadgethost: the socket is root's only\n";
		return false;
	}
	if (req->authorization && !strncmp(req->authorization, "Bearer ", 7) &&
	    constant_time_equal(req->authorization + 7, d->token))
		return true;
	*status = 401;
	*why = "gadgethost: a bearer token is needed (Authorization: Bearer TOKEN)\n";
	return false;
}

/* ?o=columns&all=1: whether the query has key=value */
static bool query_has(const char *query, const char *kv)
{
	size_t n = strlen(kv);

	for (const char *p = query; p && *p; p = strchr(p, '&') ? strchr(p, '&') + 1 : NULL)
		if (!strncmp(p, kv, n) && (!p[n] || p[n] == '&'))
			return true;
	return false;
}

static void answer_buf(struct gh_http_conn *c, int status, const char *type, struct gh_buf *b)
{
	gh_http_respond(c, status, type, b->p ? b->p : "", b->len);
	gh_buf_free(b);
}

static void route(void *ctx, struct gh_http_conn *c, const struct gh_http_request *req)
{
	struct daemon *d = ctx;
	const char *why = NULL;
	struct gh_buf b = GH_BUF_INIT;
	bool get = req->method == HTTP_GET;
	int status;

	if (!authorized(d, c, req, &status, &why)) {
		gh_http_respond(c, status, NULL, why, strlen(why));
		return;
	}
	if (!strcmp(req->path, "/v1/ping") && get) {
		gh_buf_printf(&b, "{\"version\":\"%s\",\"runs\":%zu,\"droppedClients\":%" PRIu64
			      "}\n", GH_VERSION, gh_daemon_runs_active(d->runs),
			      gh_daemon_runs_dropped(d->runs));
		answer_buf(c, 200, "application/json", &b);
	} else if (!strcmp(req->path, "/v1/gadgets") && get) {
		static const char *const json[] = {"list", "-o", "json", NULL};
		static const char *const cols[] = {"list", NULL};
		bool columns = query_has(req->query, "o=columns");

		gh_daemon_runs_command(d->runs, c, columns ? cols : json,
				       columns ? "text/plain; charset=utf-8" : "application/x-ndjson");
	} else if (!strcmp(req->path, "/v1/containers") && get) {
		bool columns = query_has(req->query, "o=columns");

		gh_container_watch_scan(d->watch);
		if (gh_containers_format(d->cc, query_has(req->query, "all=1"), !columns, &b))
			gh_http_respond(c, 500, NULL, "gadgethost: out of memory\n", 26);
		else
			answer_buf(c, 200, columns ? "text/plain; charset=utf-8" :
				   "application/x-ndjson", &b);
		gh_buf_free(&b);
	} else if (!strcmp(req->path, "/v1/runs") && get) {
		gh_daemon_runs_list(d->runs, &b);
		answer_buf(c, 200, "application/x-ndjson", &b);
	} else if (!strcmp(req->path, "/v1/runs") && req->method == HTTP_POST) {
		char peer[128];

		gh_http_conn_describe(c, peer, sizeof(peer));
		gh_daemon_runs_start(d->runs, c, req->body, req->body_len, peer);
	} else if (!strncmp(req->path, "/v1/runs/", 9) && req->method == HTTP_DELETE) {
		char *end;
		unsigned long long id = strtoull(req->path + 9, &end, 10);

		if (end == req->path + 9 || *end)
			gh_http_respond(c, 400, NULL, "gadgethost: /v1/runs/ID: ID is a number\n", 40);
		else if (gh_daemon_runs_stop(d->runs, id))
			gh_http_respond(c, 404, NULL, "gadgethost: no such run\n", 24);
		else
			gh_http_respond(c, 204, NULL, "", 0);
	} else if (gh_daemon_traceloop(c, req, d->traceloop_socket)) {
		/* answered */
	} else if (!strcmp(req->path, "/v1/ping") || !strcmp(req->path, "/v1/gadgets") ||
		   !strcmp(req->path, "/v1/containers") || !strcmp(req->path, "/v1/runs") ||
		   !strncmp(req->path, "/v1/runs/", 9)) {
		gh_http_respond(c, 405, NULL, "gadgethost: method not allowed here\n", 36);
	} else {
		gh_buf_printf(&b, "gadgethost: no such endpoint: %s (see docs/deploy.md)\n",
			      req->path);
		answer_buf(c, 404, NULL, &b);
	}
}

static void close_everything(void *ctx)
{
	struct daemon *d = ctx;

	gh_hook_server_free(d->hooks);
	d->hooks = NULL;
	gh_container_exits_free(d->exits);
	d->exits = NULL;
	gh_container_watch_free(d->watch);
	d->watch = NULL;
	uv_close((uv_handle_t *)&d->sigint, NULL);
	uv_close((uv_handle_t *)&d->sigterm, NULL);
}

static void on_signal(uv_signal_t *h, int signum)
{
	struct daemon *d = h->data;

	if (d->stopping)
		return;
	d->stopping = true;
	gh_daemon_log("signal %d: stopping %zu run%s", signum, gh_daemon_runs_active(d->runs),
		      gh_daemon_runs_active(d->runs) == 1 ? "" : "s");
	gh_http_server_free(d->unix_srv);
	d->unix_srv = NULL;
	gh_http_server_free(d->tcp_srv);
	d->tcp_srv = NULL;
	gh_daemon_runs_shutdown(d->runs, close_everything, d);
}

static int parse_listen(const char *url, char *host, size_t hlen, int *port)
{
	const char *p, *colon;
	char *end;
	long v;

	if (strncmp(url, "tcp://", 6))
		return -EINVAL;
	p = url + 6;
	colon = strrchr(p, ':');
	if (!colon || colon == p)
		return -EINVAL;
	if (*p == '[' && colon[-1] == ']')
		snprintf(host, hlen, "%.*s", (int)(colon - p - 2), p + 1);
	else
		snprintf(host, hlen, "%.*s", (int)(colon - p), p);
	v = strtol(colon + 1, &end, 10);
	if (*end || end == colon + 1 || v <= 0 || v > 65535)
		return -EINVAL;
	*port = (int)v;
	return 0;
}

static int read_token(struct daemon *d, const char *path)
{
	char *text = NULL;
	size_t len = 0;
	int ret = gh_read_file(path, 4096, &text, &len);

	if (ret) {
		fprintf(stderr, "gadgethost: daemon: --token-file %s: %s\n", path, strerror(-ret));
		return 1;
	}
	while (len && (text[len - 1] == '\n' || text[len - 1] == '\r' || text[len - 1] == ' '))
		text[--len] = '\0';
	if (len < 16 || strlen(text) != len) {
		free(text);
		fprintf(stderr, "gadgethost: daemon: --token-file %s: the token must be one line "
				"of at least 16 characters\n", path);
		return 1;
	}
	d->token = text;
	return 0;
}

static int parse_size(const char *opt, const char *text, size_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(text, &end, 0);
	if (errno || end == text || *end || !v || text[0] == '-') {
		fprintf(stderr, "gadgethost: daemon: %s: \"%s\" is not a positive number\n", opt, text);
		return 1;
	}
	*out = (size_t)v;
	return 0;
}

static int parse_args(struct daemon *d, int argc, char **argv, const char **token_file)
{
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		bool takes = true;

		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage();
			exit(0);
		} else if (!strcmp(a, "--allow-inline-lua")) {
			d->ro.allow_inline = true;
			takes = false;
		} else if (!v && (!strcmp(a, "--socket") || !strcmp(a, "--listen") ||
				  !strcmp(a, "--token-file") || !strcmp(a, "--max-runs") ||
				  !strcmp(a, "--client-buffer") || !strcmp(a, "--runc-root") ||
				  !strcmp(a, "--docker-socket") || !strcmp(a, "--hook-dir") ||
				  !strcmp(a, "--socket-mode") || !strcmp(a, "--traceloop-socket"))) {
			fprintf(stderr, "gadgethost: daemon: %s needs a value\n", a);
			return 1;
		} else if (!strcmp(a, "--socket")) {
			d->socket_path = v;
		} else if (!strcmp(a, "--socket-mode")) {
			char *end;

			d->socket_mode = (int)strtol(v, &end, 8);
			if (*end || end == v || d->socket_mode < 0 || d->socket_mode > 0777)
				return usage_error("--socket-mode: an octal mode, like 0600");
		} else if (!strcmp(a, "--listen")) {
			d->listen = v;
		} else if (!strcmp(a, "--token-file")) {
			*token_file = v;
		} else if (!strcmp(a, "--max-runs")) {
			if (parse_size(a, v, &d->ro.max_runs))
				return 1;
		} else if (!strcmp(a, "--client-buffer")) {
			if (parse_size(a, v, &d->ro.client_buffer))
				return 1;
		} else if (!strcmp(a, "--runc-root")) {
			const char **grown = realloc(d->runc_roots, (d->n_runc_roots + 2) *
						     sizeof(*grown));

			if (!grown)
				return usage_error("out of memory");
			d->runc_roots = grown;
			grown[d->n_runc_roots++] = v;
			grown[d->n_runc_roots] = NULL;
		} else if (!strcmp(a, "--docker-socket")) {
			d->docker_socket = v;
		} else if (!strcmp(a, "--hook-dir")) {
			d->hook_dir = v;
		} else if (!strcmp(a, "--traceloop-socket")) {
			d->traceloop_socket = v;
		} else {
			fprintf(stderr, "gadgethost: daemon: unknown option \"%s\" (see gadgethost "
					"daemon --help)\n", a);
			return 1;
		}
		if (takes)
			i++;
	}
	return 0;
}

/* Runs see the containers the daemon sees: its own options, passed on
 * (after the client's, which cannot name these). */
static void set_run_args(struct daemon *d)
{
	size_t n = 0;

	if (d->hook_dir) {
		d->run_args[n++] = "--hook-dir";
		d->run_args[n++] = d->hook_dir;
	}
	if (d->docker_socket) {
		d->run_args[n++] = "--docker-socket";
		d->run_args[n++] = d->docker_socket;
	}
	for (size_t i = 0; i < d->n_runc_roots && n + 3 < MAX_RUN_ARGS; i++) {
		d->run_args[n++] = "--runc-root";
		d->run_args[n++] = d->runc_roots[i];
	}
	d->run_args[n] = NULL;
	d->ro.run_args = d->run_args;
}

static int start_collection(struct daemon *d)
{
	struct gh_watch_opts wo = {.runc_roots = d->runc_roots, .docker_socket = d->docker_socket};
	int ret = gh_containers_new(&d->cc);

	if (!ret)
		ret = gh_container_watch_new(&d->watch, d->cc, &wo);
	if (ret)
		return ret;
	gh_container_watch_scan(d->watch);
	ret = gh_container_exits_start(&d->exits, d->cc, &d->loop);
	if (!ret)
		ret = gh_container_watch_start(d->watch, &d->loop);
	if (ret)
		return ret;
	ret = gh_hook_server_start(&d->hooks, &d->loop, d->cc, d->hook_dir, d->docker_socket);
	if (ret)
		gh_daemon_log("warning: no OCI hook socket in %s: %s (containers are still found "
			      "from the runtimes' state)", d->hook_dir ? d->hook_dir : GH_HOOK_DIR,
			      uv_strerror(ret));
	return 0;
}

static int start_listeners(struct daemon *d)
{
	struct gh_http_server_opts so = {.handler = route, .ctx = d, .max_header = MAX_HEADER,
					 .max_body = MAX_BODY};
	int ret = gh_http_listen_unix(&d->unix_srv, &d->loop, d->socket_path, d->socket_mode, &so);

	if (ret) {
		fprintf(stderr, "gadgethost: daemon: %s: %s\n", d->socket_path,
			ret == UV_EADDRINUSE ? "another daemon answers there" : uv_strerror(ret));
		return 1;
	}
	gh_daemon_log("listening on unix://%s (mode %04o)", d->socket_path, d->socket_mode);
	if (d->listen) {
		char host[256];
		int port;

		if (parse_listen(d->listen, host, sizeof(host), &port))
			return usage_error("--listen: tcp://ADDRESS:PORT expected (a numeric "
					   "address: tcp://0.0.0.0:7070, tcp://[::1]:7070)");
		ret = gh_http_listen_tcp(&d->tcp_srv, &d->loop, host, port, &so);
		if (ret) {
			fprintf(stderr, "gadgethost: daemon: --listen %s: %s\n", d->listen,
				uv_strerror(ret));
			return 1;
		}
		gh_daemon_log("listening on %s (bearer token)", d->listen);
	}
	return 0;
}

int gh_cmd_daemon(int argc, char **argv)
{
	struct daemon d = {.socket_path = DEFAULT_SOCKET, .socket_mode = 0600,
			   .ro = {.client_buffer = 4 << 20, .max_runs = 64,
				  .inline_dir = "/run/gadgethost/inline"}};
	const char *token_file = NULL;
	ssize_t n;
	int ret;

	ret = parse_args(&d, argc, argv, &token_file);
	if (!ret && d.listen && !token_file)
		ret = usage_error("--listen needs --token-file: TCP clients are told apart by a "
				  "token only");
	if (!ret && token_file)
		ret = read_token(&d, token_file);
	if (!ret && geteuid() != 0)
		ret = usage_error("needs root: its runs load eBPF");
	n = readlink("/proc/self/exe", d.exe, sizeof(d.exe) - 1);
	if (!ret && n <= 0)
		ret = usage_error("cannot find its own executable (/proc/self/exe)");
	if (ret) {
		free(d.token);
		free(d.runc_roots);
		return ret;
	}
	d.exe[n] = '\0';
	d.ro.exe = d.exe;
	set_run_args(&d);
	signal(SIGPIPE, SIG_IGN);
	uv_loop_init(&d.loop);
	ret = gh_daemon_runs_new(&d.runs, &d.loop, &d.ro) ? usage_error("out of memory") : 0;
	if (!ret && start_collection(&d))
		ret = usage_error("starting the container collection failed");
	if (!ret)
		ret = start_listeners(&d);
	uv_signal_init(&d.loop, &d.sigint);
	uv_signal_init(&d.loop, &d.sigterm);
	d.sigint.data = d.sigterm.data = &d;
	if (!ret) {
		uv_signal_start(&d.sigint, on_signal, SIGINT);
		uv_signal_start(&d.sigterm, on_signal, SIGTERM);
		gh_daemon_log("ready: %zu containers known", gh_containers_count(d.cc));
		uv_run(&d.loop, UV_RUN_DEFAULT);
		gh_daemon_log("stopped; %" PRIu64 " slow clients dropped in all",
			      gh_daemon_runs_dropped(d.runs));
	} else {
		gh_http_server_free(d.unix_srv);
		gh_http_server_free(d.tcp_srv);
		close_everything(&d);
		uv_run(&d.loop, UV_RUN_DEFAULT);
	}
	uv_loop_close(&d.loop);
	gh_daemon_runs_free(d.runs);
	gh_containers_free(d.cc);
	free(d.token);
	free(d.runc_roots);
	return ret;
}
