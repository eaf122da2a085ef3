#!/usr/bin/env python3
"""Integration tests of trace/fsslower.lua: Debian's python3 writes known
blocks into a file of a fresh temp dir with an fsync after each, then reads
it back; the exact sequence of operations on that file is checked; a --min
hides the fast ones; dd does the same in a runc container."""

import os
import shutil
import subprocess
import tempfile
import time

from ctrace import check_container, traced_container
from gh import TIME_SCALE, Tracer, check, describe, main, run_host, scaled

GADGET = "trace/fsslower.lua"
FIELDS = {"timestamp", "mountnsid", "pid", "tid", "ppid", "uid", "gid", "comm", "opRaw", "op",
          "syscall", "err", "bytes", "offset", "lat", "file"}  # host processes: no container fields
PYTHON = "/usr/bin/python3"  # Debian's
SIZES = [1000, 2000, 3000]
# --min for test_min_hides_fast_ones: 5 ms, scaled where everything is
# slower (GH_TIME_SCALE: the TCG VM of tests/kernels/)
MIN_MS = int(5 * TIME_SCALE)

# open, then each block written and fsync'ed, a pwrite, a reopen and reads
WRITER = r"""
import os, sys, time
path, sizes = sys.argv[1], [int(s) for s in sys.argv[2].split(",")]
fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o644)
for n in sizes:
    os.write(fd, b"x" * n)
    os.fsync(fd)
os.pwrite(fd, b"y" * 10, 5)
os.fdatasync(fd)
os.close(fd)
fd = os.open(path, os.O_RDONLY)
os.read(fd, 1 << 20)
os.read(fd, 100)
os.pread(fd, 7, 3)
os.close(fd)
# one slow fsync: 32 MiB of dirty pages, timed here too; given a latency
# (argv[3], ms), rewritten twice as big until an fsync takes that long (a
# fast disk, or a VM's), up to 256 MiB
fd = os.open(path + ".big", os.O_WRONLY | os.O_CREAT, 0o644)
want_ms = float(sys.argv[3]) if len(sys.argv) > 3 else 0
n = 32 << 20
os.write(fd, b"z" * n)
while True:
    t = time.monotonic()
    os.fsync(fd)
    ms = (time.monotonic() - t) * 1000
    if ms >= want_ms or n >= 256 << 20:
        break
    n *= 2
    os.pwrite(fd, b"z" * n, 0)
print("%.3f" % ms)
os.close(fd)
"""


def expected(name, sizes):
    """(op, syscall, bytes, offset, file) of the writer's operations on name"""
    total = sum(sizes)
    want = [("O", "openat", 0, 0, name)]
    off = 0
    for n in sizes:
        want += [("W", "write", n, off, name), ("F", "fsync", 0, 0, name)]
        off += n
    want += [("W", "pwrite64", 10, 5, name), ("F", "fdatasync", 0, 0, name),
             ("O", "openat", 0, 0, name), ("R", "read", total, 0, name),
             ("R", "read", 0, total, name), ("R", "pread64", 7, 3, name)]
    return want


def ops(evs, pid, names):
    return [(e["op"], e["syscall"], e["bytes"], e["offset"], e["file"]) for e in evs
            if e["pid"] == pid and e["file"] in names]


