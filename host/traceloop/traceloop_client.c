/* traceloop_client.c - requests to the traceloop socket. */
#include "traceloop/traceloop_client.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "output/out.h"
#include "base/request_client.h"

#define TIMEOUT_MS 5000

static const char *sock(const char *path)
{
	return path ? path : GH_TRACELOOP_SOCKET;
}

const char *gh_traceloop_socket(const char *path)
{
	return sock(path);
}

void gh_traceloop_explain(const char *path, int ret, char *err, size_t errlen)
{
	if (ret == -ENOENT || ret == -ECONNREFUSED)
		snprintf(err, errlen, "%s: no traceloop recorder answers there (start one: "
			 "gadgethost traceloop start)", sock(path));
}

static int request(const char *path, const char *line, struct gh_buf *body, char *err,
		   size_t errlen)
{
	int ret = gh_request(sock(path), line, body, TIMEOUT_MS, err, errlen);

	gh_traceloop_explain(path, ret, err, errlen);
	return ret;
}

void gh_traceloop_entries_free(struct gh_traceloop_entry *e, size_t n)
{
	for (size_t i = 0; e && i < n; i++) {
		free(e[i].name);
		free(e[i].id);
		free(e[i].k8s_namespace);
		free(e[i].k8s_pod);
	}
	free(e);
}

/* NAME TAB ID TAB STATE TAB RECORDS TAB MNTNS TAB NAMESPACE TAB POD (the
 * last two may be empty, or missing: a recorder from before they were) */
static int parse_line(char *line, struct gh_traceloop_entry *e)
{
	char *f[7] = {0}, *t = line;
	int n = 0;

	while (t && n < 7)
		f[n++] = strsep(&t, "\t");
	if (t || (n != 5 && n != 7) || !*f[0] || !*f[1] ||
	    (strcmp(f[2], "running") && strcmp(f[2], "exited")))
		return -EPROTO;
	e->name = strdup(f[0]);
	e->id = strdup(f[1]);
	e->running = !strcmp(f[2], "running");
	e->records = strtoull(f[3], NULL, 10);
	e->mntns = strtoull(f[4], NULL, 10);
	e->k8s_namespace = strdup(n == 7 ? f[5] : "");
	e->k8s_pod = strdup(n == 7 ? f[6] : "");
	return e->name && e->id && e->k8s_namespace && e->k8s_pod ? 0 : -ENOMEM;
}

int gh_traceloop_parse_list(const char *text, struct gh_traceloop_entry **out, size_t *n)
{
	char *copy = strdup(text), *save = NULL;
	struct gh_traceloop_entry *list = NULL;
	size_t count = 0;
	int ret = copy ? 0 : -ENOMEM;

	*out = NULL;
	*n = 0;
	for (char *line = copy ? strtok_r(copy, "\n", &save) : NULL; line && !ret;
	     line = strtok_r(NULL, "\n", &save)) {
		struct gh_traceloop_entry *grown = realloc(list, (count + 1) * sizeof(*grown));

		if (!grown) {
			ret = -ENOMEM;
			break;
		}
		list = grown;
		memset(&list[count], 0, sizeof(list[count]));
		ret = parse_line(line, &list[count]);
		count++;
	}
	free(copy);
	if (ret) {
		gh_traceloop_entries_free(list, count);
		return ret;
	}
	*out = list;
	*n = count;
	return 0;
}

int gh_traceloop_client_list(const char *path, struct gh_traceloop_entry **out, size_t *n,
			     char *err, size_t errlen)
{
	struct gh_buf body = GH_BUF_INIT;
	int ret = request(path, "list", &body, err, errlen);

	*out = NULL;
	*n = 0;
	if (!ret) {
		ret = gh_traceloop_parse_list(body.p ? body.p : "", out, n);
		if (ret)
			snprintf(err, errlen, "%s: a list answer not understood", sock(path));
	}
	gh_buf_free(&body);
	return ret;
}

int gh_traceloop_request_line(const char *verb, const char *name, char *line, size_t len,
			      char *err, size_t errlen)
{
	if (!name) {
		snprintf(line, len, "%s", verb);
		return 0;
	}
	if (!name[0] || strpbrk(name, " \t\r\n") ||
	    (size_t)snprintf(line, len, "%s %s", verb, name) >= len) {
		snprintf(err, errlen, "\"%s\" is not a container name", name);
		return -EINVAL;
	}
	return 0;
}

static int named(const char *path, const char *verb, const char *name, struct gh_buf *out,
		 char *err, size_t errlen)
{
	char line[1024];
	int ret = gh_traceloop_request_line(verb, name, line, sizeof(line), err, errlen);

	return ret ? ret : request(path, line, out, err, errlen);
}

int gh_traceloop_client_dump(const char *path, const char *name, struct gh_buf *out,
			     char *err, size_t errlen)
{
	return named(path, "dump", name, out, err, errlen);
}

int gh_traceloop_client_delete(const char *path, const char *name, char *err, size_t errlen)
{
	struct gh_buf body = GH_BUF_INIT;
	int ret = named(path, "delete", name, &body, err, errlen);

	gh_buf_free(&body);
	return ret;
}

void gh_traceloop_format_list(const struct gh_traceloop_entry *e, size_t n, bool json,
			      struct gh_buf *b)
{
	if (!json)
		gh_buf_printf(b, "%-16s %-24s %-24s %-13s %-8s %8s\n", "K8S.NAMESPACE",
			      "K8S.PODNAME", "NAME", "ID", "STATE", "RECORDS");
	for (size_t i = 0; i < n; i++) {
		const char *state = e[i].running ? "running" : "exited";

		if (!json) {
			gh_buf_printf(b, "%-16s %-24s %-24s %-13.12s %-8s %8" PRIu64 "\n",
				      *e[i].k8s_namespace ? e[i].k8s_namespace : "-",
				      *e[i].k8s_pod ? e[i].k8s_pod : "-", e[i].name, e[i].id,
				      state, e[i].records);
			continue;
		}
		gh_buf_puts(b, "{\"name\":");
		gh_json_put_string(b, e[i].name, strlen(e[i].name));
		gh_buf_puts(b, ",\"id\":");
		gh_json_put_string(b, e[i].id, strlen(e[i].id));
		gh_buf_printf(b, ",\"state\":\"%s\",\"records\":%" PRIu64 ",\"mntns\":%" PRIu64
			      ",\"k8s\":{", state, e[i].records, e[i].mntns);
		if (*e[i].k8s_pod) {
			gh_buf_puts(b, "\"namespace\":");
			gh_json_put_string(b, e[i].k8s_namespace, strlen(e[i].k8s_namespace));
			gh_buf_puts(b, ",\"podName\":");
			gh_json_put_string(b, e[i].k8s_pod, strlen(e[i].k8s_pod));
		}
		gh_buf_puts(b, "}}\n");
	}
}
