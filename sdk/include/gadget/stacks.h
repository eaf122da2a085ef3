/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR Apache-2.0 */
/* gadget/stacks.h - stack samples the host symbolizes (GADGET_STACKS).
 *
 * The key of the counts map says whose stack a count is: any members the
 * gadget likes (pid, comm, a gadget_mntns_id for the container fields)
 * plus at most one of each of these, the ids bpf_get_stackid() returned
 * (negative: no such stack, e.g. no kernel stack for a sample taken in
 * user mode):
 *
 *   gadget_user_stack    bpf_get_stackid(ctx, &stacks, BPF_F_USER_STACK)
 *   gadget_kernel_stack  bpf_get_stackid(ctx, &stacks, 0)
 *
 * User stacks are walked by frame pointers: code built without them
 * (-fomit-frame-pointer, the default at -O2 on x86-64) shows its
 * innermost frame only.
 */
#ifndef GADGET_STACKS_H
#define GADGET_STACKS_H

#ifndef PERF_MAX_STACK_DEPTH
#define PERF_MAX_STACK_DEPTH 127
#endif

typedef __s32 gadget_user_stack;
typedef __s32 gadget_kernel_stack;

/* The stack trace map's value: the addresses, innermost first. */
typedef __u64 gadget_stack_t[PERF_MAX_STACK_DEPTH];

/* The stack trace map of a stack gadget, of entries stacks. */
#define GADGET_STACK_MAP(name, entries)                                    \
	struct {                                                           \
		__uint(type, BPF_MAP_TYPE_STACK_TRACE);                    \
		__uint(max_entries, entries);                              \
		__type(key, __u32);                                        \
		__type(value, gadget_stack_t);                             \
	} name SEC(".maps")

/* Add value to the count (or sum) of key in map. */
static __always_inline void gadget_stacks_add(void *map, const void *key, __u64 value)
{
	__u64 *count = bpf_map_lookup_elem(map, key);

	if (!count && !bpf_map_update_elem(map, key, &value, BPF_NOEXIST))
		return;
	if (!count) /* another CPU made it first */
		count = bpf_map_lookup_elem(map, key);
	if (count)
		__sync_fetch_and_add(count, value);
}

/* Add one to the count of key in map. */
static __always_inline void gadget_stacks_count(void *map, const void *key)
{
	gadget_stacks_add(map, key, 1);
}

#endif
