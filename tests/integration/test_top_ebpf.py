#!/usr/bin/env python3
"""Integration tests of top/ebpf.lua with known answers: a process of the
test loads a socket filter of a unique name that uses one array map (of a
known size), attaches it to a UDP socket and sends itself N datagrams: the
filter runs exactly N times.  The gadget's rows for it, over the
intervals, sum to N runs, name the process, the type and the map's
memory, and agree with bpftool's run_cnt; the same inside a runc
container, with the container's name."""

import json
import os
import shutil
import subprocess
import sys
import tempfile

import containers
from gh import (Tracer, check, describe, main, require_bpf, scaled, unique,
                wait_for)

N = 37
MAP_ENTRIES = 1000   # an array of __u32 -> __u64: (4 + 8 -> 16) * 1000 -> 16384 bytes
MAP_MEMORY = 16384

# Loads the filter (BPF_PROG_LOAD through the bpf system call: r1 = the
# map; r0 = -1; exit), attaches it (SO_ATTACH_BPF), says "ready PROGID"
# in DIR/ready, waits for DIR/go, sends N datagrams to its own socket,
# reads them, says "done" in DIR/done and waits for DIR/bye.
LOADER = r"""
import ctypes, os, socket, struct, sys, time
d, name, n, entries = sys.argv[1], sys.argv[2].encode(), int(sys.argv[3]), int(sys.argv[4])
libc = ctypes.CDLL(None, use_errno=True)
def bpf(cmd, attr):
    buf = ctypes.create_string_buffer(attr, 128)
    r = libc.syscall(321, cmd, buf, 128)
    if r < 0:
        raise OSError(ctypes.get_errno(), "bpf(%d)" % cmd)
    return r, buf.raw
mfd, _ = bpf(0, struct.pack("IIII", 2, 4, 8, entries))           # BPF_MAP_CREATE, array
insns = struct.pack("<BBhi", 0x18, 0x10 | 1, 0, mfd) + struct.pack("<BBhi", 0, 0, 0, 0)
insns += struct.pack("<BBhi", 0xb7, 0, 0, -1) + struct.pack("<BBhi", 0x95, 0, 0, 0)
ib = ctypes.create_string_buffer(insns, len(insns))
lic = ctypes.create_string_buffer(b"GPL")
attr = struct.pack("IIQQIIQII16s", 1, len(insns) // 8, ctypes.addressof(ib),
                   ctypes.addressof(lic), 0, 0, 0, 0, 0, name)
pfd, _ = bpf(5, attr)                                            # BPF_PROG_LOAD
info = ctypes.create_string_buffer(256)
r, _ = bpf(15, struct.pack("IIQ", pfd, 256, ctypes.addressof(info)))  # OBJ_GET_INFO_BY_FD
progid = struct.unpack_from("I", info.raw, 4)[0]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
s.setsockopt(socket.SOL_SOCKET, 50, pfd)                         # SO_ATTACH_BPF
open(os.path.join(d, "ready.tmp"), "w").write("ready %d\n" % progid)
os.rename(os.path.join(d, "ready.tmp"), os.path.join(d, "ready"))
while not os.path.exists(os.path.join(d, "go")):
    time.sleep(0.02)  # poll: the test says go
c = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(n):
    c.sendto(b"x", s.getsockname())
for i in range(n):
    s.recv(16)
open(os.path.join(d, "done"), "w").write("done\n")
while not os.path.exists(os.path.join(d, "bye")):
    time.sleep(0.05)  # poll: the test says bye
"""


def wait_file(path, what, timeout=20, context=lambda: ""):
    """the words of the file the loader writes at path, once it is there"""
    wait_for(lambda: os.path.exists(path), timeout, "%s: %s" % (what, os.path.basename(path)),
             context)
    with open(path) as f:
        return f.read().split()


def more_tables(t, n):
    """wait until the tracer has printed n more tables (one line each)"""
    have = t.stdout.count("\n")
    t.wait_for(lambda: t.stdout.count("\n") >= have + n, "%d more tables" % n)


def rows(t):
    """-o json: one array per interval, flattened"""
    out = []
    for line in t.stdout.splitlines():
        a = json.loads(line)
        check(isinstance(a, list), "not a JSON array", line[:300])
        out.extend(a)
    return out


