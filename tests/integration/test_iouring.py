#!/usr/bin/env python3
"""Integration tests of trace/iouring.lua: a liburing program
(tests/integration/uring.c) opens, writes, reads, stats, closes and
unlinks through io_uring, one request at a time; each completion is an
event with its exact opcode, fd, result, errno, path and submitter, on the
host (with trace/open beside it, which sees none of those opens), with an
SQPOLL ring (its kernel thread submits) and in a runc container."""

import errno
import os
import shutil
import subprocess
import tempfile

from ctrace import check_container, traced_container
from gh import Tracer, check, describe, main, require_bpf, run_host, scaled

GADGET = "trace/iouring.lua"
URING = os.environ.get("GH_URING", "")
AT_FDCWD = -100


def expected(d, results):
    """the 12 events of uring.c's requests in DIR d, from the results it
    printed ("OPCODE USER_DATA RES" lines): (userData, opcode, fd, fixed,
    res, err, path)"""
    got = {}
    for line in results.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[1].isdigit():
            got[int(parts[1])] = (parts[0], int(parts[2]))
    check(sorted(got) == list(range(1, 13)), "uring did not print its 12 results", results)
    w, r = got[1][1], got[4][1]
    check(w >= 0 and r >= 0, "uring's opens failed", results)
    data, missing = d + "/data", d + "/missing"
    want = [
        (1, "OPENAT", AT_FDCWD, False, w, 0, data),
        (2, "WRITE", w, False, 12345, 0, ""),
        (3, "CLOSE", w, False, 0, 0, ""),
        (4, "OPENAT", AT_FDCWD, False, r, 0, data),
        (5, "READ", r, False, 12345, 0, ""),
        (6, "READ", r, False, 0, 0, ""),
        (7, "READ", 0, True, 100, 0, ""),
        (8, "STATX", AT_FDCWD, False, 0, 0, data),
        (9, "OPENAT", AT_FDCWD, False, -1, errno.ENOENT, missing),
        (10, "READ", 1000, False, -1, errno.EBADF, ""),
        (11, "CLOSE", r, False, 0, 0, ""),
        (12, "UNLINKAT", AT_FDCWD, False, 0, 0, data),
    ]
    for ud, op, _, _, res, err, _ in want:
        check(got[ud] == (op, res if res >= 0 else -err),
              "uring's result %d is %r, not what the test expects" % (ud, got[ud]), results)
    return want


def check_requests(evs, want):
    """evs are exactly want, in order, each with a latency"""
    seen = [(e["userData"], e["opcode"], e["fd"], e["fixed"], e["res"], e["err"], e["path"])
            for e in evs]
    check(seen == want, "the events are not uring's 12 requests",
          "got:  %r" % seen, "want: %r" % want)
    for e in evs:
        check(0 < e["latency"] < scaled(10) * 1e9, "latency %r ns" % e["latency"], e)
        check(bool(e["flagsRaw"] & 1) == e["fixed"] and
              ("FIXED_FILE" in e["flags"]) == e["fixed"], "fixed and flags disagree", e)
        check(not e["more"], "a single-shot request with more to come", e)


