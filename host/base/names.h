/* names.h - numbers a human should read as names. */
#ifndef GH_NAMES_H
#define GH_NAMES_H

#include <stddef.h>
#include <stdint.h>

/* "ENOENT" for 2 or -2; NULL when unknown. */
const char *gh_errno_name(int64_t err);
/* "SIGKILL" for 9, "SIGRTMIN+3" for 37 (as bash names them); NULL when
 * unknown. */
const char *gh_signal_name(int64_t sig);
/* "openat" for 257 (x86_64); NULL when unknown. */
const char *gh_syscall_name(int64_t nr);
/* Reverse look-ups: the number, or -1.  A signal with or without SIG:
 * KILL, SIGKILL, RTMIN+3, SIGRTMAX-2. */
int gh_errno_from_name(const char *name);
int gh_signal_from_name(const char *name);
int gh_syscall_from_name(const char *name);
/* The number of a syscall tracepoint's call (tracefs events/syscalls/
 * sys_enter_NAME): NAME as in the table, or the kernel function's name
 * (newstat is stat, sendfile64 sendfile, umount umount2).  -1 if unknown. */
int gh_syscall_from_tracepoint(const char *tp);
/* The running kernel's system calls (its sys_enter_* tracepoints under
 * tracefs_root) that the table does not name, a newer kernel's: their
 * names, ", " between, in missing (cut to len).  How many (0: the table
 * names every one), or -errno (-ENOENT: no syscall tracepoints). */
int gh_syscall_names_check(const char *tracefs_root, char *missing, size_t len);
/* The same as a sentence for a warning, in msg: "this kernel has 2 system
 * calls gadgethost cannot name (a, b): ...".  1 when there is one to give,
 * else 0 (every call named, or no syscall tracepoints to tell). */
int gh_syscall_names_warning(const char *tracefs_root, char *msg, size_t len);

#endif
