/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR Apache-2.0 */
/* gadget/histogram.h - log2 histograms the host prints as bar charts.
 *
 *   struct {
 *           __uint(type, BPF_MAP_TYPE_HASH);
 *           __uint(max_entries, 64);
 *           __type(key, struct hist_key);
 *           __type(value, struct gadget_hist);
 *   } hists SEC(".maps");
 *   GADGET_HISTOGRAM(blockio, hists, usecs);
 *
 *   gadget_hist_add(gadget_hist_get(&hists, &key), delta_us);
 *
 * Slot i counts the values v with floor(log2(v)) == i (0 and 1 in slot 0),
 * as BCC's and libbpf-tools' histograms do; the last slot takes
 * everything larger.
 */
#ifndef GADGET_HISTOGRAM_H
#define GADGET_HISTOGRAM_H

#define GADGET_HIST_SLOTS 27

struct gadget_hist {
	__u32 slots[GADGET_HIST_SLOTS];
};

static __always_inline __u32 gadget_log2_u32(__u32 v)
{
	__u32 r, shift;

	r = (v > 0xFFFF) << 4;
	v >>= r;
	shift = (v > 0xFF) << 3;
	v >>= shift;
	r |= shift;
	shift = (v > 0xF) << 2;
	v >>= shift;
	r |= shift;
	shift = (v > 0x3) << 1;
	v >>= shift;
	r |= shift;
	r |= (v >> 1);
	return r;
}

/* floor(log2(v)), 0 for 0 */
static __always_inline __u32 gadget_log2(__u64 v)
{
	__u32 hi = v >> 32;

	return hi ? gadget_log2_u32(hi) + 32 : gadget_log2_u32((__u32)v);
}

/* The histogram of key in map (created empty the first time), or NULL
 * when the map is full. */
#define gadget_hist_get(map, key)                                              \
	({                                                                     \
		struct gadget_hist *__h = bpf_map_lookup_elem(map, key);       \
		if (!__h) {                                                    \
			static const struct gadget_hist __zero;                \
			bpf_map_update_elem(map, key, &__zero, BPF_NOEXIST);   \
			__h = bpf_map_lookup_elem(map, key);                   \
		}                                                              \
		__h;                                                           \
	})

static __always_inline void gadget_hist_add(struct gadget_hist *h, __u64 value)
{
	/* 64 bits and one register for the check and the index: 6.1's
	 * verifier loses the bound of a zero-extended copy ("R0 unbounded
	 * memory access") */
	__u64 slot = gadget_log2(value);

	if (!h)
		return;
	barrier_var(slot);
	if (slot >= GADGET_HIST_SLOTS)
		slot = GADGET_HIST_SLOTS - 1;
	__sync_fetch_and_add(&h->slots[slot], 1);
}

#endif
