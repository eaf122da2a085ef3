// SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note
/* trace/fsslower: reads, writes, opens and fsyncs of regular files slower
 * than --min milliseconds.
 *
 * Hooks: the syscalls' enter/exit tracepoints (read, write, pread64,
 * pwrite64, openat, fsync, fdatasync).  sys_enter_X finds the file behind
 * the fd (gadget/files.h), keeps only regular files (of --filesystem, if
 * given) and remembers, per thread, when the call started, the file and
 * its offset.  sys_exit_X measures the latency and reports the slow ones.
 * An openat has no file yet at enter: its file is found at exit, from the
 * fd it returned.  Records are as long as the file's name.
 */
#include <gadget/gadget.h>
#include <gadget/process.h>
#include <gadget/files.h>

#define NAME_MAX 255
#define FSTYPE_LEN 16

enum fs_op {
	FS_OP_READ = 0,
	FS_OP_WRITE = 1,
	FS_OP_OPEN = 2,
	FS_OP_FSYNC = 3,
};

struct event {
	GADGET_PROCESS_FIELDS;
	__u8 opRaw;
	gadget_syscall syscall;
	gadget_errno err;
	__u64 bytes;
	__s64 offset;
	__u64 lat;
	/* must stay last: a record ends where the file's name ends */
	char file[NAME_MAX + 1];
};

struct start {
	__u64 ts;
	struct file *file;
	__s64 offset;
	__u8 op;
};

GADGET_TRACER_MAP(events, 1 << 18);
GADGET_TRACER(fsslower, events, event);
GADGET_PARAM(__u32, min_ms, 10);
/* only files of this filesystem type ("ext4"); empty: every filesystem */
const volatile char filesystem[FSTYPE_LEN] = {};

/* thread id -> the call in progress */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, __u32);
	__type(value, struct start);
} starts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct event);
} scratch SEC(".maps");

static __always_inline bool fstype_matches(struct file *file)
{
	char fstype[FSTYPE_LEN] = {};

	if (!filesystem[0])
		return true;
	if (gadget_file_fstype(file, fstype, sizeof(fstype)) <= 0)
		return false;
	for (int i = 0; i < FSTYPE_LEN; i++) {
		if (fstype[i] != filesystem[i])
			return false;
		if (!fstype[i])
			break;
	}
	return true;
}

static __always_inline bool traced_file(struct file *file)
{
	return file && gadget_file_is_regular(file) && fstype_matches(file);
}

static __always_inline int remember(struct file *file, __s64 offset, __u8 op)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct start s = {.ts = bpf_ktime_get_ns(), .file = file, .offset = offset, .op = op};

	bpf_map_update_elem(&starts, &tid, &s, BPF_ANY);
	return 0;
}

/* read, write, fsync, fdatasync: from the file position */
static __always_inline int enter_fd(int fd, __u8 op)
{
	struct file *file;

	if (gadget_should_discard())
		return 0;
	file = gadget_file_from_fd(fd);
	if (!traced_file(file))
		return 0;
	return remember(file, op == FS_OP_FSYNC ? 0 : gadget_file_pos(file), op);
}

/* pread64, pwrite64: from the offset given */
static __always_inline int enter_fd_at(int fd, __s64 offset, __u8 op)
{
	struct file *file;

	if (gadget_should_discard())
		return 0;
	file = gadget_file_from_fd(fd);
	if (!traced_file(file))
		return 0;
	return remember(file, offset, op);
}

static __always_inline void report(struct start *s, struct file *file, long ret, __u64 lat_ns)
{
	__u32 zero = 0;
	struct event *e;
	long len;

	e = bpf_map_lookup_elem(&scratch, &zero);
	if (!e)
		return;
	gadget_process_fill(e);
	e->opRaw = s->op;
	e->syscall = gadget_syscall_regs()->orig_ax;
	e->err = gadget_errno_of(ret);
	e->bytes = ret > 0 && (s->op == FS_OP_READ || s->op == FS_OP_WRITE) ? ret : 0;
	e->offset = s->offset;
	e->lat = lat_ns / 1000;
	len = gadget_file_name(file, e->file, sizeof(e->file));
	if (len <= 0) {
		e->file[0] = '\0';
		len = 1;
	}
	len -= 1;
	gadget_bound(len, 255); /* NAME_MAX */
	gadget_output(&events, e, offsetof(struct event, file) + len + 1);
}

