/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR Apache-2.0 */
/* gadget/buffer.h - sending events to the host through a ring buffer.
 *
 * Use gadget_reserve()/gadget_submit() for fixed size events and
 * gadget_output() for variable length ones (copied from a scratch buffer).
 * Both count what the ring buffer could not take in gadget_lost_events,
 * which the host reports, and both choose the wakeup policy the host asks
 * for through gadget_wakeup_bytes:
 *
 *   0  (quiet)  the kernel's default: wake the host when it had caught up,
 *               so an event at a low rate is printed at once;
 *   N  (busy)   no wakeup until N bytes wait: the host drains on a timer,
 *               and a wakeup is forced only before the buffer could fill.
 *
 * The host switches between the two as the event rate changes.
 */
#ifndef GADGET_BUFFER_H
#define GADGET_BUFFER_H

volatile __u64 gadget_lost_events;
volatile __u64 gadget_wakeup_bytes;

static __always_inline __u64 gadget_wakeup_flags(void *ringbuf)
{
	__u64 threshold = gadget_wakeup_bytes;

	if (!threshold)
		return 0;
	if (bpf_ringbuf_query(ringbuf, BPF_RB_AVAIL_DATA) >= threshold)
		return BPF_RB_FORCE_WAKEUP;
	return BPF_RB_NO_WAKEUP;
}

static __always_inline void *gadget_reserve(void *ringbuf, __u64 size)
{
	void *event = bpf_ringbuf_reserve(ringbuf, size, 0);

	if (!event)
		__sync_fetch_and_add(&gadget_lost_events, 1);
	return event;
}

static __always_inline void gadget_submit(void *ringbuf, void *event)
{
	bpf_ringbuf_submit(event, gadget_wakeup_flags(ringbuf));
}

static __always_inline long gadget_output(void *ringbuf, void *data, __u64 size)
{
	long err = bpf_ringbuf_output(ringbuf, data, size, gadget_wakeup_flags(ringbuf));

	if (err)
		__sync_fetch_and_add(&gadget_lost_events, 1);
	return err;
}

#endif
