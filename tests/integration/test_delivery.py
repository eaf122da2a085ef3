#!/usr/bin/env python3
"""Integration tests of the event path itself, with trace/open.lua and the
workload's open storm: every event is either delivered or counted as lost,
and a storm is drained in batches, not one wakeup per event.

Both need the host to reach the SDK's counters in the kernel's .bss pages
(gadget_lost_events, gadget_wakeup_bytes): a host that wrote to a copy
would report no lost events and would be woken for every event.
"""

import re
import shutil
import signal
import tempfile

from gh import Tracer, check, describe, excerpt, main, private_workload, wait_for, workload

GADGET = "trace/open.lua"
# the workload under a name of its own, so that --comm sees this test's
# processes only (not another test's workload running at the same time)
TMP = tempfile.mkdtemp(prefix="gh-delivery-")
WL, COMM = private_workload(TMP)
STORM_PATHS = ("/etc/hostname", "/proc/self/stat", "/nonexistent/gadgethost-storm")


def lost_reported(stderr):
    """the last 'N events lost' the host printed, or 0"""
    found = re.findall(r"(\d+) events lost so far", stderr)
    return int(found[-1]) if found else 0


def summary(stderr):
    """--verbose's last line: (received, printed, drains)"""
    m = re.search(r"(\d+) events received, (\d+) printed, in (\d+) drains", stderr)
    check(m, "no 'events received, printed, in drains' line with --verbose", excerpt(stderr))
    return tuple(int(x) for x in m.groups())


def stopped(pid):
    """the process is stopped (its state in /proc/PID/stat is T)"""
    with open("/proc/%d/stat" % pid) as f:
        stat = f.read()
    return stat[stat.rindex(")") + 2] == "T"


def startup_opens():
    """how many opens the workload makes before its storm (ld.so, libc)"""
    with Tracer(GADGET, "--comm", COMM) as t:
        workload("open-storm", 0, binary=WL)
    t.check_clean_exit()
    evs = t.events()
    check(evs and all(e["path"] not in STORM_PATHS for e in evs),
          "an empty storm opened storm paths, or nothing at all", describe(evs))
    return len(evs)


def test_lost_events_counted_exactly():
    """host stopped (SIGSTOP) while 60000 opens fill its 1 MiB ring buffer:
    delivered + reported lost == every open the workload made, lost > 0"""
    n = 60000
    k = startup_opens()
    with Tracer(GADGET, "--comm", COMM) as t:
        t.proc.send_signal(signal.SIGSTOP)
        try:
            wait_for(lambda: stopped(t.proc.pid), 10, "the host stopped (SIGSTOP)")
            workload("open-storm", n, binary=WL)
        finally:
            t.proc.send_signal(signal.SIGCONT)
    t.check_clean_exit()
    evs = t.events()
    lost = lost_reported(t.stderr)
    check(lost > 0, "no lost events reported though the host slept through %d opens" % n,
          "stderr: " + excerpt(t.stderr))
    check(len(evs) + lost == n + k,
          "delivered %d + lost %d != %d opens (%d storm + %d at startup)"
          % (len(evs), lost, n + k, n, k), "stderr: " + excerpt(t.stderr))
    others = [e for e in evs if e["comm"] != COMM]
    check(not others, "--comm %s let other commands through" % COMM, describe(others))


def test_storm_drained_in_batches():
    """200000 opens: every one delivered or counted, and the host drains
    them in batches (a drain per event means the kernel woke it per event)"""
    n = 200000
    k = startup_opens()
    with Tracer(GADGET, "--comm", COMM, "--verbose") as t:
        w = workload("open-storm", n, binary=WL)
    t.check_clean_exit()
    evs = t.events()
    lost = lost_reported(t.stderr)
    received, printed, drains = summary(t.stderr)
    storm = [e for e in evs if e["path"] in STORM_PATHS]
    check(len(evs) + lost == n + k and received == len(evs) and printed == len(evs),
          "delivered %d (received %d, printed %d) + lost %d != %d opens"
          % (len(evs), received, printed, lost, n + k))
    failed = [e for e in storm if e["path"].startswith("/nonexistent/")]
    check(all(e["err"] == 2 and e["fd"] == -1 for e in failed) and
          all(e["pid"] == w.pid for e in storm),
          "storm events with the wrong pid, err or fd", describe(storm))
    check(drains * 20 <= received,
          "%d events took %d drains: the host was woken for (almost) every event"
          % (received, drains), "stderr: " + excerpt(t.stderr))
    check("busy (drain on a timer) mode" in t.stderr, "the storm never switched to busy mode",
          "stderr: " + excerpt(t.stderr))


def test_paced_events_batched():
    """600 opens at ~300/s (2 s): busy mode at such a rate drains every
    ~50 ms, not every 10 ms, so a drain finds ~15 events (each drain is a
    wakeup, dearer than the events it finds); every open still delivered"""
    n = 600
    k = startup_opens()
    with Tracer(GADGET, "--comm", COMM, "--verbose") as t:
        workload("open-paced", n, 3333, binary=WL)
    t.check_clean_exit()
    evs = t.events()
    received, printed, drains = summary(t.stderr)
    check(len(evs) == n + k and received == len(evs),
          "delivered %d (received %d) of %d opens" % (len(evs), received, n + k),
          "stderr: " + excerpt(t.stderr))
    check(drains * 5 <= received,
          "%d events took %d drains: at ~300 events/s a drain should find ~15"
          % (received, drains), "stderr: " + excerpt(t.stderr))


if __name__ == "__main__":
    try:
        main([test_lost_events_counted_exactly, test_storm_drained_in_batches,
              test_paced_events_batched])
    finally:
        shutil.rmtree(TMP, ignore_errors=True)
