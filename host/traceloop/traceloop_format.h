/* traceloop_format.h - a container's traceloop records as strace-like
 * lines:
 *
 *   05:31:02.123456 cpu1 [1234] cat openat(AT_FDCWD, "/missing", O_RDONLY) = -1 ENOENT
 *   05:31:02.123501 cpu1 [1234] cat +++ exited with 1 +++
 *
 * Records come in the order they were written.  An enter is paired with
 * the next record of the same thread: its exit, or (none) "= ?" as strace
 * prints a call that never returned (exit_group, a killed task).  An exit
 * whose enter the ring overwrote prints as "<... NAME resumed> = RET"; a
 * task's end (TRACELOOP_PROCESS_EXIT) as strace -f prints it.
 */
#ifndef GH_TRACELOOP_FORMAT_H
#define GH_TRACELOOP_FORMAT_H

#include <linux/types.h>
#include <stddef.h>
#include <stdint.h>

#include <gadget/traceloop.h>

#include "base/buf.h"
#include "decode/syscall_args.h"

/* One call: enter or exit may be NULL (not both); a task's end is
 * passed as enter.  boot_to_wall_ns turns
 * the records' boot time into wall time (0: print boot time). */
int gh_traceloop_format_call(struct gh_buf *out, const struct gh_syscall_table *t,
			     const struct traceloop_record *enter,
			     const struct traceloop_record *exit, int64_t boot_to_wall_ns);
/* Every record, paired, one line each. */
int gh_traceloop_format_records(struct gh_buf *out, const struct gh_syscall_table *t,
				const struct traceloop_record *recs, size_t n,
				int64_t boot_to_wall_ns);
/* One value as its kind says (data: the bytes read for it, or NULL). */
int gh_traceloop_format_arg(struct gh_buf *out, enum gh_sysarg_kind kind, uint64_t v,
			    const char *data, size_t data_len, uint8_t data_flags);

#endif
