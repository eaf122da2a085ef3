#!/usr/bin/env python3
"""trace/ssl.lua: the plaintext of real TLS connections on loopback,
exactly, both directions: openssl s_client and s_server (OpenSSL), curl
against s_server -www, gnutls-cli (GnuTLS) against s_server; a client in a
runc container that brings its own copy of libssl; processes that start
after the tracer; bad input."""

import os
import shutil
import signal
import subprocess
import tempfile
import threading

import containers
from ctrace import HOOKS, check_container
from gh import (Skip, Tracer, check, describe, excerpt, main, require_bpf, run_host, scaled,
                unique)
from tlswork import Proc, TlsServer, gnutls_cli, s_client

GADGET = "trace/ssl.lua"
LIBSSL = "/usr/lib/x86_64-linux-gnu/libssl.so.3"


def escaped(data):
    """data as the gadget's data field shows it"""
    named = {0x0a: "\\n", 0x0d: "\\r", 0x09: "\\t", 0x5c: "\\\\"}
    return "".join(named.get(b) or (chr(b) if 32 <= b < 127 else "\\x%02x" % b)
                   for b in data)


def of(evs, pid, direction):
    return [e for e in evs if e["pid"] == pid and e["direction"] == direction]


def check_one(evs, pid, direction, data, lib="openssl", all_evs=None):
    """exactly one call of pid in direction, carrying exactly data"""
    got = of(evs, pid, direction)
    check(len(got) == 1, "wanted one %s of pid %d" % (direction, pid),
          describe(all_evs or evs, 20))
    e = got[0]
    check((e["len"], e["data"], e["library"]) == (len(data), escaped(data), lib),
          "(len, data, library) of the %s" % direction, e)
    check(e["latency_ns"] > 0 and e["latency"].endswith(("us", "ms")), "a latency", e)
    return e


def exchange(srv, cli, tag):
    """client -> server, server -> client: each side's plaintext"""
    ping, pong = b"ping-%s\n" % tag, b"pong-%s \\ \t\x01\xff\n" % tag
    cli.send(ping)
    srv.wait_for(ping)
    srv.send(pong)
    cli.wait_for(pong)
    return ping, pong


def test_openssl_both_ends():
    """s_client sends a line and s_server answers: four events, each side's
    write and the other side's read of exactly those bytes"""
    require_bpf()
    tag = unique("o").encode()
    with Tracer(GADGET, "--max-bytes", "200") as t:
        with TlsServer() as srv:
            with Proc(s_client(srv.port)) as cli:
                ping, pong = exchange(srv, cli, tag)
                cli.close()
    t.check_clean_exit()
    evs = [e for e in t.events() if e["pid"] in (srv.pid, cli.pid)]
    check_one(evs, cli.pid, "write", ping)
    check_one(evs, srv.pid, "read", ping)
    check_one(evs, srv.pid, "write", pong)
    check_one(evs, cli.pid, "read", pong)
    check(all(e["comm"] == "openssl" and e["operation"].startswith("SSL_") for e in evs),
          "openssl's SSL_ calls", describe(evs))


def test_max_bytes():
    """--max-bytes 5: data is the first 5 bytes, len the whole call's"""
    require_bpf()
    tag = unique("m").encode()
    with Tracer(GADGET, "--max-bytes", "5") as t:
        with TlsServer() as srv, Proc(s_client(srv.port)) as cli:
            ping, _ = exchange(srv, cli, tag)
            cli.close()
    e = of(t.events(), cli.pid, "write")
    check(len(e) == 1 and e[0]["len"] == len(ping) and e[0]["data"] == "ping-"
          and e[0]["captured"] == 5, "the first 5 bytes of %r" % ping, describe(t.events()))


