/* rate_limit.h - say a repeated thing at most once per interval.
 *
 * A script whose enrich() raises on every event would print thousands of
 * lines a second; the first is printed, then at most one per interval,
 * with how many were held back since the one before.
 */
#ifndef GH_RATE_LIMIT_H
#define GH_RATE_LIMIT_H

#include <stdbool.h>
#include <stdint.h>

struct gh_rate_limit {
	uint64_t interval_ns;
	uint64_t next_ns;     /* no report before this */
	uint64_t suppressed;  /* held back since the last report */
	bool started;
};

void gh_rate_limit_init(struct gh_rate_limit *rl, uint64_t interval_ns);
/* One occurrence at now_ns: true when it is to be reported, with
 * *suppressed set to how many were held back before it. */
bool gh_rate_limit_allow(struct gh_rate_limit *rl, uint64_t now_ns, uint64_t *suppressed);
/* Monotonic clock, in ns. */
uint64_t gh_rate_limit_now(void);

#endif
