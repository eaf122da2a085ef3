// SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note
/* top/ebpf: what every eBPF program on the node costs, per interval.
 *
 * Two iterators fill the top's map, which the host reads and empties
 * every interval (a top fed by iterators: the host reads each to its end
 * first).  iter/task_file finds the processes that hold a program: an fd
 * of the program itself or of a link to it.  iter/bpf_prog visits every
 * loaded program and sums its run count and run time over the CPUs (the
 * kernel's statistics, counted while the host holds BPF_ENABLE_STATS:
 * the script's bpf_stats = true); what the program ran since the last
 * look is its row.  Both write their part of a program's row, so their
 * order does not matter.
 */
#include <gadget/gadget.h>

#define MAX_CPUS 512
#define MAX_USED_MAPS 64
#define PAGE 4096
#define BPF_OBJ_NAME_LEN 16

struct prog_key {
	__u32 progid;
};

struct prog_stats {
	gadget_mntns_id mountnsid;   /* the holder's */
	__u32 pid;                   /* a process holding the program (fd or link) */
	__u32 processes;             /* how many hold it */
	char comm[TASK_COMM_LEN];
	char name[BPF_OBJ_NAME_LEN];
	enum bpf_prog_type type;
	__u32 mapCount;
	__u64 runCount;              /* runs since the last look */
	__u64 runNs;               /* ns run since the last look */
	__u64 totalRunCount;         /* since the statistics were on */
	__u64 totalRunNs;
	__u64 mapMemory;             /* bytes of the maps it uses */
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, struct prog_key);
	__type(value, struct prog_stats);
} progs SEC(".maps");

GADGET_MAPITER(ebpf, progs);

/* the totals at the last look, by program id */
struct totals {
	__u64 runCount;
	__u64 runNs;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, struct totals);
} last SEC(".maps");

/* A per-CPU array of our own, to learn where each CPU's per-CPU data
 * is: its value's address on a CPU (bpf_map_lookup_percpu_elem) minus
 * the array's per-CPU pointer is that CPU's offset, which turns the
 * program's per-CPU statistics pointer into addresses.  (Per-CPU kernel
 * symbols and __per_cpu_offset are not visible to BPF on every kernel:
 * not without CONFIG_KALLSYMS_ALL, and bpf_per_cpu_ptr() on a struct
 * member needs BTF type tags gcc-built kernels lack.) */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} cpu_probe SEC(".maps");

/* a pointer's address as a number the verifier lets us compute with
 * (read back from the stack) */
static __always_inline __u64 address_of(const void *p)
{
	__u64 n = 0;

	bpf_probe_read_kernel(&n, sizeof(n), &p);
	return n;
}

/* the per-CPU pointer of cpu_probe's one value */
static __always_inline __u64 probe_pptr(void)
{
	__u64 array = address_of(&cpu_probe), pptr = 0;

	/* the union of value, ptrs and pptrs follows aux (8-byte aligned);
	 * not sizeof(struct bpf_array), which 6.1 pads to a cache line */
	bpf_probe_read_kernel(&pptr, sizeof(pptr),
			      (void *)(array + bpf_core_field_offset(struct bpf_array, aux) + 8));
	return pptr;
}

static __always_inline struct prog_stats *row_of(__u32 id)
{
	static const struct prog_stats zero;
	struct prog_key key = {.progid = id};
	struct prog_stats *s = bpf_map_lookup_elem(&progs, &key);

	if (s)
		return s;
	bpf_map_update_elem(&progs, &key, &zero, BPF_NOEXIST);
	return bpf_map_lookup_elem(&progs, &key);
}

/* the anonymous inode's name of a file: bpf-prog, bpf_link, ... (the file
 * operations are not symbols every kernel exports to BPF) */
static __always_inline bool named(struct file *file, const char *want, int len)
{
	char name[10] = {};

	bpf_probe_read_kernel_str(name, sizeof(name), BPF_CORE_READ(file, f_path.dentry, d_name.name));
	for (int i = 0; i < len; i++)
		if (name[i] != want[i])
			return false;
	return true;
}

/* the processes holding a program: an fd of the program or of a link */
SEC("iter/task_file")
int find_holders(struct bpf_iter__task_file *ctx)
{
	struct task_struct *task = ctx->task;
	struct file *file = ctx->file;
	struct prog_stats *s;
	void *priv;
	__u32 id;

	if (!task || !file)
		return 0;
	priv = BPF_CORE_READ(file, private_data);
	if (named(file, "bpf-prog", 9))
		id = BPF_CORE_READ((struct bpf_prog *)priv, aux, id);
	else if (named(file, "bpf_link", 9))
		id = BPF_CORE_READ((struct bpf_link *)priv, prog, aux, id);
	else
		return 0;
	if (!id || !BPF_CORE_READ(task, nsproxy) || gadget_task_should_discard(task))
		return 0;
	s = row_of(id);
	if (!s)
		return 0;
	/* the first holder seen names it; an fd and a link of one process
	 * count once when they come one after the other */
	if (s->pid == (__u32)BPF_CORE_READ(task, tgid))
		return 0;
	s->processes++;
	if (s->processes > 1)
		return 0;
	s->pid = BPF_CORE_READ(task, tgid);
	s->mountnsid = BPF_CORE_READ(task, nsproxy, mnt_ns, ns.inum);
	BPF_CORE_READ_STR_INTO(&s->comm, task, comm);
	return 0;
}

