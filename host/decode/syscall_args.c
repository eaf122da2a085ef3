/* syscall_args.c - syscall argument kinds from tracepoint formats. */
#include "decode/syscall_args.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/names.h"
#include "base/read_file.h"

static bool name_is(const char *name, const char *const *list)
{
	for (size_t i = 0; list[i]; i++)
		if (!strcmp(name, list[i]))
			return true;
	return false;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && !strcmp(s + n - m, suffix);
}

/* An integer by its C type: the registers are 64 bits wide, but an int's
 * upper half is not the caller's (wait4(-1) is 0xffffffff there), so a
 * 32-bit type prints from its lower half only. */
static enum gh_sysarg_kind integer_kind(const char *type)
{
	static const char *const long_types[] = {"long", "loff_t", "off_t", "ssize_t", "long long",
						 "__s64", "s64", NULL};
	static const char *const ulong_types[] = {"unsigned long", "size_t", "u64", "__u64",
						  "unsigned long long", NULL};
	static const char *const uint_types[] = {"unsigned int", "unsigned", "u32", "__u32",
						 "umode_t", "uid_t", "gid_t", "qid_t", "old_uid_t",
						 "old_gid_t", NULL};
	/* pointers by another name */
	static const char *const hex_types[] = {"aio_context_t", "cap_user_header_t",
						"cap_user_data_t", NULL};

	if (!strncmp(type, "const ", 6))
		type += 6;
	if (name_is(type, long_types))
		return GH_SYSARG_LONG;
	if (name_is(type, ulong_types))
		return GH_SYSARG_ULONG;
	if (name_is(type, uint_types))
		return GH_SYSARG_UINT;
	if (name_is(type, hex_types))
		return GH_SYSARG_HEX;
	return GH_SYSARG_INT;
}

/* The kind of argument i of syscall sc, from its name and C type. */
static enum gh_sysarg_kind classify(const char *sc, const struct gh_syscall_info *info, int i)
{
	static const char *const open_calls[] = {"open", "openat", "creat", "open_by_handle_at",
						 NULL};
	static const char *const mmap_calls[] = {"mmap", "mprotect", "pkey_mprotect", NULL};
	static const char *const signal_calls[] = {"kill", "tkill", "tgkill", "rt_sigaction",
						   "rt_sigqueueinfo", "rt_tgsigqueueinfo", NULL};
	const char *name = info->args[i].name, *type = info->args[i].type;
	bool pointer = strchr(type, '*') != NULL;

	if (pointer) {
		/* const char * and nothing more: a string, or a buffer when
		 * a length follows (write's buf, count) */
		/* the kernel's input paths that lack their const */
		static const char *const paths[] = {"dev_name", "dir_name", "type", "name",
						    "pathname", "filename", "path", NULL};

		if (!strcmp(type, "const char *") ||
		    (!strcmp(type, "char *") && name_is(name, paths) && strcmp(sc, "getcwd"))) {
			if (i + 1 < info->nargs && (!strcmp(name, "buf") || !strcmp(name, "ubuf")))
				return GH_SYSARG_BUFFER;
			return GH_SYSARG_STRING;
		}
		if (!strcmp(type, "const char *const *") && !strcmp(name, "argv"))
			return GH_SYSARG_ARGV;
		return GH_SYSARG_HEX;
	}
	if (!strcmp(name, "addr") || !strcmp(name, "start") || !strcmp(name, "brk"))
		return GH_SYSARG_HEX;
	if (ends_with(name, "dfd") || !strcmp(name, "dirfd"))
		return GH_SYSARG_DIRFD;
	if (!strcmp(name, "fd") || !strcmp(name, "oldfd") || !strcmp(name, "newfd") ||
	    !strcmp(name, "fildes") || !strcmp(name, "epfd") || !strcmp(name, "fd_in") ||
	    !strcmp(name, "fd_out") || !strcmp(name, "in_fd") || !strcmp(name, "out_fd"))
		return GH_SYSARG_FD;
	if (name_is(sc, open_calls) && !strcmp(name, "flags"))
		return GH_SYSARG_OPEN_FLAGS;
	if (!strcmp(name, "mode") && !strcmp(type, "umode_t"))
		return GH_SYSARG_MODE;
	if (name_is(sc, mmap_calls) && !strcmp(name, "prot"))
		return GH_SYSARG_PROT;
	if (!strcmp(sc, "mmap") && !strcmp(name, "flags"))
		return GH_SYSARG_MAP_FLAGS;
	if (name_is(sc, signal_calls) && (!strcmp(name, "sig")))
		return GH_SYSARG_SIGNAL;
	/* the *at calls' flag or flags after a path: AT_* (not faccessat2's:
	 * its AT_EACCESS is AT_REMOVEDIR's bit) */
	if ((!strcmp(name, "flag") || !strcmp(name, "flags")) &&
	    (ends_with(sc, "at") || !strcmp(sc, "fchmodat2")) &&
	    i > 0 && info->args[0].kind == GH_SYSARG_DIRFD)
		return GH_SYSARG_AT_FLAGS;
	if (!strcmp(name, "at_flags")) /* the *xattrat calls, file_getattr */
		return GH_SYSARG_AT_FLAGS;
	return integer_kind(type);
}

