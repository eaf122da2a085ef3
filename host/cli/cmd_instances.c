/* cmd_instances.c - gadgets left running on a daemon (docs/deploy.md):
 *
 *   gadgethost run GADGET ... --detach --name NAME [--keep N] [--remote URL]
 *   gadgethost [--remote URL] instances list [-o json]
 *   gadgethost [--remote URL] instances attach NAME
 *   gadgethost [--remote URL] instances delete NAME
 *
 * The daemon is unix:///run/gadgethost.sock unless --remote says another
 * (a tcp:// one, on loopback, takes its token from --token-file or
 * $GADGETHOST_TOKEN; a tls:// one goes through gadgethost --remote URL
 * --ca FILE ... instances, whose TLS options these commands share).
 */
#include "cli/commands.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/json.h"
#include "daemon/remote_client.h"
#include "daemon/remote_run.h"

#define DEFAULT_URL "unix:///run/gadgethost.sock"

static int print_answer(int status, const struct gh_buf *out, const char *what)
{
	if (out->len)
		fwrite(out->p, 1, out->len, status / 100 == 2 ? stdout : stderr);
	else if (status / 100 != 2)
		fprintf(stderr, "gadgethost: %s: HTTP %d\n", what, status);
	return status / 100 == 2 ? 0 : 1;
}

static void body_to_stdout(void *ctx, const char *data, size_t len)
{
	fwrite(data, 1, len, stdout);
	fflush(stdout);
}

int gh_cli_detach(const char *url, const char *token, int argc, char **argv)
{
	struct gh_run_config c;
	struct gh_buf body = GH_BUF_INIT;
	const char *ready_file;
	char *own_token = NULL, err[512];
	int ret;

	gh_run_config_init(&c);
	ret = gh_remote_run_parse(&c, argc, argv, err, sizeof(err));
	if (!ret && !url)
		url = c.instance.remote ? c.instance.remote : DEFAULT_URL;
	if (!ret)
		ret = gh_remote_run_body(argc, argv, &body, &ready_file, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "gadgethost: %s\n", err);
		ret = 1;
	} else if (!token && gh_remote_token(url, NULL, &own_token, err, sizeof(err))) {
		fprintf(stderr, "gadgethost: %s\n", err);
		ret = 1;
	} else {
		struct gh_remote r = {.on_body = body_to_stdout};

		ret = gh_remote_request(&r, url, token ? token : own_token, "POST", "/v1/instances",
					body.p, body.len, err, sizeof(err));
		if (ret)
			fprintf(stderr, "gadgethost: %s\n", err);
		else if ((ret = gh_remote_wait(&r)) < 0)
			fprintf(stderr, "gadgethost: %s: the answer broke off: %s\n", url,
				strerror(-ret));
		else
			ret = print_answer(r.status, &r.err_body, url);
		gh_remote_close(&r);
		ret = ret ? 1 : 0;
	}
	gh_run_config_free(&c);
	gh_buf_free(&body);
	free(own_token);
	return ret;
}

/* NAME GADGET STATE PID ROWS RESTARTS REASON, from the JSON lines */
static int print_table(const struct gh_buf *lines)
{
	const char *p = lines->p ? lines->p : "", *end = p + lines->len;

	printf("%-20s %-26s %-9s %-8s %-10s %-8s %s\n", "NAME", "GADGET", "STATE", "PID", "ROWS",
	       "RESTARTS", "REASON");
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
		struct gh_json *j = NULL;
		char jerr[128];
		uint64_t pid = 0, rows = 0, restarts = 0;

		if (len && !gh_json_parse(p, len, &j, jerr, sizeof(jerr))) {
			const char *s[4] = {"", "", "", ""};
			static const char *const keys[] = {"name", "gadget", "state", "reason"};

			for (int k = 0; k < 4; k++)
				if (gh_json_type(gh_json_get(j, keys[k])) == GH_JSON_STRING)
					s[k] = gh_json_str(gh_json_get(j, keys[k]));
			gh_json_uint(gh_json_get(j, "pid"), &pid);
			gh_json_uint(gh_json_get(j, "rows"), &rows);
			gh_json_uint(gh_json_get(j, "restarts"), &restarts);
			printf("%-20s %-26s %-9s %-8llu %-10llu %-8llu %s\n", s[0], s[1], s[2],
			       (unsigned long long)pid, (unsigned long long)rows,
			       (unsigned long long)restarts, s[3]);
			gh_json_free(j);
		}
		p += len + 1;
	}
	return 0;
}

static volatile sig_atomic_t interrupted;

static void on_interrupt(int sig)
{
	interrupted = 1;
}