class Uring:
    """uring -w [-s] in a directory of its own: waits for go()"""

    def __init__(self, *flags):
        check(os.access(URING, os.X_OK), "the io_uring workload is not built (GH_URING)", URING)
        self.dir = tempfile.mkdtemp(prefix="gh-uring-")
        self.p = subprocess.Popen([URING, "-w", *flags, self.dir], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        check(self.p.stdout.readline() == "ready\n", "uring did not start",
              self.p.stderr.read() if self.p.poll() is not None else "")

    def go(self):
        out, err = self.p.communicate("go\n", timeout=scaled(30))
        check(self.p.returncode == 0, "uring exited %d" % self.p.returncode, err, out)
        return out

    def close(self):
        if self.p.poll() is None:
            self.p.kill()
            self.p.wait(scaled(10))
        shutil.rmtree(self.dir, ignore_errors=True)


def traced_uring(*flags, beside=None):
    """uring [flags] traced with --pid, and gadget beside (also --pid),
    checked to be its 12 requests: (uring's pid, its events, the events
    of the gadget beside)"""
    require_bpf()
    u = Uring(*flags)
    try:
        pid = str(u.p.pid)
        with Tracer(GADGET, "--pid", pid) as t, \
                Tracer(beside or GADGET, "--pid", pid) as o:
            results = u.go()
        t.check_clean_exit()
        o.check_clean_exit()
        want = expected(u.dir, results)
    finally:
        u.close()
    evs = t.events()
    check_requests(evs, want)
    return u.p.pid, evs, o.events()


def test_requests_and_trace_open_blind():
    """every request's completion, exact; trace/open, run beside it on the
    same process, sees none of its three opens: IORING_OP_OPENAT does not
    pass the open system calls (docs/gadgets/trace/open.md)"""
    pid, evs, opens = traced_uring(beside="trace/open.lua")
    comm = os.path.basename(URING)[:15]
    for e in evs:
        check(e["pid"] == pid and e["tid"] == pid and e["comm"] == comm and
              e["ppid"] == os.getpid() and e["uid"] == 0 and not e["sqThread"],
              "not the submitter's process", e)
        check(e["mountnsid"] == os.stat("/proc/self/ns/mnt").st_ino and
              "runtime" not in e, "a host process with a container's fields", e)
    check(opens == [], "trace/open saw io_uring's opens (or others of uring's)",
          describe(opens))


def test_sqpoll_ring():
    """with IORING_SETUP_SQPOLL the ring's kernel thread submits: the
    events are the process's (pid), from that thread (tid, comm
    iou-sqp-PID), sqThread true; a second trace/iouring beside the first
    gets the same events"""
    pid, evs, again = traced_uring("-s")
    tids = {e["tid"] for e in evs}
    check(len(tids) == 1 and pid not in tids, "not one SQPOLL thread", tids)
    for e in evs:
        check(e["pid"] == pid and e["sqThread"] and e["comm"] == "iou-sqp-%d" % pid,
              "not the ring's SQPOLL thread", e)
    strip = lambda es: [{k: v for k, v in e.items() if k not in ("timestamp", "latency")}
                        for e in es]
    check(strip(again) == strip(evs), "two runs of the gadget disagree",
          describe(again), describe(evs))


def bind_uring(cfg):
    cfg["mounts"].append({"destination": "/uring", "type": "bind", "source": URING,
                          "options": ["bind", "ro"]})


def test_in_container():
    """the same requests in a runc container (-c NAME): the container's
    process, its mount namespace and name, the paths as it sees them"""
    check(os.access(URING, os.X_OK), "the io_uring workload is not built (GH_URING)", URING)
    run = traced_container(GADGET, "mkdir -p /tmp/u && exec /uring /tmp/u", edit=bind_uring)
    want = expected("/tmp/u", run.output)
    evs = [e for e in run.events if e["comm"] == "uring"]
    check(len(evs) == len(run.events), "events of another process of the container",
          describe(run.events))
    check_requests(evs, want)
    check(all(e["pid"] == run.pid for e in evs),
          "not the container's uring (its init, by exec)", describe(evs))
    for e in evs:
        check_container(e, run)


def test_bad_filter():
    """an opcode that is no name of enum io_uring_op: one line naming it"""
    require_bpf()
    res = run_host("run", GADGET, "--host", "-F", "opcode==OPENATT", "--timeout", "1")
    check(res.returncode != 0, "an unknown opcode name was accepted")
    lines = res.stderr.strip().splitlines()
    check(len(lines) == 1 and "OPENATT" in lines[0] and "OPENAT," in lines[0],
          "not one line naming the value and the names", res.stderr)


if __name__ == "__main__":
    main([test_requests_and_trace_open_blind, test_sqpoll_ring, test_in_container,
          test_bad_filter])
