#!/usr/bin/env python3
"""The SDK: `gadgethost new` and `build`, the tutorial of
docs/writing-gadgets.md (its edits read from the doc itself), and bad inputs:
a compile error, a verifier rejection, a Lua endless loop, unbounded Lua
allocation, an enrich that raises on every event."""

import os
import re
import subprocess
import time

from gh import GH_BIN, Tracer, check, describe, excerpt, main, run_host, scaled
from sdkwork import (BUILD_DIR_SDK, SRC_DIR, TUTORIAL, Project, make_rejected, rm,
                     tutorial_edits, tutorial_output)

ENOENT = 2


def my_comm():
    with open("/proc/self/comm") as f:
        return f.read().strip()


def test_new_and_build():
    p = Project(build=False)
    try:
        for path in (p.c, p.lua):
            text = p.read(path)
            check("@NAME@" not in text and "mytool" in text, "template not instantiated", path)
        r = run_host("new", "mytool", p.dir)
        check(r.returncode == 1 and "exists already (not overwritten)" in r.stderr,
              "new over existing files must refuse", r.stderr)
        r = run_host("new", "my-tool", p.dir)
        check(r.returncode == 1 and '"my-tool" is not a valid gadget name' in r.stderr,
              "bad name not refused", r.stderr)
        r = p.build()
        check(os.path.getsize(p.obj) > 0, "no object built")
        check("built " + p.obj in r.stderr, "build does not say what it built", r.stderr)
    finally:
        p.cleanup()


def test_pkg_config_for_a_makefile():
    """an out-of-tree build with pkg-config's flags compiles the template"""
    p = Project(build=False)
    try:
        env = dict(os.environ, PKG_CONFIG_PATH=BUILD_DIR_SDK)
        q = lambda *a: subprocess.run(["pkg-config"] + list(a) + ["gadgethost-sdk"], env=env,
                                      stdout=subprocess.PIPE, text=True, check=True).stdout.split()
        cflags, bpf_cflags, clang = q("--cflags"), q("--variable=bpf_cflags"), q("--variable=clang")
        check("-I" + os.path.join(SRC_DIR, "sdk", "include") in cflags, "cflags", cflags)
        check("-target" in bpf_cflags and "-g" in bpf_cflags, "bpf_cflags", bpf_cflags)
        r = subprocess.run(clang + bpf_cflags + cflags + ["-c", p.c, "-o", p.obj],
                           stderr=subprocess.PIPE, text=True)
        check(r.returncode == 0 and os.path.getsize(p.obj) > 0, "clang with pkg-config's flags",
              r.stderr)
    finally:
        p.cleanup()


def test_tutorial():
    """docs/writing-gadgets.md, step by step"""
    doc = open(TUTORIAL).read()
    for cmd in ("gadgethost new mytool", "gadgethost build mytool.bpf.c",
                "gadgethost run ./mytool.lua --host --watch"):
        check(cmd in doc, "the tutorial no longer says: " + cmd)
    edits = tutorial_edits(doc)
    check(len(edits) == 5, "the tutorial has %d edits, the test knows 5" % len(edits))
    p = Project(build=False)
    try:
        p.build()  # the template builds as it is
        for name, old, new in edits:
            p.edit(os.path.join(p.dir, name), old, new)
        p.build()
        for name in ("a.txt", ".a.txt.swp"):
            open(p.victim(name), "w").close()
        paths = [p.victim(n) for n in ("a.txt", ".a.txt.swp", "missing.txt")]
        with Tracer(p.lua, "--comm", "rm") as t:
            pid = subprocess.Popen(["rm", "-f"] + paths)
            pid.wait(scaled(30))
        t.check_clean_exit()
        evs = p.ours(t.events())
        got = [(e["comm"], e["pcomm"], e["pid"], e["err"], e["file"], e["path"]) for e in evs]
        want = [("rm", my_comm(), pid.pid, 0, "a.txt", paths[0]),
                ("rm", my_comm(), pid.pid, ENOENT, "missing.txt", paths[2])]
        check(got == want, "the tutorial's gadget printed other events",
              "want: %r" % want, describe(evs))
        # the columns the doc shows
        open(p.victim("b.txt"), "w").close()
        with Tracer(p.lua, "--comm", "rm", fmt=None) as t:
            rm(p.victim("b.txt"))
        t.check_clean_exit()
        lines = t.stdout.splitlines()
        doc_lines = tutorial_output(doc)
        check(lines and lines[0] == doc_lines[0], "the header differs from the doc's",
              "doc: " + doc_lines[0], "got: " + (lines[0] if lines else ""))
        row = [l for l in lines if p.victim("b.txt") in l]
        check(len(row) == 1 and re.search(r"\brm\s+%s\s+0\s+b\.txt\s+" % re.escape(my_comm()),
                                          row[0]), "the column row", lines)
    finally:
        p.cleanup()


