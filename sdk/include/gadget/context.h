/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR Apache-2.0 */
/* gadget/context.h - is the program running for a task, or for an interrupt?
 *
 * A tracepoint can fire in interrupt context: a timer's SIGALRM is
 * generated in a hard interrupt, a packet is received in a softirq.  Then
 * "current" is whatever task the interrupt happened to hit, and reporting
 * its pid or comm would blame a bystander.  gadget_in_interrupt() says so,
 * from where the program's stack is (the record's common_flags would say
 * it too, but the BPF context hides the first 8 bytes of a tracepoint's
 * record, and perf does not fill them for BPF).
 */
#ifndef GADGET_CONTEXT_H
#define GADGET_CONTEXT_H

#include <bpf/bpf_helpers.h>

/* THREAD_SIZE is 16 KiB on x86_64 and arm64 (32 KiB with KASAN): a stack
 * address this far past task->stack is not on the task's stack */
#define GADGET_TASK_STACK_MAX (32U << 10)

/* Interrupts run on their own per-CPU stacks (x86_64: hard and soft
 * interrupts; arm64: the IRQ stack), so the program's own stack is outside
 * the current task's stack exactly when it runs for an interrupt.  The
 * kernel keeps the preempt count in a per-CPU variable that BPF can only
 * name through kallsyms, and without CONFIG_KALLSYMS_ALL it cannot. */
static __always_inline bool gadget_in_interrupt(void)
{
	struct task_struct *task = bpf_get_current_task_btf();
	__u64 stack = (__u64)task->stack;
	volatile __u64 here = 0;
	__u64 sp = (__u64)&here;

	/* compared, not subtracted: verifiers before 6.2 or so refuse
	 * arithmetic on the frame pointer with an unbounded scalar ("math
	 * between fp pointer and register"), comparing it is allowed */
	return sp < stack || sp >= stack + GADGET_TASK_STACK_MAX;
}

#endif
