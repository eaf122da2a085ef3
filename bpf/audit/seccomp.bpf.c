// SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note
/* audit/seccomp: syscalls a seccomp filter trapped or killed.
 *
 * A filter's SECCOMP_RET_TRAP and SECCOMP_RET_KILL_* make the kernel send
 * the offending task a SIGSYS with si_code SYS_SECCOMP, the syscall and its
 * architecture in the siginfo (force_sig_seccomp()): signal_generate sees
 * it in the task's own context, so the container is known even when the
 * task dies right after.  A kill marks the task SECCOMP_MODE_DEAD first,
 * which tells it from a trap.  (A KILL_THREAD of a task with other live
 * threads sends no signal: only the audit record tells of it.)
 *
 * The actions the kernel logs (SECCOMP_RET_LOG, and the others as
 * /proc/sys/kernel/seccomp/actions_logged and the filter's
 * SECCOMP_FILTER_FLAG_LOG say) come as audit records: the script's
 * "audit:1326" source fills this same struct from them (audit_type set).
 */
#include <gadget/gadget.h>
#include <gadget/process.h>

#define SIGSYS 31
#define SYS_SECCOMP 1
#define SECCOMP_MODE_DEAD 3
#define SECCOMP_RET_KILL_PROCESS 0x80000000U
#define SECCOMP_RET_TRAP 0x00030000U
#define SECCOMP_RET_DATA 0x0000ffffU

struct event {
	GADGET_PROCESS_FIELDS; /* an audit record fills them by name (no ppid) */
	gadget_syscall syscall;
	__u32 code;       /* the filter's action (SECCOMP_RET_*), with its data */
	__u32 arch;       /* AUDIT_ARCH_* (c000003e: x86_64) */
	__u16 audit_type; /* 0: from the SIGSYS; else the audit record's type */
};

GADGET_TRACER_MAP(events, 1 << 16);
GADGET_TRACER(seccomp, events, event);

SEC("tp_btf/signal_generate")
int BPF_PROG(seccomp_signal, int sig, struct kernel_siginfo *info, struct task_struct *task,
	     int group, int result)
{
	struct event *e;

	/* info may be SEND_SIG_PRIV (1): read through probes */
	if (sig != SIGSYS || (unsigned long)info < 4096 || BPF_CORE_READ(info, si_code) != SYS_SECCOMP)
		return 0;
	if (gadget_should_discard())
		return 0;
	e = gadget_reserve(&events, sizeof(*e));
	if (!e)
		return 0;
	gadget_process_fill(e);
	e->syscall = BPF_CORE_READ(info, _sifields._sigsys._syscall);
	e->arch = BPF_CORE_READ(info, _sifields._sigsys._arch);
	if (BPF_CORE_READ(task, seccomp.mode) == SECCOMP_MODE_DEAD)
		e->code = SECCOMP_RET_KILL_PROCESS;
	else
		e->code = SECCOMP_RET_TRAP | ((__u32)BPF_CORE_READ(info, si_errno) & SECCOMP_RET_DATA);
	e->audit_type = 0;
	gadget_submit(&events, e);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
