#!/usr/bin/env python3
"""Integration tests of top/process.lua, compared with /proc: a spinner's
CPU % over each interval (at nice -20, so the loaded test machine still
gives it nearly a whole CPU) and its CPU time to the nanosecond once it
stopped spinning; the RSS of a process before and after it touched 64
MiB; threads and states (R, S, T, Z); --sort and --max-rows; a spinner in
a runc container; a bad --sort."""

import mmap
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile

import containers
from gh import (TIME_SCALE, Tracer, check, describe, main, require_bpf, run_host, scaled, unique,
                wait_for)
from tables import blocks, wait_blocks

GADGET = "top/process.lua"
SPIN_SECONDS = 2.0
INTERVAL = 0.4
MIB = 64
# the kernel keeps RSS in per-CPU counters (6.2+; per-thread caches on
# 6.1) and folds a CPU's part into the shared count when it reaches the
# batch, max(32, 2 * CPUs) pages.  The gadget reads the shared count, as
# /proc did until 6.16; /proc now adds the per-CPU parts: they can differ
# by less than a batch per CPU in each of the three counters (file, anon,
# shmem)
NCPU = os.cpu_count()
RSS_SLACK = 3 * NCPU * max(32, 2 * NCPU) * 4096


def proc_stat(pid):
    """(state, utime + stime in clock ticks) from /proc/PID/stat"""
    s = open("/proc/%d/stat" % pid).read()
    f = s[s.rindex(")") + 2:].split()
    return f[0], int(f[11]) + int(f[12])


def proc_runtime(pid):
    """the main thread's CPU time in ns (/proc/PID/schedstat)"""
    return int(open("/proc/%d/schedstat" % pid).read().split()[0])


def paused(pid):
    """once the spinner sleeps in pause(): its final CPU time in ns
    (schedstat) and in ticks (stat)"""
    wait_for(lambda: proc_stat(pid)[0] == "S", 10, "the paused spinner asleep (S)",
             lambda: "/proc says %s" % proc_stat(pid)[0])
    state, ticks = proc_stat(pid)
    return proc_runtime(pid), ticks


def statm(pid):
    """(size, resident) in bytes"""
    size, resident = open("/proc/%d/statm" % pid).read().split()[:2]
    return int(size) * 4096, int(resident) * 4096


class Spinner:
    """a copy of spin (its comm unique), spinning SPIN_SECONDS of CPU time
    at nice -20, then pausing"""

    def __init__(self, static=False):
        built = os.environ.get("GH_SPIN_STATIC" if static else "GH_SPIN", "")
        check(os.access(built, os.X_OK), "the spinner is not built (GH_SPIN)", built)
        self.dir = tempfile.mkdtemp(prefix="gh-topp-")
        self.comm = unique("tp")[:15]
        self.path = os.path.join(self.dir, self.comm)
        shutil.copy2(built, self.path)
        self.p = None

    def start(self):
        self.p = subprocess.Popen([self.path, str(SPIN_SECONDS), "pause"],
                                  stdout=subprocess.PIPE, text=True, start_new_session=True,
                                  preexec_fn=lambda: favour(os.getpid()))
        return self.p.pid

    def close(self):
        if self.p and self.p.poll() is None:
            self.p.kill()
            self.p.wait(scaled(10))
        shutil.rmtree(self.dir, ignore_errors=True)


def rows_of(arrays, pid):
    """per block, the row of pid (None where it is missing)"""
    out = []
    for a in arrays:
        mine = [r for r in a if r["pid"] == pid]
        check(len(mine) <= 1, "a block lists the process twice", describe(mine))
        out.append(mine[0] if mine else None)
    return out


