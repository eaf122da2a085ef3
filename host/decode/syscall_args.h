/* syscall_args.h - what each syscall's arguments are: names and types from
 * the kernel's own tracepoint formats (tracefs events/syscalls/
 * sys_enter_NAME/format), sorted into kinds that say how to read and print
 * them (a path read from user memory, a file descriptor, open flags...).
 */
#ifndef GH_SYSCALL_ARGS_H
#define GH_SYSCALL_ARGS_H

#include <stdbool.h>
#include <stdint.h>

#define GH_SYSCALL_MAX 512
#define GH_SYSCALL_ARGS 6

enum gh_sysarg_kind {
	GH_SYSARG_INT,        /* signed decimal, 32 bits (int, pid_t: -1) */
	GH_SYSARG_UINT,       /* unsigned decimal, 32 bits */
	GH_SYSARG_HEX,        /* a pointer or an opaque value: 0x..., NULL */
	GH_SYSARG_FD,         /* a file descriptor */
	GH_SYSARG_DIRFD,      /* a directory fd: AT_FDCWD */
	GH_SYSARG_STRING,     /* a NUL terminated string in user memory */
	GH_SYSARG_BUFFER,     /* bytes in user memory, the next argument long */
	GH_SYSARG_OPEN_FLAGS, /* O_RDONLY|O_CLOEXEC */
	GH_SYSARG_AT_FLAGS,   /* AT_SYMLINK_NOFOLLOW|AT_EMPTY_PATH */
	GH_SYSARG_MODE,       /* octal: 0644 */
	GH_SYSARG_PROT,       /* PROT_READ|PROT_WRITE */
	GH_SYSARG_MAP_FLAGS,  /* MAP_PRIVATE|MAP_ANONYMOUS */
	GH_SYSARG_SIGNAL,     /* SIGTERM */
	GH_SYSARG_LONG,       /* signed decimal, 64 bits (long, off_t) */
	GH_SYSARG_ULONG,      /* unsigned decimal, 64 bits (unsigned long, size_t) */
	GH_SYSARG_ARGV,       /* a NULL ended array of strings: execve's argv */
};

struct gh_sysarg {
	char name[32];
	char type[48];
	enum gh_sysarg_kind kind;
};

struct gh_syscall_info {
	bool known;         /* a format was found */
	int nargs;
	struct gh_sysarg args[GH_SYSCALL_ARGS];
};

struct gh_syscall_table {
	struct gh_syscall_info sc[GH_SYSCALL_MAX];
	int loaded;         /* how many formats were read */
};

/* Parse one format file's text (of syscall name) into info.  0, or
 * -EINVAL when it has no argument fields section at all. */
int gh_syscall_format_parse(const char *name, const char *text, struct gh_syscall_info *info);
/* Read every sys_enter_* format under tracefs_root/events/syscalls.
 * 0, or -errno (-ENOENT: the kernel has no syscall tracepoints). */
int gh_syscall_table_load(struct gh_syscall_table *t, const char *tracefs_root);
/* Whether kind is read from user memory at the syscall's enter. */
bool gh_sysarg_reads_memory(enum gh_sysarg_kind kind);

#endif
