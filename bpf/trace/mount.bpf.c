// SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note
/* trace/mount: mount and umount, and the new mount API (fsopen, fsconfig,
 * fsmount, move_mount), with their result and latency.
 *
 * sys_enter_X only notes when the call began (a per-thread hash entry,
 * mount calls are rare); sys_exit_X reads the arguments from the
 * registers the caller entered with (gadget/syscall.h), so strings are
 * read once, after the kernel is done with them.  A record is as long as
 * its last string (dest).
 */
#include <gadget/gadget.h>
#include <gadget/process.h>

#define PATH_MAX 4096
#define FS_LEN 64
#define DATA_LEN 512
#define KEY_LEN 256 /* fsconfig key, then "=value" up to DATA_LEN */

/* fsconfig commands whose value is a string */
#define FSCONFIG_SET_STRING 1
#define FSCONFIG_SET_PATH 3
#define FSCONFIG_SET_PATH_EMPTY 4

enum mount_op {
	MOUNT,
	UMOUNT,
	FSOPEN,
	FSCONFIG,
	FSMOUNT,
	MOVE_MOUNT,
};

struct event {
	GADGET_PROCESS_FIELDS;
	enum mount_op op;
	gadget_errno ret;
	__s32 fd;
	__s32 srcFd;
	__s32 destFd;
	__u64 latency;
	__u64 flagsRaw;
	__u8 nullArgs;     /* NULL_* bits: a string argument that was NULL */
	char fs[FS_LEN];
	char data[DATA_LEN];
	char src[PATH_MAX];
	/* must stay last: a record ends where dest ends */
	char dest[PATH_MAX];
};

GADGET_TRACER_MAP(events, 1 << 20);
GADGET_TRACER(mount, events, event);

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct event);
} scratch SEC(".maps");

/* thread id -> when its mount call began (ns) */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, __u32);
	__type(value, __u64);
} starts SEC(".maps");

static __always_inline int note_start(void)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	__u64 now;

	if (gadget_should_discard())
		return 0;
	now = bpf_ktime_get_ns();
	bpf_map_update_elem(&starts, &tid, &now, BPF_ANY);
	return 0;
}

/* The event of a call that returned ret, its header filled and its
 * strings empty; NULL if the call's start was not noted (filtered out, or
 * begun before the gadget was attached). */
static __always_inline struct event *begin_event(long ret, enum mount_op op, bool returns_fd)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid(), zero = 0;
	__u64 *start;
	struct event *e;

	start = bpf_map_lookup_elem(&starts, &tid);
	if (!start)
		return NULL;
	e = bpf_map_lookup_elem(&scratch, &zero);
	if (!e) {
		bpf_map_delete_elem(&starts, &tid);
		return NULL;
	}
	e->latency = bpf_ktime_get_ns() - *start;
	bpf_map_delete_elem(&starts, &tid);
	gadget_process_fill(e);
	e->op = op;
	e->ret = gadget_errno_of(ret);
	e->fd = returns_fd && ret >= 0 ? ret : -1;
	e->srcFd = -1;
	e->destFd = -1;
	e->flagsRaw = 0;
	e->nullArgs = 0;
	e->fs[0] = '\0';
	e->data[0] = '\0';
	e->src[0] = '\0';
	e->dest[0] = '\0';
	return e;
}

/* nullArgs: which string arguments were NULL pointers (printed as null,
 * not as an empty string) */
#define NULL_FS 1
#define NULL_DATA 2
#define NULL_SRC 4

/* a user string into dst (cut to size - 1); its length without the NUL */
static __always_inline long read_string(char *dst, __u32 size, const char *user)
{
	long len = user ? bpf_probe_read_user_str(dst, size, user) : 0;

	if (len <= 0) {
		dst[0] = '\0';
		return 0;
	}
	return len - 1;
}

/* read_string() of an argument that may be NULL: noted in e->nullArgs */
static __always_inline long read_arg(struct event *e, __u8 null_bit, char *dst, __u32 size,
				     const char *user)
{
	if (!user)
		e->nullArgs |= null_bit;
	return read_string(dst, size, user);
}

/* reads dest last and sends the record up to dest's NUL */
static __always_inline int send_event(struct event *e, const char *dest)
{
	long len = read_string(e->dest, sizeof(e->dest), dest);

	gadget_bound(len, 4095); /* PATH_MAX - 1 */
	gadget_output(&events, e, offsetof(struct event, dest) + len + 1);
	return 0;
}

/* mount(source, target, fstype, flags, data) */
SEC("tracepoint/syscalls/sys_enter_mount")
int enter_mount(void *ctx)
{
	return note_start();
}

