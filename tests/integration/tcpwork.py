"""tcpwork.py - TCP workloads for the trace/tcp and trace/tcpconnect tests:
Debian's nc (server) and socat (client) on 127.0.0.1 and ::1, on ports
picked free by the test, and the same client inside a runc container.

    port = free_port(6)
    with Server(6, port) as srv:          # nc -d -l ::1 PORT, listening
        c = client(6, port)                # socat to [::1]:PORT, run to its end
        srv.wait()                         # nc exits once the peer closed
    refused = client(4, free_port(4), expect_rc=1)

Standard library only.
"""

import os
import shutil
import socket
import subprocess

import gh
from ctrace import traced_container

LOOPBACK = {4: "127.0.0.1", 6: "::1"}
TCP_LISTEN = "0A"  # /proc/net/tcp's st of a listening socket
ECONNREFUSED = 111
SOURCE_DIR = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def need(binary):
    path = shutil.which(binary)
    if not path:
        raise gh.Skip("%s is not installed (scripts/setup.sh installs it)" % binary)
    return path


def free_port(version):
    """a port nothing listens on or is bound to on the loopback address"""
    family = socket.AF_INET6 if version == 6 else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.bind((LOOPBACK[version], 0))
        return s.getsockname()[1]


def two_free_ports(version):
    """(port, another port): one to listen on and one to be refused on"""
    port, other = free_port(version), free_port(version)
    while other == port:
        other = free_port(version)
    return port, other


def listening(version, port):
    """true once a socket listens on port (/proc/net/tcp or tcp6)"""
    path = "/proc/net/tcp6" if version == 6 else "/proc/net/tcp"
    with open(path) as f:
        for line in f.readlines()[1:]:
            cols = line.split()
            if int(cols[1].rsplit(":", 1)[1], 16) == port and cols[3] == TCP_LISTEN:
                return True
    return False


def host_netns():
    return os.stat("/proc/self/ns/net").st_ino


def host_mntns():
    return os.stat("/proc/self/ns/mnt").st_ino


class Server:
    """nc -d -l ADDR PORT: accepts one connection, reads it to its end, exits.
    ns (a netpair.Netns) runs it in that namespace, on addr there"""

    def __init__(self, version, port, ns=None, addr=None):
        self.version, self.port = version, port
        self.ns, self.addr = ns, addr or LOOPBACK[version]
        self.proc = None

    def _listening(self):
        return self.ns.listening(self.port) if self.ns else listening(self.version, self.port)

    def __enter__(self):
        nc = need("nc")
        argv = [nc, "-d", "-%d" % self.version, "-l", self.addr, str(self.port)]
        self.proc = subprocess.Popen(self.ns.cmd(*argv) if self.ns else argv,
                                     stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        gh.wait_for(lambda: self._listening() or self.proc.poll() is not None, 10,
                    "nc listening on %d" % self.port)
        if self.proc.poll() is not None:
            raise gh.Failure("nc -l exited %d at once" % self.proc.returncode,
                             self.proc.stderr.read().decode(errors="replace"))
        return self

    @property
    def pid(self):
        return self.proc.pid

    def wait(self, timeout=10):
        """wait for nc to end (after the client closed), gh.scaled(timeout)"""
        try:
            rc = self.proc.wait(gh.scaled(timeout))
        except subprocess.TimeoutExpired:
            raise gh.Failure("nc -l still running %g s after the client ended"
                             % gh.scaled(timeout))
        if rc != 0:
            raise gh.Failure("nc -l exited %d" % rc, self.proc.stderr.read().decode(errors="replace"))

    def __exit__(self, *exc):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.proc.stderr.close()
        return False


def socat_target(version, port):
    return "TCP%d:%s:%d" % (version, "[::1]" if version == 6 else "127.0.0.1", port)


class Client:
    """socat -u - TCP4:127.0.0.1:PORT (or TCP6:[::1]:PORT), fed one line, run to its end"""

    def __init__(self, version, port, expect_rc=0):
        socat = need("socat")
        p = subprocess.Popen([socat, "-u", "-", socat_target(version, port)],
                             stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE)
        self.pid = p.pid
        _, err = p.communicate(b"hello\n", timeout=gh.scaled(30))
        self.stderr = err.decode(errors="replace")
        gh.check(p.returncode == expect_rc, "socat to port %d exited %d, wanted %d"
                 % (port, p.returncode, expect_rc), self.stderr)


def client(version, port, expect_rc=0):
    return Client(version, port, expect_rc)


class Scene:
    """one connection (socat -> nc, carried to its end) and one refused
    connect; run() it under a tracer"""

    def __init__(self, version):
        self.version = version
        self.port, self.refused_port = two_free_ports(version)

    def run(self):
        with Server(self.version, self.port) as srv:
            self.server_pid = srv.pid
            self.client_pid = client(self.version, self.port).pid
            srv.wait()
        self.refused_pid = client(self.version, self.refused_port, expect_rc=1).pid

    def events(self, evs):
        return mine(evs, self.port, self.refused_port)


def mine(evs, *ports):
    """the events with one of ports at either end"""
    return [e for e in evs if e.get("sport") in ports or e.get("dport") in ports]


def check_process(e, pid, comm, what):
    """pid, tid, ppid, comm, uid and gid of a single-threaded root process
    the test started"""
    got = (e.get("pid"), e.get("tid"), e.get("ppid"), e.get("comm"), e.get("uid"), e.get("gid"))
    want = (pid, pid, os.getpid(), comm, 0, 0)
    gh.check(got == want, "%s: (pid, tid, ppid, comm, uid, gid) is %r, wanted %r"
             % (what, got, want), e)


def check_tuple(e, version, sport, dport, what):
    """ipversion, both addresses (loopback, as text) and ports"""
    addr = LOOPBACK[version]
    got = (e.get("ipversion"), e.get("saddr"), e.get("sport"), e.get("daddr"), e.get("dport"))
    want = (version, addr, sport, addr, dport)
    gh.check(got == want, "%s: (ipversion, saddr, sport, daddr, dport) is %r, wanted %r"
             % (what, got, want), e)


def check_host_namespaces(e, what):
    gh.check(e.get("netns") == host_netns() and e.get("mountnsid") == host_mntns(),
             "%s: netns/mountnsid are not the host's (%d, %d)" % (what, host_netns(), host_mntns()),
             e)


def connects_in_container(gadget, tag, *args):
    """a runc container (host network) whose shell's child connects to an
    nc server on the host, then whose init (exec) connects to a port
    nobody listens on; traced with -c.  Returns (events on those two
    ports, tracer, container name, init pid, container mntns, port,
    refused port)"""
    port, refused_port = two_free_ports(4)
    name = gh.unique(tag)[:30]
    script = ("/usr/bin/socat -u /dev/null %s; exec /usr/bin/socat -u /dev/null %s"
              % (socat_target(4, port), socat_target(4, refused_port)))
    with Server(4, port) as srv:
        # in the host's network namespace, with the host's /usr (Debian's socat)
        run = traced_container(gadget, script, "--verbose", *args, name=name, network="host")
        srv.wait()
    return (mine(run.events, port, refused_port), run.tracer, name, run.pid, run.mntns, port,
            refused_port)


def check_container(e, name, mntns):
    gh.check(e.get("mountnsid") == mntns, "mountnsid is not the container's %d" % mntns, e)
    gh.check(e.get("runtime", {}).get("containerName") == name,
             "runtime.containerName is not %s" % name, e)