def test_compile_error_shows_file_line():
    p = Project(build=False)
    try:
        p.edit(p.c, "\te->err = gadget_errno_of(ret);", "\te->err = gadget_errno_of(ret)")
        line = next(i for i, l in enumerate(p.read(p.c).splitlines(), 1)
                    if l.startswith("\te->err = gadget_errno_of(ret) "))
        r = p.build(expect_rc=1)
        check(re.search(r"%s:%d:\d+: error: expected ';'" % (re.escape(p.c), line), r.stderr),
              "clang's file:line: error", r.stderr)
        check("did not compile" in r.stderr.splitlines()[-1], "last line", r.stderr)
        check(not os.path.exists(p.obj), "an object was left")
    finally:
        p.cleanup()


def test_verifier_rejection_shows_the_tail():
    p = Project(build=False)
    try:
        make_rejected(p)
        p.build()
        r = run_host("run", p.lua, "--host", "--timeout", "5")
        check(r.returncode == 1, "a rejected gadget must fail", r.stderr)
        lines = r.stderr.splitlines()
        check(lines[-1].startswith("gadgethost: %s: the verifier rejected a program: " % p.obj)
              and "invalid mem access 'map_value_or_null'" in lines[-1],
              "the last line says why", r.stderr)
        head = [i for i, l in enumerate(lines) if "the verifier's log, last 20 lines" in l]
        check(len(head) == 1, "one tail header", r.stderr)
        tail = lines[head[0] + 1:-1]
        check(len(tail) == 20 and all(l.startswith("    ") for l in tail),
              "20 indented lines of the log", r.stderr)
        check(any("map_value_or_null" in l for l in tail), "the tail has the reason", tail)
        v = run_host("run", p.lua, "--host", "--timeout", "5", "--verbose")
        check(v.returncode == 1, "still a failure with --verbose", v.stderr)
        check("last 20 lines" not in v.stderr, "--verbose prints the log, not a tail", v.stderr)
        check("BEGIN PROG LOAD LOG" in v.stderr and len(v.stderr.splitlines()) > len(lines) + 20,
              "--verbose: the whole log", excerpt(v.stderr))
    finally:
        p.cleanup()


def run_script(p, script, *args, deletes=("loop-1", "ok-1")):
    """the gadget with script as its .lua, the deletions made in order; the
    run stops once the last one (kept by every script here) is printed: a
    stop cuts a script's work short, and the slow ones (a loop to its
    limit, under ASan) must have ended as they would"""
    p.write(p.lua, script)
    last = p.victim(deletes[-1])
    with Tracer(p.lua, "--comm", p.rm_comm, *args) as t:
        for name in deletes:
            p.rm(name)
        t.wait_for(lambda: [e for e in t.events_so_far() if e.get("path") == last],
                   "the last deletion's event")
    t.check_clean_exit()
    return t


TEMPLATE_FIELDS = '''  object = "mytool.bpf.o",
  fields = { tag = { type = "string" } },
'''


def test_endless_loop_in_filter():
    """the filter spins on one event: stopped after the budget, that event
    dropped, the next one printed, the host exits normally"""
    p = Project()
    try:
        script = ('return {\n' + TEMPLATE_FIELDS +
                  '  filter = function(ev)\n'
                  '    if ev.path:match("loop") then\n'
                  '      while true do end\n'
                  '    end\n'
                  '    return true\n'
                  '  end,\n}\n')
        t0 = time.monotonic()
        t = run_script(p, script)
        evs = p.ours(t.events())
        check([os.path.basename(e["path"]) for e in evs] == ["ok-1"], "the event after",
              describe(evs))
        check("%s:6: filter: instruction limit exceeded (10M instructions) (the event "
              "is dropped" % p.lua in t.stderr, "the error names script, line and hook",
              t.stderr)
        check("1 events dropped by errors in %s" % p.lua in t.stderr, "the count", t.stderr)
        t = run_script(p, script, "--lua-instruction-limit", "1000")
        check("filter: instruction limit exceeded (1K instructions)" in t.stderr,
              "--lua-instruction-limit", t.stderr)
    finally:
        p.cleanup()


