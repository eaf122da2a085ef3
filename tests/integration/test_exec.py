#!/usr/bin/env python3
"""Integration tests of trace/exec.lua: real execs by the workload helper,
checked event by event."""

import os
import shutil
import signal
import subprocess
import tempfile
import time
import unicodedata

from gh import (Failure, Tracer, check, describe, excerpt,
                main, private_workload, scaled, unique, workload)

GADGET = "trace/exec.lua"
FIELDS = {"timestamp", "mountnsid", "pid", "tid", "ppid", "uid", "gid", "ret", "comm",
          "pcomm", "argsTruncated", "args"}  # host processes: no container fields
ARGS_MAX = 16384


def mentioning(evs, marker):
    """events with an argument that contains marker"""
    return [e for e in evs if any(marker in a for a in e.get("args") or [])]


def check_true_execs(evs, w, prefix, n):
    """exactly n successful execs of /bin/true PREFIX-i by the workload's children"""
    trues = [e for e in mentioning(evs, prefix) if e.get("comm") == "true"]
    check(len(trues) == n, "wanted exactly %d events with comm \"true\", got %d"
          % (n, len(trues)), describe(trues))
    want = {"%s-%d" % (prefix, i) for i in range(n)}
    got = [tuple(e["args"]) for e in trues]
    check(sorted(got) == sorted(("/bin/true", a) for a in want),
          "args are not exactly [\"/bin/true\", \"%s-i\"] for i in 0..%d" % (prefix, n - 1),
          describe(trues))
    pids = set()
    for e in trues:
        check(set(e) == FIELDS, "fields differ from the documented ones",
              "missing: %s extra: %s" % (sorted(FIELDS - set(e)), sorted(set(e) - FIELDS)), e)
        check(e["ret"] == 0, "ret is not 0", e)
        check(e["ppid"] == w.pid, "ppid %r is not the workload's pid %d" % (e["ppid"], w.pid), e)
        check(e["pcomm"] == "workload", "pcomm is not \"workload\"", e)
        check(e["uid"] == 0 and e["gid"] == 0, "uid/gid are not 0", e)
        check(e["tid"] == e["pid"], "tid != pid for a single-threaded exec", e)
        check(e["pid"] != w.pid, "the child's pid is the workload's", e)
        check(e["argsTruncated"] is False, "argsTruncated is not false", e)
        check(isinstance(e["timestamp"], int) and e["timestamp"] > 0, "bad timestamp", e)
        check(isinstance(e["mountnsid"], int) and e["mountnsid"] > 0, "bad mountnsid", e)
        pids.add(e["pid"])
    check(len(pids) == n, "the %d execs do not have %d distinct pids" % (n, n), sorted(pids))
    stamps = [e["timestamp"] for e in sorted(trues, key=lambda e: int(e["args"][1].rsplit("-", 1)[1]))]
    check(stamps == sorted(stamps), "timestamps do not follow the order of the execs", stamps)
    return trues


def test_exec_50_unique():
    """(a) 50 execs with unique argv: exactly 50 events, all fields right"""
    prefix = unique("uniqueprefix")
    with Tracer(GADGET) as t:
        w = workload("exec", 50, prefix)
    t.check_clean_exit()
    evs = t.events()
    check_true_execs(evs, w, prefix, 50)
    # the workload itself: python3 exec'd it
    own = [e for e in mentioning(evs, prefix) if e.get("comm") == "workload"]
    check(len(own) == 1, "wanted the workload's own exec once", describe(own))
    e = own[0]
    check(e["pid"] == w.pid and e["ppid"] == os.getpid() and e["ret"] == 0,
          "the workload's exec: pid %d ppid %d ret 0 wanted" % (w.pid, os.getpid()), e)
    check(e["args"] == [os.environ["GH_WORKLOAD"], "exec", "50", prefix],
          "the workload's own args differ", e)


