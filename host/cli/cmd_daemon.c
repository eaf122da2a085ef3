/* cmd_daemon.c - `gadgethost daemon`: the node service.
 *
 * Keeps the container collection running (runc state dirs, OCI hooks)
 * and answers HTTP/1.1 on a Unix socket (root only: mode 0600 and the
 * peer's SO_PEERCRED uid) and, with --listen, on TCP: TLS and a bearer
 * token, or plain TCP on a loopback address (docs/security.md):
 *
 *   GET    /v1/ping          {"version":...,"runs":N,"droppedClients":N}
 *   GET    /v1/gadgets       the installed gadgets, JSON lines (?o=columns)
 *   GET    /v1/containers    the containers, one JSON list (?o=columns, ?all=1)
 *   GET    /v1/runs          the runs going on, JSON lines
 *   POST   /v1/runs          start a run (run_request.h), stream its output
 *   DELETE /v1/runs/ID       stop a run: its stream ends after the last event
 *   GET    /v1/traceloop[/NAME], DELETE /v1/traceloop/NAME: a traceloop
 *                            recorder's rings (daemon_traceloop.h)
 *   GET    /v1/instances     the instances, JSON lines (instances.h)
 *   POST   /v1/instances     start one: a run request with a "name"
 *   GET    /v1/instances/NAME/rows   its kept rows, then the new ones
 *   DELETE /v1/instances/NAME        stop it and forget it
 *   GET    /metrics          Prometheus text (daemon_metrics.h); with
 *                            --metrics-listen also on a plain TCP port
 *                            that serves nothing else
 *
 * Each run is a child `gadgethost run ... --ready-file /dev/fd/3`
 * (daemon_runs.h; docs/architecture.md says why).
 */
#include "cli/commands.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>

#include <uv.h>

#include "base/buf.h"
#include "base/log.h"
#include "base/secret_file.h"
#include "base/text.h"
#include "config.h"
#include "containers/container.h"
#include "containers/container_exits.h"
#include "containers/container_watch.h"
#include "containers/containers_format.h"
#include "daemon/daemon_metrics.h"
#include "daemon/daemon_runs.h"
#include "daemon/instances.h"
#include "daemon/daemon_traceloop.h"
#include "traceloop/traceloop_client.h"
#include "containers/hook.h"
#include "daemon/http_server.h"
#include "cli/daemon_images.h"
#include "run/run_options.h"
#include "daemon/tcp_addr.h"
#include "daemon/tls.h"

#define DEFAULT_SOCKET "/run/gadgethost.sock"
#define METRICS_TYPE "text/plain; version=0.0.4; charset=utf-8"
#define MAX_RUN_ARGS 16
#define MIN_TOKEN 16

/* What one listener holds at most (http_server.h); TCP's connection caps
 * and timeouts are options.  The Unix socket has a budget of its own. */
static const struct gh_http_limits tcp_defaults = {
	.max_header = 16 << 10,
	.max_body = 1 << 20,
	.max_body_total = 16 << 20,
	.max_conns = 512,
	.max_conns_per_peer = 32,
	.request_ms = 10000,
	.idle_ms = 5000,
	.send_ms = 30000,
};
#define UNIX_MAX_CONNS 128 /* the Unix socket's: the rest as TCP's */

struct daemon {
	uv_loop_t loop;
	const char *socket_path;
	int socket_mode;
	const char *listen;
	bool listen_tls;
	char listen_host[256];
	int listen_port;
	const char *metrics_listen;
	struct gh_instances_opts io;
	char *token;
	struct gh_tls_server_opts tls_opts;
	struct gh_tls_ctx *tls;
	struct gh_http_limits tcp_limits, unix_limits;
	const char **runc_roots;
	size_t n_runc_roots;
	const char *docker_socket;
	const char *hook_dir;
	const char *traceloop_socket; /* NULL: traceloop_client.h's default */
	struct gh_daemon_runs_opts ro;
	struct gh_run_config images; /* image settings: ro.policy.image */
	const char *run_args[MAX_RUN_ARGS]; /* ro.run_args: the options above, for runs */
	char exe[4096];

