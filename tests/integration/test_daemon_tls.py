#!/usr/bin/env python3
"""TLS on the daemon's TCP listener, with certificates `openssl` makes in
the test (ghtls.py): a client that trusts the daemon's CA is served (a
real run streams its events through TLS); a client that trusts another CA,
and with mutual TLS one without a certificate or with one of another CA,
are refused in the handshake; plain TCP to an address that is not
loopback is refused at start, by the daemon and by the client; token and
key files readable by others are refused; wrong tokens are logged and
slowed down, peer by peer.  Handshake costs are measured and printed."""

import os
import re
import shutil
import socket
import ssl
import statistics
import tempfile
import threading
import time

from gh import (check, excerpt, main, private_workload, run_host, scaled, unique, wait_for,
                workload)
from ghdaemon import Daemon, RemoteTracer, exchange, free_port, ping_request
from ghtls import Pki

GADGET = "trace/exec.lua"


def write_token(directory, mode):
    """a token file of that mode"""
    path = os.path.join(directory, "token")
    with open(path, "w") as f:
        f.write("0123456789abcdef0123\n")
    os.chmod(path, mode)
    return path


def remote(d, *args, client=(), token=True):
    """gadgethost --remote tls://... ARGS: the CompletedProcess"""
    extra = ["--token-file", d.token_file] if token else []
    return run_host("--remote", d.tcp_url, *client, *extra, *args, timeout=30)


def test_tls_clients():
    """the right CA: served, and a run streams through TLS; another CA:
    refused by the client; plain HTTP on the TLS port: told so"""
    tmp = tempfile.mkdtemp(prefix="gh-tls-")
    try:
        wl, comm = private_workload(tmp)
        with Pki() as pki, Pki(ca_name="other") as other:
            with Daemon(listen="127.0.0.1:%d" % free_port(), pki=pki) as d:
                r = remote(d, "ping", client=pki.client_args())
                check(r.returncode == 0 and '"version"' in r.stdout, "the right CA: not served",
                      r.returncode, r.stdout, r.stderr)
                d.wait_log("listening on tls://127.0.0.1", "the log does not say TLS")
                # by name too: the certificate names localhost
                r = run_host("--remote", d.tcp_url.replace("127.0.0.1", "localhost"),
                             "--ca", pki.ca_crt, "--token-file", d.token_file, "ping")
                check(r.returncode == 0, "tls://localhost: not served", r.stderr)

                prefix = unique("tls")
                t = RemoteTracer(d.tcp_url, GADGET, "-F", "pcomm==" + comm,
                                 token_file=d.token_file, client_args=pki.client_args())
                with t:
                    workload("exec", 3, prefix, binary=wl)
                    t.wait_for(lambda: t.stdout.count(prefix) >= 3, "the 3 execs")
                t.check_clean_exit()
                got = [e for e in t.events() if prefix in " ".join(e.get("args") or [])]
                check(len(got) == 3, "the run over TLS did not stream the 3 execs",
                      t.stdout, t.stderr)

                r = remote(d, "ping", client=other.client_args())
                check(r.returncode == 1 and "the server's certificate is refused" in r.stderr,
                      "a client trusting another CA was not refused", r.returncode, r.stdout,
                      r.stderr)
                r = remote(d, "ping", client=["--ca", pki.ca_crt, "--server-name", "elsewhere"])
                check(r.returncode == 1 and "hostname mismatch" in r.stderr,
                      "a certificate for another name was accepted", r.stderr)
                d.wait_log(lambda log: re.search(r"TLS handshake refused: .*unknown ca", log),
                           "the refused handshake is not logged")
                r = run_host("--remote", "tcp://" + d.listen, "--token-file", d.token_file,
                             "ping")
                check(r.returncode == 1 and "this port speaks TLS" in r.stderr,
                      "plain HTTP on the TLS port is not told so", r.stderr)
    finally:
        shutil.rmtree(tmp)


