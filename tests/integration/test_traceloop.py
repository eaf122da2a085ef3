#!/usr/bin/env python3
"""gadgethost traceloop: the flight recorder of containers' syscalls.

A recorder (`traceloop start`) runs while two runc containers do their
work: one opens a file that does not exist and exits 1, the other keeps
running.  Its dump (`traceloop show`, over the recorder's socket) ends with
exactly that openat (ENOENT), the write of cat's complaint and
exit_group(1); the other's dump has none of the first's syscalls; `list`
says which exited and which runs."""

import json
import os
import re
import time

import containers
import gh
from ctrace import HOOKS
from gh import GH_BIN, check, excerpt, main, require_bpf, run_host, unique

# 05:31:02.123456 [1234] openat(AT_FDCWD, "/missing", O_RDONLY) = -1 ENOENT
COMPLAINT = "cat: can't open '/missing': No such file or directory"
LINE = re.compile(r"^(\d\d:\d\d:\d\d\.\d{6}) \[(\d+)(?::(\d+))?\] (.*)$")


class Recorder(gh.Tracer):
    """gadgethost traceloop start, as a context manager (ready, stop, stderr)"""

    def __init__(self, socket, *args):
        super().__init__("traceloop", *args, fmt=None, host=False)
        self.socket = socket

    def command(self):
        return [GH_BIN, "traceloop", "start", "--socket", self.socket,
                "--ready-file", self.ready_file] + self.args


def traceloop(socket, *args):
    p = run_host("traceloop", *args, "--socket", socket)
    check(p.returncode == 0, "traceloop %s exited %d" % (" ".join(args), p.returncode),
          "stderr: " + excerpt(p.stderr))
    return p.stdout


def calls(dump):
    """the dump's lines without time and pid: [(pid, call text)]"""
    out = []
    for line in dump.splitlines():
        m = LINE.match(line)
        check(m, "a dump line not like '[HH:MM:SS.us] [pid] call(args) = ret'", line)
        out.append((int(m.group(2)), m.group(4)))
    return out


def wait_stopped(r, name):
    deadline = time.time() + 10
    while r.state(name).get("status") != "stopped" and time.time() < deadline:
        time.sleep(0.05)
    check(r.state(name).get("status") == "stopped", "container %s did not stop" % name)


def wait_listed(socket, name, state, timeout=10):
    deadline = time.time() + timeout
    while True:
        rows = [json.loads(l) for l in traceloop(socket, "list", "-o", "json").splitlines()]
        row = next((x for x in rows if x["name"] == name), None)
        if row and row["state"] == state:
            return rows
        check(time.time() < deadline, "%s not listed as %s" % (name, state), rows)
        time.sleep(0.05)


