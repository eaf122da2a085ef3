// SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note
/* top/file: reads and writes per thread and file, summed in the kernel.
 *
 * One program per read/write syscall at sys_exit, where the result is the
 * byte count: the fd (argument 1) gives the struct file, its inode and
 * name.  The host empties the map every interval (GADGET_MAPITER), so the
 * counts are per interval.
 */
#include <gadget/gadget.h>
#include <gadget/files.h>

#define FILE_NAME_LEN 256

enum file_type {
	R = 0, /* regular file */
	S = 1, /* socket */
	O = 2, /* anything else: pipe, tty, device, ... */
};

struct file_key {
	gadget_mntns_id mountnsid;
	__u32 pid;
	__u32 tid;
	__u64 dev;
	__u64 inode;
};

struct file_stats {
	char comm[TASK_COMM_LEN];
	__u64 reads;
	__u64 writes;
	__u64 rbytes;
	__u64 wbytes;
	enum file_type t;
	char file[FILE_NAME_LEN];
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8192);
	__type(key, struct file_key);
	__type(value, struct file_stats);
} stats SEC(".maps");

GADGET_MAPITER(file, stats);
GADGET_PARAM(bool, all_files, false);

/* a new entry is made here, not on the stack: it is larger than half of
 * the 512 bytes a program has */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct file_stats);
} scratch SEC(".maps");

static __always_inline enum file_type type_of(struct file *f)
{
	umode_t mode = BPF_CORE_READ(f, f_inode, i_mode) & GADGET_S_IFMT;

	if (mode == GADGET_S_IFREG)
		return R;
	if (mode == GADGET_S_IFSOCK)
		return S;
	return O;
}

static __always_inline int count(long ret, bool write)
{
	struct pt_regs *regs;
	struct file_stats *st, *fresh;
	struct file_key key = {};
	struct file *f;
	enum file_type t;
	__u64 pid_tgid;
	__u32 zero = 0;

	if (ret < 0 || gadget_should_discard())
		return 0;
	regs = gadget_syscall_regs();
	f = gadget_file_from_fd((long)gadget_syscall_arg1(regs));
	if (!f)
		return 0;
	t = type_of(f);
	if (!all_files && t != R)
		return 0;
	pid_tgid = bpf_get_current_pid_tgid();
	key.mountnsid = gadget_get_mntns_id();
	key.pid = pid_tgid >> 32;
	key.tid = (__u32)pid_tgid;
	key.dev = BPF_CORE_READ(f, f_inode, i_sb, s_dev);
	key.inode = BPF_CORE_READ(f, f_inode, i_ino);

	st = bpf_map_lookup_elem(&stats, &key);
	if (!st) {
		fresh = bpf_map_lookup_elem(&scratch, &zero);
		if (!fresh)
			return 0;
		__builtin_memset(fresh, 0, sizeof(*fresh));
		bpf_get_current_comm(fresh->comm, sizeof(fresh->comm));
		fresh->t = t;
		gadget_file_name(f, fresh->file, sizeof(fresh->file));
		bpf_map_update_elem(&stats, &key, fresh, BPF_NOEXIST);
		st = bpf_map_lookup_elem(&stats, &key);
		if (!st)
			return 0; /* the map is full */
	}
	if (write) {
		__sync_fetch_and_add(&st->writes, 1);
		__sync_fetch_and_add(&st->wbytes, ret);
	} else {
		__sync_fetch_and_add(&st->reads, 1);
		__sync_fetch_and_add(&st->rbytes, ret);
	}
	return 0;
}

#define COUNTER(syscall, write)                                            \
	SEC("tracepoint/syscalls/sys_exit_" #syscall)                      \
	int exit_##syscall(struct trace_event_raw_sys_exit *ctx)           \
	{                                                                  \
		return count(ctx->ret, write);                             \
	}

COUNTER(read, false)
COUNTER(readv, false)
COUNTER(pread64, false)
COUNTER(preadv, false)
COUNTER(preadv2, false)
COUNTER(write, true)
COUNTER(writev, true)
COUNTER(pwrite64, true)
COUNTER(pwritev, true)
COUNTER(pwritev2, true)

char LICENSE[] SEC("license") = "GPL";
