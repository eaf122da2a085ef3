/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR Apache-2.0 */
/* gadget/files.h - from a file descriptor to its struct file, and what a
 * struct file says: its name, its filesystem, its kind, its position.
 *
 *   struct file *f = gadget_file_from_fd(fd);      NULL: no such fd
 *   if (f && gadget_file_is_regular(f)) {
 *           long n = gadget_file_name(f, buf, sizeof(buf));
 *           ...
 *   }
 *
 * gadget_file_from_fd() looks in the current task's descriptor table, so
 * call it in the task that owns the fd (a syscall tracepoint).  The name
 * is the last component of the path (the dentry's name: "log.txt", not
 * "/var/log/log.txt"), as filesystem tools like ext4slower print it.
 *
 * Every read is a probe read (BPF_CORE_READ or bpf_probe_read_kernel*):
 * a file closed by another thread meanwhile gives a wrong or empty
 * answer, never a fault.  CO-RE relocations keep the offsets right on
 * other kernels.
 */
#ifndef GADGET_FILES_H
#define GADGET_FILES_H

#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>

#define GADGET_S_IFMT 00170000
#define GADGET_S_IFREG 0100000
#define GADGET_S_IFSOCK 0140000

/* the struct file behind fd in the current task, or NULL */
static __always_inline struct file *gadget_file_from_fd(long fd)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct fdtable *fdt = BPF_CORE_READ(task, files, fdt);
	struct file **fds;
	struct file *file = NULL;

	if (!fdt || fd < 0 || fd >= BPF_CORE_READ(fdt, max_fds))
		return NULL;
	fds = BPF_CORE_READ(fdt, fd);
	if (bpf_probe_read_kernel(&file, sizeof(file), &fds[fd]))
		return NULL;
	return file;
}

/* the file's name (its dentry's, NUL terminated) into buf; returns the
 * bytes written with the NUL, as bpf_probe_read_kernel_str(), or < 0 */
static __always_inline long gadget_file_name(struct file *file, char *buf, __u32 size)
{
	const unsigned char *name = BPF_CORE_READ(file, f_path.dentry, d_name.name);

	return bpf_probe_read_kernel_str(buf, size, name);
}

/* the name of the file's filesystem type ("ext4", "tmpfs") into buf;
 * returns as gadget_file_name() */
static __always_inline long gadget_file_fstype(struct file *file, char *buf, __u32 size)
{
	const char *name = BPF_CORE_READ(file, f_inode, i_sb, s_type, name);

	return bpf_probe_read_kernel_str(buf, size, name);
}

/* a regular file (not a pipe, socket, device or directory) */
static __always_inline bool gadget_file_is_regular(struct file *file)
{
	umode_t mode = BPF_CORE_READ(file, f_inode, i_mode);

	return (mode & GADGET_S_IFMT) == GADGET_S_IFREG;
}

/* the file position, where a read(2) or write(2) starts */
static __always_inline __s64 gadget_file_pos(struct file *file)
{
	return BPF_CORE_READ(file, f_pos);
}

#endif
