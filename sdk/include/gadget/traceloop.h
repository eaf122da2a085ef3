/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR Apache-2.0 */
/* gadget/traceloop.h - the records of the traceloop flight recorder, as
 * the eBPF side writes them into a container's ring and the host reads
 * them (the host includes this too, after <linux/types.h>).
 */
#ifndef GADGET_TRACELOOP_H
#define GADGET_TRACELOOP_H

#define TRACELOOP_MAX_CONTAINERS 1024
#define TRACELOOP_MAX_SYSCALLS 512
#define TRACELOOP_ARGS 6
#define TRACELOOP_DATA_ARGS 2   /* strings or buffers read per syscall */
#define TRACELOOP_DATA_LEN 128  /* bytes read of each (a string: with its NUL) */
#define TRACELOOP_NO_ARG 0xff

/* record kinds */
#define TRACELOOP_ENTER 1
#define TRACELOOP_EXIT 2
#define TRACELOOP_PROCESS_EXIT 3 /* a task ended: args[0] is its exit code (wait status) */

/* what the eBPF side reads of an argument (traceloop_args) */
#define TRACELOOP_ARG_VALUE 0  /* nothing: the register is the value */
#define TRACELOOP_ARG_STRING 1 /* a NUL terminated string in user memory */
#define TRACELOOP_ARG_BUFFER 2 /* bytes in user memory, as many as the next argument */
#define TRACELOOP_ARG_ARGV 3   /* a NULL ended array of strings (execve's argv): the
				* strings one after another, each with its NUL, in
				* data[0], at most TRACELOOP_ARGV_MAX of them */
#define TRACELOOP_ARGV_MAX 16

/* data_flags */
#define TRACELOOP_DATA_CUT 1   /* longer than what was read */
#define TRACELOOP_DATA_FAULT 2 /* the user memory could not be read */

struct traceloop_syscall_args {
	__u8 kind[TRACELOOP_ARGS];
	__u8 recorded; /* with traceloop_syscall_filter set: 1 records this call */
	__u8 pad;
};

struct traceloop_record {
	__u64 seq;   /* 0: empty or being written; else its number + 1 */
	__u64 ts;    /* bpf_ktime_get_boot_ns() */
	__u32 pid;
	__u32 tid;
	__u32 nr;    /* the syscall */
	__u8 kind;   /* TRACELOOP_ENTER, TRACELOOP_EXIT */
	__u8 data_arg[TRACELOOP_DATA_ARGS]; /* which argument each data is, or NO_ARG */
	__u8 data_flags[TRACELOOP_DATA_ARGS];
	__u8 pad;
	__u16 cpu;   /* the CPU it ran on */
	__u16 data_len[TRACELOOP_DATA_ARGS]; /* bytes of data (a string: without NUL) */
	char comm[16]; /* the task's, when the record was made */
	__u64 args[TRACELOOP_ARGS]; /* enter: the arguments; exit: args[0] is the result */
	char data[TRACELOOP_DATA_ARGS][TRACELOOP_DATA_LEN];
};

#endif
