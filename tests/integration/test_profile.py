#!/usr/bin/env python3
"""Integration tests of profile/block-io.lua and profile/cpu.lua, with known
answers: direct writes of a known count to a loop device the test makes, and
a busy loop in a known function of a program the test compiles (with frame
pointers), on the host and in a runc container."""

import os
import re
import shutil
import subprocess
import tempfile

import containers
from containers import HOOKS
from gh import (GH_BIN, Skip, Tracer, check, excerpt, main, object_path, require_bpf, scaled,
                unique)

N_IOS = 64
SPIN_SECONDS = 2.0



class LoopDevice:
    """a loop device over a file in a temp dir of ours"""

    def __init__(self):
        if not shutil.which("losetup"):
            raise Skip("no losetup (util-linux)")
        self.dir = tempfile.mkdtemp(prefix="gh-prof-loop-")
        self.img = os.path.join(self.dir, unique("img"))
        with open(self.img, "wb") as f:
            f.truncate(16 << 20)
        p = subprocess.run(["losetup", "--find", "--show", self.img], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True)
        if p.returncode:
            shutil.rmtree(self.dir, ignore_errors=True)
            raise Skip("losetup failed: " + p.stderr.strip())
        self.dev = p.stdout.strip()
        rdev = os.stat(self.dev).st_rdev
        self.major, self.minor = os.major(rdev), os.minor(rdev)
        self.name = os.path.basename(self.dev)

    def write(self, n):
        """n direct 4 KiB writes: n requests, none merged (each waits)"""
        p = subprocess.run(["dd", "if=/dev/zero", "of=" + self.dev, "bs=4k", "count=%d" % n,
                            "oflag=direct"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           text=True, timeout=scaled(60))
        check(p.returncode == 0, "dd failed", p.stderr)

    def close(self):
        subprocess.run(["losetup", "-d", self.dev], stderr=subprocess.DEVNULL)
        shutil.rmtree(self.dir, ignore_errors=True)


def check_buckets(h, n):
    """buckets as biolatency's ranges, counts summing to n, in sensible ranges"""
    b = h["buckets"]
    check(b and set(h) >= {"unit", "buckets"} and h["unit"] == "usecs", "histogram shape", h)
    for i, x in enumerate(b):
        check(set(x) == {"start", "end", "count"}, "bucket keys", x)
        check(x["start"] == (0 if i == 0 else 1 << i) and x["end"] == (1 << (i + 1)) - 1,
              "bucket %d is not [2^%d, 2^%d - 1]" % (i, i, i + 1), x)
    check(b[-1]["count"] > 0, "the last bucket is empty: buckets go up to the last used", b)
    check(sum(x["count"] for x in b) == n, "wanted exactly %d I/Os in the histogram" % n, h)
    # a 4 KiB write to a loop device on a file: microseconds to a second
    slow = [x for x in b if x["count"] and x["start"] >= 1 << 20]
    check(not slow, "I/Os counted slower than a second", b)


def loop_histograms(evs, loop):
    return [e for e in evs if e.get("major") == loop.major and e.get("minor") == loop.minor]


def test_block_io_json():
    """-o json --disks: the loop device's histogram counts exactly the writes"""
    require_bpf()
    loop = LoopDevice()
    try:
        with Tracer("profile/block-io.lua", "--disks") as t:
            loop.write(N_IOS)
        t.check_clean_exit()
    finally:
        loop.close()
    evs = t.events()
    mine = loop_histograms(evs, loop)
    check(len(mine) == 1, "wanted one histogram of %s" % loop.dev, evs)
    h = mine[0]
    check(set(h) == {"major", "minor", "disk", "unit", "buckets"}, "keys of a histogram", h)
    check(h["disk"] == loop.name, "disk is not %s" % loop.name, h)
    check_buckets(h, N_IOS)


def test_block_io_queued():
    """--queued (from block_rq_insert, or issue for requests never queued):
    still each write exactly once"""
    require_bpf()
    loop = LoopDevice()
    try:
        with Tracer("profile/block-io.lua", "--disks", "--queued") as t:
            loop.write(N_IOS)
        t.check_clean_exit()
    finally:
        loop.close()
    mine = loop_histograms(t.events(), loop)
    check(len(mine) == 1, "wanted one histogram of %s" % loop.dev, t.events())
    check_buckets(mine[0], N_IOS)


CHART_HEADER = "     usecs               : count    distribution"
CHART_LINE = re.compile(r"^ {0,10}(\d+) -> (\d+) +: (\d+) +\|([* ]{40})\|$")


def test_block_io_chart():
    """the default output: biolatency's chart, under the disk's name;
    -F on the name Lua's enrich gives the disk keeps that disk only"""
    require_bpf()
    loop = LoopDevice()
    try:
        with Tracer("profile/block-io.lua", "--disks", "-F", "disk==" + loop.name,
                    fmt=None) as t:
            loop.write(N_IOS)
        t.check_clean_exit()
    finally:
        loop.close()
    lines = t.stdout.splitlines()
    title = "disk = %s, major = %d, minor = %d" % (loop.name, loop.major, loop.minor)
    check([l for l in lines if l.startswith("disk = ")] == [title],
          "wanted the chart of %s only" % loop.name, t.stdout)
    at = lines.index(title)
    check(lines[at + 1] == CHART_HEADER, "the header is not biolatency's", lines[at + 1])
    rows = []
    for line in lines[at + 2:]:
        m = CHART_LINE.match(line)
        if not m:
            break
        rows.append((int(m.group(1)), int(m.group(2)), int(m.group(3)), m.group(4)))
    check(rows, "no chart rows", t.stdout)
    check(sum(r[2] for r in rows) == N_IOS, "the chart does not count %d I/Os" % N_IOS, t.stdout)
    top = max(r[2] for r in rows)
    for lo, hi, count, bar in rows:
        check(bar.rstrip(" ") == "*" * (count * 40 // top), "bar of %d/%d" % (count, top), bar)
    check(rows[0][:2] == (0, 1) and rows[1][:2] == (2, 3), "ranges", rows)


def test_block_io_interval():
    """--interval: each interval starts anew (the writes are counted once):
    half the writes, an interval printed with them, the other half, then
    the last interval printed when the run stops"""
    require_bpf()
    loop = LoopDevice()
    try:
        with Tracer("profile/block-io.lua", "--disks", "--interval", "1") as t:
            loop.write(N_IOS // 2)
            t.wait_for(lambda: loop_histograms(t.events_so_far(), loop),
                       "an interval's histogram of %s" % loop.dev)
            loop.write(N_IOS // 2)
        t.check_clean_exit()
    finally:
        loop.close()
    mine = loop_histograms(t.events(), loop)
    check(len(mine) >= 2, "wanted the writes in two intervals", mine)
    total = sum(x["count"] for h in mine for x in h["buckets"])
    check(total == N_IOS, "wanted %d I/Os over the intervals" % N_IOS, mine)


class Spinner:
    """a program whose time goes to gh_spin_here() (tests/integration/
    spin.c, built with frame pointers by meson), for a known CPU time
    (however loaded the machine: samples are of CPU time); comm: its
    unique file name, a copy of the built one"""

    def __init__(self, static=False):
        built = os.environ.get("GH_SPIN_STATIC" if static else "GH_SPIN", "")
        check(os.access(built, os.X_OK), "the spinner is not built (GH_SPIN, GH_SPIN_STATIC)",
              built)
        self.dir = tempfile.mkdtemp(prefix="gh-prof-spin-")
        self.comm = unique("sp")[:15]
        self.path = os.path.join(self.dir, self.comm)
        shutil.copy2(built, self.path)

    def run(self, secs=SPIN_SECONDS):
        p = subprocess.Popen([self.path, str(secs)])
        p.wait(scaled(60))
        return p.pid

    def close(self):
        shutil.rmtree(self.dir, ignore_errors=True)


def parse_folded(text):
    """[(frames, count)] of folded lines "comm;f1;f2 count" """
    out = []
    for line in text.splitlines():
        m = re.match(r"^(.*) (\d+)$", line)
        check(m, "not a folded line", line)
        out.append((m.group(1).split(";"), int(m.group(2))))
    return out


def test_cpu_folded():
    """-o folded: the hottest stack of the spinner is comm;...;main;
    gh_spin_outer;gh_spin_here, with about as many samples as 49 Hz for
    its time.  The spinner has exited when the stacks are printed: its
    mappings were read while it ran (the host's one-second look)"""
    require_bpf()
    s = Spinner()
    try:
        with Tracer("profile/cpu.lua", "--comm", s.comm, fmt="folded") as t:
            s.run()
        t.check_clean_exit()
    finally:
        s.close()
    stacks = parse_folded(t.stdout)
    check(stacks, "no stacks", "stderr: " + excerpt(t.stderr))
    frames, count = max(stacks, key=lambda x: x[1])
    check(frames[0] == s.comm, "a folded stack starts with the comm", frames)
    check(frames[-3:] == ["main", "gh_spin_outer", "gh_spin_here"],
          "the hottest stack is not main;gh_spin_outer;gh_spin_here", stacks)
    total = sum(c for _, c in stacks)
    check(count >= total * 0.8, "gh_spin_here has not most samples", stacks)
    check(49 * SPIN_SECONDS * 0.5 <= total <= 49 * SPIN_SECONDS * 1.5,
          "%d samples for %g s at 49 Hz" % (total, SPIN_SECONDS), stacks)
    check(len([1 for f, _ in stacks if f == frames]) == 1,
          "the same stack printed twice (not merged)", stacks)


def test_cpu_report():
    """the default report: the hottest stack first, innermost frame first,
    then "-  comm (pid)" and its count; --frequency 99 doubles the samples"""
    require_bpf()
    s = Spinner()
    try:
        with Tracer("profile/cpu.lua", "--comm", s.comm, "--frequency", "99", fmt=None) as t:
            pid = s.run()
        t.check_clean_exit()
    finally:
        s.close()
    blocks = [b for b in t.stdout.split("\n\n") if b.strip()]
    check(blocks, "no stacks", t.stdout)
    first = blocks[0].splitlines()
    check(first[:3] == ["    gh_spin_here", "    gh_spin_outer", "    main"],
          "the first stack is not gh_spin_here <- gh_spin_outer <- main", t.stdout)
    who = "    %-16s %s (%d)" % ("-", s.comm, pid)
    check(who in first, "no '%s' line" % who.strip(), first)
    count = int(first[-1].strip())
    check(count >= 99 * SPIN_SECONDS * 0.5, "%d samples at 99 Hz in %g s" % (count, SPIN_SECONDS),
          t.stdout)


def test_cpu_json_user_only():
    """-o json --user-only: samples, userStack, no kernel stacks; the
    spinner's pid and comm"""
    require_bpf()
    s = Spinner()
    try:
        with Tracer("profile/cpu.lua", "--comm", s.comm, "--user-only") as t:
            pid = s.run()
        t.check_clean_exit()
    finally:
        s.close()
    evs = t.events()
    check(evs, "no stacks", t.stderr)
    for e in evs:
        check(set(e) == {"mountnsid", "pid", "comm", "userStackId", "kernelStackId", "samples",
                         "userStack", "kernelStack"}, "fields of a stack", e)
        check(e["kernelStack"] == [] and e["pid"] == pid and e["comm"] == s.comm, "stack", e)
    check(evs == sorted(evs, key=lambda e: -e["samples"]), "not the hottest first", evs)
    check(evs[0]["userStack"][:3] == ["gh_spin_here", "gh_spin_outer", "main"],
          "hottest user stack", evs[0])


def test_cpu_kernel_only():
    """--kernel-only: no user stacks at all"""
    require_bpf()
    s = Spinner()
    try:
        with Tracer("profile/cpu.lua", "--comm", s.comm, "--kernel-only") as t:
            s.run(1)
        t.check_clean_exit()
    finally:
        s.close()
    evs = t.events()
    check(evs, "no samples", t.stderr)
    check(all(e["userStack"] == [] for e in evs), "a user stack with --kernel-only", evs)


def test_cpu_interval():
    """--interval 1: a report each second, each starting anew (the samples
    over all of them are the spinner's CPU time once; it spins 3 s of CPU
    time, so at least 3 s: two reports while it runs, the rest at the end)"""
    require_bpf()
    s = Spinner()
    try:
        with Tracer("profile/cpu.lua", "--comm", s.comm, "--interval", "1") as t:
            s.run(3)
        t.check_clean_exit()
    finally:
        s.close()
    evs = t.events()
    hot = [e for e in evs if e["userStack"][:3] == ["gh_spin_here", "gh_spin_outer", "main"]
           and not e["kernelStack"]]
    check(len(hot) >= 2, "wanted the spinner's stack in several intervals", evs)
    total = sum(e["samples"] for e in evs)
    check(49 * 3 * 0.5 <= total <= 49 * 3 * 1.5, "%d samples for 3 s at 49 Hz" % total, evs)


def test_cpu_in_container():
    """a static spinner inside a runc container, profiled with -c: its
    stack symbolized from the container's own binary (/proc/PID/root), the
    container's name on it, nothing of the host.  The container then
    sleeps (its workload: alive while the stacks are printed) and says so"""
    require_bpf()
    s = Spinner(static=True)
    name = unique("pc")[:30]
    try:
        with containers.Runc() as r:
            b = r.bundle(name, ["sh", "-c", "/%s %g; echo spun; sleep 30" % (s.comm, SPIN_SECONDS)],
                         hooks=HOOKS)
            # only inside the container: the host's copy is deleted first
            shutil.copy2(s.path, os.path.join(b, "rootfs", s.comm))
            s.close()
            with Tracer("profile/cpu.lua", "-c", name, host=False) as t:
                r.run(name, b)
                t.wait_for(lambda: "spun" in r.output(name), "the spinner's end",
                           timeout=SPIN_SECONDS + 30)
            t.check_clean_exit()
    finally:
        s.close()
    evs = t.events()
    check(evs, "no samples of the container", "stderr: " + excerpt(t.stderr))
    for e in evs:
        check(e.get("runtime", {}).get("containerName") == name, "not the container's", e)
    spin = [e for e in evs if e["comm"] == s.comm]
    check(spin, "no sample of the spinner", evs)
    hot = max(spin, key=lambda e: e["samples"])
    check(hot["userStack"][:3] == ["gh_spin_here", "gh_spin_outer", "main"],
          "the spinner's hottest stack", hot)
    check(hot == max(evs, key=lambda e: e["samples"]), "not the container's hottest", evs)


def test_custom_histogram():
    """a histogram gadget of one's own is a .bpf.c and a .lua: write sizes
    in an array map of one histogram (key __u32), unit "bytes", --comm;
    a dd of 10 writes of 1000 bytes is exactly 10 in [512, 1023]"""
    require_bpf()
    d = tempfile.mkdtemp(prefix="gh-prof-custom-")
    try:
        # bpf/test/sizes.bpf.c, compiled by the build as any gadget is
        shutil.copy2(object_path("test/sizes"), os.path.join(d, "sizes.bpf.o"))
        with open(os.path.join(d, "sizes.lua"), "w") as f:
            f.write('return { name = "write sizes", object = "sizes.bpf.o" }\n')
        comm = unique("dd")[:15]
        dd = os.path.join(d, comm)
        shutil.copy2(shutil.which("dd"), dd)
        with Tracer(os.path.join(d, "sizes.lua"), "--comm", comm) as t:
            subprocess.run([dd, "if=/dev/zero", "of=/dev/null", "bs=1000", "count=10",
                            "status=none"], check=True)
        t.check_clean_exit()
    finally:
        shutil.rmtree(d, ignore_errors=True)
    evs = t.events()
    check(len(evs) == 1 and set(evs[0]) == {"unit", "buckets"} and evs[0]["unit"] == "bytes",
          "one histogram, no key fields", evs)
    got = [(b["start"], b["count"]) for b in evs[0]["buckets"] if b["count"]]
    check(got == [(512, 10)], "wanted exactly 10 writes in [512, 1023]", evs)


def test_bad_output():
    """-o yaml is no format of a profile: one line, exit 1"""
    require_bpf()
    p = subprocess.run([GH_BIN, "run", "profile/cpu.lua", "-o", "yaml", "--host"],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                       timeout=scaled(30))
    check(p.returncode == 1 and p.stdout == "", "exit status", p)
    check(p.stderr.strip() == 'gadgethost: -o: profile cpu prints a stack report (default), '
          'folded or json, not "yaml"', "the message", p.stderr)
    p = subprocess.run([GH_BIN, "run", "profile/block-io.lua", "-o", "folded"],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                       timeout=scaled(30))
    check(p.returncode == 1 and "histogram chart (default) or json" in p.stderr, "block-io -o folded",
          p)


if __name__ == "__main__":
    main([test_block_io_json, test_block_io_queued, test_block_io_chart, test_block_io_interval, test_cpu_folded,
          test_cpu_report, test_cpu_json_user_only, test_cpu_kernel_only, test_cpu_interval,
          test_cpu_in_container, test_custom_histogram, test_bad_output])