	struct gh_http_server *unix_srv, *tcp_srv, *metrics_srv;
	struct gh_instances *instances;
	int stopping_parts;   /* runs and instances still stopping */
	struct gh_containers *cc;
	struct gh_container_watch *watch;
	struct gh_container_exits *exits;
	struct gh_hook_server *hooks;
	struct gh_daemon_runs *runs;
	struct gh_daemon_traceloop *traceloop;
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
	       "  --listen tls://ADDR:PORT   also TCP with TLS; needs --tls-cert, --tls-key\n"
	       "                        and --token-file\n"
	       "  --listen tcp://127.0.0.1:PORT   plain TCP, on a loopback address only\n"
	       "  --token-file FILE     the bearer token TCP clients must send (mode 0600)\n"
	       "  --tls-cert FILE       the server's certificate chain (PEM)\n"
	       "  --tls-key FILE        its private key (PEM, mode 0600)\n"
	       "  --tls-client-ca FILE  ask clients for a certificate this CA signed (mTLS)\n"
	       "  --max-connections N   TCP connections at once (default 512)\n"
	       "  --max-connections-per-peer N   from one address or IPv6 /64 (default 32)\n"
	       "  --request-timeout SECONDS   a whole request, TLS handshake and body included,\n"
	       "                        must come within this (default 10)\n"
	       "  --idle-timeout SECONDS      silence allowed while it comes (default 5)\n"
	       "  --allow-inline-lua    let clients send Lua (a gadget's script, layers)\n"
	       "  --lua-memory-limit SIZE, --lua-instruction-limit N, --lua-time-limit SECONDS\n"
	       "                        every run's limits (default 64M, 10M, 5); a client may\n"
	       "                        lower, not raise them\n"
	       "  --max-runs N          runs at once (default 64)\n"
	       "  --client-buffer BYTES output a client may leave unread before it is\n"
	       "                        dropped (default 4194304)\n"
	       "  --runc-root DIR --docker-socket PATH --hook-dir DIR   as for run\n"
	       "  --traceloop-socket PATH  the traceloop recorder's (default " GH_TRACELOOP_SOCKET ")\n"
	       "  --socket-mode OCTAL   the socket file's mode (default 0600)\n"
	       "  --state-dir DIR       the instances' state (default " GH_DAEMON_STATE_DIR ")\n"
	       "  --max-instances N     instances at most (default 32, up to 1000)\n"
	       "  --metrics-listen ADDR:PORT   GET /metrics, and nothing else, in plain HTTP\n"
	       "                        on that TCP address (numeric: 127.0.0.1:9470)\n");
	gh_daemon_images_help();
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

static void answer_metrics(struct daemon *d, struct gh_http_conn *c)
{
	struct gh_buf b = GH_BUF_INIT;

	if (gh_daemon_metrics_render(d->runs, d->instances, &b)) {
		gh_buf_free(&b);
		gh_http_respond(c, 500, NULL, "gadgethost: out of memory\n", 26);
		return;
	}
	answer_buf(c, 200, METRICS_TYPE, &b);
}

/* --metrics-listen: GET /metrics, nothing else, no token (it says what
 * runs on the node and what it costs, nothing a client could change) */
static void route_metrics_only(void *ctx, struct gh_http_conn *c,
			       const struct gh_http_request *req)
{
	if (!strcmp(req->path, "/metrics") && req->method == HTTP_GET)
		answer_metrics(ctx, c);
	else if (!strcmp(req->path, "/metrics"))
		gh_http_respond(c, 405, NULL, "gadgethost: GET only\n", 21);
	else
		gh_http_respond(c, 404, NULL, "gadgethost: this port serves /metrics only\n", 44);
}

