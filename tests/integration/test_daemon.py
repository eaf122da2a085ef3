#!/usr/bin/env python3
"""Integration tests of `gadgethost daemon` and `gadgethost --remote`: real
runs on a daemon of the test's own, real execs and opens by the workload."""

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time

from gh import (GH_BIN, Failure, Tracer, check, describe, excerpt, main,
                private_workload, run_host, scaled, unique, wait_for, workload)
from ghdaemon import Daemon, RemoteTracer, bpf_ids, bpf_objects_of, free_port

GADGET = "trace/exec.lua"


def exec_events(evs, prefix):
    return [e for e in evs if e.get("comm") == "true"
            and any(prefix in a for a in e.get("args") or [])]


def test_remote_output_identical():
    """the same execs traced locally and through the daemon (unix and tcp):
    byte for byte the same columns, json and yaml"""
    tmp = tempfile.mkdtemp(prefix="gh-remote-")
    try:
        wl, comm = private_workload(tmp)
        with Daemon(listen="127.0.0.1:%d" % free_port()) as d:
            for fmt in ("columns", "json", "yaml"):
                prefix = unique("same")
                args = ("-F", "pcomm==" + comm)  # the rows of its children
                local = Tracer(GADGET, *args, fmt=fmt)
                remote = RemoteTracer(d.url, GADGET, *args, fmt=fmt)
                tcp = RemoteTracer(d.tcp_url, GADGET, *args, fmt=fmt, token_file=d.token_file)
                # each has printed the execs before it is stopped (a client
                # that gets SIGINT while busy with the last event waits on)
                with local, remote, tcp:
                    workload("exec", 5, prefix, binary=wl)
                    for t in (local, remote, tcp):
                        t.wait_for(lambda: t.stdout.count(prefix) >= 5, "the 5 execs")
                for t in (local, remote, tcp):
                    t.check_clean_exit()
                check(local.stdout.count(prefix) == 5, "-o %s: the local run does not show "
                      "the 5 execs" % fmt, excerpt(local.stdout))
                want = without_timestamps(local.stdout)
                check(without_timestamps(remote.stdout) == want, "-o %s: unix:// output differs "
                      "from the local run's" % fmt, "local:\n" + excerpt(local.stdout),
                      "remote:\n" + excerpt(remote.stdout))
                check(without_timestamps(tcp.stdout) == want, "-o %s: tcp:// output differs "
                      "from the local run's" % fmt, "local:\n" + excerpt(local.stdout),
                      "tcp:\n" + excerpt(tcp.stdout))
            # list and list-containers: the same tables as the local commands
            for cmd in (["list"], ["list-containers"]):
                here = run_host(*cmd)
                there = run_host("--remote", d.url, *cmd)
                check(there.returncode == 0 and there.stdout == here.stdout,
                      "--remote %s differs from the local command" % cmd[0],
                      here.stdout, there.stdout, there.stderr)
    finally:
        shutil.rmtree(tmp)


def without_timestamps(text):
    """the output with each event's timestamp cut out: every run has programs
    of its own, which read the clock a few microseconds apart for one exec"""
    return re.sub(r'("timestamp":|^timestamp: )[0-9]+', r"\1T", text, flags=re.M)


def test_ten_clients():
    """10 clients at once: each gets its own run and every event"""
    tmp = tempfile.mkdtemp(prefix="gh-ten-")
    try:
        wl, comm = private_workload(tmp)
        prefix = unique("ten")
        with Daemon() as d:
            tracers = [RemoteTracer(d.url, GADGET, "-F", "pcomm==" + comm) for _ in range(10)]
            for t in tracers:
                t.start()
            try:
                runs = d.runs()
                check(len(runs) == 10 and len({r["pid"] for r in runs}) == 10,
                      "the daemon does not list 10 runs with 10 processes", runs)
                workload("exec", 7, prefix, binary=wl)
                for t in tracers:
                    t.wait_for(lambda: len(exec_events(t.events_so_far(), prefix)) >= 7,
                               "the 7 execs")
            finally:
                for t in tracers:
                    t.stop()
                    t.__exit__(None, None, None)  # its ready file and directory
            for n, t in enumerate(tracers):
                t.check_clean_exit()
                got = exec_events(t.events(), prefix)
                check(sorted(e["args"][1] for e in got) ==
                      sorted("%s-%d" % (prefix, i) for i in range(7)),
                      "client %d did not get exactly the 7 execs" % n, describe(got))
            wait_for(lambda: not d.runs(), 10, "runs left after the clients stopped",
                     d.runs)
    finally:
        shutil.rmtree(tmp)


