/* hist_render.h - log2 histograms as text bar charts and JSON buckets. */
#ifndef GH_HIST_RENDER_H
#define GH_HIST_RENDER_H

#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"

/* The range slot i of a log2 histogram counts: [low, high]. */
void gh_hist_slot_range(unsigned i, uint64_t *low, uint64_t *high);

/* The chart of slots[0..n), as BCC's biolatency prints it:
 *
 *      usecs               : count    distribution
 *          0 -> 1          : 0        |                                        |
 *          2 -> 3          : 4        |****************************************|
 *
 * up to the last slot that counted anything; nothing when none did. */
int gh_hist_render_text(struct gh_buf *b, const uint32_t *slots, size_t n, const char *unit);

/* The buckets, [{"start":0,"end":1,"count":0},...], up to the last slot
 * that counted anything ([] when none did). */
int gh_hist_render_json(struct gh_buf *b, const uint32_t *slots, size_t n);

/* The sum of the slots. */
uint64_t gh_hist_total(const uint32_t *slots, size_t n);

#endif