static void route(void *ctx, struct gh_http_conn *c, const struct gh_http_request *req)
{
	struct daemon *d = ctx;
	struct gh_buf b = GH_BUF_INIT;
	bool get = req->method == HTTP_GET;

	/* the server let only authenticated peers this far (http_server.h) */
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
	} else if (!strcmp(req->path, "/metrics") && get) {
		answer_metrics(d, c);
	} else if (!d->instances && !strncmp(req->path, "/v1/instances", 13)) {
		gh_http_respond(c, 503, NULL, "gadgethost: the daemon has no state dir: no instances "
				"(its log says why)\n", 73);
	} else if (!strncmp(req->path, "/v1/instances", 13)) {
		char peer[128];

		gh_http_conn_describe(c, peer, sizeof(peer));
		if (!gh_instances_route(d->instances, c, req, peer))
			answer_buf(c, 404, NULL, (gh_buf_printf(&b, "gadgethost: no such endpoint: "
								   "%s\n", req->path), &b));
	} else if (gh_daemon_traceloop(d->traceloop, c, req)) {
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

/* the runs and the instances are both stopped: close the rest */
static void part_stopped(void *ctx)
{
	struct daemon *d = ctx;

	if (--d->stopping_parts == 0)
		close_everything(d);
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
	gh_http_server_free(d->metrics_srv);
	d->metrics_srv = NULL;
	gh_daemon_traceloop_free(d->traceloop);
	d->traceloop = NULL;
	d->stopping_parts = d->instances ? 2 : 1;
	gh_daemon_runs_shutdown(d->runs, part_stopped, d);
	if (d->instances)
		gh_instances_shutdown(d->instances, part_stopped, d);
}

/* --listen tls://ADDR:PORT or tcp://ADDR:PORT, a numeric address; plain
 * TCP on a loopback address only: the token would cross the network in
 * clear. */
static int parse_listen(struct daemon *d)
{
	const char *url = d->listen;
	struct sockaddr_storage sa;

	d->listen_tls = !strncmp(url, "tls://", 6);
	if ((!d->listen_tls && strncmp(url, "tcp://", 6)) ||
	    gh_tcp_split(url + 6, d->listen_host, sizeof(d->listen_host), &d->listen_port) ||
	    (uv_ip4_addr(d->listen_host, d->listen_port, (struct sockaddr_in *)&sa) &&
	     uv_ip6_addr(d->listen_host, d->listen_port, (struct sockaddr_in6 *)&sa)))
		return usage_error("--listen: tls://ADDRESS:PORT or tcp://ADDRESS:PORT expected "
				   "(a numeric address: tls://0.0.0.0:7070, tcp://[::1]:7070)");
	if (!d->listen_tls && !gh_sockaddr_is_loopback((struct sockaddr *)&sa)) {
		fprintf(stderr, "gadgethost: daemon: --listen %s: plain TCP is allowed on a "
				"loopback address only (the token would cross the network in "
				"clear): use tls://%s with --tls-cert and --tls-key\n", url,
			url + 6);
		return 1;
	}
	if (d->listen_tls && (!d->tls_opts.cert_file || !d->tls_opts.key_file))
		return usage_error("--listen tls://: needs --tls-cert FILE and --tls-key FILE");
	if (!d->listen_tls && (d->tls_opts.cert_file || d->tls_opts.key_file ||
			       d->tls_opts.client_ca_file))
		return usage_error("--tls-cert, --tls-key and --tls-client-ca are for --listen "
				   "tls://ADDRESS:PORT");
	return 0;
}

static int read_token(struct daemon *d, const char *path)
{
	char err[512];
	int ret = gh_read_token_file(path, MIN_TOKEN, &d->token, err, sizeof(err));

	if (ret)
		fprintf(stderr, "gadgethost: daemon: --token-file %s: %s\n", path, err);
	return ret ? 1 : 0;
}

/* seconds (decimals allowed) into milliseconds, at least 1 */
static int parse_seconds(const char *opt, const char *text, unsigned *ms)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(text, &end);
	if (errno || end == text || *end || !(v > 0) || v > 86400) {
		fprintf(stderr, "gadgethost: daemon: %s: \"%s\" is not a number of seconds\n",
			opt, text);
		return 1;
	}
	*ms = (unsigned)ceil(v * 1000);
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

/* --lua-memory-limit, --lua-instruction-limit, --lua-time-limit: the
 * limits of every run, which a client may lower, not raise; read as run
 * reads them. */
static int set_lua_limit(struct daemon *d, const char *opt, const char *val)
{
	struct gh_run_config c;
	char err[256];
	int ret;

	gh_run_config_init(&c);
	ret = gh_run_config_set(&c, gh_run_option_find(opt), opt, val, err, sizeof(err));
	if (ret)
		fprintf(stderr, "gadgethost: daemon: %s\n", err);
	else if (!strcmp(opt, "--lua-memory-limit"))
		d->ro.policy.max_lua_memory = c.lua.memory_limit;
	else if (!strcmp(opt, "--lua-instruction-limit"))
		d->ro.policy.max_lua_instructions = c.lua.instruction_limit;
	else
		d->ro.policy.max_lua_time_ms = c.lua.time_limit_ms;
	gh_run_config_free(&c);
	return ret ? 1 : 0;
}

static bool takes_value(const char *opt)
{
	static const char *const with_value[] = {
		"--socket", "--listen", "--token-file", "--tls-cert", "--tls-key",
		"--tls-client-ca", "--max-connections", "--max-connections-per-peer",
		"--request-timeout", "--idle-timeout", "--max-runs", "--client-buffer",
		"--runc-root", "--docker-socket", "--hook-dir", "--socket-mode",
		"--traceloop-socket", "--lua-memory-limit", "--lua-instruction-limit",
		"--lua-time-limit", "--state-dir", "--max-instances", "--metrics-listen", NULL};

	for (const char *const *o = with_value; *o; o++)
		if (!strcmp(*o, opt))
			return true;
	return false;
}

static int parse_args(struct daemon *d, int argc, char **argv, const char **token_file)
{
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		bool takes = true;
		int image;

		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage();
			exit(0);
		} else if (!strcmp(a, "--allow-inline-lua")) {
			d->ro.policy.allow_inline_lua = true;
			takes = false;
		} else if (!v && takes_value(a)) {
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
		} else if (!strcmp(a, "--metrics-listen")) {
			d->metrics_listen = v;
		} else if (!strcmp(a, "--state-dir")) {
			if (v[0] != '/')
				return usage_error("--state-dir: an absolute path");
			d->io.state_dir = v;
		} else if (!strcmp(a, "--max-instances")) {
			if (parse_size(a, v, &d->io.max_instances))
				return 1;
			if (d->io.max_instances > GH_INSTANCES_MAX)
				return usage_error("--max-instances: at most 1000");
		} else if (!strcmp(a, "--token-file")) {
			*token_file = v;
		} else if (!strcmp(a, "--tls-cert")) {
			d->tls_opts.cert_file = v;
		} else if (!strcmp(a, "--tls-key")) {
			d->tls_opts.key_file = v;
		} else if (!strcmp(a, "--tls-client-ca")) {
			d->tls_opts.client_ca_file = v;
		} else if (!strcmp(a, "--max-connections") ||
			   !strcmp(a, "--max-connections-per-peer")) {
			size_t n;

			if (parse_size(a, v, &n))
				return 1;
			if (n > 1000000)
				return usage_error("--max-connections: at most 1000000");
			if (!strcmp(a, "--max-connections"))
				d->tcp_limits.max_conns = (unsigned)n;
			else
				d->tcp_limits.max_conns_per_peer = (unsigned)n;
		} else if (!strcmp(a, "--request-timeout")) {
			if (parse_seconds(a, v, &d->tcp_limits.request_ms))
				return 1;
			d->unix_limits.request_ms = d->tcp_limits.request_ms;
		} else if (!strcmp(a, "--idle-timeout")) {
			if (parse_seconds(a, v, &d->tcp_limits.idle_ms))
				return 1;
			d->unix_limits.idle_ms = d->tcp_limits.idle_ms;
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
		} else if (!strcmp(a, "--lua-memory-limit") || !strcmp(a, "--lua-instruction-limit") ||
			   !strcmp(a, "--lua-time-limit")) {
			if (set_lua_limit(d, a, v))
				return 1;
		} else if ((takes = false, image = gh_daemon_image_option(&d->images, argc, argv,
									  &i))) {
			if (image < 0)
				return 1;
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

static int start_instances(struct daemon *d)
{
	char err[512];

	d->io.exe = d->exe;
	d->io.client_buffer = d->ro.client_buffer;
	d->io.policy = &d->ro.policy;
	d->io.run_args = d->ro.run_args;
	/* without its state the daemon still serves runs: instances are off */
	if (gh_instances_new(&d->instances, &d->loop, &d->io, err, sizeof(err)))
		gh_log(GH_LOG_ERROR, "%s: no instances (/v1/instances answers 503)", err);
	return 0;
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
		gh_log(GH_LOG_WARNING, "no OCI hook socket in %s: %s (containers are still found "
		       "from the runtimes' state)", d->hook_dir ? d->hook_dir : GH_HOOK_DIR,
		       uv_strerror(ret));
	return 0;
}

static int start_metrics_listener(struct daemon *d)
{
	/* TCP's bounds, and no body at all; no token, no TLS: it serves
	 * nothing a scraper could change (docs/security.md) */
	struct gh_http_server_opts so = {.handler = route_metrics_only, .ctx = d,
					 .limits = tcp_defaults};
	char host[256];
	int port, ret;

	if (!d->metrics_listen)
		return 0;
	so.limits.max_body = 0;
	so.limits.max_body_total = 0;
	if (gh_tcp_split(d->metrics_listen, host, sizeof(host), &port))
		return usage_error("--metrics-listen: ADDRESS:PORT expected (a numeric address: "
				   "127.0.0.1:9470, [::1]:9470)");
	ret = gh_http_listen_tcp(&d->metrics_srv, &d->loop, host, port, &so);
	if (ret) {
		fprintf(stderr, "gadgethost: daemon: --metrics-listen %s: %s\n", d->metrics_listen,
			uv_strerror(ret));
		return 1;
	}
	gh_daemon_log("serving /metrics on %s", d->metrics_listen);
	return 0;
}

static int start_listeners(struct daemon *d)
{
	struct gh_http_server_opts so = {.handler = route, .ctx = d, .limits = d->unix_limits,
					 .root_only = true};
	int ret = gh_http_listen_unix(&d->unix_srv, &d->loop, d->socket_path, d->socket_mode, &so);

	if (ret) {
		fprintf(stderr, "gadgethost: daemon: %s: %s\n", d->socket_path,
			ret == UV_EADDRINUSE ? "another daemon answers there" : uv_strerror(ret));
		return 1;
	}
	gh_daemon_log("listening on unix://%s (mode %04o)", d->socket_path, d->socket_mode);
	if (start_metrics_listener(d))
		return 1;
	if (!d->listen)
		return 0;
	so = (struct gh_http_server_opts){.handler = route, .ctx = d, .limits = d->tcp_limits,
					  .token = d->token, .tls = d->tls};
	ret = gh_http_listen_tcp(&d->tcp_srv, &d->loop, d->listen_host, d->listen_port, &so);
	if (ret) {
		fprintf(stderr, "gadgethost: daemon: --listen %s: %s\n", d->listen,
			uv_strerror(ret));
		return 1;
	}
	if (d->listen_tls)
		gh_daemon_log("listening on %s (TLS%s, bearer token; %u connections, %u per peer)",
			      d->listen, d->tls_opts.client_ca_file ? " with client certificates" :
			      "", d->tcp_limits.max_conns, d->tcp_limits.max_conns_per_peer);
	else
		gh_log(GH_LOG_WARNING, "listening on %s in plain TCP (bearer token; loopback "
		       "only: nothing is encrypted; use tls:// for anything else)", d->listen);
	return 0;
}

/* The log sink of the libraries (base/log.h) and of gh_daemon_log(): a
 * time-stamped line of the daemon's log, escaped (base/text.h) since what
 * clients sent (paths, names, arguments) is in it. */
static void log_line(void *ctx, enum gh_log_level level, const char *msg)
{
	struct gh_buf shown = GH_BUF_INIT;
	char when[32];
	time_t now = time(NULL);
	struct tm tm;

	(void)ctx;
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&now, &tm));
	gh_text_escape(&shown, msg, strlen(msg));
	fprintf(stderr, "%s gadgethost daemon: %s%s\n", when,
		level == GH_LOG_ERROR ? "error: " : level == GH_LOG_WARNING ? "warning: " : "",
		shown.p ? shown.p : "(out of memory)");
	fflush(stderr);
	gh_buf_free(&shown);
}