def test_killed_client_frees_run():
    """a client killed mid-stream: its run stops and its eBPF objects go"""
    with Daemon() as d:
        t = RemoteTracer(d.url, GADGET, "--comm", "nothing-runs")
        t.start()
        runs = d.runs()
        check(len(runs) == 1, "one run expected", runs)
        pid = runs[0]["pid"]
        hooks = sorted(os.listdir(os.path.join(d.dir, "hooks")))
        check(hooks == sorted(["%d.sock" % d.proc.pid, "%d.sock" % pid]),
              "the daemon and its run do not both listen in the daemon's --hook-dir", hooks)
        progs, links = bpf_objects_of(pid)
        check(progs and links, "the run's process %d holds no eBPF program or link" % pid,
              progs, links)
        t.proc.kill()
        t._finish(t.proc.wait())
        t.__exit__(None, None, None)  # its ready file and directory
        wait_for(lambda: not d.runs(), 10, "the run is still listed after its client died",
                 d.runs)
        wait_for(lambda: not os.path.exists("/proc/%d" % pid), 10,
                 "the run's process %d is still alive" % pid)
        left_p = progs & bpf_ids("prog")
        left_l = links & bpf_ids("link")
        check(not left_p and not left_l, "eBPF objects of the killed run are still loaded",
              "progs: %s links: %s" % (sorted(left_p), sorted(left_l)))
        d.wait_log("client gone", "the daemon's log does not say the client left")
        check(d.ping()["runs"] == 0, "ping still counts a run", d.ping())


def test_stuck_run_killed_after_delay():
    """a run's child that does not end on SIGTERM (stopped, so the signal
    waits): the daemon kills it 5 s after the stop asked, the run ends on
    signal 9 and its client's stream ends"""
    with Daemon() as d:
        t = RemoteTracer(d.url, GADGET, "--comm", "nothing-runs")
        t.start()
        pid = None
        try:
            runs = d.runs()
            check(len(runs) == 1, "one run expected", runs)
            rid, pid = runs[0]["id"], runs[0]["pid"]
            os.kill(pid, signal.SIGSTOP)
            asked = time.monotonic()
            status, _, body = d.request(b"DELETE /v1/runs/%d HTTP/1.1\r\nHost: x\r\n\r\n" % rid)
            check(status == 204, "DELETE /v1/runs/%d answered %d" % (rid, status), body)
            d.wait_log("run %d (%s): stop asked" % (rid, GADGET), "the stop was not asked")
            wait_for(lambda: not d.runs(), 15, "the stopped run is still listed", d.runs,
                     lambda: d.log)
            waited = time.monotonic() - asked
            check(waited >= 4.5, "the run ended %.1f s after its SIGTERM: not killed 5 s on"
                  % waited, d.log)
            d.wait_log(lambda log: re.search(r"run %d \(%s\) ended: signal 9, \d+ bytes sent"
                                             % (rid, re.escape(GADGET)), log),
                       "the log does not say the run ended on signal 9")
            t._finish(t.proc.wait(scaled(10)))
            check(d.ping()["runs"] == 0, "ping still counts a run", d.ping())
        finally:
            if pid and os.path.exists("/proc/%d" % pid):
                os.kill(pid, signal.SIGKILL)
            t.__exit__(None, None, None)


def test_ctrl_c_stops_after_last_event():
    """Ctrl-C on a remote run: DELETE /v1/runs/ID, the stream ends cleanly
    with every event traced before it (as a local run's SIGINT)"""
    prefix = unique("stop")
    tmp = tempfile.mkdtemp(prefix="gh-stop-")
    wl, comm = private_workload(tmp)
    with Daemon() as d:
        t = RemoteTracer(d.url, GADGET, "-F", "pcomm==" + comm)
        with t:
            workload("exec", 3, prefix, binary=wl)
        t.check_clean_exit()
        got = exec_events(t.events(), prefix)
        check(len(got) == 3, "not the 3 execs before Ctrl-C", describe(got), t.stderr)
        d.wait_log("stop asked", "the daemon was not asked to stop the run")
    shutil.rmtree(tmp)


