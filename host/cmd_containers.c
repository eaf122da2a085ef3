/* cmd_containers.c - `gadgethost list-containers`: the containers this host
 * runs, as the gadgets see them. */
#include "commands.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "container.h"
#include "container_watch.h"
#include "out_private.h"

static const char *or_dash(const char *s)
{
	return s && *s ? s : "-";
}

static void print_table(const struct gh_containers *cc, bool all)
{
	printf("%-13s %-20s %-11s %8s %-11s %-16s %-20s %s\n", "ID", "NAME", "RUNTIME", "PID",
	       "MNTNS", "K8S.NAMESPACE", "K8S.PODNAME", "K8S.CONTAINERNAME");
	for (size_t i = 0; i < gh_containers_count(cc); i++) {
		const struct gh_container *c = gh_containers_at(cc, i);

		if (c->sandbox && !all)
			continue;
		printf("%-13.12s %-20s %-11s %8d %-11" PRIu64 " %-16s %-20s %s\n", c->id, c->name,
		       or_dash(c->runtime), (int)c->pid, c->mntns, or_dash(c->k8s_namespace),
		       or_dash(c->k8s_pod), or_dash(c->k8s_container));
	}
}

static void json_field(struct gh_buf *b, const char *key, const char *value, bool *first)
{
	if (!value)
		return;
	gh_buf_printf(b, "%s\"%s\":", *first ? "" : ",", key);
	gh_json_put_string(b, value, strlen(value));
	*first = false;
}

/* One JSON object per line, the field names of the events' enrichment. */
static int print_json(const struct gh_containers *cc, bool all)
{
	struct gh_buf b = GH_BUF_INIT;
	int ret = 0;

	for (size_t i = 0; i < gh_containers_count(cc); i++) {
		const struct gh_container *c = gh_containers_at(cc, i);
		bool first = true;

		if (c->sandbox && !all)
			continue;
		gh_buf_putc(&b, '{');
		gh_buf_puts(&b, "\"runtime\":{");
		json_field(&b, "runtimeName", c->runtime, &first);
		json_field(&b, "containerId", c->id, &first);
		json_field(&b, "containerName", c->name, &first);
		json_field(&b, "containerImageName", c->image, &first);
		gh_buf_puts(&b, "},\"k8s\":{");
		first = true;
		json_field(&b, "namespace", c->k8s_namespace, &first);
		json_field(&b, "podName", c->k8s_pod, &first);
		json_field(&b, "containerName", c->k8s_container, &first);
		json_field(&b, "podUID", c->k8s_pod_uid, &first);
		json_field(&b, "podLabels", c->k8s_labels, &first);
		gh_buf_printf(&b, "},\"pid\":%d,\"mntns\":%" PRIu64 ",\"netns\":%" PRIu64, (int)c->pid,
			      c->mntns, c->netns);
		if (c->sandbox)
			gh_buf_puts(&b, ",\"sandbox\":true");
		gh_buf_puts(&b, "}\n");
	}
	if (b.len && fwrite(b.p, 1, b.len, stdout) != b.len)
		ret = 1;
	gh_buf_free(&b);
	return ret;
}

int gh_cmd_containers(int argc, char **argv)
{
	const char **roots = NULL;
	size_t n_roots = 0;
	struct gh_watch_opts wo = {0};
	struct gh_containers *cc = NULL;
	struct gh_container_watch *w = NULL;
	bool json = false, verbose = false, all = false;
	int ret = 0;

	for (int i = 0; i < argc && !ret; i++) {
		const char *arg = argv[i];
		bool has_value = i + 1 < argc;

		if (!strcmp(arg, "-o") && has_value && !strcmp(argv[i + 1], "json")) {
			json = true;
			i++;
		} else if (!strcmp(arg, "-o") && has_value && !strcmp(argv[i + 1], "columns")) {
			i++;
		} else if (!strcmp(arg, "-v") || !strcmp(arg, "--verbose")) {
			verbose = true;
		} else if (!strcmp(arg, "--all")) {
			all = true;
		} else if (!strcmp(arg, "--runc-root") && has_value) {
			const char **grown = realloc(roots, (n_roots + 2) * sizeof(*grown));

			if (!grown) {
				ret = 1;
				break;
			}
			roots = grown;
			roots[n_roots++] = argv[++i];
			roots[n_roots] = NULL;
		} else if (!strcmp(arg, "--docker-socket") && has_value) {
			wo.docker_socket = argv[++i];
		} else {
			fprintf(stderr, "gadgethost: list-containers: unknown option \"%s\" (options: "
					"-o columns|json, --all, --runc-root DIR, --docker-socket PATH, "
					"--verbose)\n", arg);
			ret = 1;
		}
	}
	if (!ret && geteuid() != 0) {
		fprintf(stderr, "gadgethost: list-containers needs root: the runtimes' state and "
				"/proc/PID/ns of other users' processes are root's\n");
		ret = 1;
	}
	wo.runc_roots = roots;
	if (!ret && (gh_containers_new(&cc) || gh_container_watch_new(&w, cc, &wo))) {
		fprintf(stderr, "gadgethost: out of memory\n");
		ret = 1;
	}
	if (!ret) {
		gh_container_watch_scan(w);
		if (verbose)
			gh_container_watch_describe(w, stderr);
		ret = json ? print_json(cc, all) : (print_table(cc, all), 0);
	}
	gh_container_watch_free(w);
	gh_containers_free(cc);
	free(roots);
	return ret;
}
