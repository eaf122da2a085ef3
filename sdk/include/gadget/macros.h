/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR Apache-2.0 */
/* gadget/macros.h - how a gadget's eBPF object tells the host what it has.
 *
 *   GADGET_TRACER_MAP(events, 1 << 20);        a ring buffer of that size
 *   GADGET_TRACER(exec, events, event);        tracer "exec": map "events"
 *                                              carries struct event
 *   GADGET_PARAM(bool, ignore_failed, false);  a tunable, set before load
 *   GADGET_MAPITER(file, stats);               top "file": hash map "stats",
 *                                              a row per entry (key, value)
 *   GADGET_SNAPSHOTTER(process, proc, prog);   snapshot "process": the
 *                                              iterator prog writes struct proc
 *   GADGET_HISTOGRAM(blockio, hists, usecs);   map "hists" holds log2
 *                                              histograms (gadget/histogram.h)
 *   GADGET_STACKS(cpu, counts, stacks);        map "counts" counts stack
 *                                              samples (gadget/stacks.h)
 *   GADGET_STACKS_SUM(offcpu, times, stacks, usecs);
 *                                              map "times" sums usecs by
 *                                              stack
 *   GADGET_TRACELOOP(syscalls, rings, heads, args, record);
 *                                              a flight recorder: a ring of
 *                                              struct record per container
 *
 * The host finds tracers by the BTF variables named
 * gadget_tracer_<name>___<map>: each is a pointer to the event struct, so
 * the struct's layout is in the object's BTF even if no code names it.
 */
#ifndef GADGET_MACROS_H
#define GADGET_MACROS_H

#define GADGET_TRACER_MAP(name, size)                                      \
	struct {                                                           \
		__uint(type, BPF_MAP_TYPE_RINGBUF);                        \
		__uint(max_entries, size);                                 \
	} name SEC(".maps")

#define GADGET_TRACER(name, map, struct_name)                              \
	struct struct_name *gadget_tracer_##name##___##map                 \
		__attribute__((unused))

/* A top gadget: map is a BPF hash map whose key and value are structs.
 * Every interval the host reads and empties it; each entry is one row,
 * the key's members then the value's (their names must differ).  The
 * variable points at the map's definition, so the host finds the map and
 * its BTF key and value types. */
#define GADGET_MAPITER(name, map)                                          \
	typeof(map) *gadget_mapiter_##name##___##map __attribute__((unused))

/* A snapshot gadget: the iterator program prog (SEC("iter/task"),
 * SEC("iter/tcp"), ...) writes one struct struct_name per item with
 * bpf_seq_write(); each record is one row.  Declare one line per program
 * (iter/tcp and iter/udp of one snapshot): they must share struct_name.
 * Network iterators (iter/tcp, iter/udp, iter/unix) walk the network
 * namespace they are opened in: the host opens one in each traced one. */
#define GADGET_SNAPSHOTTER(name, struct_name, prog)                        \
	struct struct_name *gadget_snapshotter_##name##___##prog           \
		__attribute__((unused))

/* Profilers: aggregates in maps, which the host reads at exit or every
 * --interval instead of consuming a ring buffer.  The key of the map is
 * read from its BTF (a struct: one histogram or one stack per key).
 *
 * A histogram map's values are struct gadget_hist; unit names the values
 * the gadget adds (usecs, msecs, nsecs, bytes...), printed over the chart. */
#define GADGET_HISTOGRAM(name, map, unit)                                  \
	struct gadget_hist *gadget_histogram_##name##___##map##___##unit   \
		__attribute__((unused))

/* A stack sampler: counts (a hash map: key struct with gadget_user_stack
 * and gadget_kernel_stack members, value __u64) and stacks (a
 * BPF_MAP_TYPE_STACK_TRACE the ids point into).  The host opens one
 * perf event per CPU at --frequency Hz and attaches every SEC("perf_event")
 * program of the object to them. */
#define GADGET_STACKS(name, counts, stacks)                                \
	struct gadget_hist *gadget_stacks_##name##___##counts##___##stacks \
		__attribute__((unused))

/* Stacks with a measure instead of a sample count: counts' values are
 * sums of what value names (usecs off the CPU...), the field the host
 * prints where a sampler prints samples.  Its programs are attached to
 * their hooks like a tracer's (perf events and --frequency only for
 * SEC("perf_event") programs, as for any stack gadget). */
#define GADGET_STACKS_SUM(name, counts, stacks, value)                     \
	struct gadget_hist                                                 \
		*gadget_stacks_##name##___##counts##___##stacks##___##value \
		__attribute__((unused))

/* A flight recorder (gadgethost traceloop): rings is a hash of maps from
 * a mount namespace to that container's ring, an array of struct_name
 * records the host makes (its size too) when the container appears;
 * heads, a hash from the mount namespace to the records written so far;
 * args, an array the host fills with each system call's argument kinds
 * (struct traceloop_syscall_args, gadget/traceloop.h).  Nothing is read
 * until someone asks for a container's records.  (A pointer to const: the
 * rings' own pointer to the record is only a forward declaration in BTF,
 * this one has the whole struct.) */
#define GADGET_TRACELOOP(name, rings, heads, args, struct_name)                         \
	const struct struct_name *gadget_traceloop_##name##___##rings##___##heads##___##args \
		__attribute__((unused))

/* A parameter is a const volatile global in .rodata: the host writes the
 * user's value into it before the program is loaded, so the verifier sees
 * a constant and prunes the branches it disables. */
#define GADGET_PARAM(type, name, default_value)                            \
	const volatile type name = default_value

/* Keep the verifier sure of a size: x &= mask, done so that clang cannot
 * drop it as redundant after a clamp (it often can, and then the verifier
 * sees an unbounded register).  mask must be 2^n - 1. */
#define gadget_bound(x, mask) asm volatile("%[v] &= " #mask : [v] "+r"(x))

#endif
