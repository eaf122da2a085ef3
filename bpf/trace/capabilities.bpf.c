// SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note
/* trace/capabilities: every capability check, with its verdict.
 *
 * Hooks (variants, the host picks the first this kernel has): the
 * capability:cap_capable tracepoint (Linux 6.14+), or else fexit on
 * cap_capable() (BTF trampolines: 6.1 has them).  The tracepoint fires in
 * the commoncap LSM's cap_capable() after the check: cred, target_ns,
 * capable_ns, cap and ret (0 or -EPERM).  The syscall being made is read
 * from the registers the task entered the kernel with.
 *
 * The tracepoint does not carry cap_capable()'s opts, so "audit" and
 * "insetid" are found from who asked: the kernel stack's first frame that
 * is not the LSM plumbing (security_capable, cap_capable) names the API
 * the caller used.  ns_capable_noaudit() and friends pass CAP_OPT_NOAUDIT,
 * ns_capable_setid() passes CAP_OPT_INSETID.  cap_vm_enough_memory() calls
 * cap_capable() itself, without auditing; it can leave no frame of its own
 * (a tail call), so its caller security_vm_enough_memory_mm() counts too.  A return address is named
 * once (bpf_snprintf "%pB") and its kind cached in a map.
 */
#include <gadget/gadget.h>
#include <gadget/process.h>

#define STACK_FRAMES 4
#define SYMBOL_LEN 64

/* printed by enumerator name */
enum cap_verdict {
	Deny = 0,
	Allow = 1,
};

struct event {
	GADGET_PROCESS_FIELDS;
	__u32 capRaw;
	enum cap_verdict verdict;
	bool audit;
	bool insetid;
	gadget_syscall syscall;
	__u64 capEffectiveRaw;
	__u64 currentUserns;
	__u64 targetUserns;
};

/* what a return address on the stack says about the check */
enum caller_kind {
	CALLER_PLAIN = 0,   /* an audited check: ns_capable(), capable(), ... */
	CALLER_PLUMBING,    /* security_capable(), cap_capable(): look further */
	CALLER_NOAUDIT,     /* CAP_OPT_NOAUDIT */
	CALLER_SETID,       /* CAP_OPT_INSETID */
};

struct unique_key {
	__u32 pid;
	__u32 cap;
};

GADGET_TRACER_MAP(events, 1 << 18);
GADGET_TRACER(capabilities, events, event);
GADGET_PARAM(bool, unique, false);
GADGET_PARAM(bool, audit_only, false);

/* --unique: the (pid, cap) pairs already reported */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 10240);
	__type(key, struct unique_key);
	__type(value, __u8);
} seen SEC(".maps");

/* return address -> enum caller_kind */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, __u64);
	__type(value, __u8);
} caller_kinds SEC(".maps");

static const char sym_security_capable[] = "security_capable";
static const char sym_cap_capable[] = "cap_capable";
static const char sym_ns_capable_common[] = "ns_capable_common";
static const char sym_ns_capable_noaudit[] = "ns_capable_noaudit";
static const char sym_has_ns_capability_noaudit[] = "has_ns_capability_noaudit";
static const char sym_has_capability_noaudit[] = "has_capability_noaudit";
static const char sym_cap_vm_enough_memory[] = "cap_vm_enough_memory";
static const char sym_security_vm_enough_memory_mm[] = "security_vm_enough_memory_mm";
static const char sym_ns_capable_setid[] = "ns_capable_setid";

/* "ns_capable+0x2c/0x60" -> "ns_capable" */
static __always_inline void cut_offset(char *sym)
{
	for (int i = 0; i < SYMBOL_LEN; i++) {
		if (sym[i] == '+' || sym[i] == '\0') {
			sym[i] = '\0';
			return;
		}
	}
	sym[SYMBOL_LEN - 1] = '\0';
}

static __always_inline bool sym_is(const char *sym, const char *name)
{
	return bpf_strncmp(sym, SYMBOL_LEN, name) == 0;
}

static __noinline __u8 name_caller(__u64 ip)
{
	char sym[SYMBOL_LEN] = {};
	__u64 args[1] = {ip};

	if (bpf_snprintf(sym, sizeof(sym), "%pB", args, sizeof(args)) < 0)
		return CALLER_PLAIN;
	cut_offset(sym);
	if (sym_is(sym, sym_security_capable) || sym_is(sym, sym_cap_capable) ||
	    sym_is(sym, sym_ns_capable_common))
		return CALLER_PLUMBING;
	if (sym_is(sym, sym_ns_capable_noaudit) || sym_is(sym, sym_has_ns_capability_noaudit) ||
	    sym_is(sym, sym_has_capability_noaudit) || sym_is(sym, sym_cap_vm_enough_memory) ||
	    sym_is(sym, sym_security_vm_enough_memory_mm))
		return CALLER_NOAUDIT;
	if (sym_is(sym, sym_ns_capable_setid))
		return CALLER_SETID;
	return CALLER_PLAIN;
}

