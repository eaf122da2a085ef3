#!/usr/bin/env python3
"""run --watch: the .lua swapped while a workload deletes N files at a known
pace (every one of the N events comes out, the first ones tagged by the old
script, the rest by the new one; a broken script in the middle changes
nothing); a --lua-file edited: reloaded too; the .bpf.c edited: rebuilt, re-attached, the new code seen; a
.bpf.c that does not compile: the old programs stay; a rebuilt object's
old minimal BTF removed."""

import os
import shutil
import subprocess
import sys
import tempfile

from gh import Tracer, check, describe, excerpt, main, object_path, scaled, unique
from sdkwork import Project, make_rejected, rm
from test_core_btf import SOURCE_DIR, minimal_btf

N = 300
GATED = 50  # the deleter's last deletions, made once the test says so

SCRIPT = '''return {
  object = "mytool.bpf.o",
  fields = { tag = { type = "string" } },
  enrich = function(ev) ev.tag = "%s" end,
}
'''

# a separate process deleting N files, one every 5 ms (the pace is the
# workload: deletions keep coming while the script is swapped); before the
# last `gated` it waits for a line on stdin
DELETER = '''
import os, sys, time
d, n, gated = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
for i in range(n):
    if i == n - gated:
        sys.stdin.readline()
    os.unlink(os.path.join(d, "f-%04d" % i))
    time.sleep(0.005)  # the workload's pace
'''


def test_script_swap_loses_nothing():
    """the swap once the old script has tagged a deletion; the last GATED
    deletions after the failed reload: old tags, then new ones, for sure"""
    p = Project()
    try:
        p.write(p.lua, SCRIPT % "old")
        for i in range(N):
            open(p.victim("f-%04d" % i), "w").close()
        with Tracer(p.lua, "--watch") as t:
            w = subprocess.Popen([sys.executable, "-c", DELETER, p.victims, str(N), str(GATED)],
                                 stdin=subprocess.PIPE)
            t.wait_for(lambda: [e for e in p.ours(t.events_so_far()) if e["pid"] == w.pid],
                       "a deletion tagged by the old script")
            p.write(p.lua, SCRIPT % "new")
            t.wait_for(lambda: "reloaded" in t.stderr, "the reload")
            p.write(p.lua, "return {\n  object = \n")  # broken: the new one stays
            t.wait_for(lambda: "reload failed" in t.stderr, "the failed reload")
            w.communicate(b"go\n", timeout=scaled(60))
            check(w.returncode == 0, "the deleter failed")
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
        # a re-attach drains what the old programs sent first: no wait
        # after a deletion
        with Tracer(p.lua, "--watch", "--comm", "rm") as t:
            rm(p.victim("before"))
            os.unlink(t.ready_file)
            p.edit(p.c, "\tgadget_process_fill(e);\n", "\tgadget_process_fill(e);\n\te->ppid = 4242;\n")
            t.wait_for(lambda: os.path.exists(t.ready_file), "re-attaching", timeout=60)
            rm(p.victim("after"))
            p.edit(p.c, "\te->ppid = 4242;\n", "\te->ppid = 4242\n")
            t.wait_for(lambda: "did not compile" in t.stderr, "the failed build", timeout=60)
            rm(p.victim("after-error"))
            p.edit(p.c, "\te->ppid = 4242\n", "\te->ppid = 4242;\n")
            make_rejected(p)
            t.wait_for(lambda: "was not loaded" in t.stderr, "the rejection", timeout=60)
            rm(p.victim("after-rejection"))
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
            # enriched by the first layer: printed before the edit
            t.wait_for(lambda: p.ours(t.events_so_far()), "the first deletion")
            p.write(extra, 'local base = enrich\n'
                           'enrich = function(ev) base(ev); ev.tag = ev.tag .. "+2" end\n')
            t.wait_for(lambda: "%s changed: reloaded" % extra in t.stderr, "the reload")
            rm(p.victim("two"))
        t.check_clean_exit()
        got = [(os.path.basename(e["path"]), e["tag"]) for e in p.ours(t.events())]
        check(got == [("one", "layer-1"), ("two", "script+2")],
              "the layer's edit, applied on the script's enrich", got)
    finally:
        p.cleanup()


def test_watch_rebuild_drops_the_old_minimal_btf():
    """run --watch rebuilds an object that has a minimal BTF beside it: that
    BTF, made from the old object, is removed, and the new object traces"""
    top = tempfile.mkdtemp(prefix="gh-core-btf-")
    try:
        d = os.path.join(top, "trace")
        os.makedirs(d)
        shutil.copy(os.path.join(SOURCE_DIR, "gadgets", "trace", "open.lua"), d)
        shutil.copy(os.path.join(SOURCE_DIR, "bpf", "trace", "open.bpf.c"), d)
        obj = shutil.copy(object_path("trace/open"), d)
        btf = shutil.copy(minimal_btf(object_path("trace/open")), minimal_btf(obj))
        with Tracer(os.path.join(d, "open.lua"), "--watch") as t:
            os.unlink(t.ready_file)
            with open(os.path.join(d, "open.bpf.c"), "a") as f:
                f.write("\n/* edited */\n")
            t.wait_for(lambda: os.path.exists(t.ready_file), "re-attaching", timeout=60)
            check("rebuilt %s: re-attaching" % obj in t.stderr, "no rebuild said", t.stderr)
            check(not os.path.exists(btf), "the old object's minimal BTF is still there", btf)
            marker = os.path.join(top, unique("after-rebuild"))
            t.wait_for(lambda: open_and_seen(t, marker), "an open after the rebuild")
        t.check_clean_exit()
    finally:
        shutil.rmtree(top, ignore_errors=True)


def open_and_seen(t, path):
    """open path (missing); whether the tracer reported it yet"""
    try:
        open(path).close()
    except FileNotFoundError:
        pass
    return any(e.get("path") == path for e in t.events_so_far())


if __name__ == "__main__":
    main([test_script_swap_loses_nothing, test_bpf_edit_rebuilds_and_reattaches,
          test_lua_file_is_watched_too, test_watch_rebuild_drops_the_old_minimal_btf])
