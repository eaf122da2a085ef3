#!/usr/bin/env python3
"""What a remote client may not do through POST /v1/runs (issue 17,
finding 1), tried for real against a daemon of the test's own: Lua code
and files through "args", "options", "output", "filters" and "params",
--netns to a FIFO or any path, --watch, Lua limits of 0 or above the
daemon's.  Each is refused with its status and one line naming what, the
refusal is in the daemon's log, and nothing is written or read on the
node: the file the payload would write does not exist, the FIFO was never
opened, a secret file's content shows nowhere.  And what a client may do
still works: --lua and a client's --lua-file on a daemon that allows
inline Lua; each run's arguments and client in the log, escaped."""

import errno
import json
import os
import shutil
import stat
import tempfile

from gh import (Failure, check, describe, excerpt, main, private_workload, scaled, unique,
                workload)
from ghdaemon import Daemon, RemoteTracer, wait_for

GADGET = "trace/exec.lua"


class Scratch:
    """a directory of the test's own, with a marker path the payloads
    would create, and a secret file they would read"""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="gh-sec-")
        self.secret = unique("secret")
        self.secret_file = os.path.join(self.dir, "secret")
        with open(self.secret_file, "w") as f:
            f.write("password " + self.secret + "\n")  # Lua that fails quoting the secret
        os.chmod(self.secret_file, 0o600)

    def marker(self, name):
        return os.path.join(self.dir, "written-" + name)

    def lua_writing(self, name):
        """Lua that leaves a file behind, by os and by io"""
        path = self.marker(name)
        return ('os.execute("touch %s-os"); local f = io.open("%s-io", "w"); '
                'if f then f:write("x"); f:close() end' % (path, path))

    def written(self):
        return sorted(n for n in os.listdir(self.dir) if n.startswith("written-"))

    def cleanup(self):
        shutil.rmtree(self.dir, ignore_errors=True)


def post(obj):
    body = json.dumps(obj).encode()
    return b"POST /v1/runs HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n%s" % (len(body),
                                                                                    body)


def shadow_lines():
    """the hashed lines of /etc/shadow (root reads it), to find in no answer"""
    try:
        with open("/etc/shadow") as f:
            return [l.strip() for l in f if l.count(":") > 3 and len(l.split(":")[1]) > 3]
    except OSError:
        return []


def refused(d, s, what, request, status, *needles):
    """request answered status with one line naming every needle; the
    refusal in the log; nothing written in s; no run left"""
    runs_before = d.log.count(" did not start: ")
    try:
        got, _, body = d.request(post(request), timeout=10)
    except OSError:  # a timeout: the run started and streams
        for r in d.runs():
            d.request(b"DELETE /v1/runs/%d HTTP/1.1\r\nHost: x\r\n\r\n" % r["id"])
        raise Failure("%s: not refused: a run started" % what, excerpt(d.log))
    text = body.decode("utf-8", "replace")
    lines = text.strip().splitlines()
    # first what must not happen at all, then how it was said
    check(not s.written(), "%s: the payload wrote on the node" % what, s.written())
    check(s.secret not in text and s.secret not in d.log,
          "%s: the secret file's content shows" % what, text[:600])
    for line in shadow_lines():
        check(line not in text and line not in d.log,
              "%s: /etc/shadow's content shows" % what)
    check(got == status, "%s: answered %d, wanted %d" % (what, got, status), text[:600])
    check(len(lines) == 1 and lines[0].startswith("gadgethost: "),
          "%s: not one line \"gadgethost: ...\"" % what, text[:600])
    for n in needles:
        check(n in lines[0], "%s: the answer does not name %r" % (what, n), lines[0])
    # in the log: refused by the daemon (no child), or by the run's own parser
    said = lines[0][len("gadgethost: "):]
    wait_for(lambda: "refused a run for unix uid 0 (%d): %s" % (status, said) in d.log or
             (status == 400 and " did not start: gadgethost: " + said in d.log),
             5, "%s: the refusal is not in the daemon's log" % what,
             lambda: excerpt(d.log))
    if status == 403:
        check(d.log.count(" did not start: ") == runs_before,
              "%s: a run was started for a refused request" % what, excerpt(d.log))
    check(not s.written(), "%s: the payload wrote on the node" % what, s.written())
    check(d.ping()["runs"] == 0, "%s: a run is left" % what, d.runs())
    return lines[0]


