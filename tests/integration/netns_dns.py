"""netns_dns.py - a network namespace the test owns, and a dnsmasq in it
with known records, for the packet gadgets' tests (trace/dns, trace/sni)."""

import math
import os
import subprocess
import tempfile

from gh import scaled, unique, wait_for

MANY = 100  # A records of many.test: more than a 512-byte UDP answer or the 1 KiB capture holds
# dig's wait for an answer that comes (a limit, scaled)
DIG_TIMEOUT = "+timeout=%d" % math.ceil(scaled(1))


def serving(server, cond, what):
    """the end of a server's __enter__: wait until cond() (its server
    answers), or stop it and raise"""
    try:
        wait_for(cond, 10, what)
    except BaseException:
        server.__exit__()
        raise
    return server


class Netns:
    """ip netns add NAME with lo up; deleted on exit"""

    def __init__(self, tag):
        self.name = unique(tag)[:24]
        self.path = "/run/netns/" + self.name

    def __enter__(self):
        subprocess.run(["ip", "netns", "add", self.name], check=True)
        subprocess.run(["ip", "-n", self.name, "link", "set", "lo", "up"], check=True)
        return self

    def __exit__(self, *exc):
        subprocess.run(["ip", "netns", "delete", self.name], check=False)
        return False

    def cmd(self, *args):
        return ["ip", "netns", "exec", self.name] + [str(a) for a in args]

    def popen(self, *args, **kw):
        return subprocess.Popen(self.cmd(*args), stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, **kw)

    def run(self, *args, timeout=20):
        """run a command in the namespace: (pid, rc, stdout); timeout: scaled()"""
        p = self.popen(*args)
        out, _ = p.communicate(timeout=scaled(timeout))
        return p.pid, p.returncode, out.decode()


class Dnsmasq:
    """dnsmasq on 127.0.0.1:53 in a netns (or on listen, an address of the
    namespace):
        a.test A 10.1.2.3, six.test AAAA fd00::6,
        alias.test CNAME mid.test CNAME a.test, many.test MANY A records,
        anything else under .test: NXDOMAIN"""

    def __init__(self, ns, listen="127.0.0.1"):
        self.ns = ns
        self.listen = listen
        self.proc = None
        self.dir = None

    def __enter__(self):
        self.dir = tempfile.mkdtemp(prefix="gh-dns-")
        hosts = os.path.join(self.dir, "hosts")
        with open(hosts, "w") as f:
            f.write("10.1.2.3 a.test\n")
            for i in range(1, MANY + 1):
                f.write("10.9.%d.%d many.test\n" % (i // 256, i % 256))
        self.proc = self.ns.popen(
            "dnsmasq", "--no-daemon", "--conf-file=/dev/null", "--port", "53",
            "--listen-address", self.listen, "--bind-interfaces", "--no-resolv", "--no-hosts",
            "--addn-hosts=" + hosts, "--local=/test/", "--host-record=six.test,fd00::6",
            "--cname=alias.test,mid.test", "--cname=mid.test,a.test", "--log-facility=-",
            "--cache-size=0", "--user=root")
        def answers():
            _, rc, out = self.ns.run("dig", "+short", "+tries=1", DIG_TIMEOUT, "@" + self.listen,
                                     "a.test")
            return rc == 0 and out.strip() == "10.1.2.3"
        return serving(self, answers, "dnsmasq answering a.test")

    def __exit__(self, *exc):
        if self.proc:
            self.proc.terminate()
            self.proc.wait(scaled(10))
        if self.dir:
            for f in os.listdir(self.dir):
                os.unlink(os.path.join(self.dir, f))
            os.rmdir(self.dir)
        return False
