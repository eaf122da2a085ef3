/* cmd_k8s.c - `gadgethost k8s run GADGET ...`: one run per node, merged.
 *
 * The nodes are the DaemonSet's pods (kubectl get pods -o json -l ...),
 * each reached with `kubectl exec -i POD -- gadgethost --remote
 * unix:///run/gadgethost.sock --stop-on-stdin-eof run ...`, or daemons
 * given as --endpoints NODE=URL,... (tls://, tcp:// to a loopback
 * address, or unix://; --ca/--cert/--key for TLS).  Ctrl-C stops
 * them all: endpoints get DELETE /v1/runs/ID, kubectl's stdin closes; the
 * merged output ends after every node's last event.  Nothing here is
 * known to the node service: it serves one run per stream as ever.
 */
#include "cli/commands.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/buf.h"
#include "daemon/fanout.h"
#include "base/json.h"
#include "base/log.h"
#include "daemon/remote_client.h"
#include "daemon/remote_run.h"
#include "cli/tls_client_opts.h"

#define MAX_SOURCES 1024
#define NODE_SOCKET "unix:///run/gadgethost.sock"
#define DS_LABEL "app.kubernetes.io/name=gadgethost"

struct source {
	struct gh_fanout_source fs;
	char *node;
	char *url;             /* an endpoint; NULL: kubectl exec into pod */
	char *pod;
	struct gh_remote r;
	pid_t pid;             /* kubectl */
	int out_fd, in_fd;     /* kubectl's stdout and stdin */
	bool started, done, failed, stop_sent;
};

struct k8s_opts {
	const char *kubectl;
	const char *ds_namespace;
	const char *endpoints;
	const char *node;
	const char *token_file;
	struct gh_tls_client_opts tls; /* of tls:// endpoints */
	const char *ready_file; /* created once every node's run started */
	const char **run_args;  /* run's argv, with -n/--podname turned into --k8s-* */
	int n_run_args;
};

static volatile sig_atomic_t signals_seen;

static void on_signal(int sig)
{
	signals_seen++;
}

static int k8s_usage(FILE *to)
{
	fprintf(to, "usage: gadgethost k8s run GADGET [run options] [-n NAMESPACE] [--podname POD]\n"
		    "           [--node NODE] [--endpoints NODE=URL,...] [--token-file FILE]\n"
		    "           [--ca FILE] [--cert FILE --key FILE] [--server-name NAME]\n"
		    "           [--gadget-namespace NS] [--kubectl PATH] [--ready-file FILE]\n\n"
		    "Runs GADGET on every node of the cluster (the gadgethost DaemonSet's pods,\n"
		    "found with kubectl) or on the daemons --endpoints names, and merges their\n"
		    "output with k8s.node: -o columns (default) or -o json.\n");
	return to == stdout ? 0 : 1;
}

