/* cmd_traceloop.c - `gadgethost traceloop start|list|show|delete`: the
 * flight recorder (traceloop.h) and the commands that read it from the
 * running host over its socket (traceloop_client.h). */
#include "cli/cli_log.h"
#include "cli/commands.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <uv.h>

#include "base/buf.h"
#include "base/glob_check.h"
#include "output/out.h"
#include "base/request_server.h"
#include "run/run.h"
#include "traceloop/traceloop.h"
#include "traceloop/traceloop_client.h"

static int usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("gadgethost traceloop: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 1;
}

static void usage(FILE *to)
{
	fprintf(to,
		"usage: gadgethost traceloop COMMAND [options]\n\n"
		"  start [options]      record every container's syscalls (until SIGINT/SIGTERM)\n"
		"      -c, --containername GLOB   only these containers (repeatable)\n"
		"      --entries N      records kept per container (default %u, a power of two)\n"
		"      --keep N         exited containers kept (default %u, the most recent)\n"
		"      --syscall-filters LIST   only these calls (openat,execve), in the kernel\n"
		"      --runc-root DIR  --docker-socket PATH  --hook-dir DIR   as for run\n"
		"      --timeout SECONDS  --ready-file PATH  -v, --verbose\n"
		"  list [-o json]       the containers recorded: name, id, state, records held\n"
		"  show NAME            a container's recent syscalls, strace-like\n"
		"  delete NAME          forget an exited container's records\n"
		"      NAME: a container name, an id or its prefix, or NAMESPACE/POD/NAME\n"
		"      -n, --namespace NS  -p, --podname POD   the pod's, when a name is not enough\n\n"
		"Every command takes --socket PATH (default %s).\n",
		GH_TRACELOOP_ENTRIES_DEFAULT, GH_TRACELOOP_KEEP_DEFAULT, GH_TRACELOOP_SOCKET);
}

/* ---- start: the recorder and its socket ---- */

struct recorder {
	struct gh_traceloop *tl;
	struct gh_request_server *server;
};

static int handle(void *ctx, const char *line, size_t len, struct gh_buf *body, char *err,
		  size_t errlen)
{
	struct recorder *rec = ctx;
	const char *arg = strchr(line, ' ');
	size_t verb = arg ? (size_t)(arg - line) : strlen(line);
	int ret;

	arg = arg ? arg + 1 : "";
	if (verb == 4 && !strncmp(line, "list", 4) && !*arg)
		return gh_traceloop_list(rec->tl, body);
	if (verb == 4 && !strncmp(line, "dump", 4) && *arg) {
		ret = gh_traceloop_dump(rec->tl, arg, body, err, errlen);
		if (ret == -ENOENT)
			snprintf(err, errlen, "no container %s recorded (see: gadgethost traceloop "
				 "list)", arg);
		return ret;
	}
	if (verb == 6 && !strncmp(line, "delete", 6) && *arg) {
		ret = gh_traceloop_delete(rec->tl, arg, err, errlen);
		if (ret == -ENOENT)
			snprintf(err, errlen, "no container %s recorded", arg);
		else if (ret == -EBUSY)
			snprintf(err, errlen, "container %s is still running: its records are "
				 "kept until it exits", arg);
		return ret;
	}
	snprintf(err, errlen, "unknown request \"%.100s\" (list, dump NAME, delete NAME)", line);
	return -EINVAL;
}

static int push(const char ***list, size_t *n, const char *v)
{
	const char **grown = realloc(*list, (*n + 2) * sizeof(*grown));

	if (!grown)
		return -ENOMEM;
	grown[(*n)++] = v;
	grown[*n] = NULL;
	*list = grown;
	return 0;
}

static int parse_count(const char *opt, const char *text, unsigned long max,
		       unsigned long *out)
{
	char *end;

	errno = 0;
	*out = strtoul(text, &end, 10);
	if (errno || end == text || *end || text[0] == '-' || *out > max)
		return usage_error("%s: \"%s\" is not a number from 0 to %lu", opt, text, max);
	return 0;
}

struct start_args {
	struct gh_traceloop_opts o;
	const char **names, **roots;
	size_t n_roots;
	const char *socket, *ready_file;
	double timeout;
};

