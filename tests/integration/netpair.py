"""netpair.py - two network namespaces the test owns, joined by a veth pair,
for the TCP gadgets' tests (trace/tcpretrans, trace/tcpdrop, profile/tcprtt).

    with NetPair("rt") as n:             # client side n.a, server side n.b
        n.b.iptables("-I", "INPUT", ...)  # a drop rule in one namespace
        srv = n.b.popen("nc", "-l", ...)  # commands in either namespace
        n.snmp(n.a)["RetransSegs"]        # the namespace's TCP counters

    NetPair("rtt", delay_ms=20)           # A -> B delayed 20 ms

Addresses: A 198.51.100.1 and fd42:5::1, B 198.51.100.2 and fd42:5::2
(documentation and unique-local ranges, inside the test's namespaces only).
The delay is tc netem's where the kernel has sch_netem; without it (this
project's CI kernel) a delay line in a third namespace between the two
forwards A's frames 20 ms late (delay_line.py, AF_PACKET).

Standard library only.
"""

import os
import subprocess
import sys
import time

import containers
import gh
import tcpwork

A_ADDR = {4: "198.51.100.1", 6: "fd42:5::1"}
B_ADDR = {4: "198.51.100.2", 6: "fd42:5::2"}
HERE = os.path.dirname(os.path.abspath(__file__))


def run(cmd, check=True, timeout=30):
    p = subprocess.run([str(c) for c in cmd], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True, timeout=gh.scaled(timeout))
    if check and p.returncode:
        raise gh.Failure("%s exited %d" % (" ".join(map(str, cmd)), p.returncode), p.stderr)
    return p


class Netns:
    """ip netns add NAME; lo up; deleted with every process still in it"""

    def __init__(self, tag):
        self.name = gh.unique(tag)[:20]
        self.path = "/run/netns/" + self.name
        run(["ip", "netns", "add", self.name])
        self.ip("link", "set", "lo", "up")
        self.inode = os.stat(self.path).st_ino

    def cmd(self, *args):
        return ["ip", "netns", "exec", self.name] + [str(a) for a in args]

    def ip(self, *args, check=True):
        return run(["ip", "-n", self.name] + list(args), check=check)

    def run(self, *args, check=True, timeout=30):
        return run(self.cmd(*args), check=check, timeout=timeout)

    def popen(self, *args, **kw):
        kw.setdefault("stdout", subprocess.PIPE)
        kw.setdefault("stderr", subprocess.PIPE)
        return subprocess.Popen(self.cmd(*args), **kw)

    def iptables(self, *args, version=4):
        return self.run("iptables" if version == 4 else "ip6tables", "-w", *args)

    def rule_packets(self, chain, version=4):
        """the packet count of the first rule of chain (iptables -L -v -x)"""
        out = self.iptables("-L", chain, "-v", "-x", "-n", version=version).stdout
        rows = [l.split() for l in out.splitlines()[2:] if l.strip()]
        gh.check(rows, "no rule in %s" % chain, out)
        return int(rows[0][0])

    def snmp(self):
        """/proc/net/snmp's and netstat's Tcp/TcpExt counters of this namespace"""
        counters = {}
        for path in ("/proc/net/snmp", "/proc/net/netstat"):
            lines = self.run("cat", path).stdout.splitlines()
            for names, values in zip(lines[::2], lines[1::2]):
                if names.startswith("Tcp:") or names.startswith("TcpExt:"):
                    for k, v in zip(names.split()[1:], values.split()[1:]):
                        counters[k] = int(v)
        return counters

    def _tcp_sockets(self):
        """(local port, remote port, st) of each TCP socket here"""
        out = self.run("cat", "/proc/net/tcp", "/proc/net/tcp6").stdout
        for line in out.splitlines():
            cols = line.split()
            if len(cols) > 3 and cols[0].endswith(":") and cols[0] != "sl":
                yield (int(cols[1].rsplit(":", 1)[1], 16), int(cols[2].rsplit(":", 1)[1], 16),
                       cols[3])

    def ifindex(self, dev):
        """the interface index of dev here"""
        return int(self.run("cat", "/sys/class/net/%s/ifindex" % dev).stdout)

    def listening(self, port):
        """true once a TCP socket listens on port here"""
        return any(l == port and st == "0A" for l, _, st in self._tcp_sockets())

    def connected(self, port):
        """true once a socket here is ESTABLISHED with remote port"""
        return any(r == port and st == "01" for _, r, st in self._tcp_sockets())

    def delete(self):
        for pid in self.run("ip", "netns", "pids", self.name, check=False).stdout.split():
            try:
                os.kill(int(pid), 9)
            except (OSError, ValueError):
                pass
        run(["ip", "netns", "delete", self.name], check=False)


def netem_works():
    """whether tc can add a netem qdisc (sch_netem built in or loadable)"""
    ns = Netns("nq")
    try:
        ns.ip("link", "add", "d0", "type", "veth", "peer", "name", "d1")
        p = ns.run("tc", "qdisc", "add", "dev", "d0", "root", "netem", "delay", "1ms",
                   check=False)
        return p.returncode == 0
    finally:
        ns.delete()


