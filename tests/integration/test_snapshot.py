#!/usr/bin/env python3
"""Integration tests of the snapshot gadgets: processes and sockets the
test made, found with their exact fields, on the host and in a runc
container (-c NAME); --sort and --max-rows through real runs."""

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile

import containers
from gh import (Tracer, check, describe, excerpt, main, require_bpf, run_host, scaled, unique,
                wait_for)
from tables import blocks, wait_blocks


def snapshot(gadget, *args, host=True):
    """one run: the JSON array it printed"""
    res = run_host("run", gadget, "-o", "json", *(("--host",) if host else ()), *args)
    check(res.returncode == 0, "%s exited %d" % (gadget, res.returncode),
          "stderr: " + excerpt(res.stderr))
    check(not re.search(r"AddressSanitizer|LeakSanitizer|runtime error:", res.stderr),
          "a sanitizer report", excerpt(res.stderr))
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
        p.wait(scaled(10))


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

        def sleeping():
            """the init's child, once it is the sleep (a fork is sh until its exec)"""
            with open("/proc/%d/task/%d/children" % (init, init)) as f:
                kids = [int(x) for x in f.read().split()]
            return kids if len(kids) == 1 and containers._read(
                "/proc/%d/comm" % kids[0], "").strip() == "sleep" else None
        kids = wait_for(sleeping, 10, "the container's sleep")
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


def test_process_every_interval():
    """--interval on a snapshot: a look at once, then a new one every
    interval, each its own block; a process is in the looks made while it
    lives, and only in those"""
    require_bpf()
    d = tempfile.mkdtemp(prefix="gh-snap-")
    comm = unique("iv")[:15]
    os.symlink(shutil.which("sleep"), os.path.join(d, comm))
    p = None
    try:
        with Tracer("snapshot/process.lua", "--comm", comm, "--interval", "0.2") as t:
            wait_blocks(t, lambda a: len(a) >= 1, 10, "the first look")
            p = subprocess.Popen([os.path.join(d, comm), "60"])
            wait_blocks(t, lambda a: any(b for b in a), 10, "a look with the process")
            p.kill()
            p.wait(scaled(10))
            wait_blocks(t, lambda a: a and not a[-1] and any(b for b in a), 10,
                        "a look after the process ended")
        t.check_clean_exit()
    finally:
        if p and p.poll() is None:
            p.kill()
            p.wait(scaled(10))
        shutil.rmtree(d, ignore_errors=True)
    arrays = blocks(t.stdout)
    check(arrays[0] == [], "the first look (before the process started) is not empty",
          arrays[0])
    seen = [bool(b) for b in arrays]
    first, last = seen.index(True), len(seen) - 1 - seen[::-1].index(True)
    check(all(seen[first:last + 1]), "the process is missing from a look while it lived",
          seen)
    rows = [r for b in arrays for r in b]
    check(all(r["pid"] == p.pid and r["comm"] == comm for r in rows),
          "a row that is not the process", describe(rows))
    check(all(len(b) <= 1 for b in arrays), "a look lists the process twice")


def socket_inode(pid, fd):
    link = os.readlink("/proc/%d/fd/%d" % (pid, fd))
    check(link.startswith("socket:["), "fd %d of %d is not a socket: %s" % (fd, pid, link))
    return int(link[8:-1])