/* A connection is a file descriptor: as many as the hard limit allows
 * (the connection caps, not the soft limit, bound them). */
static void raise_fd_limit(const struct daemon *d)
{
	struct rlimit rl;
	rlim_t need = d->tcp_limits.max_conns + d->unix_limits.max_conns + 4 * d->ro.max_runs + 64;

	if (getrlimit(RLIMIT_NOFILE, &rl))
		return;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
		getrlimit(RLIMIT_NOFILE, &rl);
	}
	if (rl.rlim_cur < need)
		gh_log(GH_LOG_WARNING, "%llu open files allowed (RLIMIT_NOFILE), fewer than the "
		       "%llu the connection caps and runs may need",
		       (unsigned long long)rl.rlim_cur, (unsigned long long)need);
}

int gh_cmd_daemon(int argc, char **argv)
{
	struct daemon d = {.socket_path = DEFAULT_SOCKET, .socket_mode = 0600,
			   .io = {.state_dir = GH_DAEMON_STATE_DIR, .max_instances = 32},
			   .ro = {.client_buffer = 4 << 20, .max_runs = 64,
				  .inline_dir = "/run/gadgethost/inline",
				  .policy = {.max_lua_memory = GH_LUA_MEMORY_LIMIT_DEFAULT,
					     .max_lua_instructions = GH_LUA_INSTRUCTION_LIMIT_DEFAULT,
					     .max_lua_time_ms = GH_LUA_TIME_LIMIT_MS_DEFAULT}},
			   .tcp_limits = tcp_defaults, .unix_limits = tcp_defaults};
	const char *token_file = NULL;
	char err[512];
	ssize_t n;
	int ret;

	d.unix_limits.max_conns = UNIX_MAX_CONNS;
	d.unix_limits.max_conns_per_peer = 0;
	gh_run_config_init(&d.images);
	d.ro.policy.image = &d.images.image;
	ret = parse_args(&d, argc, argv, &token_file);
	if (!ret)
		ret = gh_daemon_images_check(&d.images);
	if (!ret && !d.listen && (d.tls_opts.cert_file || d.tls_opts.key_file ||
				  d.tls_opts.client_ca_file))
		ret = usage_error("--tls-cert, --tls-key and --tls-client-ca are for --listen "
				  "tls://ADDRESS:PORT");
	if (!ret && d.listen)
		ret = parse_listen(&d);
	if (!ret && d.listen && !token_file)
		ret = usage_error("--listen needs --token-file: TCP clients are told apart by a "
				  "token");
	if (!ret && token_file)
		ret = read_token(&d, token_file);
	if (!ret && d.listen_tls && gh_tls_server_ctx(&d.tls, &d.tls_opts, err, sizeof(err))) {
		fprintf(stderr, "gadgethost: daemon: TLS: %s\n", err);
		ret = 1;
	}
	if (!ret && geteuid() != 0)
		ret = usage_error("needs root: its runs load eBPF");
	n = readlink("/proc/self/exe", d.exe, sizeof(d.exe) - 1);
	if (!ret && n <= 0)
		ret = usage_error("cannot find its own executable (/proc/self/exe)");
	if (ret) {
		gh_tls_ctx_free(d.tls);
		free(d.token);
		free(d.runc_roots);
		gh_run_config_free(&d.images);
		return ret;
	}
	d.exe[n] = '\0';
	gh_log_set_sink(log_line, NULL, 0);
	raise_fd_limit(&d);
	d.ro.exe = d.exe;
	set_run_args(&d);
	signal(SIGPIPE, SIG_IGN);
	uv_loop_init(&d.loop);
	ret = gh_daemon_runs_new(&d.runs, &d.loop, &d.ro) ||
	      gh_daemon_traceloop_new(&d.traceloop, &d.loop, d.traceloop_socket) ?
	      usage_error("out of memory") : 0;
	if (!ret)
		ret = start_instances(&d);
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
		if (d.instances)
			gh_instances_restore(d.instances);
		uv_run(&d.loop, UV_RUN_DEFAULT);
		gh_daemon_log("stopped; %" PRIu64 " slow clients dropped in all",
			      gh_daemon_runs_dropped(d.runs));
	} else {
		gh_http_server_free(d.unix_srv);
		gh_http_server_free(d.tcp_srv);
		gh_http_server_free(d.metrics_srv);
		if (d.instances)
			gh_instances_shutdown(d.instances, NULL, NULL);
		close_everything(&d);
		uv_run(&d.loop, UV_RUN_DEFAULT);
	}
	gh_daemon_traceloop_free(d.traceloop);
	uv_loop_close(&d.loop);
	gh_daemon_runs_free(d.runs);
	gh_instances_free(d.instances);
	gh_containers_free(d.cc);
	gh_log_set_sink(NULL, NULL, 0);
	gh_tls_ctx_free(d.tls);
	free(d.token);
	free(d.runc_roots);
	gh_run_config_free(&d.images);
	return ret;
}
