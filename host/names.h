/* names.h - numbers a human should read as names. */
#ifndef GH_NAMES_H
#define GH_NAMES_H

#include <stdint.h>

/* "ENOENT" for 2 or -2; NULL when unknown. */
const char *gh_errno_name(int64_t err);
/* "SIGKILL" for 9; NULL when unknown. */
const char *gh_signal_name(int64_t sig);
/* "openat" for 257 (x86_64); NULL when unknown. */
const char *gh_syscall_name(int64_t nr);
/* Reverse look-ups: the number, or -1. */
int gh_errno_from_name(const char *name);
int gh_signal_from_name(const char *name);
int gh_syscall_from_name(const char *name);

#endif