def run_writer(d, *args, big_ms=0):
    """the writer under the tracer, its last fsync at least big_ms long
    where the disk allows; (tracer, pid, the last fsync's ms)"""
    path = os.path.join(d, "data")
    with Tracer(GADGET, *args) as t:
        p = subprocess.Popen([PYTHON, "-c", WRITER, path, ",".join(map(str, SIZES)), str(big_ms)],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        out, err = p.communicate(timeout=scaled(60))
        check(p.returncode == 0, "the writer failed", err)
    t.check_clean_exit()
    return t, p.pid, float(out)


def test_fsync_writer_all():
    """--min 0: every operation on the file, in order, with exact bytes and
    offsets; fields; lat in microseconds"""
    d = tempfile.mkdtemp(prefix="gh-fsslower-")
    try:
        t, pid, big_ms = run_writer(d, "--min", "0")
    finally:
        shutil.rmtree(d, ignore_errors=True)
    evs = t.events()
    got = ops(evs, pid, {"data", "data.big"})
    want = expected("data", SIZES) + [("O", "openat", 0, 0, "data.big"),
                                      ("W", "write", 32 << 20, 0, "data.big"),
                                      ("F", "fsync", 0, 0, "data.big")]
    check(got == want, "the writer's operations differ", "got  %r" % got, "want %r" % want)
    mine = [e for e in evs if e["pid"] == pid and e["file"] in ("data", "data.big")]
    for e in mine:
        check(set(e) == FIELDS, "fields differ from the documented ones",
              "missing %s extra %s" % (sorted(FIELDS - set(e)), sorted(set(e) - FIELDS)), e)
        check(e["comm"] == "python3" and e["tid"] == pid and e["uid"] == 0 and e["err"] == 0,
              "comm/tid/uid/err", e)
        check(e["ppid"] == os.getpid(), "ppid is not the test's pid %d" % os.getpid(), e)
        check(isinstance(e["lat"], int) and e["lat"] >= 0, "lat is not a count of us", e)
    big = mine[-1]
    check(big["lat"] <= big_ms * 1000 + 1000 and big["lat"] >= big_ms * 1000 * 0.5,
          "the big fsync's lat %d us is far from the %.1f ms the writer measured"
          % (big["lat"], big_ms), big)


def test_min_hides_fast_ones():
    """--min 5 (MIN_MS): the page-cache writes and reads are gone, the
    big fsync (32 MiB or more, 1.6 times MIN_MS as measured by the writer)
    is there, nothing faster is"""
    d = tempfile.mkdtemp(prefix="gh-fsslower-")
    try:
        t, pid, big_ms = run_writer(d, "--min", str(MIN_MS), big_ms=MIN_MS * 1.6)
    finally:
        shutil.rmtree(d, ignore_errors=True)
    check(big_ms >= MIN_MS * 1.6, "test bug: the big fsync took only %.1f ms here" % big_ms)
    evs = t.events()
    fast = [e for e in evs if e["lat"] < MIN_MS * 1000]
    check(not fast, "--min %d printed faster operations" % MIN_MS, describe(fast))
    got = ops(evs, pid, {"data", "data.big"})
    slow_small = [o for o in got if o[4] == "data" and o[0] in ("R", "W", "O")]
    check(not slow_small, "page-cache operations reported as slower than %d ms" % MIN_MS,
          slow_small)
    check(("F", "fsync", 0, 0, "data.big") in got, "the %.1f ms fsync is missing" % big_ms,
          describe(evs))


def test_filesystem_filter():
    """--filesystem tmpfs: nothing of the ext4 temp dir; --filesystem of the
    temp dir's own type: its operations"""
    d = tempfile.mkdtemp(prefix="gh-fsslower-")
    fstype = subprocess.run(["stat", "-f", "-c", "%T", d], stdout=subprocess.PIPE,
                            text=True).stdout.strip()
    mounts = {l.split()[1]: l.split()[2] for l in open("/proc/mounts")}
    real = mounts.get(subprocess.run(["findmnt", "-n", "-o", "TARGET", "-T", d],
                                     stdout=subprocess.PIPE, text=True).stdout.strip())
    check(real and real != "tmpfs", "test bug: the temp dir is on %r (stat says %s)"
          % (real, fstype))
    try:
        t_other, pid_other, _ = run_writer(d, "--min", "0", "--filesystem", "tmpfs")
        t_same, pid_same, _ = run_writer(d, "--min", "0", "--filesystem", real)
    finally:
        shutil.rmtree(d, ignore_errors=True)
    other = ops(t_other.events(), pid_other, {"data", "data.big"})
    check(not other, "--filesystem tmpfs reported files of %s" % real, other)
    same = ops(t_same.events(), pid_same, {"data"})
    check(same == expected("data", SIZES), "--filesystem %s: the writer's operations" % real,
          same)


def test_dd_in_container():
    """dd in a runc container: 3 blocks of 4096 bytes at seek 0, 1, 2, each
    dd fsyncing its file (conv=fsync); exact ops, the container's fields"""
    script = ("for i in 0 1 2; do /usr/bin/dd if=/dev/zero of=/tmp/ddfile bs=4096 count=1 "
              "seek=$i conv=notrunc,fsync status=none || exit 1; done; echo done")
    r = traced_container(GADGET, script, "--min", "0", "-F", "file==ddfile")
    got = [(e["comm"], e["op"], e["syscall"], e["bytes"], e["offset"]) for e in r.events]
    want = []
    for i in range(3):
        want += [("dd", "O", "openat", 0, 0), ("dd", "W", "write", 4096, 4096 * i),
                 ("dd", "F", "fsync", 0, 0)]
    check(got == want, "dd's operations on /tmp/ddfile", "got  %r" % got, "want %r" % want,
          "container output: " + r.output)
    check("done" in r.output, "the container's script failed", r.output)
    for e in r.events:
        check_container(e, r)
        check(e["file"] == "ddfile", "file is not ddfile", e)


def test_bad_input():
    """a --min that is no number, or a --filesystem too long: one line, exit non-zero"""
    for args in (["--min", "ten"], ["--min", "-1"], ["--filesystem", "x" * 40]):
        p = run_host("run", GADGET, "--host", *args)
        lines = p.stderr.strip().splitlines()
        check(p.returncode != 0 and len(lines) == 1 and args[0] in lines[0],
              "%s: wanted one error line naming %s and a non-zero exit" % (args, args[0]),
              "rc %d stderr %r" % (p.returncode, p.stderr))


if __name__ == "__main__":
    main([test_fsync_writer_all, test_min_hides_fast_ones, test_filesystem_filter,
          test_dd_in_container, test_bad_input])
