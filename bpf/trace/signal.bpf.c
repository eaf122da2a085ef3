// SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note
/* trace/signal: signals sent, by whom, to whom, with the result.
 *
 * signal:signal_generate fires for every signal the kernel generates
 * (kill(2) and friends, faults, SIGCHLD, SIGPIPE, timers...), in the
 * context of the task that generated it: that task is the sender.  A
 * timer's signal (SIGALRM of alarm(2), setitimer(2), timer_create(2)) is
 * generated in a hard interrupt instead.
 *
 * It is attached as a raw tracepoint: the kernel runs a classic
 * tracepoint's program only when no other kprobe, tracepoint or
 * perf_event program runs on the CPU, so a timer's signal whose interrupt
 * lands in, say, an open tracer's syscall program would be lost; a raw
 * tracepoint is skipped only inside itself, and attaching it needs no
 * kernel BTF.  Its arguments are (sig, info, task, group, result); the
 * event's code and tpid are what the tracepoint's record has
 * (include/trace/events/signal.h): info's si_code, or SI_USER and
 * SI_KERNEL for the SEND_SIG_NOINFO and SEND_SIG_PRIV pseudo-pointers (0
 * and 1), and the task's pid (its thread id).
 *
 * A kill(2), tkill(2) or tgkill(2) that fails before a signal is generated
 * (ESRCH, EPERM, EINVAL) never reaches signal_generate: sys_exit_kill,
 * sys_exit_tkill and sys_exit_tgkill report those, with the arguments read
 * from the caller's registers.  With kill_only, only these three syscalls
 * are reported, successful or not, one event per call.
 */
#include <gadget/gadget.h>
#include <gadget/process.h>
#include <gadget/context.h>

#define EAGAIN 11
#define SI_USER 0
#define SI_KERNEL 0x80
#define SEND_SIG_NOINFO 0UL /* include/linux/sched/signal.h: not pointers */
#define SEND_SIG_PRIV 1UL
#define SI_TKILL (-6)

/* resultRaw: the kernel's enum trace_signal_result, then ours */
#define RESULT_OVERFLOW_FAIL 3 /* TRACE_SIGNAL_OVERFLOW_FAIL: queue full, -EAGAIN */
#define RESULT_SENT 5	       /* kill_only: the syscall succeeded */
#define RESULT_NOT_SENT 6      /* the syscall failed before any signal was generated */

struct event {
	GADGET_PROCESS_FIELDS;
	__s32 tpid;
	gadget_signal signal;
	__u32 signalRaw;
	__s32 code;
	gadget_errno ret;
	__u8 resultRaw;
	bool group;
};

GADGET_TRACER_MAP(events, 1 << 18);
GADGET_TRACER(signal, events, event);
GADGET_PARAM(__u32, target_signal, 0);
GADGET_PARAM(bool, failed_only, false);
GADGET_PARAM(bool, kill_only, false);

/* interrupt: a signal generated in interrupt context (a timer's SIGALRM)
 * was sent by no process, whatever task current is (gadget/context.h) */
static __always_inline void fill_sender(struct event *e, bool interrupt)
{
	if (!interrupt) {
		gadget_process_fill(e);
		return;
	}
	e->timestamp = bpf_ktime_get_boot_ns();
	gadget_task_clear(e);
	__builtin_memcpy(e->comm, "[interrupt]", sizeof("[interrupt]"));
}

static __always_inline void send(struct event *e, __s32 tpid, int sig, int code, int ret,
				 __u8 result, bool group)
{
	e->tpid = tpid;
	e->signal = sig;
	e->signalRaw = sig;
	e->code = code;
	e->ret = gadget_errno_of(ret);
	e->resultRaw = result;
	e->group = group;
	gadget_submit(&events, e);
}

/* the si_code signal_generate's record has for info */
static __always_inline int info_code(const struct kernel_siginfo *info)
{
	if ((unsigned long)info == SEND_SIG_NOINFO)
		return SI_USER;
	if ((unsigned long)info == SEND_SIG_PRIV)
		return SI_KERNEL;
	return BPF_CORE_READ(info, si_code);
}

SEC("raw_tp/signal_generate")
int BPF_PROG(signal_generate, int sig, const struct kernel_siginfo *info,
	     const struct task_struct *task, int group, int result)
{
	bool overflow = result == RESULT_OVERFLOW_FAIL;
	struct event *e;

	if (kill_only)
		return 0;
	if (gadget_should_discard())
		return 0;
	if (failed_only && !overflow)
		return 0;
	if (target_signal && sig != target_signal)
		return 0;
	e = gadget_reserve(&events, sizeof(*e));
	if (!e)
		return 0;
	fill_sender(e, gadget_in_interrupt());
	send(e, BPF_CORE_READ(task, pid), sig, info_code(info), overflow ? -EAGAIN : 0, result,
	     group);
	return 0;
}

/* At the exit of kill/tkill/tgkill.  Without kill_only, only a call that
 * failed before generating a signal: the others, and a queue overflow
 * (-EAGAIN, which signal_generate saw as OVERFLOW_FAIL), are reported
 * by signal_generate already. */
static __always_inline int syscall_exit(long ret, __s32 tpid, int sig, int code, bool group)
{
	struct event *e;

	if (!kill_only && (ret >= 0 || ret == -EAGAIN))
		return 0;
	if (failed_only && ret >= 0)
		return 0;
	if (gadget_should_discard())
		return 0;
	if (target_signal && sig != target_signal)
		return 0;
	e = gadget_reserve(&events, sizeof(*e));
	if (!e)
		return 0;
	fill_sender(e, false);
	send(e, tpid, sig, code, ret, ret < 0 ? RESULT_NOT_SENT : RESULT_SENT, group);
	return 0;
}

/* kill(pid, sig) */
SEC("tracepoint/syscalls/sys_exit_kill")
int exit_kill(struct trace_event_raw_sys_exit *ctx)
{
	struct pt_regs *regs = gadget_syscall_regs();

	return syscall_exit(ctx->ret, gadget_syscall_arg1(regs), gadget_syscall_arg2(regs),
			    SI_USER, true);
}

/* tkill(tid, sig) */
SEC("tracepoint/syscalls/sys_exit_tkill")
int exit_tkill(struct trace_event_raw_sys_exit *ctx)
{
	struct pt_regs *regs = gadget_syscall_regs();

	return syscall_exit(ctx->ret, gadget_syscall_arg1(regs), gadget_syscall_arg2(regs),
			    SI_TKILL, false);
}

/* tgkill(tgid, tid, sig) */
SEC("tracepoint/syscalls/sys_exit_tgkill")
int exit_tgkill(struct trace_event_raw_sys_exit *ctx)
{
	struct pt_regs *regs = gadget_syscall_regs();

	return syscall_exit(ctx->ret, gadget_syscall_arg2(regs), gadget_syscall_arg3(regs),
			    SI_TKILL, false);
}

char LICENSE[] SEC("license") = "GPL";
