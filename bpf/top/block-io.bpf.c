// SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note
/* top/block-io: block I/O per process and device: bytes, requests and the
 * time they took, summed in the kernel.
 *
 * A request is completed in an interrupt or another task, never the one
 * that asked for it: who asked is remembered per request (struct request
 * pointer) at block_io_start (the submitter's context, kernels 6.5+), or
 * at block_rq_insert (also the submitter's, for a request that waits in a
 * queue: before 6.5 a loop device's are then issued by a kworker), or
 * else at block_rq_issue, with the issue time; block_rq_complete then
 * adds the bytes completed and the latency to the asker's row.
 */
#include <gadget/gadget.h>

#define REQ_OP_BITS 8
#define REQ_OP_MASK ((1 << REQ_OP_BITS) - 1)
#define MINORBITS 20

enum rw_kind {
	R = 0,
	W = 1,
};

struct io_key {
	gadget_mntns_id mountnsid;
	__u32 pid;
	__u32 major;
	__u32 minor;
	enum rw_kind rw;
};

struct io_stats {
	char comm[TASK_COMM_LEN];
	__u64 bytes;
	__u64 time_us;
	__u64 ios;
};

struct who {
	gadget_mntns_id mountnsid;
	__u64 issued_ns; /* 0: not issued yet */
	__u32 pid;
	char comm[TASK_COMM_LEN];
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8192);
	__type(key, struct io_key);
	__type(value, struct io_stats);
} ios SEC(".maps");

GADGET_MAPITER(block_io, ios);

/* in-flight requests */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);
	__type(value, struct who);
} inflight SEC(".maps");

static __always_inline void remember(struct request *rq, bool issued)
{
	__u64 key = (__u64)rq;
	struct who w = {};

	if (gadget_should_discard())
		return;
	w.mountnsid = gadget_get_mntns_id();
	w.pid = bpf_get_current_pid_tgid() >> 32;
	w.issued_ns = issued ? bpf_ktime_get_ns() : 0;
	bpf_get_current_comm(w.comm, sizeof(w.comm));
	bpf_map_update_elem(&inflight, &key, &w, BPF_ANY);
}

SEC("tp_btf/block_io_start")
int BPF_PROG(io_start, struct request *rq)
{
	remember(rq, false);
	return 0;
}

/* the first sight wins: a requeued request is inserted again by a kworker */
SEC("tp_btf/block_rq_insert")
int BPF_PROG(rq_insert, struct request *rq)
{
	__u64 key = (__u64)rq;

	if (!bpf_map_lookup_elem(&inflight, &key))
		remember(rq, false);
	return 0;
}

SEC("tp_btf/block_rq_issue")
int BPF_PROG(rq_issue, struct request *rq)
{
	__u64 key = (__u64)rq;
	struct who *w = bpf_map_lookup_elem(&inflight, &key);

	if (w)
		w->issued_ns = bpf_ktime_get_ns();
	else
		remember(rq, true); /* no block_io_start: who issues it */
	return 0;
}

SEC("tp_btf/block_rq_complete")
int BPF_PROG(rq_complete, struct request *rq, blk_status_t error, unsigned int nr_bytes)
{
	__u64 key = (__u64)rq, now = bpf_ktime_get_ns();
	struct who *w = bpf_map_lookup_elem(&inflight, &key);
	struct io_stats *st, fresh = {};
	struct io_key k = {};
	unsigned int op;
	dev_t dev;

	if (!w)
		return 0;
	op = BPF_CORE_READ(rq, cmd_flags) & REQ_OP_MASK;
	if (op != 0 && !(op & 1))
		goto done; /* a flush or a driver request: no data */
	dev = BPF_CORE_READ(rq, part, bd_dev);
	if (!dev) {
		struct gendisk *disk = BPF_CORE_READ(rq, q, disk);

		dev = ((dev_t)BPF_CORE_READ(disk, major) << MINORBITS) |
		      BPF_CORE_READ(disk, first_minor);
	}
	__builtin_memset(&k, 0, sizeof(k));
	k.mountnsid = w->mountnsid;
	k.pid = w->pid;
	k.major = dev >> MINORBITS;
	k.minor = dev & ((1U << MINORBITS) - 1);
	k.rw = op ? W : R;
	st = bpf_map_lookup_elem(&ios, &k);
	if (!st) {
		__builtin_memcpy(fresh.comm, w->comm, sizeof(fresh.comm));
		bpf_map_update_elem(&ios, &k, &fresh, BPF_NOEXIST);
		st = bpf_map_lookup_elem(&ios, &k);
		if (!st)
			goto done;
	}
	__sync_fetch_and_add(&st->bytes, nr_bytes);
	__sync_fetch_and_add(&st->ios, 1);
	if (w->issued_ns && now > w->issued_ns)
		__sync_fetch_and_add(&st->time_us, (now - w->issued_ns) / 1000);
done:
	/* a request completed in parts comes back with the rest */
	if (BPF_CORE_READ(rq, __data_len) <= nr_bytes)
		bpf_map_delete_elem(&inflight, &key);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
