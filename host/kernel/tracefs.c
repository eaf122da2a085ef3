/* tracefs.c - finding (or mounting) tracefs, and asking it about events. */
#include "kernel/tracefs.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#ifndef TRACEFS_MAGIC
#define TRACEFS_MAGIC 0x74726163
#endif

static const char *root;

static bool is_tracefs(const char *path)
{
	struct statfs st;

	return statfs(path, &st) == 0 && st.f_type == TRACEFS_MAGIC;
}

int gh_tracefs_ensure(void)
{
	if (root)
		return 0;
	if (is_tracefs("/sys/kernel/tracing")) {
		root = "/sys/kernel/tracing";
		return 0;
	}
	if (is_tracefs("/sys/kernel/debug/tracing")) {
		root = "/sys/kernel/debug/tracing";
		return 0;
	}
	if (mount("tracefs", "/sys/kernel/tracing", "tracefs", 0, NULL))
		return -errno;
	root = "/sys/kernel/tracing";
	return 0;
}

const char *gh_tracefs_root(void)
{
	return root ? root : "/sys/kernel/tracing";
}

bool gh_tracepoint_exists(const char *category, const char *name)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/events/%s/%s", gh_tracefs_root(), category, name);
	return access(path, F_OK) == 0;
}
