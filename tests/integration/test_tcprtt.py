#!/usr/bin/env python3
"""Integration tests of profile/tcprtt.lua: two network namespaces the test
makes, A -> B delayed 20 ms (tc netem, or a delay line where the kernel
has no sch_netem: netpair.py); a client in A and an echo server in B play
ping-pong.  Every smoothed RTT the server's socket had lands in the
16-32 ms bucket, and the histogram counts exactly the segments the
server's established socket received (B's InSegs less the SYN, the
handshake's ACK and the last ACK).  The same from a client in a runc
container; and, where libbpf-tools' tcprtt can attach (fentry or kprobes:
Debian's 6.1), the same histogram as tcprtt's."""

import sys

import containers
from gh import Tracer, check, describe, excerpt, main, require_bpf, run_host, scaled, unique
from ctrace import HOOKS
from netpair import B_ADDR, NetPair, free_port

GADGET = "profile/tcprtt.lua"
DELAY_MS = 20
ROUNDS = 20
# 20 ms in microseconds: floor(log2(20000)) = 14, the bucket 16384-32767
RTT_SLOT = 14

ECHO_SERVER = """
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], int(sys.argv[2])))
s.listen(1)
c, _ = s.accept()
while True:
    data = c.recv(4096)
    if not data:
        break
    c.sendall(data)
c.close()
"""

PING_CLIENT = """
import socket, sys
c = socket.create_connection((sys.argv[1], int(sys.argv[2])))
c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
for i in range(int(sys.argv[3])):
    c.sendall(b"x" * 100)
    got = b""
    while len(got) < 100:
        got += c.recv(100 - len(got))
c.close()
"""


class EchoServer:
    """ECHO_SERVER in namespace ns on B's port: one connection, echoed"""

    def __init__(self, ns, port):
        self.ns, self.port = ns, port

    def __enter__(self):
        self.proc = self.ns.popen(sys.executable, "-c", ECHO_SERVER, B_ADDR[4], self.port)
        containers.wait_until(lambda: self.ns.listening(self.port) or
                              self.proc.poll() is not None, 20, "the echo server")
        return self

    def wait(self):
        self.proc.wait(timeout=scaled(60))

    def __exit__(self, *exc):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.communicate()
        return False


def ping_pong(ns, port):
    """ROUNDS request/replies from namespace ns to B's echo server"""
    p = ns.run(sys.executable, "-c", PING_CLIENT, B_ADDR[4], port, ROUNDS, timeout=60)
    check(p.returncode == 0, "the client failed", p.stderr)


def established_segments(before, after):
    """segments B's established socket received: InSegs less the SYN, the
    handshake's ACK and the ACK of B's FIN (the state machine's, not
    tcp_rcv_established())"""
    return after["InSegs"] - before["InSegs"] - 3


def counts(h):
    return {b["start"]: b["count"] for b in h["buckets"] if b["count"]}


def server_scene(*args, fmt="json"):
    """the ping-pong under the gadget with --lport (the server's port)"""
    port = free_port()
    with Tracer(GADGET, "--lport", str(port), *args, fmt=fmt) as t, NetPair("tt", delay_ms=DELAY_MS) as n:
        with EchoServer(n.b, port) as srv:
            before = n.b.snmp()
            ping_pong(n.a, port)
            srv.wait()
            n.wait_closed(port)
            after = n.b.snmp()
    t.check_clean_exit()
    return t, n, established_segments(before, after)


def test_delay_bucket():
    """--lport: one histogram, every RTT in 16384-32767 us, as many as the
    server's socket received segments in ESTABLISHED"""
    require_bpf()
    t, n, segs = server_scene()
    evs = t.events()
    check(len(evs) == 1, "wanted one histogram (the server's port only)", describe(evs))
    h = evs[0]
    check(h["unit"] == "usecs", "unit", h)
    check_mass(h, segs, n)


