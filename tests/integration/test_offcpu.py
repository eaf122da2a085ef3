#!/usr/bin/env python3
"""Integration tests of profile/offcpu.lua with known answers: a program
(tests/integration/block.c, frame pointers) that sleeps a known number of
times for a known time in gh_block_sleep() and then blocks once in
gh_block_read() on a pipe a child writes to a known time later; the time
off the CPU of each of those stacks, on the host and in a runc container,
and --min / --max choosing between them."""

import os
import re
import shutil
import signal
import subprocess
import tempfile

import containers
from gh import (GH_BIN, Skip, Tracer, check, describe, excerpt, main, require_bpf, scaled,
                unique, wait_for)

HOOKS = {"prestart": [{"path": GH_BIN,
                       "args": ["gadgethost", "hook", "prestart"]}],
         "poststop": [{"path": GH_BIN,
                       "args": ["gadgethost", "hook", "poststop"]}]}

SLEEPS, SLEEP_MS, PIPE_MS = 8, 100, 300
SHORT_MS = 20  # the sleeps of the --min/--max test
SLEEP_STACK = ["gh_block_sleep", "gh_block_outer", "main"]
READ_STACK = ["gh_block_read", "gh_block_outer", "main"]


class Blocker:
    """a copy of the built blocker under a unique name (its comm)"""

    def __init__(self, static=False):
        built = os.environ.get("GH_BLOCK_STATIC" if static else "GH_BLOCK", "")
        check(os.access(built, os.X_OK), "the blocker is not built (GH_BLOCK)", built)
        self.dir = tempfile.mkdtemp(prefix="gh-offcpu-")
        self.comm = unique("bl")[:15]
        self.path = os.path.join(self.dir, self.comm)
        shutil.copy2(built, self.path)

    def args(self, sleep_ms=SLEEP_MS):
        return [str(SLEEPS), str(sleep_ms), str(PIPE_MS)]

    def run(self, sleep_ms=SLEEP_MS):
        """its pid, and the wall times it measured: {"sleep_us", "read_us"}"""
        p = subprocess.Popen([self.path] + self.args(sleep_ms), stdout=subprocess.PIPE,
                             text=True)
        out, _ = p.communicate(timeout=scaled(60))
        check(p.returncode == 0, "the blocker failed", out)
        return p.pid, measured(out)

    def close(self):
        shutil.rmtree(self.dir, ignore_errors=True)


def measured(out):
    m = dict((k, int(v)) for k, v in (line.split() for line in out.splitlines() if line))
    check(set(m) == {"sleep_us", "read_us"}, "the blocker's output", out)
    return m


def check_time(evs, what, user, least_us, wall_us, kernel_frame):
    """one stack, its time off the CPU at least least_us (what it asked
    for) and within the wall time the blocker measured around the calls,
    less at most 10% (its moments on the CPU in between); kernel_frame
    among its kernel frames (a preemption on the way has a stack of its
    own)"""
    blocked = [e for e in evs if e["userStack"][:3] == user and
               any(kernel_frame in f for f in e["kernelStack"])]
    check(len(blocked) == 1, "wanted one %s stack in %s" % (what, kernel_frame),
          describe(evs))
    e = blocked[0]
    check(max(least_us, wall_us * 0.9) <= e["usecs"] <= wall_us,
          "%s: %d us off the CPU, wanted at least %d us and 90%% of the %d us measured, "
          "at most that" % (what, e["usecs"], least_us, wall_us), e, describe(evs, 30))
    check(e["tid"] == e["pid"], "the main thread's", e)


def check_blocker(evs, pid, m):
    """the sleeps' stack and the pipe read's, each once"""
    mine = [e for e in evs if e["pid"] == pid]
    check_time(mine, "sleep", SLEEP_STACK, SLEEPS * SLEEP_MS * 1000, m["sleep_us"],
               "do_nanosleep")
    check_time(mine, "pipe read", READ_STACK, PIPE_MS * 1000, m["read_us"], "pipe_read")


def test_sleep_and_pipe():
    """-o json: the sleeps' stack with SLEEPS x SLEEP_MS, the pipe read's
    with PIPE_MS (less the moment between fork and read), each once"""
    require_bpf()
    b = Blocker()
    try:
        with Tracer("profile/offcpu.lua", "--comm", b.comm) as t:
            pid, m = b.run()
        t.check_clean_exit()
    finally:
        b.close()
    evs = t.events()
    check(all(e["comm"] == b.comm for e in evs), "--comm: another command's stack", evs)
    check_blocker(evs, pid, m)
    # the child, sleeping before it writes, is a process of its own
    child = [e for e in evs if e["pid"] != pid and e["userStack"][:2] == SLEEP_STACK[1:]]
    check(child, "the child's sleep (in gh_block_outer)", describe(evs))


