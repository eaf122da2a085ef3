/* lua_watchdog.h - wall-clock limits on script calls, and stopping a run
 * whose script is stuck.
 *
 * The instruction limit (lua_guard.h) counts Lua instructions; it cannot
 * see time spent inside one C function (a string.find that backtracks for
 * minutes) and it does not know that the run should end.  A thread of its
 * own watches the one call into Lua that runs at a time (scripts run on
 * the loop's thread only):
 *
 *   - past the call's time limit (--lua-time-limit), the call expires: the
 *     guard's count hook raises in the script, which ends the call;
 *   - once the run is asked to stop (SIGINT, SIGTERM, --timeout), a call
 *     running at that moment has one more second; if that ends it, the
 *     script is stuck, and its per-event hooks (filter, enrich, format:
 *     the last drain) expire at once from then on; calls that begin after
 *     the stop (on_stop) have their own time limit;
 *   - a call that has not returned a second after it expired is stuck in C
 *     code no hook reaches: the run cannot go on, and the process ends
 *     (exit status 3) after saying so through the log.
 *
 * The timers have a resolution of GH_LUA_WATCHDOG_TICK_MS.
 */
#ifndef GH_LUA_WATCHDOG_H
#define GH_LUA_WATCHDOG_H

#include <stdbool.h>
#include <stdint.h>

#define GH_LUA_WATCHDOG_TICK_MS 50
#define GH_LUA_STOP_GRACE_MS 1000  /* the script's share of a stop */
#define GH_LUA_STUCK_GRACE_MS 1000 /* past expiry, before the process ends */
#define GH_LUA_STUCK_EXIT 3

/* Start the thread (once; later calls do nothing): 0 or -errno. */
int gh_lua_watchdog_start(void);

/* The loop's thread enters and leaves a call into a script: limit_ms is
 * its wall-clock limit (0: none); script and hook name it in messages and
 * must live until the leave; per_event: a hook called per event (filter,
 * enrich, format), not a lifecycle one. */
void gh_lua_watchdog_enter(uint64_t limit_ms, const char *script, const char *hook,
			   bool per_event);
void gh_lua_watchdog_leave(void);
/* Whether the call running now has expired (cheap: read by the count hook
 * every few thousand instructions); why says "time limit" or "stopping". */
bool gh_lua_watchdog_expired(const char **why);

/* The run is to stop at this CLOCK_MONOTONIC time in ms (--timeout); 0:
 * no such time.  Reached while the loop is busy in a script, it counts as
 * a stop request. */
void gh_lua_watchdog_stop_at(uint64_t mono_ms);
/* A stop was asked for now (async-signal-safe). */
void gh_lua_watchdog_request_stop(void);
/* Have SIGINT and SIGTERM request a stop as well as do what they did
 * (libuv's handler): call after the loop's signal watchers are started. */
void gh_lua_watchdog_catch_signals(void);

/* CLOCK_MONOTONIC in ms. */
uint64_t gh_lua_watchdog_now_ms(void);

#endif
