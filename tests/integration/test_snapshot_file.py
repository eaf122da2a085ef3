#!/usr/bin/env python3
"""Integration tests of snapshot/file.lua: a process of the test opens
known files, sockets, a pipe and anonymous inodes; every one of its
descriptors is a row that says what /proc/PID/fd and /proc/PID/fdinfo
say (path, flags, position, inode, mount), on the host and in a runc
container; the type by name; a bad -F value."""

import json
import os
import re
import stat
import subprocess
import sys
import tempfile

import containers
from gh import (check, describe, excerpt, main, require_bpf, run_host, scaled, unique,
                wait_for)

GADGET = "snapshot/file.lua"

# Opens one of each kind, prints "ready FD=WHAT ..." and waits for stdin
# to close (argv[2] "pause": until killed).  argv[1]: a directory to make
# files in.
OPENER = r"""
import os, select, signal, socket, sys
d = sys.argv[1]
fds = {}
fds["data"] = os.open(os.path.join(d, "data"), os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o640)
os.write(fds["data"], b"x" * 1000)
os.lseek(fds["data"], 123, os.SEEK_SET)
fds["dir"] = os.open(d, os.O_RDONLY | os.O_DIRECTORY)
fds["gone"] = os.open(os.path.join(d, "gone"), os.O_WRONLY | os.O_CREAT | os.O_CLOEXEC, 0o600)
os.unlink(os.path.join(d, "gone"))
fds["opath"] = os.open(d, os.O_PATH)
fds["null"] = os.open("/dev/null", os.O_WRONLY | os.O_NONBLOCK)
os.set_inheritable(fds["null"], True)  # the one without O_CLOEXEC
r, w = os.pipe()
fds["pipe_r"], fds["pipe_w"] = r, w
lst = socket.socket(); lst.bind(("127.0.0.1", 0)); lst.listen(1)
udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
a, b = socket.socketpair()
fds["tcp"], fds["udp"], fds["unix_a"], fds["unix_b"] = lst.fileno(), udp.fileno(), a.fileno(), b.fileno()
fds["eventfd"] = os.eventfd(0)
ep = select.epoll()
fds["epoll"] = ep.fileno()
sys.stdout.write("ready " + " ".join("%d=%s" % (v, k) for k, v in fds.items()) + "\n")
sys.stdout.flush()
signal.pause() if sys.argv[2:] == ["pause"] else sys.stdin.read()
"""

TYPES = {stat.S_IFREG: "REG", stat.S_IFDIR: "DIR", stat.S_IFCHR: "CHR", stat.S_IFBLK: "BLK",
         stat.S_IFIFO: "FIFO", stat.S_IFSOCK: "SOCK", stat.S_IFLNK: "LNK", 0: "ANON"}


def snapshot(*args, host=True):
    res = run_host("run", GADGET, "-o", "json", *(("--host",) if host else ()), *args)
    check(res.returncode == 0, "%s exited %d" % (GADGET, res.returncode),
          "stderr: " + excerpt(res.stderr))
    check(not re.search(r"AddressSanitizer|LeakSanitizer|runtime error:", res.stderr),
          "a sanitizer report", excerpt(res.stderr))
    return json.loads(res.stdout)


def proc_view(pid):
    """{fd: {path, flagsRaw, pos, ino, mntId, type}} as /proc says"""
    out = {}
    for name in os.listdir("/proc/%d/fd" % pid):
        fd = int(name)
        info = dict(line.split(":\t", 1) for line in
                    open("/proc/%d/fdinfo/%d" % (pid, fd)).read().splitlines()[:4])
        st = os.stat("/proc/%d/fd/%d" % (pid, fd))
        out[fd] = {"path": os.readlink("/proc/%d/fd/%d" % (pid, fd)),
                   "flagsRaw": int(info["flags"], 8), "pos": int(info["pos"]),
                   "mntId": int(info["mnt_id"]), "ino": int(info["ino"]),
                   "type": TYPES[stat.S_IFMT(st.st_mode)]}
    return out


def check_against_proc(rows, pid):
    """the rows of pid are its descriptors, each as /proc says"""
    view = proc_view(pid)
    mine = {r["fd"]: r for r in rows if r["pid"] == pid}
    check(sorted(mine) == sorted(view), "fds %r, /proc/%d/fd has %r"
          % (sorted(mine), pid, sorted(view)), describe(rows))
    for fd, want in view.items():
        got = {k: mine[fd][k] for k in want}
        check(got == want, "fd %d of %d is not as /proc says" % (fd, pid),
              "got:  %r" % got, "/proc: %r" % want)
    return mine


class Opener:
    def __init__(self, d, python=sys.executable):
        self.p = subprocess.Popen([python, "-c", OPENER, d], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, text=True)
        line = self.p.stdout.readline().split()
        check(line[:1] == ["ready"], "the opener did not start")
        self.fds = {v: int(k) for k, v in (x.split("=") for x in line[1:])}

    def close(self):
        self.p.stdin.close()
        self.p.wait(scaled(10))