def test_lua_through_args_and_options():
    """--lua CODE, --lua=CODE, "options": {"lua": [...]} on a daemon
    without --allow-inline-lua: 403 naming --lua, the code never runs"""
    s = Scratch()
    try:
        with Daemon() as d:
            for what, req in [
                    ("args --lua CODE", {"args": ["--lua", s.lua_writing("a")]}),
                    ("args --lua=CODE", {"args": ["--lua=" + s.lua_writing("b")]}),
                    ("args after a valid option", {"args": ["--comm", "sh", "--lua",
                                                            s.lua_writing("c")]}),
                    ("options lua", {"options": {"lua": [s.lua_writing("d")]}}),
                    ("options lua, a string", {"options": {"lua": s.lua_writing("e")}})]:
                req["gadget"] = GADGET
                refused(d, s, what, req, 403, "--lua is not allowed in a remote run",
                        "--allow-inline-lua")
    finally:
        s.cleanup()


def test_lua_file_never_read():
    """--lua-file names a file on the node: 403 whatever the file, and its
    content (a script that writes, /etc/shadow) neither runs nor shows"""
    s = Scratch()
    try:
        writer = os.path.join(s.dir, "writer.lua")
        with open(writer, "w") as f:
            f.write(s.lua_writing("file") + "\n")
        with Daemon("--allow-inline-lua") as d:
            answers = set()
            for what, req in [
                    ("args --lua-file secret", {"args": ["--lua-file", s.secret_file]}),
                    ("args --lua-file shadow", {"args": ["--lua-file", "/etc/shadow"]}),
                    ("args --lua-file=writer", {"args": ["--lua-file=" + writer]}),
                    ("args --lua-file missing", {"args": ["--lua-file", s.dir + "/none"]}),
                    ("options lua-file", {"options": {"lua-file": [writer]}}),
                    ("params lua-file", {"params": {"lua-file": s.secret_file}})]:
                req["gadget"] = GADGET
                answers.add(refused(d, s, what, req, 403,
                                    "--lua-file is not allowed in a remote run"))
            # the same answer for a file that exists and one that does not
            check(len(answers) == 1, "the answers tell files apart", answers)
    finally:
        s.cleanup()


def test_values_stay_values():
    """a value that reads like an option ("--lua=CODE") in "output",
    "filters", "params" or "timeout" stays that option's value: refused by
    the option it belongs to, the code never runs"""
    s = Scratch()
    try:
        with Daemon() as d:
            code = "--lua=" + s.lua_writing("v")
            for what, req, status, needles in [
                    ("output", {"output": code}, 400, ["-o: unknown output format"]),
                    ("output -o", {"output": "-o"}, 400, ["-o: unknown output format \"-o\""]),
                    ("filters", {"filters": [code]}, 400, ["unknown field \"--lua\""]),
                    ("filters after a valid one", {"filters": ["pid>=0", code]}, 400,
                     ["unknown field \"--lua\""]),
                    ("params lua", {"params": {"lua": s.lua_writing("p")}}, 403,
                     ["--lua is not allowed in a remote run"]),
                    ("params value", {"params": {"k": code}}, 400, ["unknown option --k"]),
                    ("params key", {"params": {"--lua": "x"}}, 400,
                     ["\"params\": \"--lua\" is not a param name"]),
                    ("timeout", {"timeout": code}, 400,
                     ['--timeout: "' + code[:20], "is not a positive number of seconds"]),
                    ("fields", {"options": {"fields": code}}, 400,
                     ["unknown field \"-lua=", "in --fields"])]:
                req["gadget"] = GADGET
                refused(d, s, what, req, status, *needles)
    finally:
        s.cleanup()


def test_netns_never_opened():
    """--netns opens a path on the node: 403 for a FIFO (never opened: a
    writer finds no reader), a missing path and a file alike"""
    s = Scratch()
    try:
        fifo = os.path.join(s.dir, "fifo")
        os.mkfifo(fifo)
        with Daemon() as d:
            answers = set()
            for what, req in [
                    ("args --netns FIFO", {"args": ["--netns", fifo]}),
                    ("args --netns=FIFO", {"args": ["--netns=" + fifo]}),
                    ("options netns", {"options": {"netns": [fifo]}}),
                    ("params netns", {"params": {"netns": fifo}}),
                    ("a missing path", {"args": ["--netns", s.dir + "/none"]}),
                    ("a file", {"args": ["--netns", "/etc/passwd"]}),
                    ("a named netns", {"args": ["--netns", "/run/netns/x"]})]:
                req["gadget"] = "trace/dns.lua"  # socket programs: --netns means something
                answers.add(refused(d, s, what, req, 403, "--netns is not allowed in a remote "
                                    "run: it opens a path on the node"))
                try:
                    fd = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
                except OSError as e:
                    check(e.errno == errno.ENXIO, "%s: opening the FIFO: %s" % (what, e))
                else:
                    os.close(fd)
                    raise Failure("%s: something on the node has the FIFO open" % what)
            check(len(answers) == 1, "the answers tell paths apart", answers)
            check(stat.S_ISFIFO(os.stat(fifo).st_mode), "the FIFO is gone")
    finally:
        release(fifo)
        s.cleanup()


