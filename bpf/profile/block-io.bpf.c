// SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note
/* profile/block-io: a log2 histogram of block I/O latency, as biolatency.
 *
 * A request's start is noted at block_rq_issue (sent to the device) or,
 * with --queued, at block_rq_insert (put in the I/O scheduler's queue; a
 * request issued without being queued starts at issue); its latency is
 * taken at block_rq_complete, in microseconds, into the histogram of its
 * disk (--disks) or the one histogram of every disk.
 */
#include <gadget/gadget.h>
#include <gadget/histogram.h>

#define MINORBITS 20

struct hist_key {
	__u32 major;
	__u32 minor;
};

GADGET_PARAM(bool, per_disk, false);
GADGET_PARAM(bool, queued, false);

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, struct request *);
	__type(value, __u64);
} starts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 256);
	__type(key, struct hist_key);
	__type(value, struct gadget_hist);
} hists SEC(".maps");

GADGET_HISTOGRAM(blockio, hists, usecs);

static __always_inline int note_start(struct request *rq, __u64 flags)
{
	__u64 ts = bpf_ktime_get_ns();

	bpf_map_update_elem(&starts, &rq, &ts, flags);
	return 0;
}

SEC("tp_btf/block_rq_insert")
int BPF_PROG(block_rq_insert, struct request *rq)
{
	return queued ? note_start(rq, BPF_ANY) : 0;
}

SEC("tp_btf/block_rq_issue")
int BPF_PROG(block_rq_issue, struct request *rq)
{
	/* --queued: keep the insert's time, if the request was queued */
	return note_start(rq, queued ? BPF_NOEXIST : BPF_ANY);
}

SEC("tp_btf/block_rq_complete")
int BPF_PROG(block_rq_complete, struct request *rq, int error, unsigned int nr_bytes)
{
	struct hist_key key = {};
	__u64 *start, delta;

	start = bpf_map_lookup_elem(&starts, &rq);
	if (!start)
		return 0; /* issued before the gadget started */
	delta = (bpf_ktime_get_ns() - *start) / 1000;
	bpf_map_delete_elem(&starts, &rq);
	if (per_disk) {
		struct gendisk *disk = BPF_CORE_READ(rq, q, disk);

		key.major = BPF_CORE_READ(disk, major);
		key.minor = BPF_CORE_READ(disk, first_minor);
	}
	gadget_hist_add(gadget_hist_get(&hists, &key), delta);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
