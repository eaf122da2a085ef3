/* names.c - errno, signal and syscall names. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "names.h"

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

const char *gh_signal_name(int64_t sig)
{
	const char *abbrev;

	if (sig <= 0 || sig > 64)
		return NULL;
	if (signal_names[sig][0])
		return signal_names[sig];
	abbrev = sigabbrev_np((int)sig);
	if (abbrev)
		snprintf(signal_names[sig], sizeof(signal_names[sig]), "SIG%s", abbrev);
	else if (sig >= SIGRTMIN && sig <= SIGRTMAX)
		snprintf(signal_names[sig], sizeof(signal_names[sig]), "SIGRT%d",
			 (int)sig - SIGRTMIN);
	else
		return NULL;
	return signal_names[sig];
}

int gh_signal_from_name(const char *name)
{
	for (int s = 1; s <= 64; s++) {
		const char *n = gh_signal_name(s);
		if (n && (strcmp(n, name) == 0 || strcmp(n + 3, name) == 0))
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