def release(fifo):
    """let go of a run that a failed test left blocked opening the FIFO"""
    try:
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
    except OSError:
        pass


def test_watch_and_no_limit():
    """--watch, Lua limits a client would remove (0), the sandbox of its
    Lua (the daemon's to set): 403 naming each"""
    s = Scratch()
    try:
        with Daemon() as d:
            for what, req, needles in [
                    ("args --watch", {"args": ["--watch"]}, ["--watch is not allowed"]),
                    ("options watch", {"options": {"watch": True}}, ["--watch is not allowed"]),
                    ("memory 0", {"args": ["--lua-memory-limit=0"]},
                     ["--lua-memory-limit is not allowed", "0 (no limit)"]),
                    ("memory 0 as a number", {"options": {"lua-memory-limit": 0}},
                     ["--lua-memory-limit is not allowed", "0 (no limit)"]),
                    ("instructions 0", {"args": ["--lua-instruction-limit", "0"]},
                     ["--lua-instruction-limit is not allowed", "0 (no limit)"]),
                    ("instructions 0 in params", {"params": {"lua-instruction-limit": "0K"}},
                     ["--lua-instruction-limit is not allowed", "0 (no limit)"]),
                    ("time 0", {"args": ["--lua-time-limit=0"]},
                     ["--lua-time-limit is not allowed", "0 (no limit)"]),
                    ("no sandbox", {"args": ["--lua-sandbox", "layers"]},
                     ["--lua-sandbox is not allowed in a remote run: the daemon sets it"])]:
                req["gadget"] = GADGET
                refused(d, s, what, req, 403, *needles)
    finally:
        s.cleanup()


def test_limits_below_the_daemons():
    """a client may lower the daemon's Lua limits, not raise them; a run
    that gave none gets the daemon's"""
    s = Scratch()
    try:
        with Daemon("--lua-instruction-limit", "5M") as d:
            for what, req, needles in [
                    ("instructions above", {"options": {"lua-instruction-limit": "6M"}},
                     ["--lua-instruction-limit is not allowed",
                      "6000000 is above this daemon's 5000000"]),
                    ("memory above", {"params": {"lua-memory-limit": "65M"}},
                     ["--lua-memory-limit is not allowed", "above this daemon's 67108864"]),
                    ("time above", {"options": {"lua-time-limit": 5.5}},
                     ["--lua-time-limit is not allowed", "5.500 is above this daemon's 5.000"])]:
                req["gadget"] = GADGET
                refused(d, s, what, req, 403, *needles)
            for args, want in [(["--lua-memory-limit", "2M", "--lua-time-limit", "0.25"],
                                ['"--lua-memory-limit=2097152"',
                                 '"--lua-instruction-limit=5000000"',
                                 '"--lua-time-limit=0.250"', '"--lua-sandbox=layers"']),
                               ([], ['"--lua-memory-limit=67108864"',
                                     '"--lua-instruction-limit=5000000"',
                                     '"--lua-time-limit=5.000"', '"--lua-sandbox=layers"'])]:
                status, _, body = d.request(post({"gadget": GADGET, "args": args + ["-h"]}),
                                            timeout=20)
                check(status == 200 and b"usage: gadgethost run" in body,
                      "a run with %s did not answer its help" % args, status, body[:300])
                line = d.wait_log(lambda log: [l for l in log.splitlines() if '"--help"' in l],
                                  "the run's log line")[-1]
                for w in want:
                    check(w in line, "the run's arguments do not have %s" % w, line)
    finally:
        s.cleanup()


def test_files_of_the_node():
    """the options that name files of the node (the daemon passes its own)"""
    s = Scratch()
    try:
        with Daemon() as d:
            for opt in ("--ready-file", "--hook-dir", "--runc-root", "--docker-socket"):
                for req in ({"args": [opt, s.marker("f")]},
                            {"options": {opt[2:]: s.marker("f")}},
                            {"params": {opt[2:]: s.marker("f")}}):
                    req["gadget"] = GADGET
                    refused(d, s, "%s %s" % (opt, list(req)[0]), req, 403,
                            "%s is not allowed in a remote run: it names a file on the node"
                            % opt)
    finally:
        s.cleanup()