def test_min_max_folded():
    """sleeps of 20 ms: --min 200ms keeps the pipe read only; --max 250ms
    the sleeps only (the read is 300 ms).  (20 ms, far below --min: a wait
    whose switch-in the kernel did not report is counted with the next
    one, docs/gadgets/profile/offcpu.md, so two sleeps can be one wait.)
    -o folded: comm;main;...;frame_[k] usecs"""
    require_bpf()
    b = Blocker()
    try:
        with Tracer("profile/offcpu.lua", "--comm", b.comm, "--min", "200ms",
                    fmt="folded") as t1:
            _, m1 = b.run(sleep_ms=SHORT_MS)
        with Tracer("profile/offcpu.lua", "--comm", b.comm, "--max", "250ms",
                    fmt="folded") as t2:
            _, m2 = b.run(sleep_ms=SHORT_MS)
        t1.check_clean_exit()
        t2.check_clean_exit()
    finally:
        b.close()
    for t, want, gone in ((t1, ("gh_block_read", "pipe_read"), ("gh_block_sleep", "do_nanosleep")),
                          (t2, ("gh_block_sleep", "do_nanosleep"), ("gh_block_read", "pipe_read"))):
        lines = []
        for line in t.stdout.splitlines():
            m = re.match(r"^(.*) (\d+)$", line)
            check(m, "not a folded line", line)
            lines.append((m.group(1).split(";"), int(m.group(2))))
        check(all(f[0] == b.comm for f, _ in lines), "not comm first", t.stdout)
        mine = [(f, n) for f, n in lines if blocked_in(f, *want)]
        check(len(mine) == 1, "not one %s stack" % want[0], t.stdout)
        check(not [f for f, _ in lines if blocked_in(f, *gone)], "a %s stack" % gone[0],
              t.stdout)
        f, n = mine[0]
        i = f.index(want[0])
        check(f[i - 2:i] == ["main", "gh_block_outer"], "outer frames first", f)
        check(f[-1].endswith("_[k]"), "kernel frames last, marked _[k]", f)
    want_read = sum(n for f, n in lines_of(t1) if blocked_in(f, "gh_block_read", "pipe_read"))
    check(PIPE_MS * 1000 <= want_read <= m1["read_us"], "--min: the read's time", t1.stdout)
    want_sleep = sum(n for f, n in lines_of(t2)
                     if blocked_in(f, "gh_block_sleep", "do_nanosleep"))
    check(SLEEPS * SHORT_MS * 1000 <= want_sleep <= m2["sleep_us"], "--max: the sleeps' time",
          t2.stdout)


def blocked_in(frames, user, kernel):
    """a folded stack of the user function, blocked in the kernel one"""
    return user in frames and any(f.startswith(kernel) or kernel in f for f in frames
                                  if f.endswith("_[k]"))


def lines_of(t):
    return [(m.group(1).split(";"), int(m.group(2)))
            for m in (re.match(r"^(.*) (\d+)$", line) for line in t.stdout.splitlines())]


OFFCPUTIME = shutil.which("offcputime") or "/usr/sbin/offcputime"  # libbpf-tools


def attached(pid):
    """whether process pid holds a BPF link (its program attached)"""
    d = "/proc/%d/fd" % pid
    try:
        return any(os.readlink(os.path.join(d, f)) == "anon_inode:bpf_link"
                   for f in os.listdir(d))
    except OSError:
        return False


def report_stacks(text):
    """BCC's report: [(kernel frames, user frames, comm, pid, value)]"""
    out = []
    for block in text.strip().split("\n\n"):
        lines = [x.strip() for x in block.strip().splitlines()]
        if len(lines) < 3 or not lines[-1].isdigit():
            continue
        m = re.match(r"^-\s+(.*) \((\d+)\)$", lines[-2])
        if not m:
            continue
        frames = lines[:-2]
        k, u = (frames[:frames.index("--")], frames[frames.index("--") + 1:]) \
            if "--" in frames else (frames, [])
        out.append((k, u, m.group(1), int(m.group(2)), int(lines[-1])))
    return out


def read_stack_us(stacks, pid):
    """the time of the pipe read's stack in a report (offcputime prints no
    "--" between the kernel's frames and the user's), or None"""
    r = [v for k, u, comm, p, v in stacks if p == pid and "gh_block_read" in k + u
         and any("pipe_read" in f for f in k)]
    check(len(r) <= 1, "more than one pipe read stack", stacks)
    return r[0] if r else None