static __always_inline int exit_op(long ret)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct start *s = bpf_map_lookup_elem(&starts, &tid);
	struct file *file;
	__u64 lat_ns;

	if (!s)
		return 0;
	lat_ns = bpf_ktime_get_ns() - s->ts;
	if (lat_ns < (__u64)min_ms * 1000000)
		goto out;
	file = s->file;
	if (s->op == FS_OP_OPEN) {
		if (ret < 0)
			goto out; /* no file: nothing of a filesystem to time */
		file = gadget_file_from_fd(ret);
		if (!traced_file(file))
			goto out;
	}
	report(s, file, ret, lat_ns);
out:
	bpf_map_delete_elem(&starts, &tid);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_read")
int enter_read(struct trace_event_raw_sys_enter *ctx)
{
	return enter_fd(ctx->args[0], FS_OP_READ);
}

SEC("tracepoint/syscalls/sys_enter_write")
int enter_write(struct trace_event_raw_sys_enter *ctx)
{
	return enter_fd(ctx->args[0], FS_OP_WRITE);
}

SEC("tracepoint/syscalls/sys_enter_pread64")
int enter_pread64(struct trace_event_raw_sys_enter *ctx)
{
	return enter_fd_at(ctx->args[0], ctx->args[3], FS_OP_READ);
}

SEC("tracepoint/syscalls/sys_enter_pwrite64")
int enter_pwrite64(struct trace_event_raw_sys_enter *ctx)
{
	return enter_fd_at(ctx->args[0], ctx->args[3], FS_OP_WRITE);
}

SEC("tracepoint/syscalls/sys_enter_fsync")
int enter_fsync(struct trace_event_raw_sys_enter *ctx)
{
	return enter_fd(ctx->args[0], FS_OP_FSYNC);
}

SEC("tracepoint/syscalls/sys_enter_fdatasync")
int enter_fdatasync(struct trace_event_raw_sys_enter *ctx)
{
	return enter_fd(ctx->args[0], FS_OP_FSYNC);
}

/* openat: the file exists only at exit */
SEC("tracepoint/syscalls/sys_enter_openat")
int enter_openat(struct trace_event_raw_sys_enter *ctx)
{
	if (gadget_should_discard())
		return 0;
	return remember(NULL, 0, FS_OP_OPEN);
}

SEC("tracepoint/syscalls/sys_exit_read")
int exit_read(struct trace_event_raw_sys_exit *ctx)
{
	return exit_op(ctx->ret);
}

SEC("tracepoint/syscalls/sys_exit_write")
int exit_write(struct trace_event_raw_sys_exit *ctx)
{
	return exit_op(ctx->ret);
}

SEC("tracepoint/syscalls/sys_exit_pread64")
int exit_pread64(struct trace_event_raw_sys_exit *ctx)
{
	return exit_op(ctx->ret);
}

SEC("tracepoint/syscalls/sys_exit_pwrite64")
int exit_pwrite64(struct trace_event_raw_sys_exit *ctx)
{
	return exit_op(ctx->ret);
}

SEC("tracepoint/syscalls/sys_exit_fsync")
int exit_fsync(struct trace_event_raw_sys_exit *ctx)
{
	return exit_op(ctx->ret);
}

SEC("tracepoint/syscalls/sys_exit_fdatasync")
int exit_fdatasync(struct trace_event_raw_sys_exit *ctx)
{
	return exit_op(ctx->ret);
}

SEC("tracepoint/syscalls/sys_exit_openat")
int exit_openat(struct trace_event_raw_sys_exit *ctx)
{
	return exit_op(ctx->ret);
}

char LICENSE[] SEC("license") = "GPL";