static int parse_start(struct start_args *a, int argc, char **argv)
{
	static const char *const with_value[] = {"-c", "--containername", "--entries", "--keep",
		"--runc-root", "--docker-socket", "--hook-dir", "--timeout", "--ready-file",
		"--socket", "--syscall-filters", NULL};

	for (int i = 0; i < argc; i++) {
		const char *opt = argv[i], *val = NULL;
		unsigned long n;
		bool takes = false;

		if (!strcmp(opt, "-v") || !strcmp(opt, "--verbose")) {
			a->o.verbose = true;
			continue;
		}
		for (size_t k = 0; with_value[k]; k++)
			takes = takes || !strcmp(opt, with_value[k]);
		if (!takes)
			return usage_error("start: unknown option %s", opt);
		if (i + 1 >= argc)
			return usage_error("%s needs a value", opt);
		val = argv[++i];
		if (!strcmp(opt, "-c") || !strcmp(opt, "--containername")) {
			if (gh_glob_problem(val))
				return usage_error("%s \"%s\": %s", opt, val, gh_glob_problem(val));
			if (push(&a->names, &a->o.select.n_names, val))
				return usage_error("out of memory");
		} else if (!strcmp(opt, "--entries")) {
			if (parse_count(opt, val, 1u << 20, &n))
				return 1;
			if (n < 16)
				return usage_error("--entries: at least 16");
			a->o.entries = (uint32_t)n;
		} else if (!strcmp(opt, "--keep")) {
			if (parse_count(opt, val, 1000, &n))
				return 1;
			a->o.keep = n;
		} else if (!strcmp(opt, "--runc-root")) {
			if (push(&a->roots, &a->n_roots, val))
				return usage_error("out of memory");
		} else if (!strcmp(opt, "--docker-socket")) {
			a->o.docker_socket = val;
		} else if (!strcmp(opt, "--hook-dir")) {
			a->o.hook_dir = val;
		} else if (!strcmp(opt, "--timeout")) {
			char *end;

			a->timeout = strtod(val, &end);
			if (end == val || *end || a->timeout <= 0)
				return usage_error("--timeout: \"%s\" is not a positive number of "
						   "seconds", val);
		} else if (!strcmp(opt, "--ready-file")) {
			a->ready_file = val;
		} else if (!strcmp(opt, "--syscall-filters")) {
			a->o.syscall_filters = val;
		} else {
			a->socket = val;
		}
	}
	return 0;
}

static int cmd_start(int argc, char **argv)
{
	struct start_args a = {.o.keep = GH_TRACELOOP_KEEP_DEFAULT, .socket = GH_TRACELOOP_SOCKET};
	struct recorder rec = {0};
	uv_loop_t loop;
	char err[1024];
	int ret = parse_start(&a, argc, argv);

	if (ret)
		goto out_args;
	if (geteuid() != 0) {
		ret = usage_error("start needs root: loading eBPF needs CAP_BPF, CAP_PERFMON and "
				  "CAP_SYS_ADMIN");
		goto out_args;
	}
	a.o.select.names = a.names;
	a.o.runc_roots = a.roots;
	gh_cli_log_install(a.o.verbose);
	if (gh_traceloop_open(&rec.tl, &a.o, err, sizeof(err))) {
		ret = usage_error("%s", err);
		goto out_args;
	}
	uv_loop_init(&loop);
	ret = gh_request_server_start(&rec.server, &loop, a.socket, 0, handle, &rec);
	if (ret) {
		ret = usage_error("%s: %s", a.socket, ret == -EADDRINUSE ?
				  "another traceloop recorder answers there" : uv_strerror(ret));
	} else {
		struct gh_run_opts ro = {.loop = &loop, .ready_file = a.ready_file,
					 .timeout_ms = (uint64_t)(a.timeout * 1000),
					 .verbose = a.o.verbose};

		if (a.o.verbose)
			fprintf(stderr, "gadgethost: traceloop: recording, socket %s\n", a.socket);
		/* signals, --timeout, the ready file: the run loop's */
		ret = gh_traceloop_run(rec.tl, &ro) ? 1 : 0;
	}
	gh_request_server_free(rec.server);
	gh_traceloop_free(rec.tl);
	uv_run(&loop, UV_RUN_DEFAULT);
	uv_loop_close(&loop);
out_args:
	free(a.names);
	free(a.roots);
	return ret;
}

/* ---- the clients ---- */

/* Options every client command takes: --socket PATH, and -o for list.
 * The one positional argument goes to *name, which show and delete take
 * with -n NAMESPACE and -p POD as NAMESPACE/POD/NAME (into sel). */