/* The kept rows, then the new ones, until Ctrl-C or the instance goes. */
static int attach(const char *url, const char *token, const char *name)
{
	struct sigaction sa = {.sa_handler = on_interrupt}; /* no SA_RESTART */
	struct gh_remote r = {.on_body = body_to_stdout};
	struct gh_buf path = GH_BUF_INIT;
	char err[512];
	int ret;

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	gh_buf_puts(&path, "/v1/instances/");
	gh_buf_puts(&path, name);
	gh_buf_puts(&path, "/rows");
	ret = gh_remote_request(&r, url, token, "GET", path.p, NULL, 0, err, sizeof(err));
	gh_buf_free(&path);
	if (ret) {
		fprintf(stderr, "gadgethost: %s\n", err);
		gh_remote_close(&r);
		return 1;
	}
	while (!interrupted && (ret = gh_remote_read(&r)) == 0)
		;
	if (ret < 0 && !interrupted)
		fprintf(stderr, "gadgethost: %s: the stream broke off: %s\n", url, strerror(-ret));
	ret = r.status / 100 == 2 ? (ret < 0 && !interrupted) : print_answer(r.status, &r.err_body,
									       url);
	gh_remote_close(&r);
	return ret;
}

static bool valid_name(const char *name)
{
	return *name && strlen(name) <= 63 && !strchr(name, '/') && !strchr(name, '?') &&
	       !strchr(name, '%') && !strchr(name, ' ');
}

static int usage(FILE *f)
{
	fprintf(f, "usage: gadgethost instances [--remote URL] [--token-file FILE] list [-o json]\n"
		   "       gadgethost instances [--remote URL] [--token-file FILE] attach NAME\n"
		   "       gadgethost instances [--remote URL] [--token-file FILE] delete NAME\n\n"
		   "The gadgets a daemon keeps running (started with run GADGET --detach --name\n"
		   "NAME). URL: unix:///PATH (default " DEFAULT_URL ")\n"
		   "or tcp://127.0.0.1:PORT; tls://HOST:PORT through gadgethost --remote URL\n"
		   "--ca FILE instances ...\n"
		   "  list          each instance: its gadget, state, rows, restarts, and why it\n"
		   "                does not run when it does not\n"
		   "  attach NAME   the rows it kept, then the new ones until Ctrl-C\n"
		   "  delete NAME   stop it; it is not started again\n");
	return f == stdout ? 0 : 1;
}

int gh_cmd_instances_on(const char *url, const char *token, int argc, char **argv)
{
	const char *cmd = argc ? argv[0] : NULL;
	struct gh_buf out = GH_BUF_INIT, path = GH_BUF_INIT;
	char err[512];
	int status, ret;

	if (!cmd)
		return usage(stderr);
	if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help"))
		return usage(stdout);
	if (!strcmp(cmd, "list")) {
		bool json = argc == 3 && !strcmp(argv[1], "-o") && !strcmp(argv[2], "json");

		if (argc != 1 && !json) {
			fprintf(stderr, "gadgethost: instances list: only -o json may follow\n");
			return 1;
		}
		status = gh_remote_simple(url, token, "GET", "/v1/instances", &out, err,
					  sizeof(err));
		if (status < 0)
			ret = (fprintf(stderr, "gadgethost: %s\n", err), 1);
		else if (status / 100 != 2 || json)
			ret = print_answer(status, &out, url);
		else
			ret = print_table(&out);
		gh_buf_free(&out);
		return ret;
	}
	if ((strcmp(cmd, "attach") && strcmp(cmd, "delete")) || argc != 2) {
		fprintf(stderr, "gadgethost: instances: list, attach NAME or delete NAME, not "
				"\"%s%s\"\n", cmd, argc > 2 ? " ..." : "");
		return 1;
	}
	if (!valid_name(argv[1])) {
		fprintf(stderr, "gadgethost: instances %s: \"%s\" is not an instance's name\n", cmd,
			argv[1]);
		return 1;
	}
	if (!strcmp(cmd, "attach"))
		return attach(url, token, argv[1]);
	gh_buf_puts(&path, "/v1/instances/");
	gh_buf_puts(&path, argv[1]);
	status = gh_remote_simple(url, token, "DELETE", path.p ? path.p : "", &out, err,
				  sizeof(err));
	gh_buf_free(&path);
	if (status < 0)
		ret = (fprintf(stderr, "gadgethost: %s\n", err), 1);
	else
		ret = print_answer(status, &out, url);
	gh_buf_free(&out);
	return ret;
}

int gh_cmd_instances(int argc, char **argv)
{
	const char *url = DEFAULT_URL, *token_file = NULL;
	char *token = NULL, err[512];
	int i = 0, ret;

	for (; i + 1 < argc && argv[i][0] == '-' && strcmp(argv[i], "-h"); i += 2) {
		if (!strcmp(argv[i], "--remote"))
			url = argv[i + 1];
		else if (!strcmp(argv[i], "--token-file"))
			token_file = argv[i + 1];
		else
			break;
	}
	if (gh_remote_token(url, token_file, &token, err, sizeof(err))) {
		fprintf(stderr, "gadgethost: %s\n", err);
		return 1;
	}
	ret = gh_cmd_instances_on(url, token, argc - i, argv + i);
	free(token);
	return ret;
}