def test_bad_requests():
    """malformed, oversized and refused requests get a 4xx; the daemon stays up"""
    with Daemon() as d:
        cases = [
            (b"NOT HTTP AT ALL\r\n\r\n", 400, b"malformed"),
            (b"GET /v1/ping HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 20000 + b"\r\n\r\n",
             431, b"headers longer"),
            (b"POST /v1/runs HTTP/1.1\r\nHost: x\r\nContent-Length: 2000000\r\n\r\n" +
             b"{" * 70000, 413, b"body longer"),
            (b"POST /v1/runs HTTP/1.1\r\nHost: x\r\nContent-Length: 8\r\n\r\n{nojson}", 400,
             b"not JSON"),
            (post({"gadget": "../../etc/passwd"}), 403, b"not installed"),
            (post({"gadget": "/etc/passwd"}), 403, b"not installed"),
            (post({"gadget": GADGET, "args": ["--ready-file=/etc/x"]}), 403, b"not allowed"),
            (post({"gadget": GADGET, "args": ["--hook-dir", "/tmp"]}), 403, b"not allowed"),
            (post({"gadget": GADGET, "args": ["--no-such-option"]}), 400, b"unknown option"),
            (post({"gadget": GADGET, "script": "return {}"}), 403, b"inline Lua"),
            (post({"gadget": GADGET, "color": 1}), 400, b"unknown request field"),
            (b"GET /v2/nothing HTTP/1.1\r\nHost: x\r\n\r\n", 404, b"no such endpoint"),
            (b"PUT /v1/runs HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n", 405, b""),
            (b"DELETE /v1/runs/99999 HTTP/1.1\r\nHost: x\r\n\r\n", 404, b"no such run"),
        ]
        for raw, want, text in cases:
            status, head, body = d.request(raw)
            check(status == want and text in body, "wanted %d (%s) for %r" % (want, text, raw[:80]),
                  "got %d: %s" % (status, body[:300]))
            check(d.proc.poll() is None, "the daemon died on %r" % raw[:80], excerpt(d.log))
        check(d.ping()["runs"] == 0, "a refused request left a run", d.ping())
        # the client says the daemon's reason and fails
        r = run_host("--remote", d.url, "run", "trace/no-such.lua")
        check(r.returncode == 1 and "not installed" in r.stderr,
              "--remote run of an unknown gadget: exit 1 with the reason", r.returncode, r.stderr)
        # a client that connects and says nothing does not keep SIGTERM waiting
        # a second daemon on the same socket: refused, the first unharmed
        other = tempfile.mkdtemp(prefix="gh-daemon2-")
        r = run_host("daemon", "--socket", d.socket, "--hook-dir", os.path.join(other, "h"),
                     timeout=10)
        shutil.rmtree(other, ignore_errors=True)
        check(r.returncode == 1 and "%s: another daemon answers there" % d.socket in r.stderr,
              "a second daemon on a live socket: exit 1 naming it", r.returncode, r.stderr)
        check(d.ping()["runs"] == 0, "the first daemon stopped answering")
        idle = socket.socket(socket.AF_UNIX)
        idle.connect(d.socket)
        idle.sendall(b"GET /v1/pi")
        t0 = time.monotonic()
        d.check_clean_exit()
        check(time.monotonic() - t0 < scaled(5), "the daemon waited for an idle client to stop")
        idle.close()


def post(obj):
    body = json.dumps(obj).encode()
    return b"POST /v1/runs HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)


def test_refuses_non_root():
    """the socket is root's: mode 0600 refuses nobody's connect, and with a
    wider mode the SO_PEERCRED check answers 403"""
    nobody = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"]
    with Daemon() as d:
        mode = os.stat(d.socket).st_mode & 0o777
        check(mode == 0o600, "socket mode %o, wanted 600" % mode)
        os.chmod(d.dir, 0o755)
        r = run_host("--remote", d.url, "ping", prefix=nobody)
        check(r.returncode == 1 and "Permission denied" in r.stderr,
              "nobody's ping was not refused", r.returncode, r.stdout, r.stderr)
        r = run_host("--remote", d.url, "ping")
        check(r.returncode == 0 and '"version"' in r.stdout, "root's ping failed", r.stderr)
    with Daemon("--socket-mode", "0666") as d:
        os.chmod(d.dir, 0o755)
        r = run_host("--remote", d.url, "run", GADGET, "--timeout", "1", prefix=nobody)
        check(r.returncode == 1 and "root's only" in r.stderr,
              "nobody got past SO_PEERCRED", r.returncode, r.stdout, r.stderr)
        check(not d.runs(), "nobody's request started a run", d.runs())