def test_traceloop_two_containers():
    require_bpf()
    a, b = unique("tla")[:30], unique("tlb")[:30]
    sock = "/run/gadgethost/%s.sock" % unique("tl")
    with containers.Runc() as r:
        ba = r.bundle(a, ["cat", "/missing"], hooks=HOOKS)
        bb = r.bundle(b, ["sh", "-c", "ls /etc/%s-b >/dev/null 2>&1; exec sleep 60" % b],
                      hooks=HOOKS)
        with Recorder(sock, "--verbose") as rec:
            r.create(a, ba)
            pid_a = r.pid(a)
            wait_listed(sock, a, "running")
            r.start(a)
            wait_stopped(r, a)
            r.create(b, bb)
            wait_listed(sock, b, "running")
            r.start(b)
            rows = wait_listed(sock, a, "exited")
            # b's ls has run once its sleep is the init's program
            deadline = time.time() + 10
            while time.time() < deadline:
                dump_b = traceloop(sock, "show", b)
                if "nanosleep" in dump_b or "clock_nanosleep" in dump_b:
                    break
                time.sleep(0.05)
            dump_a = traceloop(sock, "show", a)
            rows = [json.loads(l) for l in traceloop(sock, "list", "-o", "json").splitlines()]
            table = traceloop(sock, "list")
            r.delete(b)
            rows_after = wait_listed(sock, b, "exited")
            deleted = run_host("traceloop", "delete", a, "--socket", sock)
            rows_deleted = [json.loads(l) for l in
                            traceloop(sock, "list", "-o", "json").splitlines()]
            missing = run_host("traceloop", "show", a, "--socket", sock)
        rec.check_clean_exit()

    ca = calls(dump_a)
    want_tail = [
        (pid_a, 'openat(AT_FDCWD, "/missing", O_RDONLY) = -1 ENOENT'),
        (pid_a, 'write(2, "%s\\n", %d) = %d' % (COMPLAINT, len(COMPLAINT) + 1,
                                                   len(COMPLAINT) + 1)),
        (pid_a, "exit_group(1) = ?"),
    ]
    check(ca[-3:] == want_tail, "a's dump does not end with its openat, write, exit_group",
          "tail: %r" % ca[-6:], "stderr: " + excerpt(rec.stderr))
    check(any(c.startswith('execve("/bin/cat", 0x') for _, c in ca),
          "a's dump has no execve of /bin/cat", excerpt(dump_a))
    check(all(p == pid_a for p, _ in ca[-8:]), "a's last calls not all its init's", ca[-8:])

    cb = calls(dump_b)
    check(any(c.startswith('execve("/bin/sh", ') for _, c in cb), "b's dump has no execve of sh",
          excerpt(dump_b))
    check(any(('"/etc/%s-b"' % b) in c and "ENOENT" in c for _, c in cb),
          "b's dump lacks its ls of /etc/%s-b" % b, excerpt(dump_b))
    check("/missing" not in dump_b and all(p != pid_a for p, _ in cb),
          "b's dump has a's syscalls",
          [l for l in dump_b.splitlines() if "/missing" in l or ("[%d]" % pid_a) in l])
    check(("%s-b" % b) not in dump_a, "a's dump has b's syscalls")

    by_name = {x["name"]: x for x in rows}
    check(by_name.get(a, {}).get("state") == "exited" and
          by_name.get(b, {}).get("state") == "running",
          "list: a exited, b running", rows)
    # every call is an enter and an exit record, but those that never
    # returned; the ring (4096) holds all of a's
    n_records = 2 * len(ca) - sum(1 for _, c in ca if c.endswith("= ?") or "resumed>" in c)
    check(by_name[a]["records"] == n_records, "list: a's records are not the dump's %d"
          % n_records, rows)
    check(by_name[a]["id"] == a, "list: a's id", rows)
    check(re.search(r"^%s\s+%s\s+exited\s+\d+$" % (re.escape(a), re.escape(a[:12])), table,
                    re.M), "the list table has no row for a", table)
    check({x["name"]: x["state"] for x in rows_after}.get(b) == "exited",
          "b not exited after runc delete", rows_after)
    check(deleted.returncode == 0, "delete a failed", deleted.stderr)
    check(a not in [x["name"] for x in rows_deleted], "a still listed after delete",
          rows_deleted)
    check(missing.returncode == 1 and ("no container %s recorded" % a) in missing.stderr,
          "show of a deleted ring: a one-line error", missing.stderr)


def test_traceloop_ring_wraps():
    """--entries 64: the ring keeps the last 64 records, the end intact"""
    require_bpf()
    a = unique("tlw")[:30]
    sock = "/run/gadgethost/%s.sock" % unique("tl")
    with containers.Runc() as r:
        ba = r.bundle(a, ["cat", "/missing"], hooks=HOOKS)
        with Recorder(sock, "--entries", "64") as rec:
            r.create(a, ba)
            pid_a = r.pid(a)
            wait_listed(sock, a, "running")
            r.start(a)
            wait_stopped(r, a)
            rows = wait_listed(sock, a, "exited")
            dump = traceloop(sock, "show", a)
        rec.check_clean_exit()
    ca = calls(dump)
    check([x for x in rows if x["name"] == a][0]["records"] == 64, "not 64 records held", rows)
    n_records = 2 * len(ca) - sum(1 for _, c in ca if c.endswith("= ?") or "resumed>" in c)
    check(n_records == 64, "the dump is not the ring's 64 records (%d)" % n_records, dump)
    check(ca[-1] == (pid_a, "exit_group(1) = ?") and
          ca[-3] == (pid_a, 'openat(AT_FDCWD, "/missing", O_RDONLY) = -1 ENOENT'),
          "the wrapped ring's end", ca[-4:])