/* Run a program, its stdout into out; the exit status, or -errno. */
static int run_capture(const char *const *argv, struct gh_buf *out)
{
	int fds[2], status;
	pid_t pid;
	char buf[65536];
	ssize_t n;

	if (pipe2(fds, O_CLOEXEC))
		return -errno;
	pid = fork();
	if (pid < 0) {
		close(fds[0]);
		close(fds[1]);
		return -errno;
	}
	if (!pid) {
		dup2(fds[1], STDOUT_FILENO);
		execvp(argv[0], (char **)argv);
		fprintf(stderr, "gadgethost: k8s: %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(fds[1]);
	while ((n = read(fds[0], buf, sizeof(buf))) > 0 || (n < 0 && errno == EINTR))
		if (n > 0 && out->len < (64u << 20))
			gh_buf_append(out, buf, (size_t)n);
	close(fds[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

static int add_source(struct source *srcs, size_t *n, const char *node, const char *url,
		      const char *pod)
{
	struct source *s;

	if (*n >= MAX_SOURCES)
		return -E2BIG;
	s = &srcs[(*n)++];
	memset(s, 0, sizeof(*s));
	s->node = strdup(node);
	s->url = url ? strdup(url) : NULL;
	s->pod = pod ? strdup(pod) : NULL;
	s->out_fd = s->in_fd = s->r.fd = -1;
	s->fs.node = s->node;
	return s->node && (!url || s->url) && (!pod || s->pod) ? 0 : -ENOMEM;
}

/* The DaemonSet's running pods, one per node. */
static int discover(const struct k8s_opts *o, struct source *srcs, size_t *n)
{
	const char *argv[] = {o->kubectl, "get", "pods", "-n", o->ds_namespace, "-l", DS_LABEL,
			      "-o", "json", NULL};
	struct gh_buf out = GH_BUF_INIT;
	struct gh_json *j = NULL;
	char err[256];
	int ret = run_capture(argv, &out);

	if (ret) {
		fprintf(stderr, "gadgethost: k8s: %s get pods -n %s -l %s failed (%s %d): is "
				"gadgethost deployed (gadgethost deploy | kubectl apply -f -)?\n",
			o->kubectl, o->ds_namespace, DS_LABEL, ret < 0 ? "error" : "exit",
			ret < 0 ? -ret : ret);
		gh_buf_free(&out);
		return 1;
	}
	if (gh_json_parse(out.p ? out.p : "", out.len, &j, err, sizeof(err))) {
		fprintf(stderr, "gadgethost: k8s: kubectl get pods: not JSON: %s\n", err);
		gh_buf_free(&out);
		return 1;
	}
	gh_buf_free(&out);
	for (size_t i = 0; i < gh_json_len(gh_json_get(j, "items")); i++) {
		const struct gh_json *pod = gh_json_at(gh_json_get(j, "items"), i);
		const char *name = gh_json_str(gh_json_path(pod, "metadata.name"));
		const char *node = gh_json_str(gh_json_path(pod, "spec.nodeName"));
		const char *phase = gh_json_str(gh_json_path(pod, "status.phase"));

		if (!name || !node)
			continue;
		if (o->node && strcmp(o->node, node))
			continue;
		if (!phase || strcmp(phase, "Running")) {
			gh_log(GH_LOG_WARNING, "k8s: node %s: pod %s is %s, not Running: skipped",
			       node, name, phase ? phase : "of no phase");
			continue;
		}
		if (add_source(srcs, n, node, NULL, name)) {
			gh_json_free(j);
			return 1;
		}
	}
	gh_json_free(j);
	if (!*n) {
		fprintf(stderr, "gadgethost: k8s: no running gadgethost pod%s%s in namespace %s "
				"(label %s)\n", o->node ? " on node " : "", o->node ? o->node : "",
			o->ds_namespace, DS_LABEL);
		return 1;
	}
	return 0;
}

/* --endpoints NODE=URL,URL,...: a URL alone is named by its address. */
static int parse_endpoints(const struct k8s_opts *o, struct source *srcs, size_t *n)
{
	char *list = strdup(o->endpoints), *save = NULL;

	if (!list)
		return 1;
	for (char *tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *eq = strstr(tok, "=");
		const char *node = tok, *url = tok;

		if (eq && eq < strstr(tok, "://")) {
			*eq = '\0';
			url = eq + 1;
		} else {
			node = strstr(tok, "://") ? strstr(tok, "://") + 3 : tok;
		}
		if (strncmp(url, "tls://", 6) && strncmp(url, "tcp://", 6) &&
		    strncmp(url, "unix://", 7)) {
			fprintf(stderr, "gadgethost: k8s: --endpoints: \"%s\" is not tls://HOST:PORT, "
					"tcp://HOST:PORT or unix:///PATH\n", url);
			free(list);
			return 1;
		}
		if (o->node && strcmp(o->node, node))
			continue;
		if (add_source(srcs, n, node, url, NULL)) {
			free(list);
			return 1;
		}
	}
	free(list);
	if (!*n) {
		fprintf(stderr, "gadgethost: k8s: --endpoints: no endpoint%s%s\n",
			o->node ? " for node " : "", o->node ? o->node : "");
		return 1;
	}
	return 0;
}

static int start_exec(struct source *s, const struct k8s_opts *o)
{
	const char *argv[300];
	int in[2], out[2];
	size_t n = 0;

	argv[n++] = o->kubectl;
	argv[n++] = "exec";
	argv[n++] = "-i";
	argv[n++] = "-n";
	argv[n++] = o->ds_namespace;
	argv[n++] = s->pod;
	argv[n++] = "-c";
	argv[n++] = "gadgethost";
	argv[n++] = "--";
	argv[n++] = "gadgethost";
	argv[n++] = "--remote";
	argv[n++] = NODE_SOCKET;
	argv[n++] = "--stop-on-stdin-eof";
	argv[n++] = "run";
	for (int i = 0; i < o->n_run_args && n < 298; i++)
		argv[n++] = o->run_args[i];
	argv[n] = NULL;
	if (pipe2(in, O_CLOEXEC))
		return -errno;
	if (pipe2(out, O_CLOEXEC)) {
		close(in[0]);
		close(in[1]);
		return -errno;
	}
	s->pid = fork();
	if (s->pid < 0) {
		close(in[0]);
		close(in[1]);
		close(out[0]);
		close(out[1]);
		return -errno;
	}
	if (!s->pid) {
		dup2(in[0], STDIN_FILENO);
		dup2(out[1], STDOUT_FILENO);
		setpgid(0, 0); /* Ctrl-C is ours to pass on, by closing stdin */
		execvp(argv[0], (char **)argv);
		fprintf(stderr, "gadgethost: k8s: %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	s->in_fd = in[1];
	s->out_fd = out[0];
	return 0;
}

/* the merged output: the sources' callbacks feed it */
static struct {
	struct gh_fanout f;
} merged;

static void on_node_bytes(void *ctx, const char *data, size_t len)
{
	struct source *s = ctx;

	gh_fanout_feed(&merged.f, &s->fs, data, len);
}

static int start_endpoint(struct source *s, const char *token, const struct k8s_opts *o)
{
	struct gh_buf body = GH_BUF_INIT;
	char err[512];
	int ret;

	const char *ready_file;

	if (gh_remote_run_body(o->n_run_args, (char **)o->run_args, &body, &ready_file, err,
			       sizeof(err))) {
		fprintf(stderr, "gadgethost: k8s: node %s: %s\n", s->node, err);
		gh_buf_free(&body);
		return -EINVAL;
	}
	s->r.on_body = on_node_bytes;
	s->r.ctx = s;
	ret = gh_remote_request(&s->r, s->url, token, "POST", "/v1/runs", body.p, body.len, err,
				sizeof(err));
	gh_buf_free(&body);
	if (ret)
		fprintf(stderr, "gadgethost: k8s: node %s: %s\n", s->node, err);
	return ret;
}

static void flush_merged(void)
{
	const char *p = merged.f.out.p;
	size_t len = merged.f.out.len;

	while (len) {
		ssize_t n = write(STDOUT_FILENO, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			signals_seen = 2; /* the reader left: stop everything */
			break;
		}
		p += n;
		len -= (size_t)n;
	}
	gh_buf_reset(&merged.f.out);
}

static void source_done(struct source *s, bool failed)
{
	s->done = true;
	s->failed = s->failed || failed;
	gh_fanout_end(&merged.f, &s->fs);
}

static void stop_sources(struct source *srcs, size_t n, const char *token, bool hard)
{
	for (size_t i = 0; i < n; i++) {
		struct source *s = &srcs[i];

		if (s->done || (s->stop_sent && !hard))
			continue;
		s->stop_sent = true;
		if (s->url) {
			char err[512];
			int sret = hard ? -ECANCELED : gh_remote_run_stop(s->url, token, &s->r, err,
									  sizeof(err));

			if (sret && sret != -ECANCELED && sret != -ENOENT && sret != -ESRCH)
				fprintf(stderr, "gadgethost: k8s: node %s: stopping the run: %s\n",
					s->node, err);
			if (sret) {
				source_done(s, false);
				gh_remote_close(&s->r);
			}
		} else {
			if (s->in_fd >= 0)
				close(s->in_fd);
			s->in_fd = -1;
			if (hard && s->pid > 0)
				kill(s->pid, SIGTERM);
		}
	}
}

static void read_endpoint(struct source *s)
{
	int ret = gh_remote_read(&s->r);
	const struct gh_buf *e = &s->r.err_body;

	if (ret == 1) {
		if (s->r.status / 100 != 2) {
			fprintf(stderr, "gadgethost: k8s: node %s: %.*s", s->node, (int)e->len,
				e->p ? e->p : "");
			if (!e->len || e->p[e->len - 1] != '\n')
				fputc('\n', stderr);
		}
		source_done(s, s->r.status / 100 != 2);
		gh_remote_close(&s->r);
	} else if (ret < 0 && ret != -EINTR) {
		fprintf(stderr, "gadgethost: k8s: node %s: the stream broke off: %s\n", s->node,
			s->r.tls_error[0] ? s->r.tls_error : strerror(-ret));
		source_done(s, true);
		gh_remote_close(&s->r);
	}
}

static void read_exec(struct source *s)
{
	char buf[65536];
	ssize_t n = read(s->out_fd, buf, sizeof(buf));
	int status = 0;

	if (n > 0) {
		gh_fanout_feed(&merged.f, &s->fs, buf, (size_t)n);
		return;
	}
	if (n < 0 && errno == EINTR)
		return;
	close(s->out_fd);
	s->out_fd = -1;
	if (s->in_fd >= 0)
		close(s->in_fd);
	s->in_fd = -1;
	while (waitpid(s->pid, &status, 0) < 0 && errno == EINTR)
		;
	s->pid = 0;
	source_done(s, !(WIFEXITED(status) && WEXITSTATUS(status) == 0));
	if (s->failed)
		fprintf(stderr, "gadgethost: k8s: node %s: kubectl exec into %s ended with %s %d\n",
			s->node, s->pod, WIFEXITED(status) ? "exit" : "signal",
			WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
}

static void read_source(struct source *s)
{
	if (s->url)
		read_endpoint(s);
	else
		read_exec(s);
}

/* Every endpoint answered (kubectl streams cannot tell: taken as started). */
static bool all_started(const struct source *srcs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (srcs[i].url && !srcs[i].done && !srcs[i].r.headers_done)
			return false;
	return true;
}

static int fan_out(struct source *srcs, size_t n, const char *token, const struct k8s_opts *o)
{
	struct pollfd *pfd = calloc(n, sizeof(*pfd));
	size_t *which = calloc(n, sizeof(*which));
	bool stopping = false, ready_done = !o->ready_file;
	int failed = 0;

	if (!pfd || !which) {
		free(pfd);
		free(which);
		return 1;
	}
	for (size_t i = 0; i < n; i++) {
		int ret = srcs[i].url ? start_endpoint(&srcs[i], token, o) : start_exec(&srcs[i], o);

		if (ret)
			source_done(&srcs[i], true);
		if (!srcs[i].url && ret)
			fprintf(stderr, "gadgethost: k8s: node %s: %s\n", srcs[i].node, strerror(-ret));
	}
	for (;;) {
		size_t np = 0;

		if (signals_seen > 1) {
			stop_sources(srcs, n, token, true);
		} else if (signals_seen && !stopping) {
			stopping = true;
			stop_sources(srcs, n, token, false);
		}
		for (size_t i = 0; i < n; i++) {
			if (srcs[i].done)
				continue;
			pfd[np].fd = srcs[i].url ? srcs[i].r.fd : srcs[i].out_fd;
			pfd[np].events = POLLIN;
			which[np++] = i;
		}
		if (!np)
			break;
		if (!ready_done && all_started(srcs, n)) {
			ready_done = true;
			char err[512];

			if (gh_remote_run_ready(o->ready_file, err, sizeof(err)))
				fprintf(stderr, "gadgethost: k8s run: %s\n", err);
		}
		if (poll(pfd, np, -1) < 0)
			continue;
		for (size_t k = 0; k < np; k++)
			if (pfd[k].revents)
				read_source(&srcs[which[k]]);
		flush_merged();
	}
	flush_merged();
	for (size_t i = 0; i < n; i++)
		failed += srcs[i].failed;
	free(pfd);
	free(which);
	return failed ? 1 : 0;
}

static int push_arg(struct k8s_opts *o, const char *a)
{
	const char **grown = realloc(o->run_args, (size_t)(o->n_run_args + 2) * sizeof(*grown));

	if (!grown)
		return -ENOMEM;
	o->run_args = grown;
	grown[o->n_run_args++] = a;
	grown[o->n_run_args] = NULL;
	return 0;
}

static int parse_k8s_args(struct k8s_opts *o, int argc, char **argv)
{
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		const char *const *opt;
		static const char *const ours[] = {"-n", "--namespace", "--podname", "--node",
						   "--endpoints", "--token-file", "--gadget-namespace",
						   "--kubectl", "--ready-file", NULL};
		int tls = gh_tls_client_option(&o->tls, argc, argv, &i);

		if (tls < 0)
			return 1;
		if (tls)
			continue;
		for (opt = ours; *opt && strcmp(*opt, a); opt++)
			;
		if (!*opt) {
			if (push_arg(o, a))
				return 1;
			continue;
		}
		if (!v) {
			fprintf(stderr, "gadgethost: k8s run: %s needs a value\n", a);
			return 1;
		}
		i++;
		if (!strcmp(a, "-n") || !strcmp(a, "--namespace")) {
			if (push_arg(o, "--k8s-namespace") || push_arg(o, v))
				return 1;
		} else if (!strcmp(a, "--podname")) {
			if (push_arg(o, "--k8s-podname") || push_arg(o, v))
				return 1;
		} else if (!strcmp(a, "--node")) {
			o->node = v;
		} else if (!strcmp(a, "--endpoints")) {
			o->endpoints = v;
		} else if (!strcmp(a, "--token-file")) {
			o->token_file = v;
		} else if (!strcmp(a, "--gadget-namespace")) {
			o->ds_namespace = v;
		} else if (!strcmp(a, "--kubectl")) {
			o->kubectl = v;
		} else if (!strcmp(a, "--ready-file")) {
			o->ready_file = v;
		}
	}
	return 0;
}

/* run's options, read as each node's client will: a gadget, and an
 * output the merge knows. */
static int check_run_args(const struct k8s_opts *o)
{
	struct gh_run_config c;
	char err[512];
	int ret;

	gh_run_config_init(&c);
	ret = gh_remote_run_parse(&c, o->n_run_args, (char **)o->run_args, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "gadgethost: k8s run: %s\n", err);
		ret = 1;
	} else if (gh_fanout_format_parse(c.output ? c.output : "columns", &merged.f.fmt)) {
		fprintf(stderr, "gadgethost: k8s run: -o %s: the merged output is columns or json\n",
			c.output);
		ret = 1;
	}
	gh_run_config_free(&c);
	return ret;
}

int gh_cmd_k8s(int argc, char **argv)
{
	struct k8s_opts o = {.kubectl = getenv("KUBECTL") ? getenv("KUBECTL") : "kubectl",
			     .ds_namespace = "gadgethost"};
	struct source *srcs = NULL;
	size_t n = 0, width = 8;
	char *token = NULL;
	struct sigaction sa = {.sa_handler = on_signal};
	int ret;

	if (argc < 1 || !strcmp(argv[0], "-h") || !strcmp(argv[0], "--help"))
		return k8s_usage(argc < 1 ? stderr : stdout);
	if (strcmp(argv[0], "run")) {
		fprintf(stderr, "gadgethost: k8s: unknown command \"%s\" (k8s run)\n", argv[0]);
		return 1;
	}
	ret = parse_k8s_args(&o, argc - 1, argv + 1);
	if (!ret)
		ret = check_run_args(&o);
	srcs = ret ? NULL : calloc(MAX_SOURCES, sizeof(*srcs));
	if (!ret && !srcs)
		ret = 1;
	if (!ret)
		ret = o.endpoints ? parse_endpoints(&o, srcs, &n) : discover(&o, srcs, &n);
	if (!ret && gh_tls_client_opts_used(&o.tls)) {
		char err[512];

		if (gh_remote_tls_setup(&o.tls, err, sizeof(err))) {
			fprintf(stderr, "gadgethost: k8s: TLS: %s\n", err);
			ret = 1;
		}
	}
	for (size_t i = 0; !ret && i < n; i++) {
		char err[512];

		if (srcs[i].url && gh_remote_token(srcs[i].url, o.token_file, &token, err,
						   sizeof(err))) {
			fprintf(stderr, "gadgethost: k8s: %s\n", err);
			ret = 1;
		}
		if (srcs[i].url && token)
			break;
	}
	if (!ret) {
		for (size_t i = 0; i < n; i++)
			width = strlen(srcs[i].node) > width ? strlen(srcs[i].node) : width;
		merged.f.node_width = width;
		sigemptyset(&sa.sa_mask);
		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGTERM, &sa, NULL);
		signal(SIGPIPE, SIG_IGN);
		ret = fan_out(srcs, n, token, &o);
	}
	for (size_t i = 0; srcs && i < n; i++) {
		gh_remote_close(&srcs[i].r);
		gh_buf_free(&srcs[i].fs.partial);
		if (srcs[i].in_fd >= 0)
			close(srcs[i].in_fd);
		if (srcs[i].out_fd >= 0)
			close(srcs[i].out_fd);
		free(srcs[i].node);
		free(srcs[i].url);
		free(srcs[i].pod);
	}
	gh_buf_free(&merged.f.out);
	gh_remote_tls_cleanup();
	free(srcs);
	free(token);
	free(o.run_args);
	return ret;
}