def bpftool_runs(progid):
    tool = shutil.which("bpftool") or "/usr/sbin/bpftool"
    if not os.access(tool, os.X_OK):
        return None
    p = subprocess.run([tool, "-j", "prog", "show", "id", str(progid)],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    check(p.returncode == 0, "bpftool prog show id %d failed" % progid, p.stderr)
    return json.loads(p.stdout).get("run_cnt", 0)


def check_rows(t, name, progid, pid, comm):
    mine = [r for r in rows(t) if r["name"] == name]
    check(mine, "no row of the program %s" % name, describe(rows(t)))
    check(all(r["progid"] == progid for r in mine), "progid not %d" % progid, describe(mine))
    # the loader holds it; bpftool too for a moment (test_known_runs asks
    # it, while the gadget runs): the first holder the iterator finds (by
    # pid) is the loader
    check(all(r["pid"] == pid and r["comm"] == comm and r["processes"] in (1, 2)
              for r in mine) and any(r["processes"] == 1 for r in mine),
          "not held by %s (%d)" % (comm, pid), describe(mine))
    check(all(r["type"] == "BPF_PROG_TYPE_SOCKET_FILTER" for r in mine), "type",
          describe(mine))
    check(all(r["mapCount"] == 1 and r["mapMemory"] == MAP_MEMORY for r in mine),
          "not one map of %d bytes" % MAP_MEMORY, describe(mine))
    runs = sum(r["runCount"] for r in mine)
    check(runs == N, "%d runs over the intervals, wanted %d" % (runs, N), describe(mine))
    check(max(r["totalRunCount"] for r in mine) == N, "totalRunCount", describe(mine))
    busy = [r for r in mine if r["runCount"]]
    check(all(r["runNs"] > 0 for r in busy), "runs without run time", describe(mine))
    check(sum(r["runNs"] for r in mine) == max(r["totalRunNs"] for r in mine),
          "the intervals' run times do not add up to the total", describe(mine))
    return mine


def test_known_runs():
    """N datagrams -> N runs of the filter, in the intervals of the run;
    bpftool agrees while the statistics are on"""
    require_bpf()
    d = tempfile.mkdtemp(prefix="gh-topebpf-")
    name = unique("f")[:15]
    p = subprocess.Popen([sys.executable, "-c", LOADER, d, name, str(N), str(MAP_ENTRIES)])
    try:
        progid = int(wait_file(os.path.join(d, "ready"), "the loader")[1])
        with Tracer("top/ebpf.lua", "--interval", "0.3") as t:
            open(os.path.join(d, "go"), "w").close()
            wait_file(os.path.join(d, "done"), "the loader")
            more_tables(t, 2)  # the runs' table, then one with nothing
            tool_runs = bpftool_runs(progid)
        t.check_clean_exit()
    finally:
        open(os.path.join(d, "bye"), "w").close()
        p.wait(scaled(10))
        shutil.rmtree(d, ignore_errors=True)
    check(t.stdout.count("\n") >= 3, "wanted a block per interval", t.stdout[:300])
    check_rows(t, name, progid, p.pid, os.path.basename(sys.executable)[:15])
    if tool_runs is not None:
        check(tool_runs == N, "bpftool: run_cnt %d, wanted %d" % (tool_runs, N))
    # the gadget's own iterators are there, held by the gadget
    own = [r for r in rows(t) if r["name"] in ("find_holders", "read_programs")]
    check(own and all(r["comm"] == "gadgethost" for r in own), "the gadget's own programs",
          describe(own))


def test_pid_filter():
    """--pid: only programs that process holds"""
    require_bpf()
    d = tempfile.mkdtemp(prefix="gh-topebpf-")
    name = unique("f")[:15]
    p = subprocess.Popen([sys.executable, "-c", LOADER, d, name, str(N), str(MAP_ENTRIES)])
    try:
        wait_file(os.path.join(d, "ready"), "the loader")
        with Tracer("top/ebpf.lua", "--interval", "0.3", "--pid", str(p.pid)) as t:
            open(os.path.join(d, "go"), "w").close()
            wait_file(os.path.join(d, "done"), "the loader")
            more_tables(t, 1)
        t.check_clean_exit()
    finally:
        open(os.path.join(d, "bye"), "w").close()
        p.wait(scaled(10))
        shutil.rmtree(d, ignore_errors=True)
    got = rows(t)
    check(got and all(r["name"] == name for r in got), "rows of other programs",
          describe(got))
    check(sum(r["runCount"] for r in got) == N, "runs", describe(got))


def test_in_container():
    """the loader inside a runc container (CAP_BPF, the host's network):
    with -c, only its program, with the container's name"""
    require_bpf()
    name = unique("te")[:30]
    prog = unique("f")[:15]
    with containers.Runc() as r:
        def edit(cfg):
            caps = cfg["process"]["capabilities"]
            for k in ("bounding", "effective", "permitted"):
                caps[k] = sorted(set(caps.get(k, [])) | {"CAP_BPF", "CAP_SYS_ADMIN"})
        b = r.bundle(name, ["/usr/bin/python3", "-c", LOADER, "/tmp", prog, str(N),
                            str(MAP_ENTRIES)], host_usr=True, network="host", edit=edit,
                     hooks={"prestart": [{"path": os.environ["GH_BIN"],
                                          "args": ["gadgethost", "hook", "prestart"]}],
                            "poststop": [{"path": os.environ["GH_BIN"],
                                          "args": ["gadgethost", "hook", "poststop"]}]})
        d = os.path.join(b, "rootfs", "tmp")
        # started first: the container is known from its prestart hook
        with Tracer("top/ebpf.lua", "--interval", "0.3", "-c", name, host=False) as t:
            r.run(name, b)
            progid = int(wait_file(os.path.join(d, "ready"), "the loader in the container",
                                   context=lambda: r.output(name))[1])
            pid = r.pid(name)
            open(os.path.join(d, "go"), "w").close()
            wait_file(os.path.join(d, "done"), "the loader in the container")
            more_tables(t, 1)
        open(os.path.join(d, "bye"), "w").close()
        t.check_clean_exit()
    got = rows(t)
    check(got and all(x["name"] == prog for x in got), "rows of other programs",
          describe(got))
    mine = check_rows(t, prog, progid, pid, "python3")
    check(all(x["runtime"]["containerName"] == name for x in mine), "the container's name",
          describe(mine))


def test_bad_options():
    """an unknown --sort field, a profile's -o folded: one line, exit 1"""
    require_bpf()
    for args, want in ((["--sort", "bogus"], 'gadgethost: --sort: unknown field "bogus"'),
                       (["-o", "folded"], 'gadgethost: -o: unknown output format "folded"')):
        p = subprocess.run([os.environ["GH_BIN"], "run", "top/ebpf.lua", "--host"] + args,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                           timeout=scaled(30))
        check(p.returncode == 1 and p.stdout == "" and len(p.stderr.splitlines()) == 1 and
              p.stderr.startswith(want), "%s: one line, exit 1" % args, p)


if __name__ == "__main__":
    main([test_known_runs, test_pid_filter, test_in_container, test_bad_options])