def check_spinner(rows, comm, final_runtime, ticks, one_thread=True):
    """rows: the spinner's process's rows, one per block from the first
    that has it to the last (idle once it paused); comm: the spinner's
    (rows before its exec have another); final_runtime: its main
    thread's CPU time (/proc/PID/schedstat), all of the process's unless
    it had other threads (runc's init has a few before it execs)"""
    check(all(rows), "the spinner is missing from a block while it lived", rows)
    # the first row's last look may be one whose row the host dropped (a
    # container it did not know yet): from the second row on, each row's
    # look is the one before
    prev = rows[0]["cpuTime"] - rows[0]["cpuDelta"]
    for r in rows:
        check(r["cpuTime"] - prev == r["cpuDelta"],
              "cpuDelta is not the CPU time since the last look", r)
        check(abs(r["cpu"] - 100.0 * r["cpuDelta"] / r["period"]) < 0.01,
              "cpu is not 100 * cpuDelta / period", r)
        prev = r["cpuTime"]
    spun = [r for r in rows if r["comm"] == comm]
    check(spun and all(r["threads"] == 1 for r in spun), "not one thread", describe(spun))
    # the kernel adds a running task's CPU time up at its CPU's ticks: a
    # look can see it up to a tick late, and the next interval then shows
    # more than 100%.  Here a tick is 4 ms in a 400 ms interval; in a VM
    # under emulation on a loaded machine ticks come hundreds of ms late
    # (251% was seen in one interval on 6.1), so there only the whole
    # run's CPU, where the lags cancel, is held to one CPU
    if TIME_SCALE == 1:
        check(all(r["cpu"] <= 102 for r in spun), "above 100% of a CPU", describe(spun))
    total = sum(r["cpuDelta"] for r in rows) / sum(r["period"] for r in rows)
    check(total <= 1.02, "above one CPU over the run: %.1f%%" % (100 * total), describe(rows))
    # the blocks wholly inside the spin: not the first (the process's
    # start), not the one where it stopped, not the idle ones after
    busy = [r for r in spun[1:] if r["cpuDelta"] > 0][:-1]
    check(len(busy) >= 2, "fewer than two intervals inside the spin", describe(rows))
    for r in busy:
        check(r["cpu"] >= 80 and r["state"] == "R" and
              abs(r["period"] - INTERVAL * 1e9) < 0.5 * INTERVAL * 1e9 * scaled(1),
              "a spinning interval below 80% (nice -20 in an autogroup of its own), "
              "not R, or not an interval long", r)
    last = rows[-1]
    check(last["cpuDelta"] == 0 and last["state"] == "S", "not idle after spinning", last)
    check(last["cpuTime"] == final_runtime if one_thread else
          final_runtime <= last["cpuTime"] < final_runtime + scaled(10**8),
          "cpuTime %d, /proc's schedstat says %d" % (last["cpuTime"], final_runtime), last)
    check(abs(ticks * 10**9 // os.sysconf("SC_CLK_TCK") - last["cpuTime"]) <= 2 * 10**7,
          "cpuTime far from /proc/PID/stat's utime+stime (%d ticks)" % ticks, last)
    # its spin, and what it ran before (the loader; runc's init in a
    # container, 0.5 s of it under the VM's emulation)
    check(SPIN_SECONDS * 1e9 <= last["cpuTime"] and
          (last["cpuTime"] < SPIN_SECONDS * 1e9 + 3e8 or not one_thread),
          "the spinner's CPU time is not its %g s" % SPIN_SECONDS, last)


def first_to_last(arrays, pid):
    """pid's rows from the first block that has it"""
    rows = rows_of(arrays, pid)
    return rows[next(i for i, r in enumerate(rows) if r):]


def favour(pid):
    """nice -20 for pid, for its autogroup, and the most CPU weight for
    its cgroup when it is not the root one (a container's, which the test
    made): the kernel shares a CPU between cgroups first, then between
    sessions' autogroups, and only then by nice value, so a nice value
    alone does not win a CPU from the machine's other jobs.  pid leads its
    session."""
    os.setpriority(os.PRIO_PROCESS, pid, -20)
    try:
        with open("/proc/%d/autogroup" % pid, "w") as f:
            f.write("-20")
    except FileNotFoundError:
        pass  # a kernel without CONFIG_SCHED_AUTOGROUP
    for line in open("/proc/%d/cgroup" % pid).read().splitlines():
        _, controllers, path = line.split(":", 2)
        if path == "/":
            continue
        if controllers == "":  # cgroup v2
            knob, value = "/sys/fs/cgroup%s/cpu.weight" % path, "10000"
        elif "cpu" in controllers.split(","):
            knob = "/sys/fs/cgroup/%s%s/cpu.shares" % (controllers, path)
            value = "262144"
        else:
            continue
        if os.path.exists(knob):
            with open(knob, "w") as f:
                f.write(value)


def test_spinner():
    """a busy loop, interval by interval, against /proc"""
    require_bpf()
    s = Spinner()
    try:
        with Tracer(GADGET, "--comm", s.comm, "--interval", str(INTERVAL)) as t:
            wait_blocks(t, lambda a: len(a) >= 1, 10, "the first look")
            pid = s.start()
            check(s.p.stdout.readline() == "spun\n", "the spinner did not spin")
            final, ticks = paused(pid)
            wait_blocks(t, lambda a: (rows_of(a, pid)[-1] or {}).get("cpuDelta", 1) == 0,
                        20, "a look at the spinner idle")
        t.check_clean_exit()
    finally:
        s.close()
    arrays = blocks(t.stdout)
    check(arrays[0] == [], "the first look, before the spinner started, is not empty", arrays[0])
    rows = first_to_last(arrays, pid)
    for r in rows:
        check(r["comm"] == s.comm and r["ppid"] == os.getpid() and r["uid"] == 0,
              "comm, ppid or uid wrong", r)
    check(rows[0]["cpuDelta"] == rows[0]["cpuTime"] and
          rows[0]["period"] < scaled(INTERVAL) * 1e9 + 1e9,
          "the first look at the process is not since it started", rows[0])
    check_spinner(rows, s.comm, final, ticks)


TOUCHER = r"""
import mmap, sys, threading
ev = threading.Event()
ts = [threading.Thread(target=ev.wait) for _ in range(2)]
[t.start() for t in ts]
sys.stdout.write("ready\n"); sys.stdout.flush()
sys.stdin.readline()
m = mmap.mmap(-1, int(sys.argv[1]) << 20)
for i in range(0, len(m), 4096):
    m[i] = 1
sys.stdout.write("touched\n"); sys.stdout.flush()
sys.stdin.readline()
ev.set()
"""


def test_allocation_rss_threads():
    """RSS and size before and after touching 64 MiB, threads, against
    /proc/PID/statm and status"""
    require_bpf()
    p = subprocess.Popen([sys.executable, "-c", TOUCHER, str(MIB)], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, text=True)
    try:
        check(p.stdout.readline() == "ready\n", "the toucher did not start")
        with Tracer(GADGET, "--pid", str(p.pid), "--interval", "0.3") as t:
            wait_blocks(t, lambda a: len(a) >= 1, 10, "the first look")
            before = statm(p.pid)
            p.stdin.write("touch\n")
            p.stdin.flush()
            check(p.stdout.readline() == "touched\n", "the toucher did not touch")
            after = statm(p.pid)
            threads = int(re.search(r"^Threads:\s+(\d+)", open("/proc/%d/status" % p.pid)
                                    .read(), re.M).group(1))
            # a block printed now may be of a look taken while it touched
            m = len(blocks(t.stdout, complete=False))
            arrays = wait_blocks(t, lambda a: len(a) >= m + 2, 10, "a look after touching")
        t.check_clean_exit()
    finally:
        p.stdin.write("bye\n")
        p.stdin.close()
        p.wait(scaled(10))
    rows = rows_of(arrays, p.pid)
    check(all(rows) and all(len(a) == 1 for a in arrays), "not one row, the toucher's, a block",
          describe([r for a in arrays for r in a]))
    b, a = rows[0], rows[-1]
    check(threads == 3 and all(r["threads"] == threads for r in rows),
          "threads is not /proc's %d" % threads, describe(rows))
    for row, (size, resident), what in ((b, before, "before"), (a, after, "after")):
        check(row["vsz"] == size, "vsz %s touching is not statm's %d" % (what, size), row)
        check(abs(row["rss"] - resident) <= RSS_SLACK, "rss %s touching: %d, statm says %d "
              "(per-CPU parts: %d at most)" % (what, row["rss"], resident, RSS_SLACK), row)
    grown = a["rss"] - b["rss"]
    check(abs(grown - (MIB << 20)) <= 2 * RSS_SLACK + (256 << 10),
          "rss grew by %d, not %d MiB (%d of per-CPU parts, 256 KiB of the interpreter's)"
          % (grown, MIB, 2 * RSS_SLACK), b, a)
    check(a["vsz"] - b["vsz"] == MIB << 20, "vsz did not grow by the mapping", b, a)


# A thread burns 0.3 s of CPU and exits, another burns 0.3 s and stays;
# then "ready TID" (the one that stays) and wait for stdin to close.
THREADS = r"""
import sys, threading, time
def burn():
    t = time.thread_time()
    while time.thread_time() - t < 0.3:
        pass
burned, stay, tid = threading.Event(), threading.Event(), []
def burn_and_stay():
    tid.append(threading.get_native_id())
    burn()
    burned.set()
    stay.wait()
a = threading.Thread(target=burn); a.start(); a.join()
b = threading.Thread(target=burn_and_stay); b.start()
burned.wait()
sys.stdout.write("ready %d\n" % tid[0]); sys.stdout.flush()
sys.stdin.read()
stay.set()
"""


def test_threads_cpu_time():
    """the process's CPU time is its live threads' and its dead ones'"""
    require_bpf()
    p = subprocess.Popen([sys.executable, "-c", THREADS], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, text=True)
    try:
        line = p.stdout.readline().split()
        check(line[:1] == ["ready"], "the threads did not run")
        tid = int(line[1])
        live = proc_runtime(p.pid) + int(open("/proc/%d/task/%d/schedstat" % (p.pid, tid))
                                         .read().split()[0])
        ticks = proc_stat(p.pid)[1]
        res = run_host("run", GADGET, "--host", "--pid", str(p.pid), "-o", "json")
        check(res.returncode == 0, "top/process exited %d" % res.returncode, res.stderr)
        rows = blocks(res.stdout)[0]
    finally:
        p.stdin.close()
        p.wait(scaled(10))
    check(len(rows) == 1 and rows[0]["threads"] == 2, "not one row with 2 threads", rows)
    r = rows[0]
    check(r["cpuTime"] >= live + 3 * 10**8,
          "cpuTime %d: not the live threads' %d and the dead one's 0.3 s" % (r["cpuTime"], live), r)
    check(abs(ticks * 10**9 // os.sysconf("SC_CLK_TCK") - r["cpuTime"]) <= 2 * 10**7,
          "cpuTime far from /proc/PID/stat's utime+stime (%d ticks)" % ticks, r)


def test_states_sort_and_max_rows():
    """R, S, T and Z as /proc says them; --sort -rss --max-rows 3"""
    require_bpf()
    sleeper = subprocess.Popen(["sleep", "60"])
    stopped = subprocess.Popen(["sleep", "60"])
    zombie = subprocess.Popen(["true"])
    spinner = Spinner()
    try:
        os.kill(stopped.pid, signal.SIGSTOP)
        spin = subprocess.Popen([spinner.path, "30"])
        want = {sleeper.pid: "S", stopped.pid: "T", zombie.pid: "Z", spin.pid: "R"}
        wait_for(lambda: {p: proc_stat(p)[0] for p in want} == want, 10, "/proc saying R S T Z",
                 lambda: {p: proc_stat(p)[0] for p in want})
        res = run_host("run", GADGET, "--host", "-o", "json")
        check(res.returncode == 0, "top/process exited %d" % res.returncode, res.stderr)
        rows = {r["pid"]: r for a in blocks(res.stdout) for r in a}
        got = {p: rows[p]["state"] for p in want if p in rows}
        check(got == want, "states %r, /proc says %r" % (got, want))
        spin.kill()
        spin.wait(scaled(10))
        res = run_host("run", GADGET, "--host", "-o", "json", "--sort", "-rss", "--max-rows", "3")
        arrays = blocks(res.stdout)
        check(res.returncode == 0 and len(arrays) == 1 and len(arrays[0]) == 3,
              "--max-rows 3: not one block of 3 rows", res.stdout[:500], res.stderr)
        rss = [r["rss"] for r in arrays[0]]
        check(rss == sorted(rss, reverse=True), "--sort -rss not descending", rss)
        everything = blocks(run_host("run", GADGET, "--host", "-o", "json").stdout)[0]
        cpu = [r["cpu"] for r in everything]
        check(cpu == sorted(cpu, reverse=True), "the default order is not -cpu")
    finally:
        for p in (sleeper, stopped):
            p.kill()
            p.wait(scaled(10))
        zombie.wait(scaled(10))
        spinner.close()


def test_in_container():
    """the static spinner as a runc container's process: its rows carry
    the container, its CPU time is /proc's"""
    require_bpf()
    s = Spinner(static=True)
    name = unique("tp")[:30]
    try:
        with containers.Runc() as r:
            b = r.bundle(name, ["/spin", str(SPIN_SECONDS), "pause"])
            shutil.copy2(s.path, os.path.join(b, "rootfs", "spin"))
            with Tracer(GADGET, "-c", name, "--runc-root", r.root, "--interval", str(INTERVAL),
                        host=False) as t:
                wait_blocks(t, lambda a: len(a) >= 1, 10, "the first look")
                r.create(name, b)
                pid = r.pid(name)
                favour(pid)  # runc's init leads a session of its own
                r.start(name)
                wait_for(lambda: "spun" in r.output(name, b), 30, "the container's spinner spun",
                         lambda: r.output(name, b))
                final, ticks = paused(pid)
                wait_blocks(t, lambda a: (rows_of(a, pid)[-1] or {}).get("cpuDelta", 1) == 0,
                            20, "a look at the spinner idle")
            t.check_clean_exit()
            mntns = containers.mntns(pid)
    finally:
        s.close()
    arrays = blocks(t.stdout)
    check(all(x["pid"] == pid for a in arrays for x in a),
          "a row of another process than the container's", t.stdout[:1000])
    rows = first_to_last(arrays, pid)
    for x in rows:
        check(x["runtime"]["containerName"] == name and x["mountnsid"] == mntns and
              x["comm"] in ("spin", "runc:[2:INIT]"), "not the container's spinner", x)
    check(rows[-1]["comm"] == "spin", "the container's process never became spin", rows[-1])
    check_spinner(rows, "spin", final, ticks, one_thread=False)


def test_bad_sort():
    """--sort on a field that does not exist: one line naming it, exit 1"""
    require_bpf()
    res = run_host("run", GADGET, "--host", "--sort", "-cpux")
    check(res.returncode == 1 and res.stdout == "", "exit %d" % res.returncode, res.stdout[:300])
    lines = res.stderr.strip().splitlines()
    check(len(lines) == 1 and "cpux" in lines[0], "not one line naming cpux", res.stderr)


if __name__ == "__main__":
    main([test_spinner, test_allocation_rss_threads, test_threads_cpu_time,
          test_states_sort_and_max_rows,
          test_in_container, test_bad_sort])
