#!/usr/bin/env python3
"""run --watch: the .lua swapped while a workload deletes N files at a known
pace (every one of the N events comes out, the first ones tagged by the old
script, the rest by the new one; a broken script in the middle changes
nothing); a --lua-file edited: reloaded too; the .bpf.c edited: rebuilt, re-attached, the new code seen; a
.bpf.c that does not compile: the old programs stay."""

import os
import subprocess
import sys
import time

from gh import Tracer, check, describe, excerpt, main
from sdkwork import Project, make_rejected, rm, wait_for

N = 300

SCRIPT = '''return {
  object = "mytool.bpf.o",
  fields = { tag = { type = "string" } },
  enrich = function(ev) ev.tag = "%s" end,
}
'''

# a separate process deleting N files, one every 5 ms
DELETER = '''
import os, sys, time
d, n = sys.argv[1], int(sys.argv[2])
for i in range(n):
    os.unlink(os.path.join(d, "f-%04d" % i))
    time.sleep(0.005)
'''


def test_script_swap_loses_nothing():
    p = Project()
    try:
        p.write(p.lua, SCRIPT % "old")
        for i in range(N):
            open(p.victim("f-%04d" % i), "w").close()
        with Tracer(p.lua, "--watch") as t:
            w = subprocess.Popen([sys.executable, "-c", DELETER, p.victims, str(N)])
            time.sleep(0.5)
            p.write(p.lua, SCRIPT % "new")
            wait_for(lambda: "reloaded" in t.stderr, what="the reload")
            time.sleep(0.3)
            p.write(p.lua, "return {\n  object = \n")  # broken: the new one stays
            wait_for(lambda: "reload failed" in t.stderr, what="the failed reload")
            check(w.wait(60) == 0, "the deleter failed")
            time.sleep(0.5)
        t.check_clean_exit()
        evs = [e for e in p.ours(t.events()) if e["pid"] == w.pid]
        names = [os.path.basename(e["path"]) for e in evs]
        check(sorted(names) == ["f-%04d" % i for i in range(N)],
              "every one of the %d deletions exactly once" % N,
              "got %d: %s" % (len(names), names[:10]))
        tags = [e["tag"] for e in sorted(evs, key=lambda e: e["path"])]
        first_new = tags.index("new") if "new" in tags else len(tags)
        check(0 < first_new < N and tags == ["old"] * first_new + ["new"] * (N - first_new),
              "old tags, then new ones (the swap mid-run)",
              "old: %d new: %d" % (tags.count("old"), tags.count("new")))
        check("changed: reloaded %s" % p.lua in t.stderr, "the reload is said", t.stderr)
        check("reload failed, the old script keeps running: %s:3: unexpected symbol near <eof>"
              % p.lua in t.stderr, "the failed reload is said, file:line", t.stderr)
    finally:
        p.cleanup()


def test_bpf_edit_rebuilds_and_reattaches():
    p = Project()
    try:
        p.write(p.lua, SCRIPT % "x")
        with Tracer(p.lua, "--watch", "--comm", "rm") as t:
            rm(p.victim("before"))
            time.sleep(0.3)
            os.unlink(t.ready_file)
            p.edit(p.c, "\tgadget_process_fill(e);\n", "\tgadget_process_fill(e);\n\te->ppid = 4242;\n")
            wait_for(lambda: os.path.exists(t.ready_file), timeout=60, what="re-attaching")
            rm(p.victim("after"))
            time.sleep(0.3)
            p.edit(p.c, "\te->ppid = 4242;\n", "\te->ppid = 4242\n")
            wait_for(lambda: "did not compile" in t.stderr, timeout=60, what="the failed build")
            rm(p.victim("after-error"))
            time.sleep(0.3)
            p.edit(p.c, "\te->ppid = 4242\n", "\te->ppid = 4242;\n")
            make_rejected(p)
            wait_for(lambda: "was not loaded" in t.stderr, timeout=60, what="the rejection")
            rm(p.victim("after-rejection"))
            time.sleep(0.3)
        t.check_clean_exit()
        got = [(os.path.basename(e["path"]), e["ppid"] == 4242) for e in p.ours(t.events())]
        check(got == [("before", False), ("after", True), ("after-error", True),
                      ("after-rejection", True)],
              "the rebuilt program's ppid after the edit, kept after the failed ones", got)
        check("%s changed: rebuilding" % p.c in t.stderr and
              "rebuilt %s: re-attaching" % p.obj in t.stderr, "the rebuild is said", t.stderr)
        check("%s:" % p.c in t.stderr and "error: expected ';'" in t.stderr and
              "the old programs stay attached" in t.stderr, "the compile error", t.stderr)
        check("the verifier's log, last 20 lines" in t.stderr and
              "invalid mem access 'map_value_or_null'" in t.stderr and
              t.stderr.count("re-attaching") == 1, "the rejected rebuild", t.stderr)
    finally:
        p.cleanup()


def test_lua_file_is_watched_too():
    """a --lua-file layer edited under --watch: reloaded with the script"""
    p = Project()
    try:
        p.write(p.lua, SCRIPT % "script")
        extra = os.path.join(p.dir, "extra.lua")
        p.write(extra, 'enrich = function(ev) ev.tag = "layer-1" end\n')
        with Tracer(p.lua, "--watch", "--comm", "rm", "--lua-file", extra) as t:
            rm(p.victim("one"))
            time.sleep(0.3)
            p.write(extra, 'local base = enrich\n'
                           'enrich = function(ev) base(ev); ev.tag = ev.tag .. "+2" end\n')
            wait_for(lambda: "%s changed: reloaded" % extra in t.stderr, what="the reload")
            rm(p.victim("two"))
            time.sleep(0.3)
        t.check_clean_exit()
        got = [(os.path.basename(e["path"]), e["tag"]) for e in p.ours(t.events())]
        check(got == [("one", "layer-1"), ("two", "script+2")],
              "the layer's edit, applied on the script's enrich", got)
    finally:
        p.cleanup()


if __name__ == "__main__":
    main([test_script_swap_loses_nothing, test_bpf_edit_rebuilds_and_reattaches,
          test_lua_file_is_watched_too])
