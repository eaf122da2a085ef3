/* profile_private.h - what profile.c shares with the kinds' dumpers. */
#ifndef GH_PROFILE_PRIVATE_H
#define GH_PROFILE_PRIVATE_H

#include <stdbool.h>
#include <stdint.h>

#include "buf.h"
#include "filter.h"
#include "gadget.h"
#include "out.h"
#include "runner.h"

enum gh_profile_kind {
	GH_PROFILE_HISTOGRAM,
	GH_PROFILE_STACKS,
};

enum gh_profile_output {
	GH_POUT_TEXT,   /* chart, stack report */
	GH_POUT_JSON,
	GH_POUT_JSONPRETTY,
	GH_POUT_FOLDED, /* stacks */
};

struct gh_profile {
	enum gh_profile_kind kind;
	char *name;
	char *unit;         /* histograms */
	char *map_name;     /* the histograms, or the counts */
	char *stacks_name;  /* stacks: the stack trace map */
	uint32_t key_size;
	int user_off, kernel_off; /* stacks: id members in the key, -1: none */
	int pid_field;      /* stacks: the key's pid, for user symbols */
	int f_samples, f_user, f_kernel; /* stacks: virtual fields */
	uint64_t interval_ms; /* gh_profile_set_interval_ms(); 0: the param's */
	bool interval_set;
};

struct gh_ksyms;
struct gh_usyms;

/* One run's state, as the dumpers see it. */
struct gh_profile_dump {
	struct gh_gadget *g;
	struct gh_profile *p;
	struct gh_filter *filter;
	const struct gh_run_opts *opts;
	enum gh_profile_output output;
	const int *fields;
	size_t n_fields;
	unsigned top;        /* stacks: entries in the text report */
	bool reset;          /* empty the maps after reading (--interval) */
	uint64_t seq;        /* dumps so far */
	struct gh_buf buf;   /* text; written by gh_profile_write() */
	struct gh_out *out;  /* stacks' JSON */
	struct gh_ksyms *ksyms;
	struct gh_usyms *usyms;
};

/* -o name (NULL: the default) for p: 0, or -EINVAL. */
int gh_profile_parse_output(const struct gh_profile *p, const char *name,
			    enum gh_profile_output *o);
/* A uint param (the script's or the kind's): its value, def when there is
 * no such param, (unsigned)-1 when it is no number. */
unsigned gh_profile_param_uint(struct gh_gadget *g, const char *key, unsigned def);
/* Write d->buf to stdout and empty it: 0 or -errno. */
int gh_profile_write(struct gh_profile_dump *d);
/* The value of a key field as JSON ("name":value), appended to b. */
int gh_profile_json_field(struct gh_profile_dump *d, int idx, const struct gh_event *ev,
			  struct gh_buf *b);

int gh_profile_hist_dump(struct gh_profile_dump *d);
int gh_profile_stacks_dump(struct gh_profile_dump *d);
/* Read the mappings of the processes sampled so far, while they live. */
void gh_profile_stacks_remember(struct gh_profile_dump *d);

#endif