def test_mutual_tls():
    """--tls-client-ca: a client without a certificate, or with one another
    CA signed, is refused in the handshake; with one of the CA: served"""
    with Pki() as pki, Pki(ca_name="other") as other:
        good = pki.issue("client")
        stranger = other.issue("stranger")
        with Daemon(listen="127.0.0.1:%d" % free_port(), pki=pki, client_ca=True) as d:
            r = remote(d, "ping", client=pki.client_args(good))
            check(r.returncode == 0 and '"version"' in r.stdout,
                  "a client certificate of the CA: not served", r.stdout, r.stderr)
            r = remote(d, "ping", client=pki.client_args())
            check(r.returncode == 1 and "certificate required" in r.stderr,
                  "no client certificate: not refused", r.returncode, r.stdout, r.stderr)
            r = remote(d, "ping", client=pki.client_args(stranger))
            check(r.returncode == 1 and re.search(r"unknown ca|bad certificate|certificate",
                                                  r.stderr),
                  "a client certificate of another CA: not refused", r.returncode, r.stdout,
                  r.stderr)
            check(r.returncode == 1 and "version" not in r.stdout, "the stranger got an answer")
            d.wait_log(lambda log: "peer did not return a certificate" in log and
                       re.search(r"TLS handshake refused: certificate verify failed", log),
                       "the refused handshakes are not logged")
            # the refused ones did not slow the good client down (not a token)
            r = remote(d, "ping", client=pki.client_args(good))
            check(r.returncode == 0, "the good client is refused after the others", r.stderr)


def test_plain_tcp_loopback_only():
    """tcp:// to an address that is not loopback: refused at start by the
    daemon and by the client (nothing sent); on loopback: a warning"""
    tmp = tempfile.mkdtemp(prefix="gh-plain-")
    try:
        token = write_token(tmp, 0o600)
        for addr in ("0.0.0.0:7070", "10.11.12.13:7070", "[::]:7070"):
            r = run_host("daemon", "--socket", os.path.join(tmp, "s.sock"), "--listen",
                         "tcp://" + addr, "--token-file", token, timeout=10)
            check(r.returncode == 1 and "plain TCP is allowed on a loopback address only" in
                  r.stderr and len(r.stderr.strip().splitlines()) == 1,
                  "--listen tcp://%s: not refused in one line" % addr, r.returncode, r.stderr)
        r = run_host("--remote", "tcp://10.11.12.13:7070", "--token-file", token, "ping",
                     timeout=10)
        check(r.returncode == 1 and "plain TCP goes to a loopback address only" in r.stderr,
              "the client sent a token in clear beyond loopback", r.stderr)
        with Daemon(listen="127.0.0.1:%d" % free_port()) as d:
            d.wait_log(lambda log: re.search(r"warning: listening on tcp://127\.0\.0\.1:\d+ in plain "
                                             r"TCP", log), "no warning for plain TCP")
            r = remote(d, "ping")
            check(r.returncode == 0, "plain TCP on loopback: not served", r.stderr)
    finally:
        shutil.rmtree(tmp)


def test_secret_files_0600():
    """a token file or a key readable by others: refused, one line"""
    with Pki() as pki:
        tmp = tempfile.mkdtemp(prefix="gh-secret-")
        try:
            token = write_token(tmp, 0o644)
            base = ["daemon", "--socket", os.path.join(tmp, "s.sock"), "--listen",
                    "tls://127.0.0.1:%d" % free_port()]
            r = run_host(*base, "--token-file", token, *pki.server_args(), timeout=10)
            check(r.returncode == 1 and r.stderr.strip() ==
                  "gadgethost: daemon: --token-file %s: mode 0644 lets others read a secret: "
                  "it must be 0600 (chmod 600 %s)" % (token, token),
                  "a 0644 token file: not refused in one line", r.returncode, r.stderr)
            r = run_host("--remote", "tls://127.0.0.1:1", "--token-file", token, "ping")
            check(r.returncode == 1 and "mode 0644" in r.stderr,
                  "the client took a 0644 token file", r.stderr)
            os.chmod(token, 0o600)
            os.chmod(pki.server_key, 0o640)
            r = run_host(*base, "--token-file", token, *pki.server_args(), timeout=10)
            check(r.returncode == 1 and "mode 0640 lets others read a secret" in r.stderr and
                  len(r.stderr.strip().splitlines()) == 1,
                  "a 0640 key: not refused in one line", r.returncode, r.stderr)
            os.chmod(pki.server_key, 0o600)
            r = run_host(*base, "--token-file", token, timeout=10)
            check(r.returncode == 1 and "needs --tls-cert FILE and --tls-key FILE" in r.stderr,
                  "tls:// without a certificate", r.stderr)
        finally:
            shutil.rmtree(tmp)


def raw_request(port, ctx, token, host="127.0.0.1"):
    """GET /v1/ping over TLS with token: (status, seconds)"""
    t0 = time.monotonic()
    with socket.create_connection((host, port), timeout=scaled(30)) as s:
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # as curl, and our client
        with ctx.wrap_socket(s, server_hostname=host) as t:
            status, _, _ = exchange(t, ping_request(token))
    return status, time.monotonic() - t0