static __always_inline __u8 caller_kind(__u64 ip)
{
	__u8 *cached = bpf_map_lookup_elem(&caller_kinds, &ip);
	__u8 kind;

	if (cached)
		return *cached;
	kind = name_caller(ip);
	bpf_map_update_elem(&caller_kinds, &ip, &kind, BPF_ANY);
	return kind;
}

/* the kind of the first frame past the LSM plumbing */
static __always_inline __u8 asking_caller(void *ctx)
{
	__u64 ips[STACK_FRAMES] = {};
	long len = bpf_get_stack(ctx, ips, sizeof(ips), 0);
	int frames = len > 0 ? len / sizeof(__u64) : 0;

	for (int i = 0; i < STACK_FRAMES; i++) {
		__u8 kind;

		if (i >= frames)
			break;
		kind = caller_kind(ips[i]);
		if (kind != CALLER_PLUMBING)
			return kind;
	}
	return CALLER_PLAIN;
}

static __always_inline bool seen_before(__u32 pid, int cap)
{
	struct unique_key key = {.pid = pid, .cap = cap};
	__u8 one = 1;

	if (bpf_map_lookup_elem(&seen, &key))
		return true;
	bpf_map_update_elem(&seen, &key, &one, BPF_ANY);
	return false;
}

/* the syscall the task is in, or -1 (a kernel thread) */
static __always_inline __u32 current_syscall(void)
{
	struct task_struct *task = bpf_get_current_task_btf();

	if (task->flags & 0x00200000 /* PF_KTHREAD */)
		return (__u32)-1;
	return (__u32)gadget_syscall_regs()->orig_ax;
}

/* before Linux 6.3 kernel_cap_t was two 32-bit words */
struct kernel_cap___old {
	__u32 cap[2];
};

struct cred___old {
	struct kernel_cap___old cap_effective;
} __attribute__((preserve_access_index));

static __always_inline __u64 effective_caps(const struct cred *cred)
{
	const struct cred___old *old = (const void *)cred;

	if (bpf_core_field_exists(struct cred, cap_effective.val))
		return BPF_CORE_READ(cred, cap_effective.val);
	return (__u64)BPF_CORE_READ(old, cap_effective.cap[1]) << 32 |
	       BPF_CORE_READ(old, cap_effective.cap[0]);
}

/* CAP_OPT_* of cap_capable()'s opts (include/linux/security.h) */
#define CAP_OPT_NOAUDIT (1U << 1)
#define CAP_OPT_INSETID (1U << 2)

static __always_inline int report(const struct cred *cred, struct user_namespace *target_ns,
				  int cap, int ret, __u8 kind)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	struct event *e;

	if (audit_only && kind == CALLER_NOAUDIT)
		return 0;
	if (unique && seen_before(pid_tgid >> 32, cap))
		return 0;
	e = gadget_reserve(&events, sizeof(*e));
	if (!e)
		return 0;
	gadget_process_fill(e);
	e->capRaw = cap;
	e->verdict = ret == 0 ? Allow : Deny;
	e->audit = kind != CALLER_NOAUDIT;
	e->insetid = kind == CALLER_SETID;
	e->syscall = current_syscall();
	e->capEffectiveRaw = effective_caps(cred);
	e->currentUserns = BPF_CORE_READ(cred, user_ns, ns.inum);
	e->targetUserns = BPF_CORE_READ(target_ns, ns.inum);
	gadget_submit(&events, e);
	return 0;
}

/* Linux 6.14 and later: the tracepoint, after the check; the options are
 * found from the caller on the stack */
SEC("tracepoint/capability/cap_capable")
int on_cap_capable(struct trace_event_raw_cap_capable *ctx)
{
	if (gadget_should_discard())
		return 0;
	return report(ctx->cred, ctx->target_ns, ctx->cap, ctx->ret, asking_caller(ctx));
}

/* Older kernels (the variant chosen where the tracepoint is missing, see
 * variants in capabilities.lua): at cap_capable()'s return, its
 * arguments (opts included) and its result */
SEC("fexit/cap_capable")
int BPF_PROG(fexit_cap_capable, const struct cred *cred, struct user_namespace *target_ns,
	     int cap, unsigned int opts, int ret)
{
	__u8 kind = opts & CAP_OPT_NOAUDIT ? CALLER_NOAUDIT
		    : opts & CAP_OPT_INSETID ? CALLER_SETID : CALLER_PLAIN;

	if (gadget_should_discard())
		return 0;
	return report(cred, target_ns, cap, ret, kind);
}

char LICENSE[] SEC("license") = "GPL";
