#!/usr/bin/env python3
"""Bad input: each case must end with a non-zero exit status (not a signal)
and exactly one line on stderr that names what is wrong."""

import json
import math
import os
import re
import shutil
import subprocess
import tempfile

from gh import (GH_BIN, READY_TIMEOUT, Skip, Tracer, bpf_skip_reason, check, excerpt, main,
                object_path, run_host, scaled, unique, workload, write_gadget)

TMP = None


SOURCE_DIR = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def tmpdir():
    global TMP
    if TMP is None:
        TMP = tempfile.mkdtemp(prefix="gh-errors-")
        os.chmod(TMP, 0o755)  # readable by the unprivileged user too
    return TMP


def one_line_error(res, *needles, what=""):
    """res failed cleanly with one stderr line containing every needle"""
    lines = [l for l in res.stderr.strip().splitlines()]
    check(res.returncode > 0, "%sexit status %d, wanted > 0 (negative: killed by a signal)"
          % (what, res.returncode), "stderr: " + excerpt(res.stderr))
    check(len(lines) == 1, "%swanted exactly one line on stderr, got %d" % (what, len(lines)),
          excerpt(res.stderr))
    line = lines[0].strip()
    check(line, "%sthe stderr line is empty" % what)
    check(line.startswith("gadgethost: "), "%sthe message does not start with \"gadgethost: \""
          % what, line)
    for n in needles:
        if isinstance(n, re.Pattern):
            check(n.search(line), "%sthe message does not match %s" % (what, n.pattern), line)
        else:
            check(n in line, "%sthe message does not name %r" % (what, n), line)
    check(res.stdout == "", "%sstdout is not empty" % what, excerpt(res.stdout))
    return line


def test_lua_syntax_error():
    """a Lua syntax error: file name and line 3"""
    path = write_gadget(tmpdir(), "syntax_error.lua",
                        'return {\n  name = "bad syntax",\n  description = = "two equals",\n}\n')
    one_line_error(run_host("run", path), "syntax_error.lua:3:")


def test_lua_runtime_error_at_load():
    """error("boom") at the top level: file:line and the message"""
    path = write_gadget(tmpdir(), "runtime_error.lua",
                        'local x = 1\nerror("boom")\nreturn {}\n')
    one_line_error(run_host("run", path), "runtime_error.lua:2:", "boom")


def test_missing_object():
    """a script naming a .bpf.o that does not exist: the object's path"""
    missing = os.path.join(tmpdir(), "nothing-here.bpf.o")
    path = write_gadget(tmpdir(), "missing_object.lua",
                        'return {\n  name = "x", description = "missing object",\n'
                        '  object = "%s",\n}\n' % missing)
    one_line_error(run_host("run", path), missing)
    rel = write_gadget(tmpdir(), "missing_rel_object.lua",
                       'return { name = "x", description = "d", object = "sub/absent-obj.bpf.o" }\n')
    one_line_error(run_host("run", rel), "absent-obj.bpf.o", what="relative object: ")


def test_struct_not_in_btf():
    """struct = "no_such_struct" on a real object: names the struct"""
    obj = object_path("trace/exec")
    check(os.path.exists(obj), "test setup: %s is not built" % obj)
    path = write_gadget(tmpdir(), "no_struct.lua",
                        'return {\n  name = "x", description = "no such struct",\n'
                        '  object = "%s",\n  struct = "no_such_struct",\n}\n' % obj)
    one_line_error(run_host("run", path), "no_such_struct")


def test_unknown_filter_field():
    """-F with a field the gadget does not have"""
    one_line_error(run_host("run", "trace/exec.lua", "-F", "nosuchfield==1"), "nosuchfield")
    one_line_error(run_host("run", "trace/open.lua", "--filter", "comm==x,nosuchfield3>=0"),
                   "nosuchfield3", what="second term: ")


def test_bad_filter_value():
    """-F pid==notanumber: names the field or the value"""
    res = run_host("run", "trace/exec.lua", "-F", "pid==notanumber")
    one_line_error(res, re.compile(r"pid|notanumber"))


def test_unknown_fields_entry():
    """--fields with a field the gadget does not have"""
    one_line_error(run_host("run", "trace/exec.lua", "--fields", "pid,nosuchfield2"),
                   "nosuchfield2")


def test_unknown_param():
    """--no-such-param"""
    one_line_error(run_host("run", "trace/exec.lua", "--no-such-param"), "no-such-param")
    one_line_error(run_host("run", "trace/open.lua", "--ignore-failed"), "ignore-failed",
                   what="exec's param on open: ")


