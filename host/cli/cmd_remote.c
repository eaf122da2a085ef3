/* cmd_remote.c - `gadgethost --remote URL COMMAND ...`: the commands a
 * daemon answers (run, list, list-containers, ping), printed as the local
 * commands print them.  The daemon formats run's output (it runs the very
 * same `gadgethost run`), so what comes is written out as it comes. */
#include "cli/commands.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/buf.h"
#include "daemon/remote_client.h"
#include "daemon/remote_run.h"
#include "cli/tls_client_opts.h"

static volatile sig_atomic_t signals_seen;

static void on_signal(int sig)
{
	signals_seen++;
}

struct sink {
	bool broken; /* stdout's reader left (| head) */
};

static void to_stdout(void *ctx, const char *data, size_t len)
{
	struct sink *s = ctx;

	while (len && !s->broken) {
		ssize_t n = write(STDOUT_FILENO, data, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			s->broken = true;
			break;
		}
		data += n;
		len -= (size_t)n;
	}
}

static int print_error_body(const struct gh_remote *r, const char *url)
{
	if (r->err_body.len)
		fwrite(r->err_body.p, 1, r->err_body.len, stderr);
	else
		fprintf(stderr, "gadgethost: %s: HTTP %d\n", url, r->status);
	return 1;
}

static void catch_signals(void)
{
	struct sigaction sa = {.sa_handler = on_signal}; /* no SA_RESTART: poll returns */

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

static int remote_run(const char *url, const char *token, bool stdin_stop, int argc, char **argv)
{
	struct gh_buf body = GH_BUF_INIT;
	struct sink sink = {0};
	struct gh_remote r = {.on_body = to_stdout, .ctx = &sink};
	char err[512];
	bool stop_sent = false, ready_done = false;
	const char *ready_file;
	int ret;

	if (gh_remote_run_body(argc, argv, &body, &ready_file, err, sizeof(err))) {
		fprintf(stderr, "gadgethost: %s\n", err);
		gh_buf_free(&body);
		return 1;
	}
	catch_signals();
	ret = gh_remote_request(&r, url, token, "POST", "/v1/runs", body.p, body.len, err,
				sizeof(err));
	gh_buf_free(&body);
	if (ret) {
		fprintf(stderr, "gadgethost: %s\n", err);
		gh_remote_close(&r);
		return 1;
	}
	for (;;) {
		struct pollfd pfd[2] = {{.fd = r.fd, .events = POLLIN},
					{.fd = STDIN_FILENO, .events = POLLIN}};
		int n = poll(pfd, stdin_stop && !stop_sent ? 2 : 1, -1);

		if (signals_seen > 1 || sink.broken)
			break;
		if ((signals_seen || (n > 0 && pfd[1].revents)) && !stop_sent) {
			stop_sent = true;
			if (pfd[1].revents) {
				char sink_buf[4096];

				if (read(STDIN_FILENO, sink_buf, sizeof(sink_buf)) > 0) {
					stop_sent = false; /* input is not the end of it */
					continue;
				}
			}
			/* the daemon stops the run: the stream ends after its last event */
			ret = gh_remote_run_stop(url, token, &r, err, sizeof(err));
			if (ret && ret != -ENOENT && ret != -ESRCH)
				fprintf(stderr, "gadgethost: stopping the run: %s\n", err);
			if (ret)
				break;
			continue;
		}
		if (n <= 0)
			continue;
		ret = gh_remote_read(&r);
		if (ready_file && !ready_done && r.headers_done && r.status == 200) {
			ready_done = true;
			if (gh_remote_run_ready(ready_file, err, sizeof(err)))
				fprintf(stderr, "gadgethost: %s\n", err);
		}
		if (ret == 1 || sink.broken)
			break;
		if (ret < 0 && ret != -EINTR) {
			fprintf(stderr, "gadgethost: %s: the stream broke off: %s\n", url,
				r.tls_error[0] ? r.tls_error : ret == -EPROTO ? "not HTTP" :
				strerror(-ret));
			gh_remote_close(&r);
			return 1;
		}
	}
	ret = 0;
	if (r.complete && r.status / 100 != 2)
		ret = print_error_body(&r, url);
	else if (!r.complete && !sink.broken && !stop_sent)
		ret = signals_seen ? 130 : 1;
	gh_remote_close(&r);
	return ret;
}

/* GET path: the body to stdout (2xx) or stderr. */
static int remote_get(const char *url, const char *token, const char *path)
{
	struct gh_buf out = GH_BUF_INIT;
	char err[512];
	int status = gh_remote_simple(url, token, "GET", path, &out, err, sizeof(err));

	if (status < 0) {
		fprintf(stderr, "gadgethost: %s\n", err);
		gh_buf_free(&out);
		return 1;
	}
	if (out.len)
		fwrite(out.p, 1, out.len, status / 100 == 2 ? stdout : stderr);
	gh_buf_free(&out);
	return status / 100 == 2 ? 0 : 1;
}

static int remote_list_containers(const char *url, const char *token, int argc, char **argv)
{
	bool json = false, all = false;

	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "-o") && i + 1 < argc) {
			json = !strcmp(argv[++i], "json");
		} else if (!strcmp(argv[i], "--all")) {
			all = true;
		} else {
			fprintf(stderr, "gadgethost: --remote list-containers: unknown option \"%s\" "
					"(options: -o columns|json, --all)\n", argv[i]);
			return 1;
		}
	}
	return remote_get(url, token, json ? (all ? "/v1/containers?all=1" : "/v1/containers")
				       : (all ? "/v1/containers?o=columns&all=1"
					      : "/v1/containers?o=columns"));
}