def test_curl():
    """curl https:// against s_server -www: curl's request, exactly, and the
    page's status line as curl read it (s_server -www itself reads and
    writes through OpenSSL's SSL BIO, whose internal calls no uprobe sees)"""
    require_bpf()
    if not shutil.which("curl"):
        return
    path = "/%s" % unique("c")
    with Tracer(GADGET, "--max-bytes", "4096") as t:
        with TlsServer("-www") as srv:
            cli = Proc(["curl", "-sk", "-A", "gh-test", "https://127.0.0.1:%d%s"
                        % (srv.port, path)])
            cli.close()
            check(b"HTTP/1.0 200 ok" in cli.output() or cli.proc.returncode == 0,
                  "curl got the page", excerpt(cli.output().decode("utf-8", "replace")))
    evs = t.events()
    req = "GET %s HTTP/1.1\\r\\nHost: 127.0.0.1:%d\\r\\nUser-Agent: gh-test\\r\\n" \
          "Accept: */*\\r\\n\\r\\n" % (path, srv.port)
    w = of(evs, cli.pid, "write")
    check(len(w) == 1 and w[0]["data"] == req and w[0]["comm"] == "curl",
          "curl's one request, exactly", describe(evs, 20))
    got = "".join(e["data"] for e in of(evs, cli.pid, "read"))
    check(got.startswith("HTTP/1.0 200 ok\\r\\nContent-type: text/html\\r\\n"),
          "curl read the status line", got[:300])


def test_gnutls():
    """gnutls-cli against s_server: gnutls_record_send of the line, and
    gnutls_record_recv of the answer"""
    require_bpf()
    containers.need("gnutls-cli", "gnutls-bin", root=False)
    tag = unique("g").encode()
    with Tracer(GADGET, "--max-bytes", "200") as t:
        with TlsServer() as srv, Proc(gnutls_cli(srv.port)) as cli:
            ping, pong = exchange(srv, cli, tag)
            cli.close()
    t.check_clean_exit()
    evs = [e for e in t.events() if e["pid"] in (srv.pid, cli.pid)]
    w = check_one(evs, cli.pid, "write", ping, "gnutls")
    r = check_one(evs, cli.pid, "read", pong, "gnutls")
    check((w["operation"], r["operation"], w["comm"]) ==
          ("gnutls_record_send", "gnutls_record_recv", "gnutls-cli"), "GnuTLS calls", w, r)
    check_one(evs, srv.pid, "read", ping)


def test_copy_found_in_maps():
    """a host process started after the tracer with a copy of libssl in a
    directory no root's library directories include (LD_LIBRARY_PATH):
    found in its maps and attached; its write then is exactly the line"""
    require_bpf()
    tag = unique("l").encode()
    libdir = tempfile.mkdtemp(prefix="gh-libssl-")
    try:
        shutil.copy2(LIBSSL, libdir)
        copy = os.path.join(libdir, "libssl.so.3")
        env = dict(os.environ, LD_LIBRARY_PATH=libdir)
        with Tracer(GADGET, "--max-bytes", "200", "--verbose") as t:
            with TlsServer() as srv, Proc(s_client(srv.port), env=env) as cli:
                containers.wait_until(
                    lambda: any(copy in l and "attached" in l for l in t.stderr.splitlines()),
                    20, "the copy attached", lambda: excerpt(t.stderr))
                ping, pong = exchange(srv, cli, tag)
                cli.close()
        t.check_clean_exit()
        evs = t.events()
        check_one(evs, cli.pid, "write", ping)
        check_one(evs, cli.pid, "read", pong)
    finally:
        shutil.rmtree(libdir, ignore_errors=True)


