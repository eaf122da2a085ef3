/* cmd_hook.c - `gadgethost hook KIND [--dir DIR]`: the OCI hook a runtime
 * runs with the container's state on stdin; every running host is told
 * (containers/hook.h).  It never fails the container: what goes wrong is
 * a warning on stderr (base/log.h), and the exit status is 0. */
#include "cli/commands.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/json.h"
#include "base/log.h"
#include "base/read_file.h"
#include "containers/hook.h"

int gh_cmd_hook(int argc, char **argv)
{
	const char *kind = NULL, *dir = GH_HOOK_DIR;
	struct gh_broadcast_target *hosts = NULL;
	struct gh_json *j = NULL;
	char *state = NULL, why[160];
	size_t len = 0, n = 0;
	int ret;

	if (argc > 1 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		printf("usage: gadgethost hook prestart|createRuntime|poststop [--dir DIR] "
		       "< OCI state\n\n"
		       "An OCI hook: tells every gadgethost running on this host (their\n"
		       "sockets in DIR, default %s) that a container starts or stops.\n", GH_HOOK_DIR);
		return 0;
	}
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--dir") && i + 1 < argc)
			dir = argv[++i];
		else if (!kind && argv[i][0] != '-')
			kind = argv[i];
		else {
			fprintf(stderr, "gadgethost hook: unexpected argument \"%s\"\n", argv[i]);
			return 0;
		}
	}
	if (!kind) {
		fprintf(stderr, "usage: gadgethost hook prestart|createRuntime|poststop [--dir DIR] "
				"< OCI state\n");
		return 2;
	}
	ret = gh_read_fd(STDIN_FILENO, GH_HOOK_MSG_MAX, &state, &len);
	if (!ret)
		ret = gh_json_parse(state, len, &j, why, sizeof(why));
	gh_json_free(j);
	if (ret) {
		gh_log(GH_LOG_WARNING, "hook: skipping a malformed OCI state on stdin: %s",
		       ret == -EINVAL ? why : strerror(-ret));
		free(state);
		return 0;
	}
	ret = gh_hook_notify(dir, kind, state, len, GH_HOOK_TIMEOUT_MS, &hosts, &n);
	if (ret && ret != -ENOENT)
		gh_log(GH_LOG_WARNING, "hook: %s: %s", dir, strerror(-ret));
	for (size_t i = 0; i < n; i++) {
		const struct gh_broadcast_target *h = &hosts[i];

		if (h->ret == -ECONNREFUSED || h->ret == -ENOENT)
			continue; /* a host that died: its socket stays until the next start */
		if (h->ret == -ETIMEDOUT)
			gh_log(GH_LOG_WARNING, "hook: %s: no answer within %d ms", h->path,
			       GH_HOOK_TIMEOUT_MS);
		else if (h->ret)
			gh_log(GH_LOG_WARNING, "hook: %s: %s", h->path, strerror(-h->ret));
		else if (strncmp(h->answer, "ok", 2))
			gh_log(GH_LOG_WARNING, "hook: %s: %.*s", h->path,
			       (int)strcspn(h->answer, "\n"), h->answer);
	}
	free(hosts);
	free(state);
	return 0;
}
