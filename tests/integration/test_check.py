#!/usr/bin/env python3
"""Integration tests of `gadgethost check` and of variants (host/kernel/variants.h):
what check reports about the running kernel (release, config, BTF,
kprobes) against what this test reads itself; every built-in gadget
supported, capabilities with the variant this kernel's hooks call for;
and a test object (bpf/test/variants.bpf.c) whose first alternatives no
kernel has: the one chosen is named by check, list and run --verbose and
is the one whose events arrive; a group no alternative of which works
makes the gadget unsupported with one line saying why; bad `variants`
tables fail naming the script.  Runs here and in the 6.1 VM of
tests/kernels/ (where kprobes exist and the kprobe variant is chosen)."""

import glob
import gzip
import os
import re
import shutil
import subprocess
import tempfile

from gh import (Tracer, check, excerpt, main, object_path, require_bpf, run_host, scaled,
                write_gadget)

SOURCE_DIR = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TRACEFS = "/sys/kernel/tracing"
OBJECT = object_path("test/variants")
CONFIG_OPTIONS = ("CONFIG_BPF_SYSCALL", "CONFIG_DEBUG_INFO_BTF", "CONFIG_KPROBES",
                  "CONFIG_BPF_EVENTS", "CONFIG_FTRACE_SYSCALLS")
NO_TP = "tracepoint gh_no_such_category:gh_no_such_event"
NO_TP2 = "tracepoint gh_no_such_category:gh_no_such_event2"
NO_BTF_TP = ("BTF tracepoint gh_no_such_btf_event (vmlinux BTF "
             "btf_trace_gh_no_such_btf_event)")


def kprobes():
    return os.path.exists(os.path.join(TRACEFS, "kprobe_events"))


def kernel_config():
    """(source, {name: value or None}) as this test reads it"""
    release = os.uname().release
    for path, opener in (("/proc/config.gz", gzip.open), ("/boot/config-" + release, open)):
        if os.path.exists(path):
            cfg = {}
            with opener(path, "rt") as f:
                for line in f:
                    line = line.strip()
                    if line.startswith("CONFIG_") and "=" in line:
                        k, v = line.split("=", 1)
                        cfg[k] = v
                    elif line.startswith("# CONFIG_") and line.endswith(" is not set"):
                        cfg[line[2:-len(" is not set")]] = None
            return path, cfg
    return None, {}


def gadget_rows(out):
    """{gadget: (ok, rest)} of check's table"""
    rows, table = {}, False
    for line in out.splitlines():
        if line.startswith("GADGET "):
            table = True
            continue
        if table and line and not line.startswith(" "):
            name, ok, *rest = line.split(None, 2) + [""]
            rows[name] = (ok, rest[0].strip())
    return rows


def test_check_kernel_and_builtins():
    """check: the kernel release, the config options as this test reads
    them, BTF, syscall names, kprobes; every built-in gadget yes; capabilities with the
    variant this kernel calls for; exit status 0"""
    require_bpf()
    res = run_host("check")
    check(res.returncode == 0, "check exited %d" % res.returncode, excerpt(res.stdout),
          excerpt(res.stderr))
    out = res.stdout
    check("kernel:        %s\n" % os.uname().release in out, "no kernel release line", out)
    source, cfg = kernel_config()
    if source:
        check("config:        %s\n" % source in out, "config source is not %s" % source, out)
        for opt in CONFIG_OPTIONS:
            want = "  %s=%s\n" % (opt, cfg[opt]) if cfg.get(opt) else "  %s is not set\n" % opt
            check(want in out, "check does not say %r" % want.strip(), out)
    else:
        check("config:        not exposed" in out, "no 'not exposed' config line", out)
    check("btf:           /sys/kernel/btf/vmlinux\n" in out, "no BTF line", out)
    # the host's syscall table names every call this kernel traces (6.1
    # and 6.18: fchmodat2, mseal, the *xattrat calls... are in it)
    check("syscall names: every syscall tracepoint of this kernel is named\n" in out,
          "the syscall table lacks a call of this kernel, or no syscall names line", out)
    check(("kprobes:       yes\n" if kprobes() else "kprobes:       no (") in out,
          "the kprobes line is wrong (kprobe_events %s)" % ("present" if kprobes() else
                                                            "missing"), out)
    rows = gadget_rows(out)
    src = SOURCE_DIR
    builtins = sorted(os.path.relpath(p, os.path.join(src, "gadgets"))
                      for p in glob.glob(os.path.join(src, "gadgets", "*", "*.lua")))
    check(builtins and all(rows.get(b, ("",))[0] == "yes" for b in builtins),
          "not every built-in gadget is supported", out)
    tp = os.path.exists(os.path.join(TRACEFS, "events", "capability", "cap_capable"))
    want = "variants: cap=%s" % ("on_cap_capable" if tp else "fexit_cap_capable")
    check(rows["trace/capabilities.lua"][1] == want,
          "capabilities: wanted %r on this kernel" % want, out)


def good_script(d):
    return write_gadget(d, "variants.lua", """return {
  name = "variants test", description = "variants test gadget",
  object = "%s",
  variants = {
    enter = { "tp_missing", "btf_missing", "tp_getppid" },
    exit = { "kprobe_getppid", "tp_exit_getppid" },
  },
  optional_programs = { "tp_missing2" },
}
""" % OBJECT)


