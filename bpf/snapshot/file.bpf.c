// SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note
/* snapshot/file: every open file descriptor of every process at one
 * moment, from a task-file iterator: one record per (task, fd).
 *
 * The kernel's iterator visits each process's descriptor table once (a
 * thread sharing its leader's table is skipped).  The path is bpf_d_path()
 * of the file, the function /proc/PID/fd/N's readlink uses, so a socket
 * is "socket:[INODE]", a pipe "pipe:[INODE]", an eventfd
 * "anon_inode:[eventfd]", a deleted file "/tmp/x (deleted)".  flags are
 * /proc/PID/fdinfo/N's: the file's f_flags, and O_CLOEXEC from the
 * descriptor table.
 */
#include <gadget/gadget.h>

#define PATH_MAX 4096
#define O_CLOEXEC 02000000

/* the file type, from the inode's mode (S_IFMT) */
enum file_type {
	ANON = 0,  /* no type: an anonymous inode (eventfd, epoll, timerfd, ...) */
	FIFO = 1,  /* S_IFIFO >> 12 */
	CHR = 2,
	DIR = 4,
	BLK = 6,
	REG = 8,
	LNK = 10,
	SOCK = 12,
};

struct file_entry {
	gadget_mntns_id mountnsid;
	__u32 pid;
	__u32 tid;
	gadget_uid uid;
	char comm[TASK_COMM_LEN];
	__u32 fd;
	enum file_type type;
	__u32 flagsRaw;
	__s64 pos;
	__u64 ino;
	__u32 mntId;
	char path[PATH_MAX];
};

GADGET_SNAPSHOTTER(file, file_entry, snap_files);

/* the records are written from here: they are too big for the stack */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct file_entry);
} scratch SEC(".maps");

/* /proc/PID/fdinfo's mnt_id: the file's struct mount, around its vfsmount */
static __always_inline __u32 mount_id(struct file *file)
{
	struct vfsmount *vfs = BPF_CORE_READ(file, f_path.mnt);
	struct mount *m = (void *)vfs - bpf_core_field_offset(struct mount, mnt);

	return BPF_CORE_READ(m, mnt_id);
}

/* fd's close-on-exec bit in the task's descriptor table */
static __always_inline bool close_on_exec(struct task_struct *task, __u32 fd)
{
	unsigned long *bits = BPF_CORE_READ(task, files, fdt, close_on_exec);
	unsigned long word = 0;

	bpf_probe_read_kernel(&word, sizeof(word), bits + fd / 64);
	return word & (1UL << (fd % 64));
}

SEC("iter/task_file")
int snap_files(struct bpf_iter__task_file *ctx)
{
	struct task_struct *task = ctx->task;
	struct file *file = ctx->file;
	struct file_entry *e;
	__u32 zero = 0;

	if (!task || !file)
		return 0;
	if (!BPF_CORE_READ(task, nsproxy) || gadget_task_should_discard(task))
		return 0;
	e = bpf_map_lookup_elem(&scratch, &zero);
	if (!e)
		return 0;
	e->mountnsid = BPF_CORE_READ(task, nsproxy, mnt_ns, ns.inum);
	e->pid = BPF_CORE_READ(task, tgid);
	e->tid = BPF_CORE_READ(task, pid);
	e->uid = BPF_CORE_READ(task, cred, uid.val);
	BPF_CORE_READ_STR_INTO(&e->comm, task, comm);
	e->fd = ctx->fd;
	e->type = (BPF_CORE_READ(file, f_inode, i_mode) & 0170000) >> 12;
	e->flagsRaw = BPF_CORE_READ(file, f_flags);
	if (close_on_exec(task, ctx->fd))
		e->flagsRaw |= O_CLOEXEC;
	e->pos = BPF_CORE_READ(file, f_pos);
	e->ino = BPF_CORE_READ(file, f_inode, i_ino);
	e->mntId = mount_id(file);
	/* a path longer than the buffer: readlink fails there too */
	if (bpf_d_path((struct path *)&file->f_path, e->path, sizeof(e->path)) < 0)
		e->path[0] = '\0';
	bpf_seq_write(ctx->meta->seq, e, sizeof(*e));
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