def test_container_own_libssl():
    """s_client in a runc container started after the tracer, with its own
    copy of libssl in its /lib64 (a directory of the container's, not the
    host's /usr; LD_LIBRARY_PATH=/lib64): the container's root is looked
    at as it starts and the copy, a file no host process maps, attached;
    the client then talks, and -c NAME keeps exactly its two calls, with
    the container's name, not the host server's.  A FIFO and a link out
    of the root, named as libraries, neither block nor mislead the host"""
    require_bpf()
    name = unique("ssl")[:30]
    tag = name.encode()
    with containers.Runc() as r, TlsServer() as srv:
        rootfs = os.path.join(r.bundles, name, "rootfs")

        def own_lib(cfg):
            """/lib64 a directory of the container's: the dynamic loader
            (a link into the host's /usr) and the copy of libssl"""
            lib64 = os.path.join(rootfs, "lib64")
            if os.path.islink(lib64):
                os.unlink(lib64)
            os.makedirs(lib64, exist_ok=True)
            ld = "ld-linux-x86-64.so.2"
            if not os.path.lexists(os.path.join(lib64, ld)):
                os.symlink("/usr/lib64/" + ld, os.path.join(lib64, ld))
            shutil.copy2(LIBSSL, lib64)
            # what a container may put in the tracer's way: a FIFO named
            # as the library (opening it must not block the host) and a
            # link out of its root (resolved inside it: to nothing)
            os.mkfifo(os.path.join(lib64, "libssl.so.9"))
            os.symlink("/../../../../proc/1/root/usr/lib/x86_64-linux-gnu/libgnutls.so.30",
                       os.path.join(lib64, "libgnutls.so.30"))
            cfg["process"]["env"].append("LD_LIBRARY_PATH=/lib64")

        # the client starts once the test saw the copy attached (a
        # process faster than the attach would be missed: the doc says so)
        script = ("while [ ! -e /tmp/go ]; do sleep 0.05; done; "
                  "(echo ping-%s; while [ ! -e /tmp/done ]; do sleep 0.05; done) | "
                  "/usr/bin/openssl s_client -connect 127.0.0.1:%d 2>&1 | "
                  "(grep -m1 pong-%s; touch /tmp/done; cat >/dev/null)"
                  % (name, srv.port, name))
        b = r.bundle(name, ["sh", "-c", script], hooks=HOOKS, host_usr=True, network="host",
                     edit=own_lib)
        with Tracer(GADGET, "-c", name, "--max-bytes", "200", "--verbose", host=False) as t:
            r.create(name, b)
            pid = r.pid(name)
            mntns = containers.mntns(pid)
            copy = "/proc/%d/root/lib64/libssl.so.3" % pid
            r.start(name)
            containers.wait_until(
                lambda: any(copy in l and "attached" in l for l in t.stderr.splitlines()), 20,
                "the container's own copy of libssl attached (%s)" % copy,
                lambda: "\n".join(l for l in t.stderr.splitlines() if "uprobes" in l))
            open(os.path.join(rootfs, "tmp", "go"), "w").close()
            srv.wait_for(b"ping-%s\n" % tag)
            srv.send(b"pong-%s\n" % tag)
            containers.wait_until(lambda: r.state(name).get("status") == "stopped", 20,
                                  "the container's end", lambda: r.output(name, b))
        t.check_clean_exit()
    evs = t.events()
    run = type("Run", (), {"name": name, "mntns": mntns})
    check(len(evs) == 2, "wanted the container's write and read only", describe(evs),
          "stderr: " + excerpt(t.stderr))
    w = [e for e in evs if e["direction"] == "write"]
    rd = [e for e in evs if e["direction"] == "read"]
    check(len(w) == 1 and w[0]["data"] == "ping-%s\\n" % name and w[0]["len"] == len(tag) + 6,
          "the container's ping", describe(evs))
    check(len(rd) == 1 and rd[0]["data"] == "pong-%s\\n" % name, "the container's pong",
          describe(evs))
    for e in evs:
        check_container(e, run)
        check(e["comm"] == "openssl" and e["pid"] != srv.pid, "the container's s_client", e)