SEC("tracepoint/syscalls/sys_exit_mount")
int exit_mount(struct trace_event_raw_sys_exit *ctx)
{
	struct pt_regs *regs = gadget_syscall_regs();
	struct event *e = begin_event(ctx->ret, MOUNT, false);

	if (!e)
		return 0;
	read_arg(e, NULL_SRC, e->src, sizeof(e->src), (const char *)gadget_syscall_arg1(regs));
	read_arg(e, NULL_FS, e->fs, sizeof(e->fs), (const char *)gadget_syscall_arg3(regs));
	e->flagsRaw = gadget_syscall_arg4(regs);
	read_arg(e, NULL_DATA, e->data, sizeof(e->data), (const char *)gadget_syscall_arg5(regs));
	return send_event(e, (const char *)gadget_syscall_arg2(regs));
}

/* umount2(target, flags) (the syscall is named umount) */
SEC("tracepoint/syscalls/sys_enter_umount")
int enter_umount(void *ctx)
{
	return note_start();
}

SEC("tracepoint/syscalls/sys_exit_umount")
int exit_umount(struct trace_event_raw_sys_exit *ctx)
{
	struct pt_regs *regs = gadget_syscall_regs();
	struct event *e = begin_event(ctx->ret, UMOUNT, false);

	if (!e)
		return 0;
	e->flagsRaw = gadget_syscall_arg2(regs);
	return send_event(e, (const char *)gadget_syscall_arg1(regs));
}

/* fsopen(fsname, flags) -> fs context fd */
SEC("tracepoint/syscalls/sys_enter_fsopen")
int enter_fsopen(void *ctx)
{
	return note_start();
}

SEC("tracepoint/syscalls/sys_exit_fsopen")
int exit_fsopen(struct trace_event_raw_sys_exit *ctx)
{
	struct pt_regs *regs = gadget_syscall_regs();
	struct event *e = begin_event(ctx->ret, FSOPEN, true);

	if (!e)
		return 0;
	read_string(e->fs, sizeof(e->fs), (const char *)gadget_syscall_arg1(regs));
	e->flagsRaw = gadget_syscall_arg2(regs);
	return send_event(e, NULL);
}

/* fsconfig(fd, cmd, key, value, aux): data is "key=value" for the
 * commands whose value is a string, else the key alone */
SEC("tracepoint/syscalls/sys_enter_fsconfig")
int enter_fsconfig(void *ctx)
{
	return note_start();
}

SEC("tracepoint/syscalls/sys_exit_fsconfig")
int exit_fsconfig(struct trace_event_raw_sys_exit *ctx)
{
	struct pt_regs *regs = gadget_syscall_regs();
	struct event *e = begin_event(ctx->ret, FSCONFIG, false);
	__u32 cmd;
	long len;

	if (!e)
		return 0;
	cmd = gadget_syscall_arg2(regs);
	e->srcFd = gadget_syscall_arg1(regs);
	e->flagsRaw = cmd;
	len = read_string(e->data, KEY_LEN, (const char *)gadget_syscall_arg3(regs));
	if (len && (cmd == FSCONFIG_SET_STRING || cmd == FSCONFIG_SET_PATH ||
		    cmd == FSCONFIG_SET_PATH_EMPTY)) {
		gadget_bound(len, 255); /* KEY_LEN - 1 */
		e->data[len] = '=';
		read_string(e->data + len + 1, DATA_LEN - KEY_LEN,
			    (const char *)gadget_syscall_arg4(regs));
	}
	return send_event(e, NULL);
}

/* fsmount(fs_fd, flags, attr_flags) -> mount fd; flagsRaw holds flags in
 * its low 32 bits and attr_flags (MOUNT_ATTR_*) in its high 32 bits */
SEC("tracepoint/syscalls/sys_enter_fsmount")
int enter_fsmount(void *ctx)
{
	return note_start();
}

SEC("tracepoint/syscalls/sys_exit_fsmount")
int exit_fsmount(struct trace_event_raw_sys_exit *ctx)
{
	struct pt_regs *regs = gadget_syscall_regs();
	struct event *e = begin_event(ctx->ret, FSMOUNT, true);

	if (!e)
		return 0;
	e->srcFd = gadget_syscall_arg1(regs);
	e->flagsRaw = (__u32)gadget_syscall_arg2(regs) | (gadget_syscall_arg3(regs) << 32);
	return send_event(e, NULL);
}

/* move_mount(from_dfd, from_path, to_dfd, to_path, flags) */
SEC("tracepoint/syscalls/sys_enter_move_mount")
int enter_move_mount(void *ctx)
{
	return note_start();
}

SEC("tracepoint/syscalls/sys_exit_move_mount")
int exit_move_mount(struct trace_event_raw_sys_exit *ctx)
{
	struct pt_regs *regs = gadget_syscall_regs();
	struct event *e = begin_event(ctx->ret, MOVE_MOUNT, false);

	if (!e)
		return 0;
	e->srcFd = gadget_syscall_arg1(regs);
	read_string(e->src, sizeof(e->src), (const char *)gadget_syscall_arg2(regs));
	e->destFd = gadget_syscall_arg3(regs);
	e->flagsRaw = gadget_syscall_arg5(regs);
	return send_event(e, (const char *)gadget_syscall_arg4(regs));
}

char LICENSE[] SEC("license") = "GPL";
