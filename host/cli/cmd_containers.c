/* cmd_containers.c - `gadgethost list-containers`: the containers this host
 * runs, as the gadgets see them. */
#include "cli/commands.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/buf.h"
#include "containers/container.h"
#include "containers/container_watch.h"
#include "containers/containers_format.h"

int gh_cmd_containers(int argc, char **argv)
{
	const char **roots = NULL;
	size_t n_roots = 0;
	struct gh_watch_opts wo = {0};
	struct gh_containers *cc = NULL;
	struct gh_container_watch *w = NULL;
	bool json = false, verbose = false, all = false;
	int ret = 0;

	if (gh_help_asked(argc, argv)) {
		printf("usage: gadgethost list-containers [options]\n\n"
		       "The containers gadgets can be aimed at, every runtime.\n\n"
		       "  -o columns|json       output format (default columns)\n"
		       "  --all                 stopped containers too\n"
		       "  --runc-root DIR       where runtimes keep runc state (repeatable)\n"
		       "  --docker-socket PATH  Docker Engine API, for names\n"
		       "  -v, --verbose         say where containers were looked for\n");
		return 0;
	}
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
		struct gh_buf b = GH_BUF_INIT;

		ret = gh_containers_format(cc, all, json, &b) ? 1 : 0;
		if (!ret && b.len && fwrite(b.p, 1, b.len, stdout) != b.len)
			ret = 1;
		gh_buf_free(&b);
	}
	gh_container_watch_free(w);
	gh_containers_free(cc);
	free(roots);
	return ret;
}
