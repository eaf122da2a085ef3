/* profile_dump.h - what the profile kind of run (profile_run.c) shares
 * with the kinds' dumpers (profile_hist.c, profile_stacks.c). */
#ifndef GH_PROFILE_DUMP_H
#define GH_PROFILE_DUMP_H

#include <stdbool.h>
#include <stdint.h>

#include "base/buf.h"
#include "gadget/gadget.h"
#include "gadget/profile.h"
#include "output/out.h"
#include "run/pipeline.h"

struct gh_ksyms;
struct gh_usyms;
struct entry;
struct frames;

/* One run's state, as the dumpers see it. */
struct gh_profile_dump {
	struct gh_gadget *g;
	struct gh_profile *p;
	/* each key (a histogram's) or merged stack goes through it; its sink
	 * prints what the dumper set below for the one at hand */
	struct gh_pipeline *pipeline;
	bool documents_only;   /* the script prints documents: no charts */
	enum gh_profile_output output;
	const int *fields;
	size_t n_fields;
	unsigned top;        /* stacks: entries in the text report */
	bool reset;          /* empty the maps after reading (--interval) */
	uint64_t dumps;      /* dumps so far */
	struct gh_out *out;  /* rows (JSON), and its buffer for the text */
	struct gh_buf *buf;  /* gh_out_buffer(out) */
	struct gh_ksyms *ksyms;
	struct gh_usyms *usyms;
	/* the one at hand, for the sink */
	const uint32_t *slots;  /* histogram */
	size_t n_slots;
	const struct entry *entry; /* stacks */
	const struct frames *frames;
	size_t shown;        /* printed in this dump */
};

/* The pipeline's sinks of each kind. */
int gh_profile_hist_sink(void *ctx, struct gh_event *ev);
int gh_profile_stacks_sink(void *ctx, struct gh_event *ev);
/* Read the maps, print (into d->out's buffer), reset them if asked. */
int gh_profile_hist_dump(struct gh_profile_dump *d);
int gh_profile_stacks_dump(struct gh_profile_dump *d);
/* The histograms as they are now (not reset), Prometheus text appended
 * to b: gadgethost_kernel_histogram{histogram,unit,key fields,le}, the
 * kernel's log2 slots as buckets (le: a slot's highest value), no _sum
 * (the slots do not keep one).  0 or -errno. */
int gh_profile_hist_report(struct gh_profile_dump *d, struct gh_buf *b);
/* Read the mappings of the processes sampled so far, while they live. */
void gh_profile_stacks_remember(struct gh_profile_dump *d);

#endif
