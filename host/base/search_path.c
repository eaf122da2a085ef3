/* search_path.c - locating gadgets, objects and the Lua library. */
#include "base/search_path.h"

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

static char *find_gadget_as_named(const char *name);

bool gh_ig_name_guess(const char *name, char *guess, size_t len)
{
	const char *us = strchr(name, '_');
	char *path = NULL;

	if (us && !strchr(name, '/') &&
	    snprintf(guess, len, "%.*s/%s.lua", (int)(us - name), name, us + 1) < (int)len)
		path = gh_find_gadget(guess);
	free(path);
	return path != NULL;
}

char *gh_find_gadget(const char *name)
{
	size_t len = strlen(name);
	char *path = find_gadget_as_named(name), *with_lua;

	/* "trace/exec" as people type it (ig's names have no .lua) */
	if (path || (len >= 4 && !strcmp(name + len - 4, ".lua")))
		return path;
	with_lua = malloc(len + 5);
	if (!with_lua)
		return NULL;
	memcpy(with_lua, name, len);
	memcpy(with_lua + len, ".lua", 5);
	path = find_gadget_as_named(with_lua);
	free(with_lua);
	return path;
}

static char *find_gadget_as_named(const char *name)
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
