#!/usr/bin/env python3
"""Integration tests of the top gadgets: workloads with known byte counts
(a file written and read by a process of the test, a loopback TCP transfer,
direct I/O to a loop device) and the exact sums that come out, over every
interval of the run; --sort and --max-rows through real runs."""

import os
import shutil
import subprocess
import sys
import tempfile

from gh import Tracer, check, describe, main, scaled
from tables import blocks as table_blocks, wait_blocks

N = 123457

# A process that waits for "go" on stdin, then does its I/O and says
# "done"; its stdin is a pipe, which top/file does not count (not a
# regular file), so after start-up it does no other regular-file I/O.
FILE_WRITER = r"""
import os, sys
d, sizes = sys.argv[1], [int(x) for x in sys.argv[2].split(",")]
sys.stdout.write("ready\n"); sys.stdout.flush()
sys.stdin.readline()
for i, n in enumerate(sizes):
    p = os.path.join(d, "f%d" % i)
    fd = os.open(p, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    data = b"x" * n
    k = n // 3
    os.write(fd, data[:k]); os.write(fd, data[k:2 * k]); os.write(fd, data[2 * k:])
    os.close(fd)
    if i == 0:
        fd = os.open(p, os.O_RDONLY)
        got = os.read(fd, n)
        os.close(fd)
        assert len(got) == n
sys.stdout.write("done %s\n" % ",".join(str(os.stat(os.path.join(d, "f%d" % i)).st_ino)
                                          for i in range(len(sizes))))
sys.stdout.flush()
sys.stdin.readline()
"""