def test_missing_gadget_name():
    """run without a gadget; run with a gadget that does not exist"""
    one_line_error(run_host("run"), re.compile(r"gadget", re.I))
    one_line_error(run_host("run", "-o", "json"), re.compile(r"gadget", re.I),
                   what="only options: ")
    one_line_error(run_host("run", "no/such-gadget.lua"), "no/such-gadget.lua",
                   what="unknown gadget: ")


def test_bad_option_values():
    """-o, --timeout, --pid and --comm with bad values name the option"""
    one_line_error(run_host("run", "trace/exec.lua", "-o", "xml"), "xml")
    one_line_error(run_host("run", "trace/exec.lua", "--timeout", "soon"), "--timeout")
    one_line_error(run_host("run", "trace/exec.lua", "--pid", "-3"), "--pid")
    one_line_error(run_host("run", "trace/exec.lua", "--comm", "x" * 40), "--comm")
    one_line_error(run_host("run", "trace/exec.lua", "--host", "-c", "web"), "--host", "-c")
    one_line_error(run_host("run", "trace/exec.lua", "--timeout"), "--timeout",
                   what="missing value: ")
    one_line_error(run_host("nosuchcommand"), "nosuchcommand")


def test_names_people_type():
    """ig's names and typos: trace/exec works without .lua, trace_exec and
    --hots get a suggestion, --pid too big is out of range (issue 22)"""
    r = run_host("info", "trace/exec")
    check(r.returncode == 0 and "trace/exec.lua" in r.stdout, "info trace/exec (no .lua)",
          "stderr: " + r.stderr)
    one_line_error(run_host("run", "trace_exec"), "(did you mean trace/exec.lua?)")
    one_line_error(run_host("run", "trace/exec.lua", "--hots"),
                   "unknown option --hots for trace exec (did you mean --host?)")
    one_line_error(run_host("run", "trace/bind.lua", "--ignore-error"),
                   "(did you mean --ignore-errors?)")
    one_line_error(run_host("run", "trace/exec.lua", "--pid", "99999999999"),
                   "--pid: 99999999999 is out of range (0 to 4294967295)")


def test_malformed_filter_and_glob():
    """an operator glued to another and a broken glob are refused, not
    matched against nothing (issue 22 item 3)"""
    one_line_error(run_host("run", "trace/exec.lua", "-F", "comm=~x"),
                   'filter "comm=~x": unknown operator "=~"')
    one_line_error(run_host("run", "trace/exec.lua", "-c", "web["),
                   '-c "web[": a [ that no ] closes')
    r = run_host("traceloop", "start", "-c", "web[")
    check(r.returncode == 1 and r.stderr == 'gadgethost traceloop: -c "web[": a [ that no ] '
          'closes\n', "traceloop start -c web[: one line, exit status 1",
          "rc %d" % r.returncode, "stderr: " + r.stderr)


def test_layer_errors_name_the_layer():
    """a --lua layer's error names it (--lua #2, or the --lua-file), not the
    gadget's file; a wrong type a layer leaves is an error (issue 22 item 9)"""
    one_line_error(run_host("run", "trace/exec.lua", "--lua", "local x = 1", "--lua", "x = = 1"),
                   "gadgethost: --lua #2:1: unexpected symbol near '='")
    layer = os.path.join(tmpdir(), "wide.lua")
    with open(layer, "w") as f:
        f.write('fields.comm.width = "wide"\n')
    one_line_error(run_host("run", "trace/exec.lua", "--lua-file", layer),
                   "gadgethost: %s: fields.comm.width must be a positive integer (it is a "
                   "string)" % layer)
    one_line_error(run_host("run", "trace/exec.lua", "--lua", "filter = true"),
                   "gadgethost: --lua #1: filter must be a function (it is a boolean)")


