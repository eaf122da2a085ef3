/* names.c - errno, signal and syscall names. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "base/names.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "syscall_table.h" /* generated: gh_syscall_table[] */

const char *gh_errno_name(int64_t err)
{
	if (err < 0)
		err = -err;
	if (err == 0 || err > 4095)
		return NULL;
	return strerrorname_np((int)err);
}

int gh_errno_from_name(const char *name)
{
	for (int e = 1; e < 200; e++) {
		const char *n = strerrorname_np(e);
		if (n && strcmp(n, name) == 0)
			return e;
	}
	return -1;
}

static char signal_names[65][24];

/* Real-time signals as bash names them: SIGRTMIN, SIGRTMIN+1 ..
 * SIGRTMIN+15, SIGRTMAX-14 .. SIGRTMAX-1, SIGRTMAX (SIGRTMIN is the C
 * library's, 34 with glibc: 32 and 33 have no name). */
static void rt_name(char *buf, size_t len, int sig)
{
	int lo = SIGRTMIN, hi = SIGRTMAX, mid = lo + (hi - lo) / 2;

	if (sig == lo)
		snprintf(buf, len, "SIGRTMIN");
	else if (sig == hi)
		snprintf(buf, len, "SIGRTMAX");
	else if (sig <= mid)
		snprintf(buf, len, "SIGRTMIN+%d", sig - lo);
	else
		snprintf(buf, len, "SIGRTMAX-%d", hi - sig);
}

const char *gh_signal_name(int64_t sig)
{
	const char *abbrev;

	if (sig <= 0 || sig > 64)
		return NULL;
	if (signal_names[sig][0])
		return signal_names[sig];
	if (sig >= SIGRTMIN && sig <= SIGRTMAX)
		rt_name(signal_names[sig], sizeof(signal_names[sig]), (int)sig);
	else if ((abbrev = sigabbrev_np((int)sig)))
		snprintf(signal_names[sig], sizeof(signal_names[sig]), "SIG%s", abbrev);
	else
		return NULL;
	return signal_names[sig];
}

/* "RTMIN+3", "RTMAX-2", "RTMIN", "RTMAX" (without SIG): the number, or -1
 * when it is none of them or falls outside SIGRTMIN..SIGRTMAX. */
static int rt_from_name(const char *name)
{
	int base, sign, n = 0;
	const char *p;

	if (!strncmp(name, "RTMIN", 5)) {
		base = SIGRTMIN;
		sign = 1;
	} else if (!strncmp(name, "RTMAX", 5)) {
		base = SIGRTMAX;
		sign = -1;
	} else {
		return -1;
	}
	p = name + 5;
	if (*p) {
		if (*p != (sign > 0 ? '+' : '-') || !p[1])
			return -1;
		for (p++; *p; p++) {
			if (*p < '0' || *p > '9' || n > 64)
				return -1;
			n = n * 10 + (*p - '0');
		}
	}
	n = base + sign * n;
	return n >= SIGRTMIN && n <= SIGRTMAX ? n : -1;
}

int gh_signal_from_name(const char *name)
{
	const char *bare = strncmp(name, "SIG", 3) ? name : name + 3;

	if (!strncmp(bare, "RT", 2))
		return rt_from_name(bare);
	for (int s = 1; s <= 64; s++) {
		const char *n = gh_signal_name(s);
		if (n && strcmp(n + 3, bare) == 0)
			return s;
	}
	return -1;
}

const char *gh_syscall_name(int64_t nr)
{
	size_t n = sizeof(gh_syscall_table) / sizeof(gh_syscall_table[0]);

	if (nr < 0 || (uint64_t)nr >= n)
		return NULL;
	return gh_syscall_table[nr];
}

int gh_syscall_from_name(const char *name)
{
	size_t n = sizeof(gh_syscall_table) / sizeof(gh_syscall_table[0]);

	for (size_t i = 0; i < n; i++)
		if (gh_syscall_table[i] && strcmp(gh_syscall_table[i], name) == 0)
			return (int)i;
	return -1;
}

int gh_syscall_from_tracepoint(const char *tp)
{
	/* the kernel functions named otherwise than the calls */
	static const char *const aliases[][2] = {
		{"sendfile64", "sendfile"}, {"umount", "umount2"},
	};
	int nr = gh_syscall_from_name(tp);

	if (nr < 0 && !strncmp(tp, "new", 3)) /* newstat, newuname... */
		nr = gh_syscall_from_name(tp + 3);
	for (size_t i = 0; nr < 0 && i < sizeof(aliases) / sizeof(aliases[0]); i++)
		if (!strcmp(tp, aliases[i][0]))
			nr = gh_syscall_from_name(aliases[i][1]);
	return nr;
}

int gh_syscall_names_check(const char *tracefs_root, char *missing, size_t len)
{
	char dir[512];
	struct dirent *de;
	size_t used = 0;
	int count = 0, seen = 0;
	DIR *d;

	if (len)
		missing[0] = '\0';
	snprintf(dir, sizeof(dir), "%s/events/syscalls", tracefs_root);
	d = opendir(dir);
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		const char *sc = de->d_name + 10;

		if (strncmp(de->d_name, "sys_enter_", 10))
			continue;
		seen++;
		if (gh_syscall_from_tracepoint(sc) >= 0)
			continue;
		count++;
		if (used < len) {
			int n = snprintf(missing + used, len - used, "%s%s", used ? ", " : "", sc);

			used += n > 0 ? (size_t)n : 0;
		}
	}
	closedir(d);
	return seen ? count : -ENOENT;
}

int gh_syscall_names_warning(const char *tracefs_root, char *msg, size_t len)
{
	char missing[512];
	int n = gh_syscall_names_check(tracefs_root, missing, sizeof(missing));

	if (n <= 0)
		return 0;
	snprintf(msg, len, "this kernel has %d system call%s that gadgethost has no name for "
		 "(%s): their numbers are printed instead", n, n == 1 ? "" : "s", missing);
	return 1;
}
