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
 * gadget container-aware (docs/containers.md).  The Lua side prints them
 * with one line: fields = require("gadget.process").fields({ ... }).
 *
 * The same members, named the same, for the other shapes of "a process":
 *
 *   GADGET_TASK_FIELDS                 mountnsid pid tid ppid uid gid comm:
 *                                      no timestamp (a snapshot's row, or a
 *                                      process remembered in a map)
 *   gadget_task_fill(x, task)          them, from a task_struct (an
 *                                      iterator's task, a tracepoint's)
 *   gadget_task_fill_current(x)        them, for the current task
 *   gadget_task_copy(dst, src)         them, from one struct to another (a
 *                                      socket's remembered owner into an
 *                                      event: gadget/socket_owner.h)
 *   gadget_task_clear(x)               them, zeroed (no process known)
 *
 *   GADGET_TASK_FIELDS_PREFIXED(k)     kpid ktid kppid kuid kgid kcomm: a
 *                                      second task in one event
 *   gadget_task_fill_prefixed(x, k, task)   them, from a task_struct
 */
#ifndef GADGET_PROCESS_H
#define GADGET_PROCESS_H

#include <vmlinux.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>

#include <gadget/types.h>
#include <gadget/filter.h>

/* P is pasted in front of each name; empty for the plain names */
#define GADGET_TASK_FIELDS_PREFIXED(P)                                     \
	__u32 P##pid;                                                      \
	__u32 P##tid;                                                      \
	__u32 P##ppid;                                                     \
	gadget_uid P##uid;                                                 \
	gadget_gid P##gid;                                                 \
	char P##comm[TASK_COMM_LEN]

#define GADGET_TASK_FIELDS                                                 \
	gadget_mntns_id mountnsid;                                         \
	GADGET_TASK_FIELDS_PREFIXED()

#define GADGET_PROCESS_FIELDS                                              \
	gadget_timestamp timestamp;                                        \
	GADGET_TASK_FIELDS

/* ppid: the real parent's thread group id, read through CO-RE */
static __always_inline __u32 gadget_current_ppid(void)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();

	return BPF_CORE_READ(task, real_parent, tgid);
}

/* The current task's: the helpers, cheaper than reading the task_struct. */
#define gadget_task_fill_current(x)                                        \
	do {                                                               \
		__u64 gadget_pid_tgid_ = bpf_get_current_pid_tgid();       \
		__u64 gadget_uid_gid_ = bpf_get_current_uid_gid();         \
		(x)->mountnsid = gadget_get_mntns_id();                    \
		(x)->pid = gadget_pid_tgid_ >> 32;                         \
		(x)->tid = (__u32)gadget_pid_tgid_;                        \
		(x)->ppid = gadget_current_ppid();                         \
		(x)->uid = (__u32)gadget_uid_gid_;                         \
		(x)->gid = gadget_uid_gid_ >> 32;                          \
		bpf_get_current_comm((x)->comm, sizeof((x)->comm));        \
	} while (0)

#define gadget_process_fill(e)                                             \
	do {                                                               \
		(e)->timestamp = bpf_ktime_get_boot_ns();                  \
		gadget_task_fill_current(e);                               \
	} while (0)

/* Another task's, through CO-RE reads.  uid and gid are read from
 * task->cred, where bpf_get_current_uid_gid() and the --uid/--gid filters
 * (gadget_task_should_discard()) read them. */
#define gadget_task_fill_prefixed(x, P, task)                              \
	do {                                                               \
		struct task_struct *gadget_task_ = (task);                 \
		(x)->P##pid = BPF_CORE_READ(gadget_task_, tgid);           \
		(x)->P##tid = BPF_CORE_READ(gadget_task_, pid);            \
		(x)->P##ppid = BPF_CORE_READ(gadget_task_, real_parent, tgid); \
		(x)->P##uid = BPF_CORE_READ(gadget_task_, cred, uid.val);  \
		(x)->P##gid = BPF_CORE_READ(gadget_task_, cred, gid.val);  \
		BPF_CORE_READ_STR_INTO(&(x)->P##comm, gadget_task_, comm); \
	} while (0)

#define gadget_task_fill(x, task)                                          \
	do {                                                               \
		struct task_struct *gadget_t_ = (task);                    \
		(x)->mountnsid = BPF_CORE_READ(gadget_t_, nsproxy, mnt_ns, ns.inum); \
		gadget_task_fill_prefixed(x, , gadget_t_);                 \
	} while (0)

#define gadget_task_copy(dst, src)                                         \
	do {                                                               \
		(dst)->mountnsid = (src)->mountnsid;                       \
		(dst)->pid = (src)->pid;                                   \
		(dst)->tid = (src)->tid;                                   \
		(dst)->ppid = (src)->ppid;                                 \
		(dst)->uid = (src)->uid;                                   \
		(dst)->gid = (src)->gid;                                   \
		__builtin_memcpy((dst)->comm, (src)->comm, sizeof((dst)->comm)); \
	} while (0)

#define gadget_task_clear(x)                                               \
	do {                                                               \
		(x)->mountnsid = 0;                                        \
		(x)->pid = (x)->tid = (x)->ppid = 0;                       \
		(x)->uid = (x)->gid = 0;                                   \
		(x)->comm[0] = '\0';                                       \
	} while (0)

#endif