def check_mass(h, segs, n):
    """exactly segs samples; none under 16384 us (the delay is a floor under
    every RTT), most in 16384-32767 (more than 32 ms: a slow machine, such
    as the VM suite's emulated CPU, answering late)"""
    c = counts(h)
    what = "%s; %s" % (n.how, " ".join("%d:%d" % kv for kv in sorted(c.items())))
    check(sum(c.values()) == segs and segs >= ROUNDS,
          "wanted %d RTTs (segments B's socket received in ESTABLISHED)" % segs, what)
    check(min(c) >= 1 << RTT_SLOT, "RTTs under 16 ms with a 20 ms delay", what)
    check(c.get(1 << RTT_SLOT, 0) * 2 > segs, "the mass is not in 16384-32767 us", what)


def test_by_raddr_by_lport():
    """--by-raddr --by-lport: the key names the client and the port"""
    require_bpf()
    t, n, segs = server_scene("--by-raddr", "--by-lport")
    evs = t.events()
    check(len(evs) == 1, "wanted one histogram", describe(evs))
    h = evs[0]
    check((h["raddr"], h["lport"]) == ("198.51.100.1", int(t.args[1])), "raddr, lport", h)
    check_mass(h, segs, n)


def test_chart():
    """the default output: tcprtt's chart, its one bar in 16384 -> 32767"""
    require_bpf()
    t, n, segs = server_scene(fmt=None)
    t_out = t.stdout
    check("usecs" in t_out and "16384 -> 32767" in t_out, "the chart", excerpt(t_out))
    bars = {int(l.split()[0]): int(l.split(":")[1].split("|")[0]) for l in t_out.splitlines()
            if "->" in l and l.split(":")[1].split("|")[0].strip() not in ("", "0")}
    check(bars.get(16384, 0) * 2 > segs and min(bars) == 16384,
          "the longest bar in 16384 -> 32767, none below", excerpt(t_out))


def test_in_container():
    """the client in a runc container that joined A, -c NAME: one
    histogram, the container's (its socket's owner), every RTT in the
    bucket.  The container outlives the run: a profile is read at its end,
    and a stopped container's namespace id may be someone else's by then"""
    require_bpf()
    port = free_port()
    name = unique("tr")[:30]
    client = "/usr/bin/python3 -c '%s' %s %d %d" % (PING_CLIENT.replace("'", '"'), B_ADDR[4],
                                                    port, ROUNDS)
    with NetPair("tc", delay_ms=DELAY_MS) as n, EchoServer(n.b, port) as srv, \
            containers.Runc() as r:
        b = r.bundle(name, ["sh", "-c", client + "; sleep 60"], hooks=HOOKS, host_usr=True,
                     network=n.a.path)
        with Tracer(GADGET, "-c", name, "--rport", str(port), host=False) as t:
            r.run(name, b)
            srv.wait()
        t.check_clean_exit()
    evs = t.events()
    check(len(evs) == 1, "wanted the container's histogram", describe(evs),
          "stderr: " + excerpt(t.stderr))
    h = evs[0]
    check((h.get("runtime.containerName"), h.get("runtime.runtimeName")) == (name, "runc"),
          "the container's fields", h)
    c = counts(h)
    check(min(c) == 1 << RTT_SLOT and c[1 << RTT_SLOT] * 2 > sum(c.values()) >= ROUNDS,
          "the client's RTTs, most in the bucket", h)


def test_bad_param():
    """a port that is not a number: one line, non-zero exit"""
    p = run_host("run", GADGET, "--host", "--lport", "http", "--timeout", "1")
    lines = p.stderr.strip().splitlines()
    check(p.returncode != 0 and len(lines) == 1 and "http" in lines[0], "one line", p.stderr)


if __name__ == "__main__":
    main([test_bad_param, test_delay_bucket, test_by_raddr_by_lport, test_chart,
          test_in_container], bpf=False)
