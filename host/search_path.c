/* search_path.c - locating gadgets, objects and the Lua library. */
#include "search_path.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"

#define MAX_ROOTS 32

static char env_copy[PATH_MAX * 4];
static char exe_dir[PATH_MAX];

static int file_exists(const char *path)
{
	return access(path, R_OK) == 0;
}

int gh_running_from_build_tree(void)
{
	static int cached = -1;
	ssize_t n;

	if (cached >= 0)
		return cached;
	n = readlink("/proc/self/exe", exe_dir, sizeof(exe_dir) - 1);
	cached = 0;
	if (n > 0) {
		size_t blen = strlen(GH_BUILD_DIR);

		exe_dir[n] = '\0';
		cached = strncmp(exe_dir, GH_BUILD_DIR "/", blen + 1) == 0;
	}
	return cached;
}

size_t gh_gadget_roots(const char **roots, size_t max)
{
	const char *env = getenv("GADGETHOST_PATH");
	size_t n = 0;

	if (env && *env) {
		char *save = NULL, *tok;

		snprintf(env_copy, sizeof(env_copy), "%s", env);
		for (tok = strtok_r(env_copy, ":", &save); tok && n < max;
		     tok = strtok_r(NULL, ":", &save))
			roots[n++] = tok;
	}
	if (n < max)
		roots[n++] = GH_DATADIR "/gadgets";
	if (n < max && gh_running_from_build_tree())
		roots[n++] = GH_SOURCE_DIR "/gadgets";
	return n;
}

static char *absolute(const char *path)
{
	char buf[PATH_MAX];

	if (!realpath(path, buf))
		return NULL;
	return strdup(buf);
}

static char *try_join(const char *dir, const char *name)
{
	char buf[PATH_MAX];

	if (snprintf(buf, sizeof(buf), "%s/%s", dir, name) >= (int)sizeof(buf))
		return NULL;
	return file_exists(buf) ? absolute(buf) : NULL;
}

char *gh_find_gadget(const char *name)
{
	const char *roots[MAX_ROOTS];
	size_t n;
	char *path;

	if (name[0] == '/' || strncmp(name, "./", 2) == 0 || strncmp(name, "../", 3) == 0)
		return file_exists(name) ? absolute(name) : NULL;
	n = gh_gadget_roots(roots, MAX_ROOTS);
	for (size_t i = 0; i < n; i++) {
		path = try_join(roots[i], name);
		if (path)
			return path;
	}
	/* a plain relative path to a file of the user's own */
	return file_exists(name) ? absolute(name) : NULL;
}

char *gh_find_object(const char *name, const char *script_dir)
{
	const char *roots[MAX_ROOTS];
	size_t n;
	char *path;

	if (name[0] == '/')
		return file_exists(name) ? strdup(name) : NULL;
	if (script_dir) {
		const char *base = strrchr(name, '/');

		/* next to the script, by full name and by base name */
		path = try_join(script_dir, name);
		if (!path && base)
			path = try_join(script_dir, base + 1);
		if (path)
			return path;
	}
	n = gh_gadget_roots(roots, MAX_ROOTS);
	for (size_t i = 0; i < n; i++) {
		path = try_join(roots[i], name);
		if (path)
			return path;
	}
	if (gh_running_from_build_tree())
		return try_join(GH_BUILD_DIR "/bpf", name);
	return NULL;
}

const char *gh_lua_lib_dir(void)
{
	if (gh_running_from_build_tree())
		return GH_SOURCE_DIR "/lua";
	return GH_DATADIR "/lua";
}