def test_wrong_tokens_slowed():
    """6 wrong tokens in a row from one peer: each logged, the k-th answered
    after 100 ms * 2^(k-1) (at most 2 s); meanwhile no token of that peer is
    even tried (429); the right one works once the wait is over"""
    with Pki() as pki:
        with Daemon(listen="127.0.0.1:%d" % free_port(), pki=pki) as d:
            port = int(d.listen.rsplit(":", 1)[1])
            ctx = ssl.create_default_context(cafile=pki.ca_crt)
            with open(d.token_file) as f:
                token = f.read().strip()
            times = []
            for k in range(6):
                status, took = raw_request(port, ctx, "wrong-token-%d" % k)
                check(status == 401, "wrong token %d answered %d" % (k, status))
                times.append(took)
            want = [0.1 * 2 ** k if 0.1 * 2 ** k < 2 else 2.0 for k in range(6)]
            for k, (got, w) in enumerate(zip(times, want)):
                check(w - 0.02 <= got <= scaled(w + 0.5),
                      "wrong token %d answered after %.3f s, not about %.1f s" % (k + 1, got, w),
                      times)
            failures = re.findall(r"401 GET /v1/ping: wrong bearer token \(failure (\d) in a row",
                                  d.log)
            check(failures == ["1", "2", "3", "4", "5", "6"],
                  "the 6 failures are not each logged", excerpt(d.log))
            # during a wait, the right token is not even tried
            result = []
            t = threading.Thread(target=lambda: result.append(raw_request(port, ctx, "wrong")))
            t.start()
            wait_for(lambda: "failure 7 in a row" in d.log, 5, "the 7th wrong token logged",
                     lambda: excerpt(d.log))
            status, took = raw_request(port, ctx, token)
            check(status == 429 and took < scaled(0.5),
                  "the right token while the peer waits: wanted 429 at once", status, took)
            t.join()
            # the wait over (its answer came), the right token is served at
            # once: tried again for a moment, as the daemon's clock may
            # close the window an instant after it answered
            wait_for(lambda: raw_request(port, ctx, token)[0] == 200, 0.5,
                     "the right token served after the wait",
                     lambda: "answered %d" % raw_request(port, ctx, token)[0])
        print("wrong tokens answered after %s s (6 in a row: %.2f s in all)"
              % (", ".join("%.3f" % x for x in times), sum(times)))


def test_handshake_cost():
    """the cost of a TLS connection to the daemon (ECDSA P-256 and RSA 2048
    keys), next to a plain loopback one: printed, and bounded loosely"""
    n = 100
    report = []
    for kind in ("ec", "rsa"):
        with Pki(kind=kind) as pki:
            with Daemon(listen="127.0.0.1:%d" % free_port(), pki=pki) as d:
                port = int(d.listen.rsplit(":", 1)[1])
                ctx = ssl.create_default_context(cafile=pki.ca_crt)
                with open(d.token_file) as f:
                    token = f.read().strip()
                times = [raw_request(port, ctx, token)[1] for _ in range(n)]
                cpu0 = cpu_seconds(d.proc.pid)
                for _ in range(n):
                    raw_request(port, ctx, token)
                cpu = (cpu_seconds(d.proc.pid) - cpu0) / n
                report.append("%s: %.2f ms median per TLS request, %.2f ms of daemon CPU"
                              % (kind, statistics.median(times) * 1000, cpu * 1000))
                check(statistics.median(times) < scaled(0.02), "a TLS request takes %.1f ms"
                      % (statistics.median(times) * 1000))
    with Daemon(listen="127.0.0.1:%d" % free_port()) as d:
        port = int(d.listen.rsplit(":", 1)[1])
        with open(d.token_file) as f:
            token = f.read().strip()
        plain = []
        for _ in range(n):
            t0 = time.monotonic()
            with socket.create_connection(("127.0.0.1", port)) as s:
                exchange(s, ping_request(token))
            plain.append(time.monotonic() - t0)
        report.append("plain: %.2f ms median" % (statistics.median(plain) * 1000))
    print("TLS handshake and request, %d each: %s" % (n, "; ".join(report)))


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


if __name__ == "__main__":
    main([test_tls_clients, test_mutual_tls, test_plain_tcp_loopback_only,
          test_secret_files_0600, test_wrong_tokens_slowed, test_handshake_cost])