def test_exec_failed():
    """(b) a failed exec: ret -2 (ENOENT), args as given, comm workload"""
    path = "/nonexistent/%s/missing" % unique()
    with Tracer(GADGET) as t:
        w = workload("exec-fail", path)
    t.check_clean_exit()
    check(w.stdout.strip() == "2", "workload's execve did not fail with ENOENT", w.stdout)
    evs = [e for e in t.events() if e.get("args") == [path]]
    check(len(evs) == 1, "wanted exactly one event with args [%r]" % path,
          describe(mentioning(t.events(), path)))
    e = evs[0]
    check(e["ret"] == 2, "ret %r, wanted 2 (ENOENT)" % e["ret"], e)
    check(e["comm"] == "workload", "comm is not \"workload\"", e)
    check(e["pid"] == w.pid and e["ppid"] == os.getpid(), "pid/ppid wrong", e)
    check(e["argsTruncated"] is False, "argsTruncated is not false", e)


def exec_args_event(args, *tracer_args):
    """run /bin/echo ARGS under the tracer; the one event of it"""
    with Tracer(GADGET, *tracer_args) as t:
        w = workload("exec-args", *args)
    t.check_clean_exit()
    marker = args[0]
    evs = [e for e in mentioning(t.events(), marker) if e.get("comm") == "echo"]
    check(len(evs) == 1, "wanted exactly one exec of /bin/echo", describe(evs))
    check(evs[0]["ppid"] == w.pid and evs[0]["pcomm"] == "workload", "ppid/pcomm wrong", evs[0])
    return evs[0]


def test_exec_args_spaces_25():
    """(c) 25 arguments, with spaces and characters JSON must escape: exact array"""
    marker = unique("args")
    args = [marker, "with space", "  leading and trailing  ", "tab\there", 'quote"d',
            "back\\slash", "new\nline", "unicode-\u00e9\u4e2d", "{json: [1]}", "'single'",
            "$HOME", "*", "--flag=value", "-x", "a=b c=d", "semi;colon", "pipe|x",
            "\x01ctrl", "percent%s%d", "slash/es", "end.", "x" * 300, "12", "-1"]
    args.append("last one")
    check(len(args) == 25, "test bug: %d args" % len(args))
    e = exec_args_event(args)
    check(e["args"] == ["/bin/echo"] + args, "args are not exactly the 26 given",
          "got:  %r" % e["args"], "want: %r" % (["/bin/echo"] + args))
    check(e["ret"] == 0 and e["argsTruncated"] is False, "ret/argsTruncated wrong", e)


def test_exec_args_empty():
    """an empty argument is an argument: [echo, MARKER, "", "x", ""] exactly"""
    marker = unique("empty")
    args = [marker, "", "x", ""]
    e = exec_args_event(args)
    check(e["args"] == ["/bin/echo"] + args, "empty arguments lost or changed",
          "got:  %r" % e["args"], "want: %r" % (["/bin/echo"] + args))


def test_exec_args_over_16k():
    """(d) more than 16 KiB of arguments: argsTruncated, and args a prefix"""
    marker = unique("long")
    args = [marker] + ["%s-%03d-%s" % (marker, i, "y" * 380) for i in range(64)]
    real = ["/bin/echo"] + args
    check(sum(len(a) + 1 for a in real) > ARGS_MAX + 4096, "test bug: args too short")
    e = exec_args_event(args)
    got = e["args"]
    check(e["argsTruncated"] is True, "argsTruncated is not true", "args: %d, %d bytes"
          % (len(got), sum(len(a) + 1 for a in got)))
    check(0 < len(got) <= len(real), "wrong number of args: %d" % len(got))
    check(got[:-1] == real[:len(got) - 1], "args (but the last) are not a prefix of the real ones",
          excerpt(repr(got)))
    check(real[len(got) - 1].startswith(got[-1]), "the last arg is not a prefix of the real one",
          "got %r" % got[-1][:100], "real %r" % real[len(got) - 1][:100])
    size = sum(len(a) + 1 for a in got)
    check(ARGS_MAX - 1024 <= size <= ARGS_MAX, "truncated args are %d bytes, wanted about %d"
          % (size, ARGS_MAX))