def test_socket_listener_and_udp():
    require_bpf()
    lst = socket.socket()
    lst.bind(("127.0.0.1", 0))
    lst.listen(1)
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind(("127.0.0.1", 0))
    udp.connect(("127.0.0.1", 9))
    try:
        port, uport = lst.getsockname()[1], udp.getsockname()[1]
        netns = os.stat("/proc/self/ns/net").st_ino
        rows = snapshot("snapshot/socket.lua")
        ours = [r for r in rows if r["proto"] == "TCP" and r["sport"] == port]
        check(len(ours) == 1, "one row for the listener on port %d wanted" % port,
              describe(ours))
        r = ours[0]
        check(r["status"] == "LISTEN" and r["saddr"] == "127.0.0.1" and r["dport"] == 0,
              "status/address of the listener wrong", r)
        check(r["inode"] == socket_inode(os.getpid(), lst.fileno()),
              "inode %r is not the one in /proc/self/fd" % r["inode"], r)
        check(r["netns"] == netns and r["ip"] == 4, "netns/ip wrong", r)
        u = [x for x in rows if x["proto"] == "UDP" and x["sport"] == uport]
        check(len(u) == 1 and u[0]["dport"] == 9 and u[0]["status"] == "ESTABLISHED" and
              u[0]["inode"] == socket_inode(os.getpid(), udp.fileno()),
              "the connected UDP socket wrong", describe(u))
        tcp = snapshot("snapshot/socket.lua", "--proto", "tcp")
        check(tcp and all(x["proto"] == "TCP" for x in tcp) and
              any(x["sport"] == port for x in tcp), "--proto tcp wrong", describe(tcp))
        only_udp = snapshot("snapshot/socket.lua", "--proto", "udp")
        check(all(x["proto"] == "UDP" for x in only_udp) and
              any(x["sport"] == uport for x in only_udp), "--proto udp wrong",
              describe(only_udp))
        bad = run_host("run", "snapshot/socket.lua", "--host", "--proto", "sctp")
        check(bad.returncode != 0 and bad.stderr.strip() ==
              'gadgethost: --proto: "sctp" is not one of: tcp, udp, all',
              "a bad --proto is not a clear error", bad.stderr)
        top = snapshot("snapshot/socket.lua", "--sort", "-sport", "--max-rows", "2")
        check(len(top) == 2 and top[0]["sport"] >= top[1]["sport"],
              "--sort -sport --max-rows 2 wrong", describe(top))
        keys = [(x["netns"], x["proto"], x["sport"], x["dport"]) for x in rows]
        check(keys == sorted(keys), "the default order is not netns,proto,sport,dport")
    finally:
        lst.close()
        udp.close()


# listens, says so, and stays (its sleep is the workload: a live listener)
LISTENER = ("import socket, time\n"
            "s = socket.socket(); s.bind(('0.0.0.0', 7777)); s.listen(1)\n"
            "open('/tmp/listening', 'w').close(); time.sleep(60)\n")  # the workload


def test_socket_in_container():
    require_bpf()
    name = unique("snap")[:30]
    host_lst = socket.socket()
    host_lst.bind(("127.0.0.1", 0))
    host_lst.listen(1)
    with containers.Runc() as r:
        b = r.bundle(name, ["/usr/bin/python3", "-c", LISTENER], host_usr=True)
        r.run(name, b)
        pid = r.pid(name)
        flag = os.path.join(b, "rootfs", "tmp", "listening")
        wait_for(lambda: os.path.exists(flag), 20, "the listener in the container",
                 lambda: r.output(name))
        netns = os.stat("/proc/%d/ns/net" % pid).st_ino
        check(netns != os.stat("/proc/self/ns/net").st_ino, "the container shares our netns")
        rows = snapshot("snapshot/socket.lua", "-c", name, "--runc-root", r.root, host=False)
        check(len(rows) == 1, "exactly the container's listener wanted", describe(rows))
        x = rows[0]
        check(x["netns"] == netns and x["sport"] == 7777 and x["status"] == "LISTEN" and
              x["saddr"] == "0.0.0.0" and x["proto"] == "TCP", "the listener's row wrong", x)
        check(x["inode"] == socket_inode(pid, 3), "inode not the container's socket", x)
        check(x["runtime"]["containerName"] == name, "no container name", x)
        check(x["mountnsid"] == containers.mntns(pid), "not the container's mount namespace", x)
        both = snapshot("snapshot/socket.lua", "--runc-root", r.root)
        check(any(y["sport"] == 7777 and y["netns"] == netns and
                  y.get("runtime", {}).get("containerName") == name for y in both),
              "--host misses the container's listener", describe(both))
        check(any(y["sport"] == host_lst.getsockname()[1] for y in both),
              "--host misses the host's listener", describe(both))
    host_lst.close()


if __name__ == "__main__":
    main([test_process_ppid_and_threads, test_process_sort_and_max_rows,
          test_process_in_container, test_process_every_interval, test_socket_listener_and_udp,
          test_socket_in_container])