class Writer:
    def __init__(self, sizes):
        self.dir = tempfile.mkdtemp(prefix="gh-top-")
        self.p = subprocess.Popen([sys.executable, "-c", FILE_WRITER, self.dir,
                                   ",".join(str(s) for s in sizes)],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        check(self.p.stdout.readline() == "ready\n", "the writer did not start")

    def go(self):
        self.p.stdin.write("go\n")
        self.p.stdin.flush()
        line = self.p.stdout.readline().split()
        check(line[:1] == ["done"], "the writer failed")
        self.inodes = [int(x) for x in line[1].split(",")]

    def close(self):
        try:
            self.p.stdin.write("bye\n")
            self.p.stdin.close()
        except OSError:
            pass
        self.p.wait(scaled(10))
        shutil.rmtree(self.dir, ignore_errors=True)


def blocks(t):
    """-o json: one array per interval"""
    return table_blocks(t.stdout)


def test_file_exact_bytes():
    w = Writer([N])
    try:
        with Tracer("top/file.lua", "--pid", str(w.p.pid), "--interval", "0.3") as t:
            w.go()
            # a few intervals, some with nothing: two printed after the I/O
            printed = len(table_blocks(t.stdout, complete=False))
            wait_blocks(t, lambda a: len(a) >= printed + 2, 10,
                        "two intervals printed after the writes")
        t.check_clean_exit()
    finally:
        w.close()
    arrays = blocks(t)
    check(len(arrays) >= 2, "wanted a block per interval", t.stdout[:500])
    rows = [r for a in arrays for r in a]
    ours = [r for r in rows if r["file"] == "f0"]
    check(ours, "no row for the written file f0", describe(rows))
    check(all(r["pid"] == w.p.pid and r["tid"] == w.p.pid for r in ours),
          "pid/tid not the writer's", describe(ours))
    check(all(r["t"] == "R" and r["comm"] == os.path.basename(sys.executable)[:15]
              for r in ours), "t or comm wrong", describe(ours))
    check(sum(r["wbytes"] for r in ours) == N, "wbytes of f0 sum to %d, not %d"
          % (sum(r["wbytes"] for r in ours), N), describe(ours))
    check(sum(r["writes"] for r in ours) == 3, "not 3 writes", describe(ours))
    check(sum(r["rbytes"] for r in ours) == N, "rbytes of f0 not %d" % N, describe(ours))
    check(sum(r["reads"] for r in ours) == 1, "not 1 read", describe(ours))
    other = [r for r in rows if r["file"] != "f0"]
    check(not other, "rows of other files than f0 (the writer only writes f0)",
          describe(other))
    check(len({r["inode"] for r in ours}) == 1 and ours[0]["inode"] == w.inodes[0],
          "inode is not f0's %d" % w.inodes[0], describe(ours))


def test_file_sort_and_max_rows():
    sizes = [1000, 3000, 2000, 500]
    w = Writer(sizes)
    try:
        with Tracer("top/file.lua", "--pid", str(w.p.pid), "--interval", "60",
                    "--sort", "-wbytes", "--max-rows", "2") as t:
            w.go()
        t.check_clean_exit()
    finally:
        w.close()
    arrays = blocks(t)
    check(len(arrays) == 1, "one block (at the end of the run) wanted", t.stdout[:500])
    got = [(r["file"], r["wbytes"]) for r in arrays[0]]
    check(got == [("f1", 3000), ("f2", 2000)], "--sort -wbytes --max-rows 2 gave %r" % got)


def test_file_sort_ascending_columns():
    w = Writer([1000, 3000, 2000, 500])
    try:
        with Tracer("top/file.lua", "--pid", str(w.p.pid), "--interval", "60", "--sort",
                    "wbytes,file", "--max-rows", "3", fmt="columns") as t:
            w.go()
        t.check_clean_exit()
    finally:
        w.close()
    lines = t.stdout.splitlines()
    check(lines and lines[0].split() == ["RUNTIME.CONTAINERNAME", "PID", "TID", "COMM", "READS", "WRITES", "RBYTES",
                                         "WBYTES", "T", "FILE"],
          "header wrong", t.stdout[:400])
    rows = [l.split() for l in lines[1:] if l.strip()]
    got = [(r[-1], int(r[-3])) for r in rows]
    check(got == [("f3", 500), ("f0", 1000), ("f2", 2000)], "--sort wbytes gave %r" % got,
          t.stdout)


# A listener and a client in one process: the client sends SENT bytes, the
# server answers REPLY bytes; prints both connections' ports.
TCP_PAIR = r"""
import socket, sys
sent, reply = int(sys.argv[1]), int(sys.argv[2])
sys.stdout.write("ready\n"); sys.stdout.flush()
sys.stdin.readline()
srv = socket.socket(); srv.bind(("127.0.0.1", 0)); srv.listen(1)
c = socket.create_connection(srv.getsockname()); a, _ = srv.accept()
c.sendall(b"s" * sent)
n = 0
while n < sent:
    n += len(a.recv(65536))
a.sendall(b"r" * reply)
n = 0
while n < reply:
    n += len(c.recv(65536))
sys.stdout.write("done %d %d\n" % (c.getsockname()[1], srv.getsockname()[1])); sys.stdout.flush()
sys.stdin.readline()
"""


def test_tcp_exact_bytes():
    sent, reply = 1000003, 4321
    p = subprocess.Popen([sys.executable, "-c", TCP_PAIR, str(sent), str(reply)],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        check(p.stdout.readline() == "ready\n", "the TCP pair did not start")
        with Tracer("top/tcp.lua", "--pid", str(p.pid), "--interval", "0.3") as t:
            p.stdin.write("go\n")
            p.stdin.flush()
            line = p.stdout.readline().split()
            check(line[:1] == ["done"], "the TCP pair failed")
            cport, sport = int(line[1]), int(line[2])
        t.check_clean_exit()
    finally:
        p.stdin.close()
        p.wait(scaled(10))
    rows = [r for a in blocks(t) for r in a]
    check(all(r["pid"] == p.pid and r["ip"] == 4 and r["saddr"] == "127.0.0.1" and
              r["daddr"] == "127.0.0.1" for r in rows), "a row not of the pair", describe(rows))

    def total(sport_, dport_):
        mine = [r for r in rows if r["sport"] == sport_ and r["dport"] == dport_]
        return sum(r["sent"] for r in mine), sum(r["recv"] for r in mine)

    check(total(cport, sport) == (sent, reply), "client side: sent/recv %r, wanted %r"
          % (total(cport, sport), (sent, reply)), describe(rows))
    check(total(sport, cport) == (reply, sent), "server side: sent/recv %r, wanted %r"
          % (total(sport, cport), (reply, sent)), describe(rows))
    check(len({(r["sport"], r["dport"]) for r in rows}) == 2, "other connections",
          describe(rows))


def test_block_io_exact_bytes():
    d = tempfile.mkdtemp(prefix="gh-bio-")
    img = os.path.join(d, "img")
    dev = None
    try:
        with open(img, "wb") as f:
            f.truncate(16 << 20)
        res = subprocess.run(["losetup", "-f", "--show", img], capture_output=True, text=True)
        check(res.returncode == 0, "losetup failed", res.stderr)
        dev = res.stdout.strip()
        st = os.stat(dev)
        major, minor = os.major(st.st_rdev), os.minor(st.st_rdev)
        with Tracer("top/block-io.lua", "-F", "major==%d,minor==%d" % (major, minor),
                    "--interval", "0.5", "--sort", "rw") as t:
            w = subprocess.run(["dd", "if=/dev/zero", "of=" + dev, "bs=4096", "count=64",
                                "oflag=direct", "status=none"])
            r = subprocess.Popen(["dd", "if=" + dev, "of=/dev/null", "bs=8192", "count=10",
                                  "iflag=direct", "status=none"])
            r.wait(scaled(30))
            check(w.returncode == 0 and r.returncode == 0, "dd failed")
        t.check_clean_exit()
    finally:
        if dev:
            subprocess.run(["losetup", "-d", dev])
        shutil.rmtree(d, ignore_errors=True)
    rows = [x for a in blocks(t) for x in a]
    reads = [x for x in rows if x["pid"] == r.pid]
    check(reads and all(x["rw"] == "R" and x["comm"] == "dd" for x in reads),
          "the reading dd's rows wrong", describe(rows))
    check(sum(x["bytes"] for x in reads) == 81920 and sum(x["ios"] for x in reads) == 10,
          "read bytes/ios not 81920/10", describe(reads))
    writes = [x for x in rows if x["rw"] == "W"]
    check(sum(x["bytes"] for x in writes) == 262144 and sum(x["ios"] for x in writes) == 64,
          "written bytes/ios not 262144/64", describe(writes))
    check(all(x["comm"] == "dd" for x in writes), "writes not dd's", describe(writes))
    for a in blocks(t):
        check([x["rw"] for x in a] == sorted(x["rw"] for x in a), "--sort rw not in order")


ENRICHED = """
local base = dofile(%r)
base.name = "top file, total bytes"
base.fields.total = { type = "uint", width = 10, align = "right" }
base.columns = { "file", "total", "rbytes", "wbytes" }
base.sort = "-total,file"
base.filter = function(ev) return ev.file ~= "f3" end
base.enrich = function(ev) ev.total = ev.rbytes + ev.wbytes end
return base
"""


def test_file_lua_rows():
    """a script's filter and enrich run per row; --sort reads what enrich set"""
    from gh import write_gadget
    here = os.path.dirname(os.path.abspath(__file__))
    src = os.path.join(here, "..", "..", "gadgets", "top", "file.lua")
    w = Writer([1000, 3000, 2000, 500])
    d = tempfile.mkdtemp(prefix="gh-top-lua-")
    try:
        script = write_gadget(d, "total.lua", ENRICHED % os.path.abspath(src))
        with Tracer(script, "--pid", str(w.p.pid), "--interval", "60") as t:
            w.go()
        t.check_clean_exit()
    finally:
        w.close()
        shutil.rmtree(d, ignore_errors=True)
    arrays = blocks(t)
    check(len(arrays) == 1, "one block wanted", t.stdout[:500])
    got = [(r["file"], r["total"]) for r in arrays[0]]
    # f0 was written (1000) and read back (1000): 2000, after f1's 3000
    check(got == [("f1", 3000), ("f0", 2000), ("f2", 2000)],  # ties by file
          "rows by -total (enrich), without f3 (filter): %r" % got)


def test_file_in_container():
    """-c NAME: only the container's rows, with its name; exact bytes (the
    last interval's are printed when the run stops)"""
    from ctrace import traced_container
    # busybox's dd
    run = traced_container("top/file.lua", "dd if=/dev/zero of=/tmp/out bs=1000 count=7",
                           "--interval", "0.3", host_usr=False)
    t, name, mntns = run.tracer, run.name, run.mntns
    rows = [x for a in blocks(t) for x in a]
    check(rows, "no rows", t.stdout[:300])
    check(all(x.get("runtime", {}).get("containerName") == name and x["mountnsid"] == mntns
              for x in rows), "a row not of the container", describe(rows))
    out = [x for x in rows if x["file"] == "out"]
    check(sum(x["wbytes"] for x in out) == 7000 and sum(x["writes"] for x in out) == 7 and
          all(x["comm"] == "dd" for x in out), "dd's 7 writes of 1000 bytes not found",
          describe(out))


def test_bad_sort_field():
    from gh import run_host
    res = run_host("run", "top/file.lua", "--sort", "-nosuchfield", "--timeout", "1")
    check(res.returncode != 0 and "--sort: unknown field \"nosuchfield\"" in res.stderr,
          "a bad --sort field is not a clear error", res.stderr)
    res = run_host("run", "trace/exec.lua", "--max-rows", "3", "--timeout", "1")
    check(res.returncode != 0 and "top and snapshot" in res.stderr,
          "--max-rows on a tracer is not refused", res.stderr)


if __name__ == "__main__":
    main([test_file_exact_bytes, test_file_sort_and_max_rows,
          test_file_sort_ascending_columns, test_tcp_exact_bytes, test_block_io_exact_bytes,
          test_file_lua_rows, test_file_in_container, test_bad_sort_field])