def check_kinds(mine, fds, d, pid):
    """what each kind of descriptor looks like, by name (Python opens
    everything O_CLOEXEC, PEP 446, but the one it was told not to)"""
    def row(name):
        return mine[fds[name]]

    def inode(name):
        return os.stat("/proc/%d/fd/%d" % (pid, fds[name])).st_ino

    expect = {
        "data": ("REG", d + "/data", "O_RDWR|O_APPEND|O_CLOEXEC"),
        "dir": ("DIR", d, "O_RDONLY|O_DIRECTORY|O_CLOEXEC"),
        "gone": ("REG", d + "/gone (deleted)", "O_WRONLY|O_CLOEXEC"),
        "opath": ("DIR", d, "O_RDONLY|O_PATH|O_CLOEXEC"),
        "null": ("CHR", "/dev/null", "O_WRONLY|O_NONBLOCK"),
        "pipe_r": ("FIFO", "pipe:[%d]" % inode("pipe_r"), "O_RDONLY|O_CLOEXEC"),
        "pipe_w": ("FIFO", "pipe:[%d]" % inode("pipe_r"), "O_WRONLY|O_CLOEXEC"),
        "tcp": ("SOCK", "socket:[%d]" % inode("tcp"), "O_RDWR|O_CLOEXEC"),
        "udp": ("SOCK", "socket:[%d]" % inode("udp"), "O_RDWR|O_CLOEXEC"),
        "unix_a": ("SOCK", "socket:[%d]" % inode("unix_a"), "O_RDWR|O_CLOEXEC"),
        "unix_b": ("SOCK", "socket:[%d]" % inode("unix_b"), "O_RDWR|O_CLOEXEC"),
        "eventfd": ("ANON", "anon_inode:[eventfd]", "O_RDWR|O_CLOEXEC"),
        "epoll": ("ANON", "anon_inode:[eventpoll]", "O_RDWR|O_CLOEXEC"),
    }
    for name, (typ, path, flags) in expect.items():
        r = row(name)
        # O_LARGEFILE: the kernel adds it to a 64-bit process's opens
        got = (r["type"], r["path"], set(r["flags"].split("|")) - {"O_LARGEFILE"})
        want = (typ, path, set(flags.split("|")))
        check(got == want, "%s (fd %d): %r, wanted %r" % (name, fds[name], got, want), r)
    check(row("data")["pos"] == 123, "the data file's position is not 123", row("data"))


def test_files_as_proc_says():
    """every descriptor of the opener, as /proc/PID/fd and fdinfo say"""
    require_bpf()
    d = tempfile.mkdtemp(prefix="gh-sfile-")
    o = Opener(d)
    try:
        rows = snapshot("--pid", str(o.p.pid))
        check(rows and all(r["pid"] == o.p.pid for r in rows), "--pid: rows of another pid",
              describe(rows))
        mine = check_against_proc(rows, o.p.pid)
        check_kinds(mine, o.fds, d, o.p.pid)
        comm = os.path.basename(sys.executable)[:15]
        check(all(r["comm"] == comm and r["tid"] == o.p.pid and r["uid"] == 0 and
                  r["mountnsid"] == os.stat("/proc/self/ns/mnt").st_ino for r in rows),
              "comm/tid/uid/mountnsid wrong", describe(rows))
        everything = snapshot()
        check(sum(1 for r in everything if r["pid"] == o.p.pid) == len(mine),
              "--host without --pid: not the same rows of the opener", describe(everything))
        keys = [(r["pid"], r["fd"]) for r in everything]
        check(keys == sorted(keys) and len(set(keys)) == len(keys),
              "the default order is not pid, fd, or a descriptor twice")
        socks = snapshot("--pid", str(o.p.pid), "-F", "type==SOCK")
        check(sorted(r["fd"] for r in socks) ==
              sorted(o.fds[k] for k in ("tcp", "udp", "unix_a", "unix_b")),
              "-F type==SOCK: not the four sockets", describe(socks))
    finally:
        o.close()
        for f in ("data",):
            os.unlink(os.path.join(d, f))
        os.rmdir(d)


def test_in_container():
    """a runc container's process (-c NAME): its descriptors as the host's
    /proc says, the container's name, no other process's rows"""
    require_bpf()
    name = unique("sf")[:30]
    with containers.Runc() as r:
        b = r.bundle(name, ["sh", "-c", 'mkdir -p /tmp/o && exec /usr/bin/python3 -c "$0" '
                            "/tmp/o pause", OPENER], host_usr=True)
        r.run(name, b)
        pid = r.pid(name)
        wait_for(lambda: "ready" in r.output(name, b), 20, "the container's opener ready",
                 lambda: r.output(name, b))
        line = [x for x in r.output(name, b).splitlines() if x.startswith("ready")]
        check(line, "the container's opener did not start", r.output(name, b))
        fds = {v: int(k) for k, v in (x.split("=") for x in line[0].split()[1:])}
        rows = snapshot("-c", name, "--runc-root", r.root, host=False)
        check(rows and all(x["pid"] == pid for x in rows),
              "rows of another process than the container's", describe(rows))
        mine = check_against_proc(rows, pid)
        check_kinds(mine, fds, "/tmp/o", pid)
        mntns = containers.mntns(pid)
        for x in rows:
            check(x["runtime"]["containerName"] == name and x["mountnsid"] == mntns,
                  "not the container's name or mount namespace", x)


def test_bad_type():
    """a type that is not one: one line listing the types, exit 1"""
    require_bpf()
    res = run_host("run", GADGET, "--host", "-F", "type==SOKC")
    check(res.returncode == 1, "exit status %d, wanted 1" % res.returncode, res.stderr)
    lines = res.stderr.strip().splitlines()
    check(len(lines) == 1 and "SOKC" in lines[0] and "SOCK" in lines[0],
          "not one line naming the value and the types", res.stderr)
    check(res.stdout == "", "rows printed on bad input", res.stdout[:300])


if __name__ == "__main__":
    main([test_files_as_proc_says, test_in_container, test_bad_type])
