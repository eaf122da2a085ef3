#!/usr/bin/env python3
"""Integration tests of trace/tcpdump.lua, in two network namespaces the
test makes (netpair.py): socat in A sends known lines to nc in B over TCP
while other traffic (another TCP port, UDP) passes too; the gadget, aimed
at A with --pf 'tcp port P', writes pcap-ng, and tcpdump itself, run in A
on the same interface with the same expression, is the reference:
`tcpdump -r` prints the same packets from both files, `tshark -r` finds
the known payload and the sender's comment in ours.  The same with the
client in a runc container (-c NAME); rows as JSON; bad input."""

import os
import re
import signal
import subprocess
import tempfile

from gh import Tracer, check, describe, main, require_bpf, run_host, scaled, wait_for
from ctrace import traced_container
from netpair import A_ADDR, B_ADDR, NetPair, Server, free_port, join_netns, send_lines, socat_to
import tcpwork
from tcpwork import need

GADGET = "trace/tcpdump.lua"
LINES = 6


def payload(lines=LINES):
    return b"".join(b"line %d\n" % i for i in range(lines))


class Reference:
    """tcpdump itself in namespace ns, on dev, with the same expression:
    what the gadget must have seen"""

    def __init__(self, ns, expr, dev="va"):
        self.ns, self.expr, self.dev = ns, expr, dev
        self.dir = tempfile.mkdtemp(prefix="gh-tcpdump-")
        self.path = os.path.join(self.dir, "ref.pcap")
        self.proc = None
        self.err = ""

    def __enter__(self):
        self.proc = self.ns.popen(need("tcpdump"), "-i", self.dev, "--immediate-mode", "-U", "-nn", "-w",
                                  self.path, self.expr, stdout=subprocess.DEVNULL)
        # it says "listening on va" on stderr once its socket is open
        os.set_blocking(self.proc.stderr.fileno(), False)

        def listening():
            chunk = self.proc.stderr.read()
            self.err += chunk.decode(errors="replace") if chunk else ""
            return "listening on" in self.err or self.proc.poll() is not None
        wait_for(listening, 10, "tcpdump listening on %s" % self.dev)
        check(self.proc.poll() is None, "tcpdump exited", self.err)
        return self

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
        self.proc.wait(scaled(10))
        os.set_blocking(self.proc.stderr.fileno(), True)
        self.err += self.proc.stderr.read().decode(errors="replace")

    def __exit__(self, *exc):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.proc.stderr.close()
        return False


def read_tcpdump(path):
    """tcpdump -r: one line per packet, without its time"""
    p = subprocess.run([need("tcpdump"), "-r", path, "-nn", "-t"], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True, timeout=scaled(30))
    check(p.returncode == 0, "tcpdump -r %s exited %d" % (path, p.returncode), p.stderr)
    return p.stdout.splitlines(), p.stderr


def read_tshark(path, *fields):
    """tshark -r: the fields of each packet"""
    args = [need("tshark"), "-r", path, "-T", "fields", "-E", "separator=/t"]
    for f in fields:
        args += ["-e", f]
    p = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                       timeout=scaled(60))
    check(p.returncode == 0, "tshark -r %s exited %d" % (path, p.returncode), p.stderr)
    return [line.split("\t") for line in p.stdout.splitlines()]


def write(data, name):
    d = tempfile.mkdtemp(prefix="gh-tcpdump-")
    path = os.path.join(d, name)
    with open(path, "wb") as f:
        f.write(data)
    return path


def other_traffic(n, port):
    """what --pf must leave out: another TCP connection to B, and UDP"""
    with Server(n.b, port) as srv:
        send_lines(n.a, 4, port, 2)
        srv.wait()
    n.a.run("socat", "-u", "-", "UDP4:%s:%d" % (B_ADDR[4], port), timeout=10)