def test_not_root():
    """as nobody: the message says root, CAP_BPF or permission"""
    want = re.compile(r"root|CAP_BPF|permission", re.I)
    if os.geteuid() == 0:
        setpriv = shutil.which("setpriv")
        if not setpriv:
            raise Skip("setpriv (util-linux) is not installed")
        prefix = [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups"]
        res = run_host("run", "trace/exec.lua", "--timeout", "1", prefix=prefix)
    else:
        res = run_host("run", "trace/exec.lua", "--timeout", "1")
    one_line_error(res, want)


def test_filter_runtime_error():
    """a Lua filter that fails: exit 0, the error once with file:line, a drop count"""
    reason = bpf_skip_reason()
    if reason:
        raise Skip(reason)
    path = write_gadget(tmpdir(), "filter_error.lua",
                        '-- a filter that always fails\n'
                        'return {\n'
                        '  name = "filter error", description = "a filter that fails",\n'
                        '  object = "%s",\n'
                        '  columns = {"pid", "comm"},\n'
                        '  filter = function(ev) error("bad") end,\n'
                        '}\n' % object_path("trace/exec"))
    prefix = unique("filtererr")
    seconds = scaled(3)
    t = Tracer(path, "--timeout", str(seconds))
    t.start()
    try:
        workload("exec", 3, prefix)
        rc = t.wait(20)
    finally:
        t.__exit__(None, None, None)
    err = t.stderr
    check(rc == 0, "exit status %r with --timeout, wanted 0" % rc, excerpt(err))
    check(prefix not in t.stdout, "events the failing filter should have dropped were printed",
          excerpt(t.stdout))
    lines = [l for l in err.splitlines() if "bad" in l]
    # reported at once, then at most once a second (3 s: at most 4 lines)
    # with the count of those held back
    check(1 <= len(lines) <= 1 + math.ceil(seconds),
          "wanted the filter's error at most once a second, got %d" % len(lines), excerpt(err))
    # a repeat says how many were held back; after a second with no error
    # at all (a loaded machine runs no exec for a while) the next one is
    # reported afresh, as the first was
    first = "repeats are reported once a second)"
    check(first in lines[0] and
          all(first in l or re.search(r"; [1-9]\d* more errors since the last report\)$", l)
              for l in lines[1:]),
          "the repeats do not say how many were held back", excerpt(err))
    check("filter_error.lua:6:" in lines[0], "the error does not say filter_error.lua:6:", lines[0])
    counts = [int(m.group(1)) for l in err.splitlines()
              for m in [re.search(r"(\d+)\s+(?:\w+\s+)?(?:events?\s+)?(?:were\s+)?dropped", l)] if m]
    check(counts, "no count of dropped events on stderr", excerpt(err))
    check(max(counts) >= 3, "dropped count %d, wanted >= 3 (the workload's execs)" % max(counts),
          excerpt(err))
    check(len(err.strip().splitlines()) <= len(lines) + 2,
          "more than the errors and the count on stderr", excerpt(err))


def in_private_mntns(script, *args):
    """sh -c script in a private mount namespace (what it mounts stays there)"""
    unshare = shutil.which("unshare")
    if not unshare or os.geteuid() != 0:
        raise Skip("needs root and unshare (util-linux)")
    return subprocess.run([unshare, "-m", "--propagation", "private", "sh", "-c", script,
                           "sh"] + [str(a) for a in args],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          timeout=scaled(60))


def test_no_btf():
    """a kernel without /sys/kernel/btf/vmlinux (hidden under an empty tmpfs)
    and a gadget without a minimal BTF for it (a copy of trace/exec without
    its .btf files): the error names what is missing and how to build it"""
    gadget = os.path.join(tmpdir(), unique("nobtf"))
    os.makedirs(gadget)
    shutil.copy(os.path.join(SOURCE_DIR, "gadgets", "trace", "exec.lua"), gadget)
    shutil.copy(object_path("trace/exec"), gadget)
    res = in_private_mntns('mount -t tmpfs none /sys/kernel/btf && '
                           'exec "$1" run "$2" --timeout 1', GH_BIN,
                           os.path.join(gadget, "exec.lua"))
    one_line_error(res, "no BTF", "/sys/kernel/btf/vmlinux", "no minimal BTF",
                   os.path.join(gadget, "exec.bpf."), "-Dcore_btf=")


def test_tracefs_missing():
    """tracefs not mounted: the host mounts it at /sys/kernel/tracing and traces"""
    reason = bpf_skip_reason()
    if reason:
        raise Skip(reason)
    missing = "/nonexistent/" + unique("tracefs")
    ready = os.path.join(tmpdir(), unique("ready"))
    # the open once the host has attached (its ready file; looked for every
    # 0.1 s, $5 times at most), then SIGINT: the host stops and prints it
    res = in_private_mntns(
        'umount -l /sys/kernel/tracing 2>/dev/null; umount -l /sys/kernel/debug 2>/dev/null\n'
        'if grep -q " tracefs " /proc/self/mountinfo; then echo "still mounted" >&2; exit 99; fi\n'
        '"$1" run trace/open.lua -o json --host --comm workload --ready-file "$4" & host=$!\n'
        'n=0; while [ ! -e "$4" ]; do\n'
        '  n=$((n + 1)); if [ $n -gt "$5" ]; then echo "not attached" >&2; kill $host; exit 98; fi\n'
        '  kill -0 $host || { wait $host; exit 97; }; sleep 0.1\n'
        'done\n'
        '"$2" open-missing "$3"; kill -INT $host; wait $host; rc=$?\n'
        'grep " /sys/kernel/tracing " /proc/self/mountinfo | grep -c tracefs >&2\n'
        'exit $rc', GH_BIN, os.environ.get("GH_WORKLOAD", ""), missing, ready,
        math.ceil(scaled(READY_TIMEOUT) * 10))
    check(res.returncode == 0, "exit status %d, wanted 0" % res.returncode,
          "stderr: " + excerpt(res.stderr))
    check(res.stderr.strip().splitlines()[-1:] == ["1"],
          "tracefs is not mounted at /sys/kernel/tracing after the run", excerpt(res.stderr))
    evs = [json.loads(l) for l in res.stdout.splitlines() if l.strip()]
    mine = [e for e in evs if e.get("path") == missing]
    check(len(mine) == 1 and mine[0]["err"] == 2, "wanted the failed open of %s" % missing,
          excerpt(res.stdout))


def test_tracepoint_missing():
    """a kernel without a gadget's tracepoint (the syscalls category hidden
    under an empty tmpfs): run fails with one line naming it, and list says
    which gadgets this kernel cannot run, and why"""
    reason = bpf_skip_reason()
    if reason:
        raise Skip(reason)
    hide = 'mount -t tmpfs none /sys/kernel/tracing/events/syscalls && '
    res = in_private_mntns(hide + 'exec "$1" run trace/open.lua --timeout 1', GH_BIN)
    one_line_error(res, "syscalls:sys_exit_openat")
    res = in_private_mntns(hide + 'exec "$1" list', GH_BIN)
    check(res.returncode == 0, "list exited %d" % res.returncode, excerpt(res.stderr))
    rows = {l.split()[0]: l.split()[1] for l in res.stdout.splitlines()[1:] if l.strip()}
    check(rows.get("trace/open.lua") == "no" and "sys_exit_openat" in res.stdout,
          "list does not mark trace/open.lua unsupported, naming the tracepoint", res.stdout)
    check(rows.get("trace/exec.lua") == "no", "trace/exec.lua needs syscalls tracepoints too",
          res.stdout)
    res = run_host("list")
    rows = {l.split()[0]: l.split()[1] for l in res.stdout.splitlines()[1:] if l.strip()}
    check(rows.get("trace/open.lua") == "yes" and rows.get("trace/exec.lua") == "yes",
          "list does not mark the gadgets supported on this kernel", res.stdout)


def test_btf_tracepoint_missing():
    """a tp_btf program whose event this kernel's BTF lacks: run fails with
    one line naming it, before libbpf tries to load it"""
    reason = bpf_skip_reason()
    if reason:
        raise Skip(reason)
    d = tmpdir()
    src = os.path.join(d, "nosuch.bpf.c")
    with open(src, "w") as f:
        f.write('#include <gadget/gadget.h>\n'
                'struct event { gadget_timestamp timestamp; __u32 pid; };\n'
                'GADGET_TRACER_MAP(events, 1 << 12);\n'
                'GADGET_TRACER(nosuch, events, event);\n'
                'SEC("tp_btf/gh_no_such_event") int on_it(void *ctx) { return 0; }\n'
                'char LICENSE[] SEC("license") = "GPL";\n')
    sdk = os.path.join(SOURCE_DIR, "sdk")
    obj = os.path.join(d, "nosuch.bpf.o")
    cc = subprocess.run(["clang", "-g", "-O2", "-target", "bpf", "-D__TARGET_ARCH_x86",
                         "-I", os.path.join(sdk, "include"), "-I", os.path.join(sdk, "vmlinux"),
                         "-c", src, "-o", obj], capture_output=True, text=True)
    check(cc.returncode == 0, "the test gadget does not compile", cc.stderr)
    path = write_gadget(d, "nosuch.lua", 'return {\n  name = "nosuch", description = "x",\n'
                        '  object = "%s",\n}\n' % obj)
    one_line_error(run_host("run", path, "--host", "--timeout", "1"), "gh_no_such_event", "on_it")


if __name__ == "__main__":
    try:
        main([test_lua_syntax_error, test_lua_runtime_error_at_load, test_missing_object,
              test_struct_not_in_btf, test_unknown_filter_field, test_bad_filter_value,
              test_unknown_fields_entry, test_unknown_param, test_missing_gadget_name,
              test_bad_option_values, test_names_people_type,
              test_malformed_filter_and_glob, test_layer_errors_name_the_layer, test_not_root, test_filter_runtime_error, test_no_btf,
              test_tracefs_missing, test_tracepoint_missing, test_btf_tracepoint_missing],
             bpf=False)
    finally:
        if TMP:
            shutil.rmtree(TMP, ignore_errors=True)