def test_exec_comm_filter():
    """(e) --comm is the row's COMM, for an exec the new program's name
    (ig filters on the caller's name before the exec): --comm NAME shows
    the execs of NAME and NAME's failed execs, not what NAME runs"""
    prefix = unique("comm")
    path = "/nonexistent/%s" % prefix
    tmp = tempfile.mkdtemp(prefix="gh-comm-")
    try:
        wl, comm = private_workload(tmp)
        with Tracer(GADGET, "--comm", comm) as t:
            w = workload("exec", 3, prefix, binary=wl)
            wf = workload("exec-fail", path, binary=wl)
            # a control: python3 execs /bin/true itself
            subprocess.run(["/bin/true", prefix + "-control"], check=True)
        t.check_clean_exit()
        evs = t.events()
        rows = sorted((e["pid"], e["comm"], e["ret"], tuple(e["args"][-1:])) for e in evs)
        want = sorted([(w.pid, comm, 0, (prefix,)), (wf.pid, comm, 0, (path,)),
                       (wf.pid, comm, 2, (path,))])
        check(rows == want, "--comm %s: wanted its 2 launches and its failed exec, not the "
              "/bin/true it runs" % comm, "want: %r" % want, describe(evs))
        # --comm true: the 3 execs of /bin/true by the workload's children
        with Tracer(GADGET, "--comm", "true") as t:
            w = workload("exec", 3, prefix + "t")
        t.check_clean_exit()
        check_true_execs(t.events(), w, prefix + "t", 3)
        others = [e for e in t.events() if e["comm"] != "true"]
        check(not others, "--comm true: rows whose COMM is not true", describe(others))
    finally:
        shutil.rmtree(tmp)


def test_exec_ignore_failed():
    """(f) --ignore-failed drops the failed exec, keeps the others"""
    prefix = unique("ignore")
    path = "/nonexistent/%s" % prefix
    with Tracer(GADGET, "--ignore-failed") as t:
        workload("exec-fail", path)
        w = workload("exec", 3, prefix)
    t.check_clean_exit()
    evs = t.events()
    failed = [e for e in evs if e.get("ret") != 0]
    check(not failed, "--ignore-failed printed failed execs", describe(failed))
    check_true_execs(evs, w, prefix, 3)


def test_exec_columns_header():
    """(g) -o columns: a header naming PID PPID COMM PCOMM RET ARGS, then rows"""
    prefix = unique("cols")
    with Tracer(GADGET, fmt="columns") as t:
        workload("exec", 2, prefix)
    t.check_clean_exit()
    lines = t.stdout.splitlines()
    check(lines, "no output at all", "stderr: " + t.stderr)
    header = lines[0].split()
    for col in ["PID", "PPID", "COMM", "PCOMM", "RET", "ARGS"]:
        check(col in header, "header lacks %s" % col, lines[0])
    check(header.index("PID") < header.index("PPID") < header.index("COMM") <
          header.index("PCOMM") < header.index("RET") < header.index("ARGS"),
          "header columns are not in the gadget's order", lines[0])
    rows = [l for l in lines[1:] if prefix in l]
    check(len(rows) == 3, "wanted 3 rows with the prefix (2 execs of true and the workload)",
          excerpt("\n".join(rows)))
    for i in range(2):
        check(any(("/bin/true %s-%d" % (prefix, i)) in r and " true " in r for r in rows),
              "no row for /bin/true %s-%d" % (prefix, i), excerpt("\n".join(rows)))


