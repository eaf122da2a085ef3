/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR Apache-2.0 */
/* gadget/process.h - the process an event is about, in two lines.
 *
 *   struct event {
 *           GADGET_PROCESS_FIELDS;     timestamp mountnsid pid tid ppid uid gid comm
 *           ...                        the gadget's own members
 *   };
 *
 *   gadget_process_fill(e);            fills them for the current task
 *
 * The members are plain members of the event struct (not a nested struct),
 * so they are fields named pid, comm, ... and the mount namespace makes the
 * gadget container-aware (docs/containers.md).
 */
#ifndef GADGET_PROCESS_H
#define GADGET_PROCESS_H

#include <vmlinux.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>

#include <gadget/types.h>
#include <gadget/filter.h>

#define GADGET_PROCESS_FIELDS                                              \
	gadget_timestamp timestamp;                                        \
	gadget_mntns_id mountnsid;                                         \
	__u32 pid;                                                         \
	__u32 tid;                                                         \
	__u32 ppid;                                                        \
	gadget_uid uid;                                                    \
	gadget_gid gid;                                                    \
	char comm[TASK_COMM_LEN]

/* ppid: the real parent's thread group id, read through CO-RE */
static __always_inline __u32 gadget_current_ppid(void)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();

	return BPF_CORE_READ(task, real_parent, tgid);
}

#define gadget_process_fill(e)                                             \
	do {                                                               \
		__u64 gadget_pid_tgid_ = bpf_get_current_pid_tgid();       \
		__u64 gadget_uid_gid_ = bpf_get_current_uid_gid();         \
		(e)->timestamp = bpf_ktime_get_boot_ns();                  \
		(e)->mountnsid = gadget_get_mntns_id();                    \
		(e)->pid = gadget_pid_tgid_ >> 32;                         \
		(e)->tid = (__u32)gadget_pid_tgid_;                        \
		(e)->ppid = gadget_current_ppid();                         \
		(e)->uid = (__u32)gadget_uid_gid_;                         \
		(e)->gid = gadget_uid_gid_ >> 32;                          \
		bpf_get_current_comm((e)->comm, sizeof((e)->comm));        \
	} while (0)

#endif
