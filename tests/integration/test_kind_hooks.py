#!/usr/bin/env python3
"""The one run loop and the one pipeline, in every kind of gadget: the
script's on_interval, on_container and on_stop in a tracer, a top, a
snapshot, a histogram and a stack sampler (added to the real gadgets by a
--lua layer), in the loop's order (the kind's table or charts, then
on_interval; the last output, then on_stop); a snapshot's one look; a
stack sampler's Lua filter and enrich."""

import json
import os
import shutil
import subprocess
import tempfile

import containers
from containers import HOOKS
from gh import (Tracer, check, excerpt, main, require_bpf, run_host, scaled, unique)

INTERVAL = "0.3"

# emit a document per hook call; on_container only for the test's container
LAYER = '''
on_interval = function(ctx) ctx.emit({hook = "interval", tick = ctx.tick}) end
on_container = function(ctx, c, added)
  if c.name == "%s" then ctx.emit({hook = "container", added = added}) end
end
on_stop = function(ctx) ctx.emit({hook = "stop", final = ctx.final}) end
'''

# kind: (gadget, its own args, whether each of its ticks prints a line)
KINDS = {
    "tracer": ("trace/exec.lua", [], False),
    "top": ("top/file.lua", [], True),
    "snapshot": ("snapshot/process.lua", ["--max-rows", "3"], True),
    "histogram": ("profile/block-io.lua", [], True),
    "stacks": ("profile/cpu.lua", [], False),
}


def lines(t):
    """stdout's JSON lines: the kind's rows (objects or arrays) and the
    documents (objects with "hook")"""
    out = []
    for n, line in enumerate(t.stdout.splitlines(), 1):
        try:
            out.append(json.loads(line))
        except ValueError as e:
            raise AssertionError("stdout line %d is not JSON: %s: %s" % (n, e, line[:300]))
    return out


def is_doc(x, hook=None):
    return isinstance(x, dict) and "hook" in x and (hook is None or x["hook"] == hook)


def docs(t, hook):
    return [x for x in lines(t) if is_doc(x, hook)]


def run_container(r, name):
    """a container that exits at once; OCI hooks tell running hosts"""
    b = r.bundle(name, ["sh", "-c", "true"], hooks=HOOKS)
    r.create(name, b)
    r.start(name)
    containers.wait_until(lambda: r.state(name).get("status") == "stopped", scaled(20),
                          "container %s stopped" % name)


def hooks_in(kind):
    gadget, args, ticks_print = KINDS[kind]
    require_bpf()
    name = unique("kh")[:30]
    with containers.Runc() as r:
        with Tracer(gadget, "--interval", INTERVAL, "--lua", LAYER % name, *args) as t:
            containers.wait_until(lambda: len(docs(t, "interval")) >= 2, scaled(15),
                                  "two on_interval calls", lambda: excerpt(t.stderr))
            run_container(r, name)
            containers.wait_until(lambda: len(docs(t, "container")) >= 2, scaled(15),
                                  "on_container of the start and the stop",
                                  lambda: t.stdout[-2000:] + excerpt(t.stderr))
        t.check_clean_exit()
    out = lines(t)
    check(out, "no output", t.stderr)
    ticks = [x["tick"] for x in out if is_doc(x, "interval")]
    check(ticks == list(range(1, len(ticks) + 1)), "%s: on_interval's ticks 1, 2, ..." % kind,
          ticks)
    seen = [x["added"] for x in out if is_doc(x, "container")]
    check(seen == [True, False], "%s: on_container: started, then stopped" % kind, seen)
    check(out[-1] == {"hook": "stop", "final": True}, "%s: on_stop last, final true" % kind,
          out[-3:])
    check(len(docs(t, "stop")) == 1, "%s: on_stop once" % kind, out)
    if ticks_print:
        # each tick: the kind's table or charts, then on_interval
        for i, x in enumerate(out):
            if is_doc(x, "interval"):
                check(i > 0 and not is_doc(out[i - 1], "interval"),
                      "%s: tick %d: no output of the kind before on_interval" % (kind, x["tick"]),
                      out[max(0, i - 3):i + 1])
    return out