def test_variant_chosen():
    """the first alternative the kernel has: named by check (-v: every
    program), list and run --verbose, and the only one whose events come"""
    require_bpf()
    d = tempfile.mkdtemp(prefix="gh-variants-")
    try:
        os.mkdir(os.path.join(d, "test"))
        script = good_script(os.path.join(d, "test"))
        exit_alt = "kprobe_getppid" if kprobes() else "tp_exit_getppid"
        chosen = "enter=tp_getppid exit=%s" % exit_alt
        res = run_host("check", "-v", script)
        check(res.returncode == 0, "check exited %d" % res.returncode, excerpt(res.stdout))
        lines = res.stdout.splitlines()
        row = [l for l in lines if l.startswith(script)]
        check(row and row[0].split(None, 2)[1:] == ["yes", "variants: " + chosen],
              "check's row does not name %r" % chosen, res.stdout)
        # "    NAME   HOOK   STATUS", columns two blanks or more apart
        progs = {f[0]: f[2] for f in (re.split(r"\s{2,}", l.strip()) for l in lines
                                       if l.startswith("    ")) if len(f) == 3}
        check(progs.get("tp_missing") == "skipped: this kernel has no " + NO_TP,
              "-v: tp_missing's line", res.stdout)
        check(progs.get("tp_getppid") == "loads" and progs.get(exit_alt) == "loads",
              "-v: the chosen programs do not load", res.stdout)
        env = dict(os.environ, GADGETHOST_PATH=d)
        res = run_host("list", env=env)
        row = [l for l in res.stdout.splitlines() if l.startswith("test/variants.lua ")]
        check(row and row[0].split()[1] == "yes" and row[0].endswith("[variants: %s]" % chosen),
              "list does not name the variants chosen", res.stdout)
        with Tracer(script, "--verbose") as t:
            p = subprocess.Popen(["python3", "-c", "import os; os.getppid()"])
            p.wait(scaled(30))
        t.check_clean_exit()
        skipped = "tp_missing: this kernel has no %s; btf_missing: this kernel has no %s" % (
            NO_TP, NO_BTF_TP)
        check("gadgethost: variant enter: tp_getppid (%s)\n" % skipped in t.stderr,
              "--verbose does not say which variant of enter ran, and why", t.stderr)
        want_exit = ("gadgethost: variant exit: kprobe_getppid\n" if kprobes() else
                     "gadgethost: variant exit: tp_exit_getppid (kprobe_getppid: this kernel "
                     "has no kprobes (no %s/kprobe_events: CONFIG_KPROBES is off))\n" % TRACEFS)
        check(want_exit in t.stderr, "--verbose: wanted %r" % want_exit, t.stderr)
        got = [e["which"] for e in t.events() if e["pid"] == p.pid]
        check(got == [1, 3 if kprobes() else 2],
              "wanted the chosen programs' events only, in order", got)
    finally:
        shutil.rmtree(d, ignore_errors=True)


def test_no_variant_works():
    """a group none of whose alternatives the kernel has: check says no and
    why for each (exit 1); run fails with the same one line"""
    require_bpf()
    d = tempfile.mkdtemp(prefix="gh-variants-")
    try:
        script = write_gadget(d, "none.lua", """return {
  name = "none", description = "x", object = "%s",
  variants = { enter = { "tp_missing", { "tp_missing2", "tp_getppid" } } },
}
""" % OBJECT)
        why = ("%s: no variant of enter works on this kernel: tp_missing needs %s; "
               "tp_missing2+tp_getppid needs %s" % (OBJECT, NO_TP, NO_TP2))
        res = run_host("check", script)
        check(res.returncode == 1, "check exited %d, wanted 1" % res.returncode, res.stdout)
        row = [l for l in res.stdout.splitlines() if l.startswith(script)]
        check(row and row[0].split(None, 2)[1:] == ["no", why], "check's row", res.stdout)
        res = run_host("run", script, "--host", "--timeout", "1")
        check(res.returncode == 1 and res.stderr == "gadgethost: %s\n" % why,
              "run: wanted one line saying why", excerpt(res.stderr))
    finally:
        shutil.rmtree(d, ignore_errors=True)


def test_bad_variants():
    """a variants table that is not one: the script named, exit 1"""
    d = tempfile.mkdtemp(prefix="gh-variants-")
    try:
        cases = [('"x"', "'variants' must be a table"),
                 ('{ enter = {} }', "variants.enter must be a list of alternatives"),
                 ('{ enter = { 42 } }', "variants.enter[1] must be a program name or a list"),
                 ('{ enter = { { "tp_getppid", 7 } } }', "variants.enter[1][2] must be a "
                  "program name"),
                 ('{ enter = { "nosuch" } }', "variants.enter: %s has no program \"nosuch\""
                  % OBJECT)]
        for i, (table, msg) in enumerate(cases):
            script = write_gadget(d, "bad%d.lua" % i, 'return {\n  name = "bad", '
                                  'description = "x", object = "%s",\n  variants = %s,\n}\n'
                                  % (OBJECT, table))
            res = run_host("run", script, "--host", "--timeout", "1")
            check(res.returncode == 1 and res.stderr.startswith("gadgethost: %s:" % script)
                  and msg in res.stderr and res.stderr.count("\n") == 1,
                  "variants = %s: wanted one line naming %s and saying %r" % (table, script, msg),
                  excerpt(res.stderr))
    finally:
        shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    main([test_check_kernel_and_builtins, test_variant_chosen, test_no_variant_works,
          test_bad_variants])