def test_log_names_args_and_client_escaped():
    """each run's arguments and client in the log, and what clients send
    (a gadget name, an argument) escaped: no forged line, no bidi override"""
    tmp = tempfile.mkdtemp(prefix="gh-seclog-")
    try:
        wl, comm = private_workload(tmp)
        with Daemon() as d:
            forged = "trace/x.lua\n2030-01-01T00:00:00Z gadgethost daemon: FORGED"
            status, _, body = d.request(post({"gadget": forged}))
            check(status == 403, "an unknown gadget answered %d" % status, body)
            wait_for(lambda: "trace/x.lua\\n2030" in d.log, 5,
                     "the refused gadget name is not in the log, escaped", lambda: d.log)
            check(not any(l.startswith("2030-") for l in d.log.splitlines()),
                  "a client forged a log line", excerpt(d.log))
            rlo = "a\u202eb"
            status, _, body = d.request(post({"gadget": GADGET, "timeout": 0.2,
                                              "options": {"comm": rlo}, "filters": ["pid>0"]}))
            check(status == 200, "the run with --comm %r answered %d" % (rlo, status), body)
            wait_for(lambda: "ended: exit 0" in d.log, 10, "the run did not end",
                     lambda: d.log)
            line = [l for l in d.log.splitlines() if " for unix uid 0: pid " in l][-1]
            for want in ['"--comm=a\\u202eb"', '"--filter=pid>0"', '"--timeout=0.200"',
                         '"--output=json"', "for unix uid 0"]:
                check(want in line, "the run's log line does not show %s" % want, line)
            check("\u202e" not in d.log, "a bidi override reached the log", excerpt(d.log))
            # and a run that works, its arguments as the client gave them
            t = RemoteTracer(d.url, GADGET, "--comm", comm, "--fields", "pid,comm")
            with t:
                pass
            t.check_clean_exit()
            line = d.wait_log(lambda log: [l for l in log.splitlines() if " for unix uid 0: pid "
                                           in l and '"--fields=pid,comm"' in l],
                              "the remote run's log line")[-1]
            check('"--comm=%s"' % comm in line and '"--fields=pid,comm"' in line and
                  '"--host"' in line and '"--output=json"' in line,
                  "the remote run's arguments are not in the log", line)
    finally:
        shutil.rmtree(tmp)


def test_client_lua_layers():
    """on a daemon that allows inline Lua: --lua and a --lua-file the
    client reads and sends, in their order, both at work in the run"""
    tmp = tempfile.mkdtemp(prefix="gh-seclua-")
    try:
        wl, comm = private_workload(tmp)
        prefix = unique("layer")
        extra = os.path.join(tmp, "extra.lua")
        with open(extra, "w") as f:
            f.write('local base = filter\n'
                    'filter = function(ev) return (base == nil or base(ev)) and '
                    'ev.args[2] ~= "%s-1" end\n' % prefix)
        with Daemon("--allow-inline-lua") as d:
            t = RemoteTracer(d.url, GADGET, "-F", "pcomm==" + comm,
                             "--lua", 'filter = function(ev) return ev.args[2] ~= "%s-0" end'
                             % prefix, "--lua-file", extra)
            with t:
                workload("exec", 4, prefix, binary=wl)
                wait_for(lambda: t.stdout.count(prefix) >= 2, 10,
                         "the remote run did not show the execs", lambda: t.stdout)
            t.check_clean_exit()
            got = sorted(e["args"][1] for e in t.events() if e.get("comm") == "true" and
                         any(prefix in a for a in e.get("args") or []))
            check(got == ["%s-2" % prefix, "%s-3" % prefix],
                  "the layers did not both filter, in order", describe(t.events()))
            line = d.wait_log(lambda log: [l for l in log.splitlines()
                                           if " for unix uid 0: pid " in l],
                              "the remote run's log line")[-1]
            check('"--lua=filter = function' in line and "--lua-file" not in line,
                  "the --lua-file was not sent as its code", line)
        with Daemon() as d:
            r = RemoteTracer(d.url, GADGET, "--lua-file", extra, ready=False)
            r.start()
            rc = r.wait(scaled(20))
            check(rc == 1 and "--lua is not allowed in a remote run" in r.stderr,
                  "a client's --lua-file on a daemon without --allow-inline-lua", rc, r.stderr)
    finally:
        shutil.rmtree(tmp)


if __name__ == "__main__":
    main([test_lua_through_args_and_options, test_lua_file_never_read, test_values_stay_values,
          test_netns_never_opened, test_watch_and_no_limit, test_limits_below_the_daemons,
          test_files_of_the_node,
          test_log_names_args_and_client_escaped, test_client_lua_layers])