def test_tracer_hooks():
    out = hooks_in("tracer")
    check(any(isinstance(x, dict) and "comm" in x for x in out), "exec events too", out[:5])


def test_top_hooks():
    out = hooks_in("top")
    check(sum(isinstance(x, list) for x in out) >= 2, "a table per interval", out[:5])


def test_snapshot_hooks():
    """--interval on a snapshot: a new look each interval, then on_interval"""
    out = hooks_in("snapshot")
    tables = [x for x in out if isinstance(x, list)]
    check(len(tables) >= 3 and all(len(x) == 3 and "pid" in x[0] for x in tables),
          "a table of 3 processes at the start and each interval", tables[:3])


def test_histogram_hooks():
    out = hooks_in("histogram")
    check(sum(isinstance(x, dict) and "buckets" in x for x in out) >= 2,
          "charts each interval", out[:5])


def test_stacks_hooks():
    hooks_in("stacks")


def test_snapshot_once():
    """without --interval a snapshot is one look: its table, on_stop, and
    the run ends by itself"""
    require_bpf()
    p = run_host("run", "snapshot/process.lua", "--host", "-o", "json", "--lua",
                 LAYER % "none", timeout=30)
    check(p.returncode == 0, "exit status %d" % p.returncode, p.stderr)
    out = [json.loads(l) for l in p.stdout.splitlines()]
    check(len(out) == 2 and isinstance(out[0], list) and len(out[0]) > 1,
          "one table, then the stop document", p.stdout[:1000])
    check(out[1] == {"hook": "stop", "final": True}, "on_stop after the table", out[1])


SPIN_SECONDS = 2.0


def test_stacks_filter_and_enrich():
    """a stack sampler's script (once ignored): filter keeps the spinner's
    stacks only, enrich reads a merged stack's samples (a field the run
    computes) and sets one of its own; -F on a key field and on samples
    beside them"""
    require_bpf()
    built = os.environ.get("GH_SPIN", "")
    check(os.access(built, os.X_OK), "the spinner is not built (GH_SPIN)", built)
    d = tempfile.mkdtemp(prefix="gh-kh-spin-")
    comm = unique("sp")[:15]
    path = os.path.join(d, comm)
    shutil.copy2(built, path)
    layer = '''
fields.who = { type = "string", description = "comm and samples" }
filter = function(ev) return ev.comm == "%s" end
enrich = function(ev) ev.who = ev.comm .. ":" .. ev.samples end
''' % comm
    try:
        with Tracer("profile/cpu.lua", "--lua", layer, "-F", "pid>0,samples>=1") as t:
            p = subprocess.Popen([path, str(SPIN_SECONDS)])
            p.wait(scaled(60))
        t.check_clean_exit()
    finally:
        shutil.rmtree(d, ignore_errors=True)
    evs = t.events()
    check(evs, "no stack of the spinner", excerpt(t.stderr))
    for e in evs:
        check(e["comm"] == comm and e["pid"] == p.pid, "only the spinner's stacks", e)
        check(e.get("who") == "%s:%d" % (comm, e["samples"]), "who = comm:samples", e)
    total = sum(e["samples"] for e in evs)
    check(49 * SPIN_SECONDS * 0.5 <= total <= 49 * SPIN_SECONDS * 1.5,
          "%d samples for %g s at 49 Hz" % (total, SPIN_SECONDS), evs)
    check(any(e["userStack"][:1] == ["gh_spin_here"] for e in evs), "the spinner's stack", evs)


if __name__ == "__main__":
    main([test_tracer_hooks, test_top_hooks, test_snapshot_hooks, test_histogram_hooks,
          test_stacks_hooks, test_snapshot_once, test_stacks_filter_and_enrich])