def compare_once(b):
    """one run of the blocker under both: the gadget's read time, the
    tool's (None: it has no such stack), what the blocker measured"""
    tool = None
    try:
        # the blocker's pid before it runs: a shell that execs it on "go"
        sh = subprocess.Popen(["sh", "-c", 'read go; exec "$0" "$@"', b.path] + b.args() +
                              ["3000"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              text=True)
        tool = subprocess.Popen([OFFCPUTIME, "--stack-storage-size", "16384", "-p",
                                 str(sh.pid)], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        wait_for(lambda: tool.poll() is not None or attached(tool.pid), 20,
                 "offcputime attached")
        check(tool.poll() is None, "offcputime exited", tool.communicate()[1]
              if tool.poll() is not None else "")
        with Tracer("profile/offcpu.lua", "--pid", str(sh.pid), fmt="columns") as t:
            sh.stdin.write("go\n")
            sh.stdin.flush()
            m = measured(sh.stdout.readline() + sh.stdout.readline())
            # both print while the blocker still runs (3 s), for its symbols
            tool.send_signal(signal.SIGINT)
            theirs, _ = tool.communicate(timeout=scaled(20))
        t.check_clean_exit()
        sh.wait(scaled(20))
    finally:
        if tool and tool.poll() is None:
            tool.kill()
            tool.wait()
    ours = read_stack_us(report_stacks(t.stdout), sh.pid)
    check(ours is not None, "the gadget: no pipe read stack", t.stdout)
    check(PIPE_MS * 1000 <= ours <= m["read_us"], "the read's time", ours, m)
    return ours, read_stack_us(report_stacks(theirs), sh.pid), m


def test_compare_offcputime():
    """libbpf-tools' offcputime (tp_btf/sched_switch too) and the gadget on
    the same run of the blocker: the same time in the pipe read's stack,
    within 200 us (each measures the same switches, from its own clock
    reading: the program that runs second at a switch starts its clock
    after the first one's stack walks).  offcputime loses a wait whose
    switch-in the kernel does not report (docs/gadgets/profile/offcpu.md,
    "How"; the gadget counts it): a run where it has no read stack is
    tried again, three times at most"""
    require_bpf()
    if not os.access(OFFCPUTIME, os.X_OK):
        raise Skip("no %s (libbpf-tools)" % OFFCPUTIME)
    b = Blocker()
    try:
        for _ in range(3):
            ours, theirs, m = compare_once(b)
            if theirs is not None:
                break
    finally:
        b.close()
    check(theirs is not None, "offcputime: no pipe read stack in three runs")
    # the two programs run one after the other at each switch: the later
    # one's clock starts after the other's stack walks (some tens of us)
    check(abs(ours - theirs) <= 200, "the read: the gadget %d us, offcputime %d us"
          % (ours, theirs))


def test_in_container():
    """a static blocker inside a runc container, with -c: its stacks
    symbolized from the container's own binary, the container's name on
    each row, its times as on the host"""
    require_bpf()
    b = Blocker(static=True)
    name = unique("oc")[:30]
    try:
        with containers.Runc() as r:
            bundle = r.bundle(name, ["sh", "-c", "/%s %s; echo done; sleep 30"
                                     % (b.comm, " ".join(b.args()))], hooks=HOOKS)
            shutil.copy2(b.path, os.path.join(bundle, "rootfs", b.comm))
            with Tracer("profile/offcpu.lua", "-c", name, "--comm", b.comm, host=False) as t:
                r.run(name, bundle)
                wait_for(lambda: "done" in r.output(name), 20, "the blocker's end",
                         lambda: r.output(name))
                m = measured(r.output(name).replace("done", ""))
            t.check_clean_exit()
    finally:
        b.close()
    evs = t.events()
    check(evs, "no stacks of the container", "stderr: " + excerpt(t.stderr))
    for e in evs:
        check(e.get("runtime", {}).get("containerName") == name, "not the container's", e)
    pids = {e["pid"] for e in evs if e["userStack"][:3] == SLEEP_STACK}
    check(len(pids) == 1, "the sleeps of one process", describe(evs))
    check_blocker(evs, pids.pop(), m)


def test_bad_params():
    """--min that is no duration, --frequency (no perf events here): one
    line, exit 1"""
    require_bpf()
    for args, want in ((["--min", "abc"], 'gadgethost: --min: "abc" is not a duration'),
                       (["--frequency", "10"], "gadgethost: unknown option --frequency for "
                                               "profile offcpu")):
        p = subprocess.run([GH_BIN, "run", "profile/offcpu.lua", "--host"] + args,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                           timeout=scaled(30))
        check(p.returncode == 1 and p.stdout == "" and len(p.stderr.splitlines()) == 1 and
              p.stderr.startswith(want), "%s: one line, exit 1" % args, p)


if __name__ == "__main__":
    # the comparison last: a Skip (no offcputime) skips the tests after it
    main([test_sleep_and_pipe, test_min_max_folded, test_in_container, test_bad_params,
          test_compare_offcputime])
