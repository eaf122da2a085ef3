/* lua_watchdog.c - wall-clock limits on script calls (see lua_watchdog.h).
 *
 * The loop's thread only bumps a sequence number when it enters or leaves
 * a call (odd: in a call), so a call costs no clock read.  The watchdog
 * wakes every tick, notes when it first saw the call now running, and
 * marks it expired (expired_seq = that call's number) once its limit or
 * the stop's grace has passed; the guard's count hook reads the mark.
 *
 * A run whose script is not called for a whole tick (trace/exec has no
 * per-event hook; most runs are idle between events) does not keep a
 * thread waking 20 times a second: the watchdog sleeps on a futex, until
 * --timeout's time if one is set, and the next call wakes it (one load of
 * a flag per call; a wake only after a sleep).
 */
#include "script/lua_watchdog.h"

#include <errno.h>
#include <linux/futex.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "base/log.h"

static pthread_once_t once = PTHREAD_ONCE_INIT;
static int start_error;

static atomic_uint_fast64_t call_seq;     /* odd: a call runs */
static atomic_uint_fast64_t expired_seq;  /* the call that expired */
static atomic_int expired_why;            /* 1: time limit, 2: stopping */
static atomic_uint_fast64_t call_limit_ms;
static _Atomic(const char *) call_script;
static _Atomic(const char *) call_hook;
static atomic_uint_fast64_t stop_ms;      /* when a stop was asked; 0: not */
static atomic_uint_fast64_t stop_at_ms;   /* --timeout's time; 0: none */
static atomic_bool call_after_stop;       /* the call began after the stop */
static atomic_bool stop_cut;              /* a call was cut for the stop */
static atomic_uint sleeping;              /* 1: the watchdog waits for a call */

static struct sigaction prev_int, prev_term;

uint64_t gh_lua_watchdog_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* When the call first seen at seen_ms expires (0: never); *stopping when
 * it is the stop's grace, not the call's own limit, that ends it: a call
 * that was running when the stop came has the grace, one that began
 * after has its own limit. */
static uint64_t deadline_of(uint64_t seen_ms, bool *stopping)
{
	uint64_t limit = atomic_load(&call_limit_ms);
	uint64_t stop = atomic_load(&stop_ms);
	uint64_t d = limit ? seen_ms + limit : 0;

	*stopping = false;
	if (stop && !atomic_load(&call_after_stop) &&
	    (!d || stop + GH_LUA_STOP_GRACE_MS < d)) {
		d = stop + GH_LUA_STOP_GRACE_MS;
		*stopping = true;
	}
	return d;
}

static void expire(uint64_t seq, bool stopping)
{
	if (stopping)
		atomic_store(&stop_cut, true);
	atomic_store(&expired_why, stopping ? 2 : 1);
	atomic_store(&expired_seq, seq);
}

/* No call ran for a whole tick: wait for one (gh_lua_watchdog_enter
 * wakes us), or for --timeout's time, which must become a stop even
 * without a call (a call that begins after it has its own limit). */
static void sleep_until_call(uint64_t seq, uint64_t now)
{
	uint64_t at = atomic_load(&stop_at_ms);
	struct timespec wait, *timeout = NULL;

	if (at && !atomic_load(&stop_ms)) {
		uint64_t ms = at > now ? at - now : 0;

		wait.tv_sec = (time_t)(ms / 1000);
		wait.tv_nsec = (long)(ms % 1000) * 1000000L;
		timeout = &wait;
	}
	atomic_store(&sleeping, 1);
	/* a call that began after seq was read has seen sleeping == 0, or
	 * clears it and wakes us (both sides: store, then load) */
	if (atomic_load(&call_seq) == seq && (!timeout || timeout->tv_sec || timeout->tv_nsec))
		syscall(SYS_futex, &sleeping, FUTEX_WAIT_PRIVATE, 1, timeout, NULL, 0);
	atomic_store(&sleeping, 0);
}