def test_traceloop_errors():
    """bad use: one line naming what is wrong, exit 1"""
    sock = "/run/gadgethost/%s.sock" % unique("tlx")
    cases = [
        (["traceloop", "list", "--socket", sock],
         "%s: no traceloop recorder answers there" % sock),
        (["traceloop", "show", "--socket", sock], "which container?"),
        (["traceloop", "frobnicate"], 'unknown command "frobnicate"'),
        (["traceloop", "start", "--entries", "8"], "--entries: at least 16"),
        (["traceloop", "start", "--keep", "many"], '--keep: "many" is not a number'),
        (["traceloop", "start", "--bogus"], "start: unknown option --bogus"),
    ]
    for args, want in cases:
        p = run_host(*args)
        lines = p.stderr.strip().splitlines()
        check(p.returncode == 1 and len(lines) == 1 and want in lines[0],
              "%s: wanted exit 1 and one line with %r" % (" ".join(args), want),
              "rc %d" % p.returncode, p.stderr)
    # a second recorder on a socket someone answers on: refused, the
    # first one unharmed
    with Recorder(sock) as rec:
        p = run_host("traceloop", "start", "--socket", sock)
        check(p.returncode == 1 and "another traceloop recorder answers there" in p.stderr,
              "a second recorder on the same socket", p.stderr)
        traceloop(sock, "list")
        missing = run_host("traceloop", "show", "nosuch", "--socket", sock)
        check(missing.returncode == 1 and "no container nosuch recorded" in missing.stderr,
              "show of an unknown container", missing.stderr)
    rec.check_clean_exit()
    check(not os.path.exists(sock), "the socket is left behind", sock)


def test_traceloop_through_daemon():
    """the node service serves the recorder's rings: GET /v1/traceloop is
    `list -o json`, GET /v1/traceloop/NAME is `show NAME`; no recorder: 503"""
    require_bpf()
    from ghdaemon import Daemon
    a = unique("tld")[:30]
    sock = "/run/gadgethost/%s.sock" % unique("tl")
    with containers.Runc() as r:
        ba = r.bundle(a, ["cat", "/missing"], hooks=HOOKS)
        with Daemon("--traceloop-socket", sock) as d:
            status, body = d.get("/v1/traceloop")
            check(status == 503 and b"no traceloop recorder answers there" in body,
                  "no recorder: wanted 503 naming the socket", status, body)
            with Recorder(sock) as rec:
                r.create(a, ba)
                wait_listed(sock, a, "running")
                r.start(a)
                wait_stopped(r, a)
                wait_listed(sock, a, "exited")
                status, listed = d.get("/v1/traceloop")
                local_list = traceloop(sock, "list", "-o", "json")
                status_cols, cols = d.get("/v1/traceloop?o=columns")
                status_show, shown = d.get("/v1/traceloop/" + a)
                local_show = traceloop(sock, "show", a)
                status_none, none = d.get("/v1/traceloop/nosuch")
                status_bad, _ = d.get("/v1/traceloop/" + a + "/x")
                status_del, _, _ = d.request(b"DELETE /v1/traceloop/%s HTTP/1.1\r\nHost: x"
                                             b"\r\n\r\n" % a.encode())
                after = traceloop(sock, "list", "-o", "json")
            rec.check_clean_exit()
            check(d.proc.poll() is None, "the daemon died", excerpt(d.log))
    check(status == 200 and listed.decode() == local_list,
          "GET /v1/traceloop is not `traceloop list -o json`", status, listed, local_list)
    check(status_cols == 200 and cols.decode().startswith("NAME") and a in cols.decode(),
          "GET /v1/traceloop?o=columns", status_cols, cols)
    # the same lines; the wall clock of each dump is worked out anew (1 us off)
    served, local = calls(shown.decode()), calls(local_show)
    check(status_show == 200 and served == local and served,
          "GET /v1/traceloop/NAME is not `traceloop show NAME`", status_show,
          [(x, y) for x, y in zip(served, local) if x != y][:3], len(served), len(local))
    check(calls(shown.decode())[-1][1] == "exit_group(1) = ?", "the served dump's end",
          excerpt(shown.decode()))
    check(status_none == 404 and b"no container nosuch recorded" in none,
          "an unknown container: 404 with the recorder's reason", status_none, none)
    check(status_bad == 400, "a name with a slash: 400", status_bad)
    check(status_del == 204 and a not in after, "DELETE /v1/traceloop/NAME forgets it",
          status_del, after)


if __name__ == "__main__":
    main([test_traceloop_two_containers, test_traceloop_ring_wraps, test_traceloop_errors,
          test_traceloop_through_daemon])
