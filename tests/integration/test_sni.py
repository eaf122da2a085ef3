#!/usr/bin/env python3
"""trace/sni.lua: openssl s_client -servername NAME against openssl
s_server (a self-signed certificate the test makes) in a network
namespace the test creates: the SNI row of each end, with its process;
and s_client in a runc container."""

import os
import shutil
import subprocess
import tempfile

from ctrace import traced_container
from gh import Tracer, check, describe, excerpt, main, require_bpf, scaled
from netns_dns import Netns, serving

PORT = 4433


class TlsServer:
    """openssl s_server on 127.0.0.1:PORT in ns, a fresh self-signed cert"""

    def __init__(self, ns):
        self.ns = ns
        self.dir = tempfile.mkdtemp(prefix="gh-tls-")
        self.proc = None

    def __enter__(self):
        cert, key = os.path.join(self.dir, "c.pem"), os.path.join(self.dir, "k.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                        "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key, "-out", cert,
                        "-subj", "/CN=gh-test", "-days", "1"], check=True, capture_output=True)
        self.proc = self.ns.popen("openssl", "s_server", "-accept", "127.0.0.1:%d" % PORT,
                                  "-cert", cert, "-key", key, "-www", "-quiet")
        return serving(self, lambda: str(PORT) in self.ns.run("ss", "-Htln",
                                                              "sport = :%d" % PORT)[2],
                       "s_server listening on %d" % PORT)

    def __exit__(self, *exc):
        if self.proc:
            self.proc.terminate()
            self.proc.wait(scaled(10))
        shutil.rmtree(self.dir, ignore_errors=True)
        return False


def s_client(ns, servername):
    p = ns.popen("openssl", "s_client", "-servername", servername, "-connect",
                 "127.0.0.1:%d" % PORT, stdin=subprocess.DEVNULL)
    p.communicate(timeout=scaled(20))
    return p.pid


def test_sni():
    """two clients, two names: each ClientHello's row on the client
    (OUTGOING) and on the server (HOST), with their processes"""
    require_bpf()
    with Netns("sn") as ns:
        with Tracer("trace/sni.lua", "--netns", ns.path) as t:
            with TlsServer(ns) as srv:
                one = s_client(ns, "www.example.test")
                two = s_client(ns, "api.gh-test.example")
        t.check_clean_exit()
    evs = t.events()
    got = [(e["pktType"], e["pid"], e["comm"], e["name"], e["dst"]["port"]) for e in evs]
    want = [("OUTGOING", one, "openssl", "www.example.test", PORT),
            ("HOST", srv.proc.pid, "openssl", "www.example.test", PORT),
            ("OUTGOING", two, "openssl", "api.gh-test.example", PORT),
            ("HOST", srv.proc.pid, "openssl", "api.gh-test.example", PORT)]
    check(got == want, "wanted each ClientHello on both ends", describe(evs, 8),
          "wanted: %r" % want, "stderr: " + excerpt(t.stderr))
    for e in evs:
        check(e["src"]["addr"] == "127.0.0.1" and e["dst"]["addr"] == "127.0.0.1" and
              e["src"]["proto"] == 6 and e["error"] is None, "addresses, TCP, no error", e)
        check(e["ppid"] == os.getpid(), "ppid of s_client and s_server: the test", e)
    check(evs[0]["src"]["port"] == evs[1]["src"]["port"], "one connection, two copies", evs[:2])


def test_sni_in_container():
    """s_client in a runc container joined to the test's netns, traced
    with -c: its ClientHello only (s_server is a host process)"""
    with Netns("sc") as ns, TlsServer(ns):
        run = traced_container("trace/sni.lua",
                               "exec /usr/bin/openssl s_client -servername in.container.test "
                               "-connect 127.0.0.1:%d </dev/null >/dev/null 2>&1" % PORT,
                               network=ns.path)
    t, name, pid, mntns, evs = run.tracer, run.name, run.pid, run.mntns, run.events
    got = [(e["pktType"], e["pid"], e["comm"], e["name"]) for e in evs]
    check(got == [("OUTGOING", pid, "openssl", "in.container.test")],
          "wanted the container's ClientHello only", describe(evs), "stderr: " + excerpt(t.stderr))
    check(evs[0]["mountnsid"] == mntns and evs[0]["runtime"]["containerName"] == name,
          "the container's fields", evs[0])


if __name__ == "__main__":
    main([test_sni, test_sni_in_container])
