/* bpf_build.c - clang -target bpf with the SDK's headers. */
#include "gadget/bpf_build.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/err.h"
#include "base/log.h"
#include "config.h"
#include "gadget/sdk_dir.h"

#define MAX_ARGS 64

char *gh_bpf_object_for(const char *src)
{
	size_t len = strlen(src);
	char *obj;

	if (len < 3 || strcmp(src + len - 2, ".c"))
		return NULL;
	obj = strdup(src);
	if (obj)
		obj[len - 1] = 'o';
	return obj;
}

static const char *clang_path(void)
{
	const char *env = getenv("CLANG");

	return env && *env ? env : GH_CLANG;
}

int gh_bpf_build(const char *src, const char *obj, const char *const *extra, size_t n_extra,
		 bool verbose, char *err, size_t errlen)
{
	char flags[] = GH_BPF_CFLAGS; /* split in place, on spaces */
	char inc[4096], vmlinux[4096];
	const char *argv[MAX_ARGS];
	size_t n = 0;
	int status;
	pid_t pid;

	snprintf(inc, sizeof(inc), "-I%s/include", gh_sdk_dir());
	snprintf(vmlinux, sizeof(vmlinux), "-I%s/vmlinux", gh_sdk_dir());
	argv[n++] = clang_path();
	for (char *save = NULL, *tok = strtok_r(flags, " ", &save); tok && n < MAX_ARGS - 16;
	     tok = strtok_r(NULL, " ", &save))
		argv[n++] = tok;
	argv[n++] = inc;
	argv[n++] = vmlinux;
	for (size_t i = 0; i < n_extra && n < MAX_ARGS - 6; i++)
		argv[n++] = extra[i];
	argv[n++] = "-c";
	argv[n++] = src;
	argv[n++] = "-o";
	argv[n++] = obj;
	argv[n] = NULL;
	if (verbose && gh_log_verbose()) {
		struct gh_buf line = GH_BUF_INIT;

		for (size_t i = 0; i < n; i++)
			gh_buf_printf(&line, "%s%s", i ? " " : "", argv[i]);
		gh_log(GH_LOG_INFO, "%s", line.p ? line.p : "");
		gh_buf_free(&line);
	}
	pid = fork();
	if (pid < 0)
		return gh_err(err, errlen, -errno, "fork: %s", strerror(errno));
	if (pid == 0) {
		execvp(argv[0], (char *const *)argv);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return gh_err(err, errlen, -errno, "waiting for %s: %s", argv[0],
				      strerror(errno));
	if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
		return gh_err(err, errlen, -ENOENT, "running %s failed (install clang, or set "
			      "$CLANG)", argv[0]);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (err && errlen)
		err[0] = '\0'; /* clang said why, on stderr */
	return -EINVAL;
}