static void *watch(void *arg)
{
	uint64_t seen_seq = 0, seen_ms = 0, idle_seq = 1;
	struct timespec tick = {0, GH_LUA_WATCHDOG_TICK_MS * 1000000L};

	for (;;) {
		uint64_t now = gh_lua_watchdog_now_ms();
		uint64_t at = atomic_load(&stop_at_ms);
		uint64_t seq = atomic_load(&call_seq);
		uint64_t deadline;

		if (at && now >= at && !atomic_load(&stop_ms))
			atomic_store(&stop_ms, at);
		if (seq & 1) {
			bool stopping;

			if (seq != seen_seq) {
				seen_seq = seq;
				seen_ms = now;
			}
			deadline = deadline_of(seen_ms, &stopping);
			if (deadline && now >= deadline && atomic_load(&expired_seq) != seq)
				expire(seq, stopping);
			if (deadline && now >= deadline + GH_LUA_STUCK_GRACE_MS &&
			    atomic_load(&call_seq) == seq) {
				gh_log(GH_LOG_ERROR, "%s: %s: stuck past its time limit in a C function "
				       "that no limit can interrupt; ending the run",
				       atomic_load(&call_script), atomic_load(&call_hook));
				_exit(GH_LUA_STUCK_EXIT);
			}
		} else if (seq == idle_seq) {
			sleep_until_call(seq, now); /* not called since the last tick */
			continue;
		}
		idle_seq = seq;
		nanosleep(&tick, NULL);
	}
	return NULL;
}

static void start_once(void)
{
	pthread_t t;
	pthread_attr_t attr;
	sigset_t all, old;
	int ret;

	/* the thread takes no signal: they stay the loop's */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, 64 * 1024);
	ret = pthread_create(&t, &attr, watch, NULL);
	if (!ret)
		pthread_setname_np(t, "gh-lua-watchdog");
	pthread_attr_destroy(&attr);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	start_error = ret ? -ret : 0;
}

int gh_lua_watchdog_start(void)
{
	pthread_once(&once, start_once);
	return start_error;
}

/* The watchdog is asleep (sleep_until_call): wake it. */
static void wake(void)
{
	if (atomic_load(&sleeping) && atomic_exchange(&sleeping, 0))
		syscall(SYS_futex, &sleeping, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

void gh_lua_watchdog_enter(uint64_t limit_ms, const char *script, const char *hook,
			   bool per_event)
{
	atomic_store_explicit(&call_limit_ms, limit_ms, memory_order_relaxed);
	atomic_store_explicit(&call_script, script, memory_order_relaxed);
	atomic_store_explicit(&call_hook, hook, memory_order_relaxed);
	atomic_store_explicit(&call_after_stop, atomic_load(&stop_ms) != 0,
			      memory_order_relaxed);
	atomic_fetch_add(&call_seq, 1);
	wake();
	/* the script was stuck when the stop came: its per-event hooks (the
	 * last drain's) have no time at all; on_stop still has its own */
	if (per_event && atomic_load_explicit(&stop_cut, memory_order_relaxed))
		expire(atomic_load(&call_seq), true);
}

void gh_lua_watchdog_leave(void)
{
	atomic_fetch_add_explicit(&call_seq, 1, memory_order_release);
}

bool gh_lua_watchdog_expired(const char **why)
{
	uint64_t seq = atomic_load_explicit(&call_seq, memory_order_relaxed);

	if (atomic_load_explicit(&expired_seq, memory_order_relaxed) != seq || !(seq & 1))
		return false;
	if (why)
		*why = atomic_load(&expired_why) == 2 ? "stopped (the run is ending)"
						      : "time limit exceeded";
	return true;
}

void gh_lua_watchdog_stop_at(uint64_t mono_ms)
{
	atomic_store(&stop_at_ms, mono_ms);
	wake(); /* to sleep until then at most */
}

void gh_lua_watchdog_request_stop(void)
{
	uint64_t zero = 0;

	atomic_compare_exchange_strong(&stop_ms, &zero, gh_lua_watchdog_now_ms());
}

static void on_stop_signal(int sig)
{
	int saved = errno;
	const struct sigaction *prev = sig == SIGINT ? &prev_int : &prev_term;

	gh_lua_watchdog_request_stop();
	if (prev->sa_handler == SIG_DFL) {
		signal(sig, SIG_DFL);
		raise(sig);
	} else if (prev->sa_handler != SIG_IGN) {
		prev->sa_handler(sig);
	}
	errno = saved;
}

static void chain(int sig, struct sigaction *prev)
{
	struct sigaction cur, ours;

	if (sigaction(sig, NULL, &cur) || cur.sa_handler == on_stop_signal ||
	    (cur.sa_flags & SA_SIGINFO))
		return;
	*prev = cur;
	memset(&ours, 0, sizeof(ours));
	ours.sa_handler = on_stop_signal;
	ours.sa_mask = cur.sa_mask;
	ours.sa_flags = cur.sa_flags & ~SA_RESETHAND;
	sigaction(sig, &ours, NULL);
}

void gh_lua_watchdog_catch_signals(void)
{
	chain(SIGINT, &prev_int);
	chain(SIGTERM, &prev_term);
}
