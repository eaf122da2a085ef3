/* remote_run.c - run requests for a daemon, from run's command line. */
#include "remote_run.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "out.h"
#include "read_file.h"

#define MAX_INLINE (1 << 20)

static void put_str(struct gh_buf *b, const char *s)
{
	gh_json_put_string(b, s, strlen(s));
}

static bool is_local_path(const char *name)
{
	return name[0] == '/' || !strncmp(name, "./", 2) || !strncmp(name, "../", 3);
}

int gh_remote_run_body(int argc, char **argv, struct gh_buf *body, const char **ready_file)
{
	const char *gadget = gh_run_gadget_name(argc, argv);
	const char *base;
	char *script = NULL;
	size_t script_len = 0;
	bool first = true;

	if (!gadget) {
		fprintf(stderr, "gadgethost: run: which gadget? (e.g. trace/exec.lua; gadgethost "
				"--remote URL list shows the daemon's)\n");
		return 1;
	}
	if (is_local_path(gadget)) {
		int ret = gh_read_file(gadget, MAX_INLINE, &script, &script_len);

		if (ret) {
			fprintf(stderr, "gadgethost: %s: %s\n", gadget, strerror(-ret));
			return 1;
		}
	}
	base = strrchr(gadget, '/');
	gh_buf_puts(body, "{\"gadget\":");
	put_str(body, script && base ? base + 1 : gadget);
	gh_buf_puts(body, ",\"output\":\"columns\",\"args\":[");
	*ready_file = NULL;
	for (int i = 0; i < argc; i++) {
		if (argv[i] == gadget)
			continue;
		if (!strcmp(argv[i], "--ready-file") && i + 1 < argc) {
			*ready_file = argv[++i];
			continue;
		}
		if (!strncmp(argv[i], "--ready-file=", 13)) {
			*ready_file = argv[i] + 13;
			continue;
		}
		gh_buf_puts(body, first ? "" : ",");
		put_str(body, argv[i]);
		first = false;
	}
	gh_buf_putc(body, ']');
	if (script) {
		gh_buf_puts(body, ",\"script\":");
		gh_json_put_string(body, script, script_len);
		free(script);
	}
	gh_buf_puts(body, "}");
	return body->p ? 0 : 1;
}

int gh_remote_run_ready(const char *path)
{
	FILE *f = fopen(path, "we");

	if (!f || fputs("ready\n", f) < 0 || fclose(f)) {
		fprintf(stderr, "gadgethost: --ready-file %s: %s\n", path, strerror(errno));
		return -EIO;
	}
	return 0;
}

const char *gh_remote_run_format(int argc, char **argv)
{
	const char *fmt = "columns";

	for (int i = 0; i < argc; i++) {
		if ((!strcmp(argv[i], "-o") || !strcmp(argv[i], "--output")) && i + 1 < argc)
			fmt = argv[++i];
		else if (!strncmp(argv[i], "-o=", 3))
			fmt = argv[i] + 3;
		else if (!strncmp(argv[i], "--output=", 9))
			fmt = argv[i] + 9;
	}
	return fmt;
}

int gh_remote_run_stop(const char *url, const char *token, const struct gh_remote *r)
{
	char path[64], err[512];
	int status;

	if (!r->run_id)
		return -ENOENT;
	snprintf(path, sizeof(path), "/v1/runs/%" PRIu64, r->run_id);
	status = gh_remote_simple(url, token, "DELETE", path, NULL, err, sizeof(err));
	if (status < 0)
		fprintf(stderr, "gadgethost: stopping the run: %s\n", err);
	return status == 204 ? 0 : -EIO;
}
