/* proc_exec.h - the kernel's process events connector, for execs: which
 * process has just exec'ed (to look at what it will map, before it runs
 * far).  Needs CAP_NET_ADMIN in the initial network namespace.
 */
#ifndef GH_PROC_EXEC_H
#define GH_PROC_EXEC_H

#include <stddef.h>
#include <stdint.h>

/* A socket that receives exec events: its fd, or -errno. */
int gh_proc_exec_open(void);
/* Read what is waiting (non-blocking) and put the pids of execs into
 * pids (at most max): how many, or -errno (-EAGAIN: nothing).
 * *lost is set when the kernel dropped events (ENOBUFS): the caller
 * should look at every process again. */
int gh_proc_exec_read(int fd, uint32_t *pids, size_t max, int *lost);
void gh_proc_exec_close(int fd);

#endif
