#!/usr/bin/env python3
"""Integration tests of trace/open.lua: the workload opens files in a fresh
temporary directory, so every event about it is known."""

import json
import os
import re
import shutil
import subprocess
import tempfile

from gh import (WORKLOAD, Tracer, check, describe, excerpt,
                main, scaled, workload, write_gadget)

GADGET = "trace/open.lua"
FIELDS = {"timestamp", "mountnsid", "pid", "tid", "ppid", "uid", "gid", "comm", "fd", "err",
          "flagsRaw", "modeRaw", "path", "flags", "mode"}  # host processes: no container fields
N = 20


class Scene:
    """a temp dir; N files opened O_RDONLY and one missing path, by the workload"""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="gh-open-")
        self.paths = [os.path.join(self.dir, "file-%d" % i) for i in range(N)]
        self.missing = os.path.join(self.dir, "no-such-file")
        self.w = None
        self.wm = None

    def run(self, n=N, missing=True):
        self.w = workload("open", n, self.dir)
        if missing:
            self.wm = workload("open-missing", self.missing)

    def ours(self, evs):
        return [e for e in evs if str(e.get("path", "")).startswith(self.dir + "/")]

    def cleanup(self):
        shutil.rmtree(self.dir, ignore_errors=True)


def flags_text(v):
    """the flags field as "A|B" (a list is accepted too)"""
    return "|".join(v) if isinstance(v, list) else v


def traced(*args, fmt="json", n=N, missing=True):
    """run the scene under the tracer; (scene, tracer)"""
    s = Scene()
    try:
        with Tracer(GADGET, *args, fmt=fmt) as t:
            s.run(n, missing)
        t.check_clean_exit()
    finally:
        s.cleanup()
    return s, t


def check_successes(s, evs, full=True):
    ok = [e for e in evs if e.get("path") in s.paths]
    check(sorted(e["path"] for e in ok) == sorted(s.paths),
          "wanted each of the %d paths exactly once" % N, describe(ok))
    for e in ok:
        check(e["fd"] >= 0 and e["err"] == 0, "fd/err of a successful open wrong", e)
        check(e["comm"] == "workload", "comm is not \"workload\"", e)
        check(e["pid"] == s.w.pid, "pid %r is not the workload's %d" % (e["pid"], s.w.pid), e)
        if full:
            check(set(e) == FIELDS, "fields differ from the documented ones",
                  "missing: %s extra: %s" % (sorted(FIELDS - set(e)), sorted(set(e) - FIELDS)), e)
            check(e["tid"] == e["pid"], "tid != pid", e)
            check(e["ppid"] == os.getpid(), "ppid %r is not the test's pid %d"
                  % (e["ppid"], os.getpid()), e)
            check(e["uid"] == 0 and e["gid"] == 0, "uid/gid not 0", e)
            check(flags_text(e["flags"]) == "O_RDONLY", "flags %r, wanted \"O_RDONLY\"" % e["flags"], e)
            check(e["flagsRaw"] & 3 == 0, "flagsRaw is not O_RDONLY", e)
            check(isinstance(e["timestamp"], int) and e["timestamp"] > 0, "bad timestamp", e)
    return ok


def check_missing(s, evs):
    bad = [e for e in evs if e.get("path") == s.missing]
    check(len(bad) == 1, "wanted the failed open of %s once" % s.missing, describe(bad))
    e = bad[0]
    check(e["err"] == 2 and e["fd"] == -1, "failed open: err %r fd %r, wanted 2 and -1"
          % (e["err"], e["fd"]), e)
    check(e["comm"] == "workload" and e["pid"] == s.wm.pid, "comm/pid of the failed open", e)
    return e


def test_open_exact():
    """20 opens of unique paths and a missing one: exact events"""
    s, t = traced()
    evs = s.ours(t.events())
    check_successes(s, evs)
    e = check_missing(s, evs)
    check(set(e) == FIELDS, "fields of the failed open differ", e)
    check(len(evs) == N + 1, "wanted %d events about the temp dir" % (N + 1), describe(evs))