static bool detach_asked(int argc, char **argv)
{
	for (int i = 0; i < argc; i++)
		if (!strcmp(argv[i], "--detach"))
			return true;
	return false;
}

int gh_cmd_remote(int argc, char **argv)
{
	const char *url = NULL, *token_file = NULL, *cmd;
	struct gh_tls_client_opts tls = {0};
	bool stdin_stop = false;
	char *token = NULL, err[512];
	int i = 0, ret;

	if (gh_help_asked(argc - 1, argv + 1)) {
		printf("usage: gadgethost --remote URL [--token-file FILE] [--ca FILE] [--cert FILE "
		       "--key FILE]\n"
		       "       [--server-name NAME] [--stop-on-stdin-eof] COMMAND ...\n\n"
		       "COMMAND (run, list, list-containers, ping, instances) on a daemon: URL is\n"
		       "unix:///PATH (e.g. unix:///run/gadgethost.sock), tls://HOST:PORT, or\n"
		       "tcp://HOST:PORT to a loopback address only.\n"
		       "  --token-file FILE     the bearer token of a TCP daemon ($GADGETHOST_TOKEN)\n"
		       "  --ca FILE             tls://: the CA of the daemon's certificate (default:\n"
		       "                        the system's)\n"
		       "  --cert FILE, --key FILE   tls://: a client certificate and its key\n"
		       "  --server-name NAME    tls://: the name the certificate must carry\n"
		       "  --stop-on-stdin-eof   stop the run when stdin ends\n");
		return 0;
	}
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (!strncmp(argv[i], "--remote=", 9)) {
			url = argv[i] + 9;
		} else if (!strcmp(argv[i], "--remote") && i + 1 < argc) {
			url = argv[++i];
		} else if (!strcmp(argv[i], "--token-file") && i + 1 < argc) {
			token_file = argv[++i];
		} else if (!strcmp(argv[i], "--stop-on-stdin-eof")) {
			stdin_stop = true;
		} else if ((ret = gh_tls_client_option(&tls, argc, argv, &i))) {
			if (ret < 0)
				return 1;
		} else {
			fprintf(stderr, "gadgethost: unknown option \"%s\" before the command "
					"(--remote URL, --token-file FILE, --ca FILE, --cert FILE, "
					"--key FILE, --server-name NAME, --stop-on-stdin-eof)\n",
				argv[i]);
			return 1;
		}
	}
	cmd = i < argc ? argv[i++] : NULL;
	if (!url || !cmd) {
		fprintf(stderr, "gadgethost: usage: gadgethost --remote unix:///PATH|tls://HOST:PORT|"
				"tcp://127.0.0.1:PORT [--token-file FILE] [--ca FILE] [--cert FILE "
				"--key FILE] run|list|list-containers|ping ...\n");
		return 1;
	}
	if (gh_tls_client_opts_used(&tls) && strncmp(url, "tls://", 6)) {
		fprintf(stderr, "gadgethost: --ca, --cert, --key and --server-name are for a "
				"tls:// URL\n");
		return 1;
	}
	if (gh_tls_client_opts_used(&tls) && gh_remote_tls_setup(&tls, err, sizeof(err))) {
		fprintf(stderr, "gadgethost: TLS: %s\n", err);
		return 1;
	}
	if (gh_remote_token(url, token_file, &token, err, sizeof(err))) {
		fprintf(stderr, "gadgethost: %s\n", err);
		gh_remote_tls_cleanup();
		return 1;
	}
	if (!strcmp(cmd, "run") && detach_asked(argc - i, argv + i))
		ret = gh_cli_detach(url, token, argc - i, argv + i);
	else if (!strcmp(cmd, "instances"))
		ret = gh_cmd_instances_on(url, token, argc - i, argv + i);
	else if (!strcmp(cmd, "run"))
		ret = remote_run(url, token, stdin_stop, argc - i, argv + i);
	else if (!strcmp(cmd, "ping"))
		ret = remote_get(url, token, "/v1/ping");
	else if (!strcmp(cmd, "list"))
		ret = remote_get(url, token, i + 1 < argc && !strcmp(argv[i], "-o") &&
				 !strcmp(argv[i + 1], "json") ? "/v1/gadgets" :
				 "/v1/gadgets?o=columns");
	else if (!strcmp(cmd, "list-containers"))
		ret = remote_list_containers(url, token, argc - i, argv + i);
	else {
		fprintf(stderr, "gadgethost: --remote: \"%s\" is not a command the daemon answers "
				"(run, list, list-containers, ping, instances)\n", cmd);
		ret = 1;
	}
	free(token);
	gh_remote_tls_cleanup();
	return ret;
}