def cells(text):
    """the terminal cells text takes: 2 for a wide character, 0 for a
    combining mark"""
    return sum(0 if unicodedata.combining(c) else
               2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def test_exec_columns_args_and_width():
    """(g') columns: an argument that is empty or holds a space or a quote
    is quoted, as execsnoop -q; a comm of wide characters and combining
    marks keeps the next column in line"""
    tag = unique("q")
    tmp = tempfile.mkdtemp(prefix="gh-cols-")
    try:
        wide = os.path.join(tmp, "日本-" + tag[-6:])        # 2 wide characters
        marks = os.path.join(tmp, "éé-" + tag[-6:])     # 2 combining marks
        for link in (wide, marks):
            os.symlink("/bin/true", link)
        with Tracer(GADGET, "--fields", "comm,pcomm,args", fmt="columns") as t:
            # the exec is what counts, not the exit status: a /bin/true that
            # is busybox (the VMs') knows no applet of these names
            subprocess.run([wide, tag, "a b", "", 'say "hi"', "c:\\"], stderr=subprocess.DEVNULL)
            subprocess.run([marks, tag], stderr=subprocess.DEVNULL)
        t.check_clean_exit()
        lines = t.stdout.splitlines()
        rows = [l for l in lines[1:] if tag in l]
        check(len(rows) == 2, "wanted the 2 execs' rows", t.stdout)
        check(rows[0].endswith('%s %s "a b" "" "say \\"hi\\"" c:\\' % (wide, tag)),
              "ARGS does not quote what needs it", rows[0])
        pcomm_at = cells(lines[0][:lines[0].index("PCOMM")])
        for r in rows:
            check(cells(r[:r.index("python3")]) == pcomm_at,
                  "PCOMM is not under its header (%d cells)" % pcomm_at, lines[0], r)
    finally:
        shutil.rmtree(tmp)


def test_exec_timeout():
    """(h) --timeout 2 exits 0 by itself, about 2 s after attaching"""
    t = Tracer(GADGET, "--timeout", "2")  # the duration under test: not scaled
    t.start()
    attached = time.monotonic()
    try:
        rc = t.wait(10)
    finally:
        t.__exit__(None, None, None)
    total = t.ended - t.started
    after_ready = t.ended - attached
    check(rc == 0, "exit status %r after --timeout, wanted 0" % rc, "stderr: " + t.stderr)
    check(1.5 <= after_ready and total <= 2 + scaled(2),
          "--timeout 2: ended %.2f s after attaching, %.2f s after start (want ~2, <= %g)"
          % (after_ready, total, 2 + scaled(2)))
    t.events()  # whatever it printed is well-formed


def test_exec_sigint_flushes():
    """(i) SIGINT right after a burst: every event before the signal is printed"""
    prefix = unique("sigint")
    n = 200
    t = Tracer(GADGET)
    t.start()
    try:
        w = workload("exec", n, prefix)
        rc = t.stop(signal.SIGINT)
    finally:
        t.__exit__(None, None, None)
    check(rc == 0, "exit status %r after SIGINT, wanted 0" % rc, "stderr: " + t.stderr)
    check_true_execs(t.events(), w, prefix, n)


def test_exec_sigterm():
    """SIGTERM ends the tracer like SIGINT: exit 0, events printed"""
    prefix = unique("sigterm")
    t = Tracer(GADGET)
    t.start()
    try:
        w = workload("exec", 5, prefix)
        rc = t.stop(signal.SIGTERM)
    finally:
        t.__exit__(None, None, None)
    check(rc == 0, "exit status %r after SIGTERM, wanted 0" % rc, "stderr: " + t.stderr)
    check_true_execs(t.events(), w, prefix, 5)


if __name__ == "__main__":
    main([test_exec_50_unique, test_exec_failed, test_exec_args_spaces_25,
          test_exec_args_empty, test_exec_args_over_16k, test_exec_comm_filter,
          test_exec_ignore_failed, test_exec_columns_header,
          test_exec_columns_args_and_width, test_exec_timeout,
          test_exec_sigint_flushes, test_exec_sigterm])