static int parse_client(int argc, char **argv, const char **socket, const char **name,
			const char **format, char *sel, size_t sel_len)
{
	const char *ns = NULL, *pod = NULL;

	for (int i = 0; i < argc; i++) {
		bool is_ns = !strcmp(argv[i], "-n") || !strcmp(argv[i], "--namespace");
		bool is_pod = !strcmp(argv[i], "-p") || !strcmp(argv[i], "--podname");

		if ((!strcmp(argv[i], "--socket") || (format && !strcmp(argv[i], "-o"))) &&
		    i + 1 < argc) {
			*(!strcmp(argv[i], "-o") ? format : socket) = argv[i + 1];
			i++;
		} else if (name && (is_ns || is_pod) && i + 1 < argc) {
			if (!argv[i + 1][0] || strchr(argv[i + 1], '/'))
				return usage_error("%s: \"%s\" is not a %s", argv[i], argv[i + 1],
						   is_ns ? "namespace" : "pod name");
			*(is_ns ? &ns : &pod) = argv[++i];
		} else if (argv[i][0] == '-') {
			return usage_error("unknown option %s", argv[i]);
		} else if (name && !*name) {
			*name = argv[i];
		} else {
			return usage_error("unexpected argument \"%s\"", argv[i]);
		}
	}
	if (name && !*name)
		return usage_error("which container? (see: gadgethost traceloop list)");
	if (!name || (!ns && !pod))
		return 0;
	if (strchr(*name, '/'))
		return usage_error("%s: the namespace and pod either in NAME or as -n/-p", *name);
	if ((size_t)snprintf(sel, sel_len, "%s/%s/%s", ns ? ns : "", pod ? pod : "", *name) >=
	    sel_len)
		return usage_error("%s: too long a name", *name);
	*name = sel;
	return 0;
}

static int print_buf(const struct gh_buf *b)
{
	if (b->len && fwrite(b->p, 1, b->len, stdout) != b->len)
		return 1;
	return fflush(stdout) ? 1 : 0;
}

static int cmd_list(int argc, char **argv)
{
	const char *socket = NULL, *format = "columns";
	struct gh_traceloop_entry *e = NULL;
	struct gh_buf b = GH_BUF_INIT;
	size_t n = 0;
	char err[1024];
	int ret;

	if (parse_client(argc, argv, &socket, NULL, &format, NULL, 0))
		return 1;
	if (strcmp(format, "columns") && strcmp(format, "json"))
		return usage_error("-o: \"%s\" (columns or json)", format);
	if (gh_traceloop_client_list(socket, &e, &n, err, sizeof(err)))
		return usage_error("%s", err);
	gh_traceloop_format_list(e, n, !strcmp(format, "json"), &b);
	ret = print_buf(&b);
	gh_buf_free(&b);
	gh_traceloop_entries_free(e, n);
	return ret;
}

static int cmd_show(int argc, char **argv)
{
	const char *socket = NULL, *name = NULL;
	struct gh_buf b = GH_BUF_INIT;
	char err[1024], sel[1024];
	int ret;

	if (parse_client(argc, argv, &socket, &name, NULL, sel, sizeof(sel)))
		return 1;
	if (gh_traceloop_client_dump(socket, name, &b, err, sizeof(err))) {
		gh_buf_free(&b);
		return usage_error("%s", err);
	}
	ret = print_buf(&b);
	gh_buf_free(&b);
	return ret;
}

static int cmd_delete(int argc, char **argv)
{
	const char *socket = NULL, *name = NULL;
	char err[1024], sel[1024];

	if (parse_client(argc, argv, &socket, &name, NULL, sel, sizeof(sel)))
		return 1;
	if (gh_traceloop_client_delete(socket, name, err, sizeof(err)))
		return usage_error("%s", err);
	return 0;
}

int gh_cmd_traceloop(int argc, char **argv)
{
	const char *sub = argc > 0 ? argv[0] : NULL;

	if (!sub || !strcmp(sub, "-h") || !strcmp(sub, "--help")) {
		usage(sub ? stdout : stderr);
		return sub ? 0 : 1;
	}
	if (!strcmp(sub, "start"))
		return cmd_start(argc - 1, argv + 1);
	if (!strcmp(sub, "list"))
		return cmd_list(argc - 1, argv + 1);
	if (!strcmp(sub, "show"))
		return cmd_show(argc - 1, argv + 1);
	if (!strcmp(sub, "delete"))
		return cmd_delete(argc - 1, argv + 1);
	return usage_error("unknown command \"%s\" (start, list, show, delete)", sub);
}