def veth_exchange(n, port, fmt, other=None):
    """the gadget on A (--netns A --pf 'tcp port P') and tcpdump on A's
    veth while socat in A sends the lines to nc in B (and, with other,
    other_traffic to that port first): (tracer, reference, socat's pid)"""
    expr = "tcp port %d" % port
    with Tracer(GADGET, "--netns", n.a.path, "--pf", expr, fmt=fmt, host=False) as t, \
            Reference(n.a, expr) as ref:
        if other:
            other_traffic(n, other)
        with Server(n.b, port) as srv:
            pid, _ = send_lines(n.a, 4, port, LINES)
            srv.wait()
        n.wait_closed(port)
        ref.stop()
    t.check_clean_exit()
    return t, ref, pid


def check_same_packets(ours, ref):
    """tcpdump prints the same packets from both files (as sets of lines:
    two CPUs may hand them over in another order)"""
    mine, err = read_tcpdump(ours)
    theirs, _ = read_tcpdump(ref.path)
    check("link-type EN10MB" in err, "ours: Ethernet frames", err)
    check(len(theirs) >= 8, "tcpdump's own capture has the exchange", "\n".join(theirs))
    check(sorted(mine) == sorted(theirs), "tcpdump -r: %d packets in ours, %d in tcpdump's "
          "own capture, the same ones" % (len(mine), len(theirs)),
          "ours:\n" + "\n".join(mine), "tcpdump's:\n" + "\n".join(theirs))
    return mine


def check_payload_and_comments(ours, port, comment, dev="va"):
    """tshark: the bytes A sent to B's port, in sequence order, are the
    lines; each packet that carries them names the sender (comment: a
    regex); every packet is on va, in A's namespace"""
    rows = read_tshark(ours, "tcp.srcport", "tcp.dstport", "tcp.seq_raw", "tcp.payload",
                       "frame.comment", "frame.interface_name")
    sent = sorted((int(r[2]), bytes.fromhex(r[3].replace(":", ""))) for r in rows
                  if r[1] == str(port) and r[3])
    check(b"".join(s for _, s in sent) == payload(), "the payload sent to port %d" % port,
          repr(sent))
    for r in rows:
        check(r[5] == dev, "frame.interface_name is %s" % dev, r)
        if r[1] == str(port) and r[3]:
            check(re.fullmatch(comment, r[4]), "the comment of a packet with payload is %r"
                  % comment, r)
    return rows


def test_netns_pcapng():
    """--netns A --pf 'tcp port P' -o pcapng: exactly the packets tcpdump
    sees on A's veth, the known payload, socat's comment; the other port's
    packets and UDP are left out"""
    require_bpf()
    port = free_port()
    with NetPair("td") as n:
        t, ref, pid = veth_exchange(n, port, "pcapng", other=port + 1)
        ours = write(t._out.data(), "ours.pcapng")
        check_same_packets(ours, ref)
        check_payload_and_comments(ours, port, r"comm=socat pid=%d" % pid)
        idbs = read_tshark(ours, "frame.interface_description")
        check({tuple(r) for r in idbs} == {("netns=%d ifindex=%s" % (n.a.inode, n.a.ifindex("va")),)},
              "one interface: va of A", describe(idbs))


def test_loopback():
    """on lo each packet passes the taps twice (sent, received): one copy
    of each, as tcpdump -i lo has them, the sender's"""
    require_bpf()
    port = free_port()
    expr = "tcp port %d" % port
    with NetPair("tl") as n:
        with Tracer(GADGET, "--netns", n.a.path, "--pf", expr, fmt="pcapng", host=False) as t, \
                Reference(n.a, expr, dev="lo") as ref, \
                tcpwork.Server(4, port, ns=n.a, addr="127.0.0.1") as srv:
            p = n.a.popen("socat", "-u", "-", "TCP4:127.0.0.1:%d" % port, stdin=subprocess.PIPE)
            _, err = p.communicate(payload(), timeout=scaled(30))
            check(p.returncode == 0, "socat exited %d" % p.returncode, err)
            srv.wait()
            wait_for(lambda: not n.a.connected(port) and not n.a.listening(port), 30,
                     "the connection over")
            ref.stop()
        t.check_clean_exit()
        ours = write(t._out.data(), "ours.pcapng")
        check_same_packets(ours, ref)
        check_payload_and_comments(ours, port, r"comm=socat pid=%d" % p.pid, dev="lo")