def test_tcp_token():
    """TCP needs the bearer token"""
    with Daemon(listen="127.0.0.1:%d" % free_port()) as d:
        bad = os.path.join(d.dir, "bad")
        with open(bad, "w") as f:
            f.write("not-the-token-at-all\n")
        os.chmod(bad, 0o600)
        r = run_host("--remote", d.tcp_url, "--token-file", bad, "ping")
        check(r.returncode == 1 and "bearer token" in r.stderr, "a wrong token got in",
              r.returncode, r.stdout, r.stderr)
        r = run_host("--remote", d.tcp_url, "ping")
        check(r.returncode == 1 and "token" in r.stderr, "no token: not refused", r.stderr)
        r = run_host("--remote", d.tcp_url, "--token-file", d.token_file, "ping")
        check(r.returncode == 0 and json.loads(r.stdout)["runs"] == 0, "the token did not work",
              r.stdout, r.stderr)
    r = run_host("daemon", "--listen", "tcp://127.0.0.1:1")
    check(r.returncode == 1 and "--token-file" in r.stderr, "--listen without a token ran",
          r.stderr)


def test_slow_client_dropped():
    """a client that reads nothing is dropped (and counted), the run freed"""
    tmp = tempfile.mkdtemp(prefix="gh-slow-")
    try:
        wl, comm = private_workload(tmp)
        with Daemon("--client-buffer", "65536") as d:
            s = socket.socket(socket.AF_UNIX)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            s.connect(d.socket)
            s.sendall(post({"gadget": "trace/open.lua", "args": ["--host", "--comm", comm]}))
            wait_for(lambda: d.runs() and d.runs()[0]["started"], 10, "the run did not start",
                     d.runs)
            pid = d.runs()[0]["pid"]
            for _ in range(20):
                workload("open-storm", 20000, binary=wl)
                if "too slow" in d.log:
                    break
            wait_for(lambda: "too slow" in d.log, 10, "the slow client was not dropped",
                     lambda: excerpt(d.log))
            d.wait_log("1 slow client dropped so far", "the drop is not counted")
            wait_for(lambda: not d.runs(), 10, "the dropped client's run is still there", d.runs)
            wait_for(lambda: not os.path.exists("/proc/%d" % pid), 10, "run process alive")
            check(d.ping()["droppedClients"] == 1, "ping does not count the drop", d.ping())
            s.close()
    finally:
        shutil.rmtree(tmp)


def test_inline_lua():
    """a local script is sent inline: refused unless --allow-inline-lua"""
    tmp = tempfile.mkdtemp(prefix="gh-inline-")
    try:
        mine = os.path.join(tmp, "myexec.lua")
        with open(os.path.join(os.environ["GH_SOURCE_DIR"], "gadgets/trace/exec.lua")) as f:
            text = f.read()
        with open(mine, "w") as f:
            f.write(text)
        with Daemon() as d:
            r = run_host("--remote", d.url, "run", mine, "--timeout", "1")
            check(r.returncode == 1 and "--allow-inline-lua" in r.stderr,
                  "inline Lua ran on a daemon that does not allow it", r.stderr)
        prefix = unique("inline")
        wl, comm = private_workload(tmp)
        with Daemon("--allow-inline-lua") as d:
            t = RemoteTracer(d.url, mine, "-F", "pcomm==" + comm)
            with t:
                workload("exec", 2, prefix, binary=wl)
            t.check_clean_exit()
            check(len(exec_events(t.events(), prefix)) == 2, "the inline gadget missed execs",
                  t.stdout, t.stderr)
            check(not os.listdir("/run/gadgethost/inline") if
                  os.path.isdir("/run/gadgethost/inline") else True,
                  "the inline script was left behind", os.listdir("/run/gadgethost/inline"))
    finally:
        shutil.rmtree(tmp)


if __name__ == "__main__":
    main([test_remote_output_identical, test_ten_clients, test_killed_client_frees_run,
          test_stuck_run_killed_after_delay, test_ctrl_c_stops_after_last_event,
          test_bad_requests, test_refuses_non_root, test_tcp_token, test_slow_client_dropped,
          test_inline_lua])