/* bytes of one map, as kernels before 6.5 estimated it (fdinfo's memlock):
 * key and value rounded to 8, times the entries, rounded to a page; a ring
 * buffer's data pages */
static __always_inline __u64 map_memory(struct bpf_map *m, __u32 ncpus)
{
	__u32 type = BPF_CORE_READ(m, map_type);
	__u64 value = BPF_CORE_READ(m, value_size);
	__u64 entries = BPF_CORE_READ(m, max_entries);

	if (type == BPF_MAP_TYPE_RINGBUF || type == BPF_MAP_TYPE_USER_RINGBUF)
		return entries;
	if (type == BPF_MAP_TYPE_PERCPU_HASH || type == BPF_MAP_TYPE_PERCPU_ARRAY ||
	    type == BPF_MAP_TYPE_LRU_PERCPU_HASH || type == BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE)
		value = ((value + 7) & ~7ULL) * ncpus;
	return ((((BPF_CORE_READ(m, key_size) + value + 7) & ~7ULL) * entries) + PAGE - 1) &
	       ~(__u64)(PAGE - 1);
}

SEC("iter/bpf_prog")
int read_programs(struct bpf_iter__bpf_prog *ctx)
{
	struct bpf_prog *prog = ctx->prog;
	struct bpf_prog_aux *aux;
	struct totals now = {}, *before;
	struct bpf_map **used;
	struct prog_stats *s;
	__u64 stats, pptr;
	__u32 id, ncpus = 0, nmaps;

	if (!prog)
		return 0;
	aux = BPF_CORE_READ(prog, aux);
	id = BPF_CORE_READ(aux, id);
	stats = (__u64)BPF_CORE_READ(prog, stats);
	/* the per-CPU statistics: a CPU's copy is at the pointer plus that
	 * CPU's offset; the lookup is NULL past the last CPU */
	pptr = probe_pptr();
	for (__u32 cpu = 0; cpu < MAX_CPUS; cpu++) {
		__u32 zero = 0;
		void *here = bpf_map_lookup_percpu_elem(&cpu_probe, &zero, cpu);
		__u64 cnt = 0, ns = 0, offs;

		if (!here)
			break;
		ncpus++;
		offs = address_of(here) - pptr;
		if (!stats || !pptr)
			continue;
		bpf_probe_read_kernel(&cnt, sizeof(cnt), (void *)(stats + offs +
				      bpf_core_field_offset(struct bpf_prog_stats, cnt)));
		bpf_probe_read_kernel(&ns, sizeof(ns), (void *)(stats + offs +
				      bpf_core_field_offset(struct bpf_prog_stats, nsecs)));
		now.runCount += cnt;
		now.runNs += ns;
	}
	s = bpf_map_lookup_elem(&progs, &(struct prog_key){.progid = id});
	/* kernel filters on: only programs a process that passes them holds */
	if (!s && (gadget_filter_pid || gadget_filter_tid || gadget_filter_uid_on ||
		   gadget_filter_gid_on || gadget_filter_comm_on || gadget_filter_by_mntns)) {
		bpf_map_update_elem(&last, &id, &now, BPF_ANY);
		return 0;
	}
	if (!s)
		s = row_of(id);
	if (!s)
		return 0;
	before = bpf_map_lookup_elem(&last, &id);
	s->totalRunCount = now.runCount;
	s->totalRunNs = now.runNs;
	s->runCount = before && now.runCount >= before->runCount ?
			      now.runCount - before->runCount : now.runCount;
	s->runNs = before && now.runNs >= before->runNs ?
			     now.runNs - before->runNs : now.runNs;
	bpf_map_update_elem(&last, &id, &now, BPF_ANY);
	s->type = BPF_CORE_READ(prog, type);
	BPF_CORE_READ_STR_INTO(&s->name, aux, name);
	nmaps = BPF_CORE_READ(aux, used_map_cnt);
	used = BPF_CORE_READ(aux, used_maps);
	s->mapCount = nmaps;
	s->mapMemory = 0;
	for (__u32 i = 0; i < MAX_USED_MAPS && used; i++) {
		struct bpf_map *m = NULL;

		if (i >= nmaps)
			break;
		if (bpf_probe_read_kernel(&m, sizeof(m), &used[i]) || !m)
			break;
		s->mapMemory += map_memory(m, ncpus);
	}
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
