#!/usr/bin/env python3
"""Integration tests of trace/bind.lua: socat, nc and python3 bind TCP and
UDP sockets on 127.0.0.1 and ::1 (ports the test picked free), with
SO_REUSEADDR, SO_REUSEPORT, SO_BINDTODEVICE lo, and one bind to a port in
use; then the same from inside a runc container."""

import os
import shutil
import socket
import subprocess

from ctrace import traced_container
from gh import (Tracer, check, describe, events_received, excerpt, main, require_bpf,
                run_host, scaled, wait_for)

GADGET = "trace/bind.lua"
SO_BINDTODEVICE = 25


def free_ports(n):
    """n ports free on 127.0.0.1 and ::1 for TCP and UDP, none the same"""
    ports = []
    candidate = 20000 + (os.getpid() * 7) % 20000
    while len(ports) < n:
        candidate = 20000 + (candidate + 1) % 20000
        if all(bindable(f, t, a, candidate) for f, a in ((socket.AF_INET, "127.0.0.1"),
                                                          (socket.AF_INET6, "::1"))
               for t in (socket.SOCK_STREAM, socket.SOCK_DGRAM)):
            ports.append(candidate)
    return ports


def bindable(family, type_, addr, port):
    s = socket.socket(family, type_)
    try:
        s.bind((addr, port))
        return True
    except OSError:
        return False
    finally:
        s.close()


def need(program):
    path = shutil.which(program)
    check(path, "%s is not installed (scripts/setup.sh installs it)" % program)
    return path


def bound(proto, version, port):
    """a socket is bound to port (UDP) or listens on it (TCP): /proc/net"""
    with open("/proc/net/%s%s" % (proto, "6" if version == 6 else "")) as f:
        return any(int(l.split()[1].rsplit(":", 1)[1], 16) == port and
                   (proto == "udp" or l.split()[3] == "0A") for l in f.readlines()[1:])


def brief(*argv, binds=None):
    """run argv (a server that would wait for a peer) until it is bound
    (binds: (proto, version, port), see bound()) or has ended by itself (a
    failed bind); then end it.  Its pid"""
    p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)
    try:
        wait_for(lambda: p.poll() is not None or (binds and bound(*binds)), 10,
                 "%s bound %s or ended" % (argv[0], binds))
    finally:
        if p.poll() is None:
            p.kill()
        p.wait()
    return p.pid


def row(e):
    return (e["comm"], e["pid"], e["proto"], e["addr"], e["port"], e["opts"], e["if"], e["error"])