def test_compare_sslsnoop():
    """bpftrace's sslsnoop.bt (uprobes on libssl's SSL_read and SSL_write,
    as bpftrace resolves libssl) and trace/ssl on the same exchange: the
    same calls, tid, function and result (the byte count), each side"""
    require_bpf()
    tool = "/usr/sbin/sslsnoop.bt"
    if not shutil.which("bpftrace") or not os.path.exists(tool):
        raise Skip("no bpftrace or %s" % tool)
    tag = unique("b").encode()
    snoop = subprocess.Popen(["bpftrace", "-B", "none", tool], stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT)
    out = []
    reader = threading.Thread(target=lambda: out.extend(snoop.stdout), daemon=True)
    reader.start()

    def theirs():
        """sslsnoop's calls of the two ends that moved bytes"""
        return sorted((int(f[1]), f[5], int(f[4])) for f in
                      (l.decode().split() for l in list(out))
                      if len(f) == 6 and f[1].isdigit() and int(f[1]) in pids
                      and f[5] in ("SSL_read", "SSL_write") and int(f[4]) > 0)

    pids = ()
    try:
        containers.wait_until(lambda: any(b"TIME(us)" in l for l in out), 60,
                              "sslsnoop.bt attached", lambda: b"".join(out).decode())
        with Tracer(GADGET) as t:
            with TlsServer() as srv, Proc(s_client(srv.port)) as cli:
                pids = (srv.pid, cli.pid)
                exchange(srv, cli, tag)
                # bpftrace prints from its own buffer, later than the
                # calls, and names a function from the live process's
                # maps (an exited one's is an address): wait, both alive
                containers.wait_until(
                    lambda: len(theirs()) >= 4, 30, "sslsnoop's four calls",
                    lambda: "\n".join(l.decode() for l in list(out)
                                      if any(str(p) in l.decode() for p in pids)))
                cli.close()
    finally:
        snoop.send_signal(signal.SIGINT)
        snoop.wait(scaled(30))
        reader.join(scaled(10))
    ours = sorted((e["tid"], e["operation"], e["len"]) for e in t.events()
                  if e["pid"] in pids)
    check(len(ours) == 4 and ours == theirs(), "the same calls: ours %r, sslsnoop's %r"
          % (ours, theirs()), b"".join(out).decode()[-2000:])


def test_attach_file():
    """--attach-file: a copy of libssl under a name no library matches
    (preloaded by s_client in place of libssl.so.3, its soname) is traced
    only because it was named: the client's write, exactly"""
    require_bpf()
    tag = unique("f").encode()
    libdir = tempfile.mkdtemp(prefix="gh-libssl-")
    try:
        renamed = os.path.join(libdir, "renamed-tls.so")
        shutil.copy2(LIBSSL, renamed)
        env = dict(os.environ, LD_PRELOAD=renamed)
        with Tracer(GADGET, "--max-bytes", "200", "--attach-file", renamed) as t:
            with TlsServer() as srv, Proc(s_client(srv.port), env=env) as cli:
                ping, _ = exchange(srv, cli, tag)
                with open("/proc/%d/maps" % cli.pid) as f:
                    maps = f.read()
                cli.close()
        t.check_clean_exit()
        check(renamed in maps and LIBSSL not in maps and "libssl.so" not in maps,
              "s_client runs on the renamed copy only", maps)
        check_one(t.events(), cli.pid, "write", ping)
    finally:
        shutil.rmtree(libdir, ignore_errors=True)


def test_bad_input():
    """--attach-file of a file that does not exist, or of one that has none
    of the functions: one line naming it, non-zero exit"""
    for path, why in (("/nonexistent/libssl.so.3", "No such file"),
                      ("/bin/true", "none of the functions")):
        p = run_host("run", GADGET, "--host", "--attach-file", path, "--timeout", "1")
        lines = p.stderr.strip().splitlines()
        check(p.returncode != 0 and len(lines) == 1 and path in lines[0] and why in lines[0],
              "wanted one line naming %s (%s)" % (path, why), p.stderr)


if __name__ == "__main__":
    main([test_bad_input, test_openssl_both_ends, test_max_bytes, test_curl, test_gnutls,
          test_copy_found_in_maps, test_container_own_libssl, test_attach_file,
          test_compare_sslsnoop], bpf=False)