/* "\tfield:const char * filename;\toffset:24;..." -> type and name */
static int parse_field(const char *line, struct gh_sysarg *a)
{
	const char *p = strstr(line, "field:"), *semi, *name;
	size_t tlen, nlen;

	if (!p)
		return -EINVAL;
	p += 6;
	semi = strchr(p, ';');
	if (!semi)
		return -EINVAL;
	name = semi;
	while (name > p && name[-1] != ' ' && name[-1] != '*')
		name--;
	nlen = (size_t)(semi - name);
	tlen = (size_t)(name - p);
	while (tlen && p[tlen - 1] == ' ')
		tlen--;
	if (!nlen || !tlen || nlen >= sizeof(a->name) || tlen >= sizeof(a->type))
		return -EINVAL;
	memcpy(a->name, name, nlen);
	a->name[nlen] = '\0';
	memcpy(a->type, p, tlen);
	a->type[tlen] = '\0';
	return 0;
}

int gh_syscall_format_parse(const char *name, const char *text, struct gh_syscall_info *info)
{
	const char *line = text;
	bool seen_nr = false;

	memset(info, 0, sizeof(*info));
	while (line && *line) {
		const char *next = strchr(line, '\n');
		char buf[256];
		size_t len = next ? (size_t)(next - line) : strlen(line);
		struct gh_sysarg a;

		snprintf(buf, sizeof(buf), "%.*s", (int)len, line);
		line = next ? next + 1 : NULL;
		if (parse_field(buf, &a))
			continue;
		if (!strcmp(a.name, "__syscall_nr")) {
			seen_nr = true;
			continue;
		}
		if (!seen_nr || info->nargs >= GH_SYSCALL_ARGS)
			continue;
		info->args[info->nargs++] = a;
	}
	if (!seen_nr)
		return -EINVAL;
	for (int i = 0; i < info->nargs; i++)
		info->args[i].kind = classify(name, info, i);
	info->known = true;
	return 0;
}

bool gh_sysarg_reads_memory(enum gh_sysarg_kind kind)
{
	return kind == GH_SYSARG_STRING || kind == GH_SYSARG_BUFFER || kind == GH_SYSARG_ARGV;
}

int gh_syscall_table_load(struct gh_syscall_table *t, const char *tracefs_root)
{
	char dir[512];
	DIR *d;
	struct dirent *de;

	memset(t, 0, sizeof(*t));
	snprintf(dir, sizeof(dir), "%s/events/syscalls", tracefs_root);
	d = opendir(dir);
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		const char *sc;
		char path[1024], *text = NULL;
		size_t len;
		int nr;

		if (strncmp(de->d_name, "sys_enter_", 10))
			continue;
		sc = de->d_name + 10;
		nr = gh_syscall_from_tracepoint(sc);
		if (nr < 0 || nr >= GH_SYSCALL_MAX)
			continue;
		snprintf(path, sizeof(path), "%s/%s/format", dir, de->d_name);
		if (gh_read_file(path, 1 << 16, &text, &len))
			continue;
		if (!gh_syscall_format_parse(sc, text, &t->sc[nr]))
			t->loaded++;
		free(text);
	}
	closedir(d);
	return t->loaded ? 0 : -ENOENT;
}