def test_unbounded_allocation():
    p = Project()
    try:
        script = ('return {\n' + TEMPLATE_FIELDS +
                  '  enrich = function(ev)\n'
                  '    local t = {}\n'
                  '    if ev.path:match("loop") then\n'
                  '      for i = 1, 1e9 do t[i] = ("x"):rep(100) .. i end\n'
                  '    end\n'
                  '    ev.tag = "fine"\n'
                  '  end,\n}\n')
        t = run_script(p, script, "--lua-memory-limit", "16M",
                       deletes=("loop-1", "ok-1", "loop-2", "ok-2"))
        evs = p.ours(t.events())
        check([(os.path.basename(e["path"]), e["tag"]) for e in evs] ==
              [("ok-1", "fine"), ("ok-2", "fine")], "the events that fit", describe(evs))
        check("%s: enrich: memory limit exceeded (16 MiB, --lua-memory-limit)" % p.lua
              in t.stderr, "the memory error", t.stderr)
        check("2 events dropped by errors" in t.stderr, "the count", t.stderr)
    finally:
        p.cleanup()


def test_enrich_errors_once_a_second():
    """an enrich that raises on every event: the first reported at once,
    then one report a second with the count held back"""
    p = Project()
    try:
        script = ('return {\n' + TEMPLATE_FIELDS +
                  '  enrich = function(ev)\n'
                  '    if ev.path:match("boom") then error("boom: " .. ev.path) end\n'
                  '  end,\n}\n')
        p.write(p.lua, script)
        with Tracer(p.lua, "--comm", p.rm_comm) as t:
            p.rm(*["boom-%d" % i for i in range(100)])
            t.wait_for(lambda: "boom: " in t.stderr, "the first report")
            # the once-a-second limit must pass (a least time on the host's
            # clock, measured from after its first report)
            time.sleep(1.3)  # the workload
            p.rm("boom-last", "fine")
            t.wait_for(lambda: p.ours(t.events_so_far()), "the event without an error")
        t.check_clean_exit()
        reports = [l for l in t.stderr.splitlines() if "boom: " in l]
        check(len(reports) == 2, "two reports", t.stderr)
        check(reports[0] == "gadgethost: warning: %s:5: boom: %s (in enrich; the event is "
              "dropped; repeats are reported once a second)" % (p.lua, p.victim("boom-0")),
              "the first, with file:line", reports[0])
        check(reports[1] == "gadgethost: warning: %s:5: boom: %s (in enrich; the event is "
              "dropped; 99 more errors since the last report)" % (p.lua, p.victim("boom-last")),
              "the second, with the count", reports[1])
        check("101 events dropped by errors" in t.stderr, "the total", t.stderr)
        check([os.path.basename(e["path"]) for e in p.ours(t.events())] == ["fine"],
              "the event without an error", t.stdout)
    finally:
        p.cleanup()


def test_lua_layers():
    """--lua replaces the filter; --lua-file wraps it and adds a column"""
    p = Project()
    try:
        t = run_script(p, p.read(p.lua), "--lua", 'filter = function(ev) return ev.path:match("keep") ~= nil end',
                       deletes=("drop-1", "keep-1"))
        check([os.path.basename(e["path"]) for e in p.ours(t.events())] == ["keep-1"],
              "--lua filter", t.stdout)
        extra = os.path.join(p.dir, "extra.lua")
        with open(extra, "w") as f:
            f.write('local base = filter\n'
                    'fields.tag = { type = "string" }\n'
                    'filter = function(ev) return base(ev) and not ev.path:match("drop") end\n'
                    'enrich = function(ev) ev.tag = "layered:" .. name end\n')
        t = run_script(p, p.read(p.lua), "--lua-file", extra, deletes=("drop-1", "keep-1"))
        evs = p.ours(t.events())
        check([(os.path.basename(e["path"]), e["tag"]) for e in evs] ==
              [("keep-1", "layered:mytool")], "--lua-file", describe(evs))
        r = run_host("run", p.lua, "--host", "--lua", "filter = function(ev) return ev.uid ~= 0")
        check(r.returncode == 1 and r.stderr.strip() ==
              "gadgethost: --lua #1:1: 'end' expected near <eof>", "a bad --lua", r.stderr)
        r = run_host("run", p.lua, "--host", "--lua-memory-limit", "1K")
        check(r.returncode == 1 and "--lua-memory-limit: at least 1M" in r.stderr,
              "a memory limit too small to start", r.stderr)
    finally:
        p.cleanup()


if __name__ == "__main__":
    main([test_new_and_build, test_pkg_config_for_a_makefile, test_tutorial,
          test_compile_error_shows_file_line, test_verifier_rejection_shows_the_tail,
          test_endless_loop_in_filter, test_unbounded_allocation,
          test_enrich_errors_once_a_second, test_lua_layers])
