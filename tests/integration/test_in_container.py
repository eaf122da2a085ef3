#!/usr/bin/env python3
"""trace/exec.lua and trace/open.lua with their workload inside a runc
container, aimed at it with -c: the exact events, and the container's
fields on each (the same assertions as on the host, plus runtime.*)."""

import os
import shutil
import tempfile

from ctrace import traced_container
from gh import check, describe, events_received, excerpt, main, require_bpf, unique

SOURCE_DIR = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def run_traced(gadget, name, script, *args):
    """run `sh -c script` in runc container name (busybox only), traced
    with -c name (unless args has --host);
    returns (tracer, container init pid, container mntns)"""
    run = traced_container(gadget, script, "--verbose", *args, name=name,
                           select="--host" not in args, host_usr=False)
    return run.tracer, run.pid, run.mntns


def check_container(e, name, mntns):
    check(e["mountnsid"] == mntns, "mountnsid is not the container's %d" % mntns, e)
    check(e["runtime"] == {"runtimeName": "runc", "containerId": name, "containerName": name,
                           "containerImageName": None}, "runtime fields", e)


def test_exec_in_container():
    """the container's execs, exactly: its shell, an argv with spaces, a
    failed exec (ENOENT), each with the container's fields"""
    require_bpf()
    name = unique("ex")[:30]
    script = "/bin/echo 'two words' x; /nonexistent/prog arg; exec /bin/true done"
    t, pid, mntns = run_traced("trace/exec.lua", name, script)
    evs = t.events()
    got = [(e["args"], e["ret"]) for e in evs]
    want = [(["sh", "-c", script], 0), (["/bin/echo", "two words", "x"], 0),
            (["/nonexistent/prog", "arg"], 2), (["/bin/true", "done"], 0)]
    check(got == want, "wanted exactly the container's 4 execs", describe(evs),
          "stderr: " + excerpt(t.stderr))
    for e in evs:
        check_container(e, name, mntns)
    check(evs[0]["pid"] == pid and evs[0]["comm"] == "sh", "the first exec is not the init's", evs[0])
    check(evs[1]["ppid"] == pid and evs[1]["pcomm"] == "sh", "ppid/pcomm of the echo", evs[1])
    check(evs[3]["pid"] == pid, "exec replaces the init: same pid", evs[3])
    check(events_received(t.stderr) == len(evs), "other processes' execs reached userspace",
          excerpt(t.stderr))


def test_open_in_container():
    """the container's opens of an existing and a missing file, exactly,
    with fd, err and the container's fields"""
    require_bpf()
    name = unique("op")[:30]
    missing = "/nonexistent/" + name
    script = "cat /etc/hosts >/dev/null; cat %s 2>/dev/null; exit 0" % missing
    t, pid, mntns = run_traced("trace/open.lua", name, script, "-F", "comm==cat",
                               "-F", "path~^/(etc/hosts|nonexistent/)")
    evs = t.events()
    got = [(e["path"], e["err"], e["fd"] >= 0) for e in evs]
    check(got == [("/etc/hosts", 0, True), (missing, 2, False)],
          "wanted the open of /etc/hosts and the failed open of %s" % missing,
          describe(evs), "stderr: " + excerpt(t.stderr))
    check(evs[1]["fd"] == -1, "fd of a failed open is not -1", evs[1])
    for e in evs:
        check_container(e, name, mntns)
        check(e["comm"] == "cat", "comm is not cat", e)


def test_lua_reads_container_fields():
    """a script's filter and enrich read runtime.containerName (enriched in
    C before Lua sees the event) and add a field from it; with --host the
    filter keeps the container's events only (by its name: other tests'
    containers on the machine are containers too)"""
    require_bpf()
    name = unique("lua")[:30]
    d = tempfile.mkdtemp(prefix="gh-lua-ctr-")
    script = os.path.join(d, "where.lua")
    with open(script, "w") as f:
        f.write('local g = dofile(%r)\n'
                'g.object = "trace/exec.bpf.o"\n'
                'g.fields.where = { type = "string", description = "container, from Lua" }\n'
                'g.filter = function(ev) return ev["runtime.containerName"] == %r end\n'
                'g.enrich = function(ev) ev.where = "in " .. ev["runtime.containerName"] end\n'
                'return g\n' % (os.path.join(SOURCE_DIR, "gadgets", "trace", "exec.lua"), name))
    try:
        t, pid, mntns = run_traced(script, name, "exec /bin/echo lua", "--host")
    finally:
        shutil.rmtree(d, ignore_errors=True)
    evs = t.events()
    check([e["args"] for e in evs] == [["sh", "-c", "exec /bin/echo lua"], ["/bin/echo", "lua"]],
          "wanted the container's execs only (the Lua filter drops the host's)", describe(evs),
          "stderr: " + excerpt(t.stderr))
    for e in evs:
        check(e["where"] == "in " + name, "the field enrich set from the container name", e)
        check_container(e, name, mntns)


if __name__ == "__main__":
    main([test_exec_in_container, test_open_in_container, test_lua_reads_container_fields],
         bpf=False)