def test_rows_json():
    """-o json: one row per packet tcpdump saw, va of A, direction, the
    summary of each, the sender on the rows with payload"""
    require_bpf()
    port = free_port()
    with NetPair("tj") as n:
        t, ref, pid = veth_exchange(n, port, "json")
        evs = t.events()
        theirs, _ = read_tcpdump(ref.path)
        check(len(evs) == len(theirs), "%d rows, tcpdump saw %d packets" % (len(evs), len(theirs)),
              describe(evs))
        cport = None
        for e in evs:
            out = e["dst"]["port"] == port
            cport = cport or (e["src"]["port"] if out else e["dst"]["port"])
            src, dst = (A_ADDR[4], B_ADDR[4]) if out else (B_ADDR[4], A_ADDR[4])
            sp, dp = (cport, port) if out else (port, cport)
            check(e["netns"] == n.a.inode and e["ifname"] == "va" and e["linktype"] == 1,
                  "A's va, Ethernet", e)
            check(e["direction"] == ("out" if out else "in"), "direction", e)
            check(e["summary"].startswith("TCP %s:%d > %s:%d " % (src, sp, dst, dp)),
                  "the summary names the segment", e)
            check(e["len"] >= 54 and e["snapLen"] == 1514, "length, snap length", e)
        data = [e for e in evs if e["dst"]["port"] == port and "PSH" in e["summary"]]
        check(data and all(e["pid"] == pid and e["comm"] == "socat" for e in data),
              "socat's segments carry socat", describe(evs))


def test_in_container():
    """socat in a runc container that joined A: -c NAME -o pcapng gets the
    packets tcpdump sees on A's veth; the comment names socat and the
    container"""
    require_bpf()
    port = free_port()
    expr = "tcp port %d" % port
    with NetPair("tc") as n, Server(n.b, port) as srv, Reference(n.a, expr) as ref:
        script = ("printf '%s' | /usr/bin/socat -u - %s && echo sent && exec sleep 60"
                  % (payload().decode().replace("\n", "\\n"), socat_to(4, port)))

        def over(t, output):
            return "sent" in output and n.closed(port)
        run = traced_container(GADGET, script, "--pf", expr, fmt="pcapng",
                               edit=join_netns(n.a.path), until=over)
        srv.wait()
        ref.stop()
    ours = write(run.tracer._out.data(), "ours.pcapng")
    check_same_packets(ours, ref)
    check_payload_and_comments(ours, port, r"comm=socat pid=\d+ containerName=%s"
                               % run.name)


def test_bad_expression():
    """a bad pcap expression: one line naming --pf and libpcap's message"""
    p = run_host("run", GADGET, "--host", "--pf", "tcp prot 80", "--timeout", "1")
    lines = p.stderr.strip().splitlines()
    check(p.returncode != 0 and len(lines) == 1 and "--pf" in lines[0] and
          "tcp prot 80" in lines[0] and "syntax error" in lines[0],
          "wanted one line naming --pf and libpcap's message", p.stderr)


def test_bad_snaplen():
    """--snaplen beyond what the gadget's scratch buffer holds: one line"""
    for value, want in (("20000", "--snaplen: 20000 is above 16384, the most it takes"),
                        ("0", "--snaplen: 0 is below 1, the least it takes")):
        p = run_host("run", GADGET, "--host", "--snaplen", value, "--timeout", "1")
        check(p.returncode != 0 and p.stderr.strip() == "gadgethost: " + want,
              "wanted one line: " + want, p.stderr)


def test_not_packets():
    """-o pcapng and --pf on a gadget whose rows are not packets: one line"""
    for args, what in ((["-o", "pcapng"], "-o pcapng"), (["--pf", "tcp"], "--pf")):
        p = run_host("run", "trace/open.lua", "--host", "--timeout", "1", *args)
        lines = p.stderr.strip().splitlines()
        check(p.returncode != 0 and len(lines) == 1 and lines[0].startswith(
            "gadgethost: " + what + ": the rows of") and "not packets" in lines[0],
            "wanted one line for %s" % what, p.stderr)


if __name__ == "__main__":
    main([test_bad_expression, test_bad_snaplen, test_not_packets, test_netns_pcapng, test_loopback, test_rows_json,
          test_in_container], bpf=False)
