/* rate_limit.c - at most one report per interval, with a count. */
#include "base/rate_limit.h"

#include <time.h>

void gh_rate_limit_init(struct gh_rate_limit *rl, uint64_t interval_ns)
{
	*rl = (struct gh_rate_limit){.interval_ns = interval_ns};
}

bool gh_rate_limit_allow(struct gh_rate_limit *rl, uint64_t now_ns, uint64_t *suppressed)
{
	if (rl->started && now_ns < rl->next_ns) {
		rl->suppressed++;
		return false;
	}
	rl->started = true;
	rl->next_ns = now_ns + rl->interval_ns;
	*suppressed = rl->suppressed;
	rl->suppressed = 0;
	return true;
}

uint64_t gh_rate_limit_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}