class NetPair:
    """network namespaces a (client) and b (server), a veth between them
    (through a delay line when delay_ms and no netem); IPv6 without
    duplicate address detection, so both addresses work at once"""

    def __init__(self, tag, delay_ms=0):
        self.tag = tag
        self.delay_ms = delay_ms
        self.a = self.b = self.mid = None
        self.relay = None
        self.how = None

    def __enter__(self):
        try:
            self._make()
        except BaseException:
            self.__exit__()
            raise
        return self

    def _make(self):
        use_netem = self.delay_ms and netem_works()
        self.a, self.b = Netns(self.tag + "a"), Netns(self.tag + "b")
        if self.delay_ms and not use_netem:
            self._wire_through_delay_line()
        else:
            self.a.ip("link", "add", "va", "type", "veth", "peer", "name", "vb",
                      "netns", self.b.name)
            if self.delay_ms:
                self.a.run("tc", "qdisc", "add", "dev", "va", "root", "netem", "delay",
                           "%dms" % self.delay_ms)
                self.how = "netem"
        for ns, dev, addr in ((self.a, "va", A_ADDR), (self.b, "vb", B_ADDR)):
            ns.run("sysctl", "-q", "-w", "net.ipv6.conf.%s.accept_dad=0" % dev)
            ns.ip("addr", "add", addr[4] + "/24", "dev", dev)
            ns.ip("addr", "add", addr[6] + "/64", "dev", dev, "nodad")
            ns.ip("link", "set", dev, "up")
        containers.wait_until(self._reachable, 10, "the veth pair to carry a ping")

    def closed(self, port):
        """whether the connections to B's port are over on both sides (A's
        end in TIME_WAIT or gone, B's gone)"""
        return not any(l == port for l, _, _ in self.b._tcp_sockets()) and \
            not any(r == port and st != "06" for _, r, st in self.a._tcp_sockets())

    def wait_closed(self, port):
        """until the connections to B's port are over on both sides: no
        segment of theirs is sent any more, so counters read then are final"""
        containers.wait_until(lambda: self.closed(port), 30,
                              "the connections to port %d to end" % port)

    def _wire_through_delay_line(self):
        """a <-> va | m1 (mid) delay_line m2 | vb <-> b"""
        self.mid = Netns(self.tag + "m")
        self.a.ip("link", "add", "va", "type", "veth", "peer", "name", "m1",
                  "netns", self.mid.name)
        self.b.ip("link", "add", "vb", "type", "veth", "peer", "name", "m2",
                  "netns", self.mid.name)
        for dev in ("m1", "m2"):
            self.mid.ip("link", "set", dev, "up")
        self.relay = self.mid.popen(sys.executable, os.path.join(HERE, "delay_line.py"), "m1",
                                    "m2", str(self.delay_ms), stdout=subprocess.DEVNULL)
        self.how = "delay line"

    def _reachable(self):
        """a connect from A to a closed port of B is refused: B answered"""
        probe = ("import socket, sys\ns = socket.socket()\ns.settimeout(1)\n"
                 "try:\n    s.connect((%r, 9))\nexcept ConnectionRefusedError:\n"
                 "    sys.exit(0)\nexcept OSError:\n    sys.exit(1)\n" % B_ADDR[4])
        return self.a.run(sys.executable, "-c", probe, check=False).returncode == 0

    def __exit__(self, *exc):
        if self.relay and self.relay.poll() is None:
            self.relay.kill()
            self.relay.wait()
        if self.relay:
            self.relay.stderr.close()
        for ns in (self.a, self.b, self.mid):
            if ns:
                ns.delete()
        return False


def Server(ns, port, version=4):
    """nc -l on B's address in namespace ns (tcpwork.Server): accepts one
    connection, reads it to its end, exits"""
    return tcpwork.Server(version, port, ns=ns, addr=B_ADDR[version])


def join_netns(path):
    """an edit of a runc container's config (containers.Runc.bundle) that
    joins the network namespace at path"""
    def edit(cfg):
        nss = cfg["linux"]["namespaces"]
        nss[:] = [ns for ns in nss if ns["type"] != "network"]
        nss.append({"type": "network", "path": path})
    return edit


def socat_to(version, port):
    """socat's address of B's port; nodelay: each write its own segment"""
    host = "[%s]" % B_ADDR[6] if version == 6 else B_ADDR[4]
    return "TCP%d:%s:%d,nodelay" % (version, host, port)


def send_lines(ns, version, port, lines, gap=0.0, expect_rc=0):
    """socat in ns: connect to B's port; once connected, write lines (one
    write each, gap seconds apart), then end; returns (pid, stderr)"""
    p = ns.popen("socat", "-u", "-", socat_to(version, port), stdin=subprocess.PIPE)
    containers.wait_until(lambda: ns.connected(port) or p.poll() is not None, 20,
                          "socat connected to port %d" % port)
    try:
        for i in range(lines if p.poll() is None else 0):
            p.stdin.write(b"line %d\n" % i)
            p.stdin.flush()
            time.sleep(gap)  # the workload's pace
    except BrokenPipeError:
        pass  # refused, or gone
    _, err = p.communicate(timeout=gh.scaled(60))
    gh.check(p.returncode == expect_rc, "socat to port %d exited %d, wanted %d"
             % (port, p.returncode, expect_rc), err.decode(errors="replace"))
    return p.pid, err.decode(errors="replace")


def free_port():
    """a port for a test's server; the namespaces are the test's own, so
    any port is free there: one that differs between runs"""
    return 20000 + (os.getpid() * 7 + int(time.time() * 1000)) % 20000
