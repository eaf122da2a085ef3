/* bpf_build.c - clang -target bpf with the SDK's headers. */
#include "bpf_build.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "config.h"
#include "sdk_dir.h"

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
		 bool verbose)
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
	if (verbose) {
		fputs("gadgethost:", stderr);
		for (size_t i = 0; i < n; i++)
			fprintf(stderr, " %s", argv[i]);
		fputc('\n', stderr);
	}
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		execvp(argv[0], (char *const *)argv);
		fprintf(stderr, "gadgethost: running %s: %s (install clang, or set $CLANG)\n",
			argv[0], strerror(errno));
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
		return -ENOENT;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -EINVAL;
}