def host_scene(ports):
    """the binds of Debian's socat and nc (and a bind to a port in use);
    returns the rows the tracer must print, in order"""
    socat, nc = need("socat"), need("nc")
    p1, p2, p3, p4, p5 = ports
    holder = subprocess.Popen([socat, "-u", "TCP4-LISTEN:%d,bind=127.0.0.1,reuseaddr" % p1,
                               "/dev/null"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(lambda: bound("tcp", 4, p1), 5, "socat listening on 127.0.0.1:%d" % p1)
        taken = brief(socat, "-u", "TCP4-LISTEN:%d,bind=127.0.0.1" % p1, "/dev/null")
    finally:
        holder.kill()
        holder.wait()
    udp6 = brief(socat, "-u", "UDP6-RECV:%d,bind=[::1]" % p2, "/dev/null", binds=("udp", 6, p2))
    tcp6 = brief(nc, "-6", "-l", "::1", str(p3), binds=("tcp", 6, p3))
    udp4 = brief(nc, "-u", "-l", "127.0.0.1", str(p4), binds=("udp", 4, p4))
    dev = brief(socat, "-u", "TCP6-LISTEN:%d,bind=[::1],reuseport,so-bindtodevice=lo" % p5,
                "/dev/null", binds=("tcp", 6, p5))
    return [("socat", holder.pid, "TCP", "127.0.0.1", p1, ".R...", "", 0),
            ("socat", taken, "TCP", "127.0.0.1", p1, ".....", "", 98),  # EADDRINUSE
            ("socat", udp6, "UDP", "::1", p2, ".....", "", 0),
            ("nc", tcp6, "TCP", "::1", p3, "rR...", "", 0),  # OpenBSD nc sets both
            ("nc", udp4, "UDP", "127.0.0.1", p4, "rR...", "", 0),
            ("socat", dev, "TCP", "::1", p5, "r....", "lo", 0)]


def test_bind_exact():
    """every bind of the scene, exactly: protocol, address, port, options,
    interface, error (failed ones too with --ignore-errors false: a bool
    takes its value as a separate word like every other param)"""
    require_bpf()
    ports = free_ports(5)
    with Tracer(GADGET, "--ignore-errors", "false", "--ports", ",".join(map(str, ports))) as t:
        want = host_scene(ports)
    t.check_clean_exit()
    evs = t.events()
    check([row(e) for e in evs] == want, "wanted exactly the scene's binds",
          "want: %r" % want, describe(evs, 10))
    host_mntns = os.stat("/proc/self/ns/mnt").st_ino
    for e in evs:
        check(e["tid"] == e["pid"] and e["uid"] == 0 and e["gid"] == 0, "tid/uid/gid", e)
        check(e["ppid"] == os.getpid(), "ppid: the scene's processes are the test's", e)
        check(e["mountnsid"] == host_mntns, "mountnsid is not the host's", e)
        check(e["protoRaw"] == {"TCP": 6, "UDP": 17}[e["proto"]], "protoRaw", e)
    names = [(e["optsRaw"], e["optsNames"], e["ifindex"], e["ifname"]) for e in evs]
    check(names == [(8, "SO_REUSEADDR", 0, ""), (0, "", 0, ""), (0, "", 0, ""),
                    (24, "SO_REUSEADDR|SO_REUSEPORT", 0, ""),
                    (24, "SO_REUSEADDR|SO_REUSEPORT", 0, ""),
                    (16, "SO_REUSEPORT", 1, "lo")], "optsRaw, optsNames, ifindex, ifname", names)


def test_bind_port_zero_and_options():
    """python3 binds port 0 (the port the kernel chose is reported), with
    IP_FREEBIND and IP_BIND_ADDRESS_NO_PORT; default --ignore-errors drops
    the failed bind"""
    require_bpf()
    script = ("import socket,sys\n"
              "u=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\n"
              "u.setsockopt(socket.SOL_IP,15,1)\n"            # IP_FREEBIND
              "u.bind(('127.0.0.1',0)); print(u.getsockname()[1])\n"
              "t=socket.socket(socket.AF_INET6,socket.SOCK_STREAM)\n"
              "t.setsockopt(socket.SOL_IP,24,1)\n"            # IP_BIND_ADDRESS_NO_PORT
              "t.bind(('::1',0)); print(t.getsockname()[1])\n"
              "b=socket.socket()\n"
              "try: b.bind(('192.0.2.1',0))\n"                # not ours: EADDRNOTAVAIL
              "except OSError as e: print(e.errno)\n")
    with Tracer(GADGET, "--comm", "python3") as t:
        p = subprocess.Popen(["/usr/bin/python3", "-c", script], stdout=subprocess.PIPE,
                             text=True)
        stdout = p.communicate(timeout=scaled(30))[0]
    t.check_clean_exit()
    out = stdout.split()
    check(p.returncode == 0 and len(out) == 3 and out[2] == "99", "python3 workload", stdout)
    evs = [e for e in t.events() if e["pid"] == p.pid]
    got = [(e["proto"], e["addr"], e["port"], e["opts"], e["optsNames"], e["error"])
           for e in evs]
    want = [("UDP", "127.0.0.1", int(out[0]), "....F", "IP_FREEBIND", 0),
            ("TCP", "::1", 0, "..N..", "IP_BIND_ADDRESS_NO_PORT", 0)]
    check(got == want, "wanted the two successful binds (port 0 with NO_PORT stays 0)",
          "want: %r" % want, describe(evs))


def test_bind_ports_filter_in_kernel():
    """--ports P: a bind to another port never reaches userspace"""
    require_bpf()
    p1, p2 = free_ports(2)
    socat = need("socat")
    with Tracer(GADGET, "--ports", str(p1), "--comm", "socat", "--verbose") as t:
        other = brief(socat, "-u", "UDP4-RECV:%d,bind=127.0.0.1" % p2, "/dev/null",
                      binds=("udp", 4, p2))
        mine = brief(socat, "-u", "UDP4-RECV:%d,bind=127.0.0.1" % p1, "/dev/null",
                     binds=("udp", 4, p1))
    t.check_clean_exit()
    evs = t.events()
    check([(e["pid"], e["port"]) for e in evs] == [(mine, p1)],
          "wanted only the bind to port %d (not %d by pid %d)" % (p1, p2, other), describe(evs))
    check(events_received(t.stderr) == 1, "the kernel let other ports through",
          excerpt(t.stderr))


def test_bind_bad_params():
    """bad --ports / --ignore-errors values: one line, non-zero exit"""
    for args, what in ((["--ports", "http"], "--ports: \"http\" is not a list of numbers"),
                       (["--ports", "0"], "--ports: \"0\" is not a list of numbers"),
                       (["--ports", "70000"], "--ports: \"70000\" is not a list"),
                       (["--ports", ",".join(["1"] * 17)], "has more than 16 entries"),
                       (["--ignore-errors=maybe"], "--ignore-errors: \"maybe\" is not a boolean")):
        p = run_host("run", GADGET, "--host", "--timeout", "1", *args)
        lines = p.stderr.strip().splitlines()
        check(p.returncode != 0 and len(lines) == 1 and what in lines[0] and not p.stdout,
              "wanted one line with %r and a non-zero exit for %s" % (what, args),
              "rc %d" % p.returncode, "stderr: " + p.stderr, "stdout: " + p.stdout)


def test_bind_in_container():
    """python3 inside a runc container (host network) binds TCP 127.0.0.1
    with SO_REUSEADDR, UDP ::1 to lo, then the TCP port again (EADDRINUSE):
    the exact rows, with the container's fields"""
    require_bpf()
    p1, p2 = free_ports(2)
    script = ("import socket\n"
              "t=socket.socket(); t.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1)\n"
              "t.bind(('127.0.0.1',%d)); t.listen()\n"
              "u=socket.socket(socket.AF_INET6,socket.SOCK_DGRAM)\n"
              "u.setsockopt(socket.SOL_SOCKET,%d,b'lo'); u.bind(('::1',%d))\n"
              "b=socket.socket()\n"
              "try: b.bind(('127.0.0.1',%d))\n"
              "except OSError as e: print(e.errno)\n" % (p1, SO_BINDTODEVICE, p2, p1))
    run = traced_container(GADGET, None, "--ignore-errors=false", "--verbose",
                           argv=["/usr/bin/python3", "-c", script], network="host")
    t, name, pid, mntns, out = run.tracer, run.name, run.pid, run.mntns, run.output
    check(out.split() == ["98"], "the container's python3 did not get EADDRINUSE", out)
    evs = t.events()
    want = [("python3", pid, "TCP", "127.0.0.1", p1, ".R...", "", 0),
            ("python3", pid, "UDP", "::1", p2, ".....", "lo", 0),
            ("python3", pid, "TCP", "127.0.0.1", p1, ".....", "", 98)]
    check([row(e) for e in evs] == want, "wanted exactly the container's 3 binds",
          "want: %r" % want, describe(evs), "stderr: " + excerpt(t.stderr))
    for e in evs:
        check(e["mountnsid"] == mntns, "mountnsid is not the container's %d" % mntns, e)
        check(e["runtime"] == {"runtimeName": "runc", "containerId": name,
                               "containerName": name, "containerImageName": None},
              "runtime fields", e)
    check(events_received(t.stderr) == len(evs), "other processes' binds reached userspace",
          excerpt(t.stderr))


if __name__ == "__main__":
    main([test_bind_exact, test_bind_port_zero_and_options, test_bind_ports_filter_in_kernel,
          test_bind_bad_params, test_bind_in_container], bpf=False)
