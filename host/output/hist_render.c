/* hist_render.c - log2 histograms as text bar charts and JSON buckets.
 *
 * The chart is the one BCC's and libbpf-tools' tools print (biolatency,
 * runqlat...): the same ranges, columns and 40-star bars, so that people
 * and scripts used to those read it the same way.
 */
#include "output/hist_render.h"

#include <inttypes.h>
#include <stdbool.h>

#define STARS_MAX 40

void gh_hist_slot_range(unsigned i, uint64_t *low, uint64_t *high)
{
	*low = (1ULL << (i + 1)) >> 1;
	*high = (1ULL << (i + 1)) - 1;
	if (*low == *high)
		*low -= 1; /* slot 0 holds 0 and 1 */
}

/* index of the last non-empty slot, or -1 */
static long last_used(const uint32_t *slots, size_t n)
{
	long last = -1;

	for (size_t i = 0; i < n; i++)
		if (slots[i])
			last = (long)i;
	return last;
}

uint64_t gh_hist_total(const uint32_t *slots, size_t n)
{
	uint64_t sum = 0;

	for (size_t i = 0; i < n; i++)
		sum += slots[i];
	return sum;
}

static int put_stars(struct gh_buf *b, uint32_t val, uint32_t max, int width)
{
	int stars = max ? (int)((uint64_t)(val < max ? val : max) * width / max) : 0;
	int ret = 0;

	for (int i = 0; i < width && !ret; i++)
		ret = gh_buf_putc(b, i < stars ? '*' : ' ');
	return ret;
}

int gh_hist_render_text(struct gh_buf *b, const uint32_t *slots, size_t n, const char *unit)
{
	long last = last_used(slots, n);
	uint32_t max = 0;
	bool wide;
	int ret;

	if (last < 0)
		return 0;
	for (long i = 0; i <= last; i++)
		if (slots[i] > max)
			max = slots[i];
	wide = last > 32; /* ranges past 2^32 need wider columns */
	ret = gh_buf_printf(b, "%*s%-*s : count    distribution\n", wide ? 15 : 5, "",
			    wide ? 29 : 19, unit);
	for (long i = 0; i <= last && !ret; i++) {
		uint64_t low, high;

		gh_hist_slot_range((unsigned)i, &low, &high);
		ret = gh_buf_printf(b, "%*" PRIu64 " -> %-*" PRIu64 " : %-8u |", wide ? 20 : 10, low,
				    wide ? 20 : 10, high, slots[i]);
		if (!ret)
			ret = put_stars(b, slots[i], max, wide ? STARS_MAX / 2 : STARS_MAX);
		if (!ret)
			ret = gh_buf_puts(b, "|\n");
	}
	return ret;
}

int gh_hist_render_json(struct gh_buf *b, const uint32_t *slots, size_t n)
{
	long last = last_used(slots, n);
	int ret = gh_buf_putc(b, '[');

	for (long i = 0; i <= last && !ret; i++) {
		uint64_t low, high;

		gh_hist_slot_range((unsigned)i, &low, &high);
		ret = gh_buf_printf(b, "%s{\"start\":%" PRIu64 ",\"end\":%" PRIu64 ",\"count\":%u}",
				    i ? "," : "", low, high, slots[i]);
	}
	return ret ? ret : gh_buf_putc(b, ']');
}
