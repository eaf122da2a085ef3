#!/usr/bin/env python3
"""Integration tests of the snapshot gadgets: processes and sockets the
test made, found with their exact fields, on the host and in a runc
container (-c NAME); --sort and --max-rows through real runs."""

import json
import os
import socket
import subprocess
import sys
import time

import containers
from gh import check, describe, excerpt, main, require_bpf, run_host, unique


def snapshot(gadget, *args, host=True):
    """one run: the JSON array it printed"""
    res = run_host("run", gadget, "-o", "json", *(("--host",) if host else ()), *args)
    check(res.returncode == 0, "%s exited %d" % (gadget, res.returncode),
          "stderr: " + excerpt(res.stderr))
    lines = res.stdout.splitlines()
    check(len(lines) == 1, "a snapshot is one JSON array on one line", res.stdout[:500])
    rows = json.loads(lines[0])
    check(isinstance(rows, list), "not a JSON array", lines[0][:300])
    return rows


THREADS = r"""
import sys, threading
ev = threading.Event()
ts = [threading.Thread(target=ev.wait) for _ in range(2)]
[t.start() for t in ts]
sys.stdout.write("ready\n"); sys.stdout.flush()
sys.stdin.readline(); ev.set()
"""


def test_process_ppid_and_threads():
    require_bpf()
    p = subprocess.Popen([sys.executable, "-c", THREADS], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, text=True)
    try:
        check(p.stdout.readline() == "ready\n", "the process did not start")
        rows = snapshot("snapshot/process.lua")
        ours = [r for r in rows if r["pid"] == p.pid]
        check(len(ours) == 1, "one row for the process wanted", describe(ours))
        r = ours[0]
        check(r["ppid"] == os.getpid(), "ppid %r is not the test's %d" % (r["ppid"], os.getpid()), r)
        check(r["tid"] == p.pid and r["uid"] == 0 and r["gid"] == 0, "tid/uid/gid wrong", r)
        check(r["comm"] == os.path.basename(sys.executable)[:15], "comm wrong", r)
        check(r["mountnsid"] == os.stat("/proc/%d/ns/mnt" % p.pid).st_ino, "mountnsid wrong", r)
        check(any(x["pid"] == os.getpid() and x["ppid"] == os.getppid() for x in rows),
              "the test itself is not listed with its ppid")

        tids = sorted(int(t) for t in os.listdir("/proc/%d/task" % p.pid))
        rows = snapshot("snapshot/process.lua", "--threads", "--pid", p.pid)
        check(sorted(x["tid"] for x in rows) == tids and len(tids) == 3,
              "--threads --pid: tids %r, wanted %r" % ([x["tid"] for x in rows], tids),
              describe(rows))
        check(all(x["pid"] == p.pid and x["ppid"] == os.getpid() for x in rows),
              "a thread row with another pid or ppid", describe(rows))
    finally:
        p.stdin.write("x\n")
        p.stdin.close()
        p.wait(10)


def test_process_sort_and_max_rows():
    require_bpf()
    rows = snapshot("snapshot/process.lua", "--sort", "-pid", "--max-rows", "5")
    pids = [r["pid"] for r in rows]
    check(len(pids) == 5 and pids == sorted(pids, reverse=True),
          "--sort -pid --max-rows 5 gave %r" % pids)
    everything = snapshot("snapshot/process.lua")
    all_pids = [r["pid"] for r in everything]
    check(all_pids == sorted(all_pids), "the default order is not by pid")
    check(len(everything) > 5 and len(set(all_pids)) == len(all_pids),
          "a process listed twice (without --threads)")
    rows = snapshot("snapshot/process.lua", "--sort", "comm,-pid")
    keys = [(r["comm"], -r["pid"]) for r in rows]
    check(keys == sorted(keys), "--sort comm,-pid not in order")


def test_process_in_container():
    require_bpf()
    name = unique("snap")[:30]
    with containers.Runc() as r:
        b = r.bundle(name, ["sh", "-c", "sleep 30 & wait"])
        r.run(name, b)
        init = r.pid(name)
        deadline = time.time() + 10
        kids = []
        while time.time() < deadline and not kids:
            with open("/proc/%d/task/%d/children" % (init, init)) as f:
                kids = [int(x) for x in f.read().split()]
            time.sleep(0.05)
        check(len(kids) == 1, "the container's sleep did not start")
        rows = snapshot("snapshot/process.lua", "-c", name, "--runc-root", r.root, host=False)
        got = sorted((x["pid"], x["ppid"], x["comm"]) for x in rows)
        want = sorted([(init, got[0][1] if got else -1, "sh"), (kids[0], init, "sleep")])
        check(len(rows) == 2 and got == want, "rows %r, wanted the container's sh and "
              "sleep %r" % (got, want), describe(rows))
        mntns = containers.mntns(init)
        for x in rows:
            check(x["runtime"]["containerName"] == name, "not the container's name", x)
            check(x["mountnsid"] == mntns, "not the container's mount namespace", x)
        host_rows = snapshot("snapshot/process.lua", "--runc-root", r.root)
        named = [x for x in host_rows if x.get("runtime", {}).get("containerName") == name]
        check(sorted(x["pid"] for x in named) == sorted([init, kids[0]]),
              "--host: the container's processes not named", describe(named))
        check(any(x["pid"] == os.getpid() for x in host_rows), "--host misses the test")


if __name__ == "__main__":
    main([test_process_ppid_and_threads, test_process_sort_and_max_rows,
          test_process_in_container])