def test_open_create_mode():
    """an O_CREAT open (by python3 itself): flags and mode by name"""
    d = tempfile.mkdtemp(prefix="gh-open-")
    path = os.path.join(d, "created")
    try:
        with Tracer(GADGET) as t:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
            os.close(fd)
        t.check_clean_exit()
    finally:
        shutil.rmtree(d, ignore_errors=True)
    evs = [e for e in t.events() if e.get("path") == path]
    check(len(evs) == 1, "wanted one event for %s" % path, describe(evs))
    e = evs[0]
    check(e["pid"] == os.getpid() and e["fd"] >= 0 and e["err"] == 0, "pid/fd/err wrong", e)
    # python's os.open adds O_CLOEXEC (PEP 446)
    want = "O_WRONLY|O_CREAT|O_TRUNC|O_CLOEXEC"
    check(e["flagsRaw"] == os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC,
          "flagsRaw %#x, wanted %#x" % (e["flagsRaw"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC
                                        | os.O_CLOEXEC), e)
    check(set(flags_text(e["flags"]).split("|")) == set(want.split("|")),
          "flags %r, wanted the names %s" % (e["flags"], want), e)
    check(flags_text(e["flags"]) == want,
          "flags %r: names not in the order of their bits (%s)" % (e["flags"], want), e)
    check(e["modeRaw"] == 0o644 and e["mode"] == "-rw-r--r--",
          "modeRaw %r mode %r, wanted 420 and \"-rw-r--r--\"" % (e["modeRaw"], e["mode"]), e)


def test_open_filter_expr():
    """--filter 'comm==workload,fd>=0' drops the failed open and other processes"""
    s, t = traced("--filter", "comm==workload,fd>=0")
    evs = t.events()
    check_successes(s, evs)
    bad = [e for e in evs if e.get("comm") != "workload" or e.get("fd", -1) < 0]
    check(not bad, "events the filter should have dropped", describe(bad))


def test_open_fields():
    """--fields pid,comm,fd,err,path: JSON objects with exactly those keys"""
    s, t = traced("--fields", "pid,comm,fd,err,path")
    evs = t.events()
    check(evs, "no events at all", "stderr: " + t.stderr)
    want = {"pid", "comm", "fd", "err", "path"}
    bad = [e for e in evs if set(e) != want]
    check(not bad, "objects with other keys than %s" % sorted(want), describe(bad))
    check_successes(s, s.ours(evs), full=False)
    check_missing(s, s.ours(evs))


def test_open_filter_old_syntax():
    """-F comm:workload (the old field:value syntax)"""
    s, t = traced("-F", "comm:workload")
    evs = t.events()
    check_successes(s, evs)
    check_missing(s, evs)
    bad = [e for e in evs if e.get("comm") != "workload"]
    check(not bad, "events from other commands passed -F comm:workload", describe(bad))


def test_open_failed_param():
    """--failed keeps only the failed opens"""
    s, t = traced("--failed")
    evs = t.events()
    check_missing(s, evs)
    ok = [e for e in evs if e.get("err") == 0 or e.get("fd", -1) >= 0]
    check(not ok, "--failed printed successful opens", describe(ok))


def test_open_yaml():
    """-o yaml: documents separated by ---, with path: keys"""
    s, t = traced(fmt="yaml", n=3, missing=False)
    out = t.stdout
    check("---" in out and "path:" in out, "no --- or no path: in the YAML", excerpt(out))
    docs = [d for d in re.split(r"^---.*$|^\.\.\.$", out, flags=re.M) if d.strip()]
    ours = [d for d in docs if s.dir + "/file-" in d]
    check(len(ours) == 3, "wanted 3 YAML documents about the temp dir, got %d" % len(ours),
          excerpt("\n---".join(ours)))
    for d in ours:
        keys = {l.split(":", 1)[0].strip() for l in d.splitlines()
                if ":" in l and not l.startswith((" ", "-"))}
        missing = FIELDS - keys
        check(not missing, "YAML document lacks %s" % sorted(missing), d)
        check(any(l.startswith("comm:") and "workload" in l for l in d.splitlines()),
              "no comm: workload line", d)


def test_open_jsonpretty():
    """-o jsonpretty: a stream of indented JSON objects"""
    s, t = traced(fmt="jsonpretty", n=3, missing=False)
    out = t.stdout
    dec = json.JSONDecoder()
    objs, i = [], 0
    while True:
        while i < len(out) and out[i].isspace():
            i += 1
        if i >= len(out):
            break
        try:
            obj, i = dec.raw_decode(out, i)
        except ValueError as e:
            raise AssertionError("jsonpretty output does not parse at offset %d: %s\n    %r"
                                 % (i, e, out[i:i + 300]))
        objs.extend(obj if isinstance(obj, list) else [obj])
    check("\n  " in out, "jsonpretty output is not indented", excerpt(out))
    ours = s.ours([o for o in objs if isinstance(o, dict)])
    check(len(ours) == 3, "wanted 3 objects about the temp dir", describe(ours))
    for o in ours:
        check(set(o) == FIELDS, "fields differ from the documented ones", o)


def test_open_kernel_pid_filter():
    """--pid PID (in the kernel): python3's own opens only, not the workload's"""
    s = Scene()
    mine = os.path.join(s.dir, "mine")
    try:
        with Tracer(GADGET, "--pid", str(os.getpid())) as t:
            s.run(3, missing=False)
            with open(mine, "w"):
                pass
        t.check_clean_exit()
    finally:
        s.cleanup()
    evs = t.events()
    others = [e for e in evs if e.get("pid") != os.getpid()]
    check(not others, "--pid %d let other processes through" % os.getpid(), describe(others))
    check([e["path"] for e in s.ours(evs)] == [mine], "wanted only python3's open of %s" % mine,
          describe(s.ours(evs)))


def test_open_kernel_uid_filter():
    """--uid 65534 (in the kernel): the open by nobody only; uid and gid right"""
    setpriv = shutil.which("setpriv")
    check(setpriv, "setpriv (util-linux) is not installed")
    s = Scene()
    os.chmod(s.dir, 0o755)  # nobody may look for a file in it
    try:
        with Tracer(GADGET, "--uid", "65534") as t:
            workload("open-missing", s.missing)  # as root: filtered out
            p = subprocess.run([setpriv, "--reuid=65534", "--regid=65534", "--clear-groups",
                                os.environ["GH_WORKLOAD"], "open-missing", s.missing + "-nobody"],
                               stderr=subprocess.PIPE, text=True)
            check(p.returncode == 0, "workload as nobody failed", p.stderr)
        t.check_clean_exit()
    finally:
        s.cleanup()
    evs = t.events()
    root = [e for e in evs if e.get("uid") != 65534]
    check(not root, "--uid 65534 let other users through", describe(root))
    ours = s.ours(evs)
    check(len(ours) == 1 and ours[0]["path"] == s.missing + "-nobody", "wanted nobody's open only",
          describe(ours))
    e = ours[0]
    check(e["uid"] == 65534 and e["gid"] == 65534 and e["comm"] == "workload" and e["err"] == 2,
          "uid/gid/comm/err of nobody's open", e)


def test_open_kernel_mntns_filter():
    """--mntnsid ID (in the kernel): only the process in that mount namespace;
    a storm on the host meanwhile never reaches userspace (host's own count)"""
    missing = "/nonexistent/" + os.path.basename(tempfile.mktemp(prefix="gh-mntns-"))
    # a process in a new mount namespace: says its id, waits for a line, opens
    p = subprocess.Popen(["unshare", "-m", "--propagation", "private", "sh", "-c",
                          'stat -L -c %i /proc/self/ns/mnt; read go; exec "$0" open-missing "$1"',
                          WORKLOAD, missing],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True)
    try:
        mntns = int(p.stdout.readline())
        host_mntns = os.stat("/proc/self/ns/mnt").st_ino
        check(mntns != host_mntns, "unshare -m gave no new mount namespace")
        with Tracer(GADGET, "--mntnsid", str(mntns), "--verbose") as t:
            workload("open-storm", 20000)
            p.stdin.write("go\n")
            p.stdin.flush()
            check(p.wait(scaled(30)) == 0, "the process in the new mount namespace failed",
                  p.stderr.read())
        t.check_clean_exit()
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    evs = t.events()
    # every event is from that namespace (under ASan, LeakSanitizer's helper
    # process is in it too); the storm on the host is not
    foreign = [e for e in evs if e["mountnsid"] != mntns]
    check(evs and not foreign, "events from outside mount namespace %d" % mntns,
          describe(foreign or evs))
    mine = [e for e in evs if e["path"] == missing]
    check(len(mine) == 1 and mine[0]["err"] == 2 and mine[0]["comm"] == "workload" and
          mine[0]["pid"] == p.pid, "wanted the failed open of %s once, by pid %d"
          % (missing, p.pid), describe(evs))
    check(not [e for e in evs if e["path"] in ("/etc/hostname", "/nonexistent/gadgethost-storm")],
          "the host's storm came through", describe(evs))
    m = re.search(r"(\d+) events received", t.stderr)
    check(m and int(m.group(1)) == len(evs),
          "the host received %s events for %d printed: the kernel let the storm through"
          % (m.group(1) if m else "?", len(evs)), excerpt(t.stderr))
def test_open_leaves_itself_out():
    """the tracer's own opens (its container runtimes' state, every second)
    are left out in the kernel; --trace-self shows them.  Two runs at once:
    the --trace-self one sees both runs' opens, the other one none of its
    own while they happen."""
    def mine(t, pid):
        return [e for e in t.events_so_far() if e["pid"] == pid]

    with Tracer(GADGET) as plain, Tracer(GADGET, "--trace-self") as traced:
        traced.wait_for(lambda: len(mine(traced, plain.proc.pid)) >= 3 and
                        mine(traced, traced.proc.pid),
                        "3 opens of the other run and one of its own", timeout=20)
    for t in (plain, traced):
        t.check_clean_exit()
    own = mine(plain, plain.proc.pid)
    check(not own, "the run reported its own opens", describe(own))


def test_open_non_utf8_path_recoverable():
    """a path that is not UTF-8: JSON writes each bad byte as \\udcXX
    (surrogateescape), so the exact bytes come back, not U+FFFD"""
    tmp = tempfile.mkdtemp(prefix="gh-bytes-")
    try:
        raw = os.fsencode(tmp) + b"/gh-\xff\xfe-\xe2\x82-\xc3\xa9"
        with Tracer(GADGET, "--pid", str(os.getpid())) as t:
            os.close(os.open(raw, os.O_CREAT | os.O_WRONLY, 0o600))
        t.check_clean_exit()
        got = [e["path"].encode("utf-8", "surrogateescape") for e in t.events()
               if e["path"].startswith(tmp)]
        check(got == [raw], "the path's bytes do not come back", got, raw)
        check("\\udcff\\udcfe-\\udce2\\udc82-\u00e9" in t.stdout,
              "the bad bytes are not \\udcXX (and the good é is kept)", excerpt(t.stdout))
    finally:
        shutil.rmtree(tmp)


def test_lua_filter_in_c():
    """a script whose filter only compares members with constants is judged
    in C (-v says as which -F); the same filter written so that it stays a
    Lua call keeps exactly the same rows of the same run"""
    src = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
        os.path.abspath(__file__)))), "gadgets", "trace", "open.lua")
    d = tempfile.mkdtemp(prefix="gh-filter-c-")
    scripts = []
    for name, cond in (("in-c.lua", 'ev.comm == "workload" and ev.fd >= 0 and 0 < ev.pid'),
                       ("in-lua.lua", 'ev.comm == "workload" and ev.fd >= 0 and 0 < ev.pid '
                                      'and true')):
        scripts.append(write_gadget(d, name, "local g = dofile(%r)\n"
                                    "g.filter = function(ev) return %s end\n"
                                    "return g\n" % (src, cond)))
    s = Scene()
    try:
        with Tracer(scripts[0], "-v") as in_c, Tracer(scripts[1], "-v") as in_lua:
            s.run()
        in_c.check_clean_exit()
        in_lua.check_clean_exit()
    finally:
        s.cleanup()
        shutil.rmtree(d, ignore_errors=True)
    check("filter(ev): judged in C, as -F 'comm==workload,fd>=0,pid>0'" in in_c.stderr,
          "the first script's filter judged in C", excerpt(in_c.stderr))
    check("filter(ev): a Lua call per event" in in_lua.stderr,
          "the second script's filter a Lua call", excerpt(in_lua.stderr))
    rows = [sorted((e["pid"], e["fd"], e["path"]) for e in s.ours(t.events()))
            for t in (in_c, in_lua)]
    check(rows[0] == rows[1], "the same rows", describe(s.ours(in_c.events())),
          describe(s.ours(in_lua.events())))
    check(sorted(r[2] for r in rows[0]) == sorted(s.paths),
          "the workload's %d opens, not the missing file" % N, describe(s.ours(in_c.events())))


if __name__ == "__main__":
    main([test_open_exact, test_open_create_mode, test_open_filter_expr, test_open_fields,
          test_open_filter_old_syntax, test_open_failed_param, test_open_yaml,
          test_open_jsonpretty, test_open_kernel_pid_filter, test_open_kernel_uid_filter,
          test_open_kernel_mntns_filter, test_open_leaves_itself_out,
          test_open_non_utf8_path_recoverable, test_lua_filter_in_c])
