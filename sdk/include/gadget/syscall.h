/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR Apache-2.0 */
/* gadget/syscall.h - a syscall's arguments, read at sys_exit.
 *
 * A gadget that needs both the arguments and the result of a syscall
 * usually hooks sys_enter_X to stash the arguments in a hash map keyed by
 * thread, and sys_exit_X to read them back.  That costs a second program
 * and a hash update and delete (each an IRQ-safe spin lock) per call.
 * The arguments are still in the registers the task entered the kernel
 * with, so one program at sys_exit_X can read them:
 *
 *   struct pt_regs *regs = gadget_syscall_regs();
 *   const char *path = (const char *)gadget_syscall_arg2(regs);
 *
 * Arguments are numbered from 1, as in the syscall's prototype.  Pointers
 * into user memory are read with bpf_probe_read_user*() as usual; the
 * caller's memory is the same as at entry.
 */
#ifndef GADGET_SYSCALL_H
#define GADGET_SYSCALL_H

#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

static __always_inline struct pt_regs *gadget_syscall_regs(void)
{
	return (struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf());
}

/* regs is a trusted BTF pointer: plain loads (relocated by CO-RE through
 * vmlinux.h), not a bpf_probe_read_kernel() call per argument. */
#define gadget_syscall_arg1(regs) PT_REGS_PARM1_SYSCALL(regs)
#define gadget_syscall_arg2(regs) PT_REGS_PARM2_SYSCALL(regs)
#define gadget_syscall_arg3(regs) PT_REGS_PARM3_SYSCALL(regs)
#define gadget_syscall_arg4(regs) PT_REGS_PARM4_SYSCALL(regs)
#define gadget_syscall_arg5(regs) PT_REGS_PARM5_SYSCALL(regs)

#endif
