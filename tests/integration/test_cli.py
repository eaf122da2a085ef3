#!/usr/bin/env python3
"""gadgethost list, info, run -h, version: no eBPF needed."""

import os
import re
import shutil

from gh import Skip, check, excerpt, main, run_host

EXEC_FIELDS = ["timestamp", "mountnsid", "pid", "tid", "ppid", "uid", "gid", "ret", "comm",
               "pcomm", "argsTruncated", "args"]
OPEN_FIELDS = ["timestamp", "mountnsid", "pid", "tid", "ppid", "uid", "gid", "comm", "fd", "err",
               "flagsRaw", "modeRaw", "path", "flags", "mode"]


def ok(res, what):
    check(res.returncode == 0, "%s: exit status %d" % (what, res.returncode),
          "stderr: " + excerpt(res.stderr))
    check(res.stdout.strip(), "%s printed nothing" % what)
    return res.stdout


def test_list():
    """list: the gadgets, with their descriptions"""
    out = ok(run_host("list"), "list")
    for g in ["trace/exec.lua", "trace/open.lua"]:
        check(any(l.split()[:1] == [g] and len(l.split()) > 2 for l in out.splitlines()),
              "list has no line for %s with a description" % g, out)


def test_info():
    """info: every field of the event and the gadget's params"""
    for gadget, fields, param in [("trace/exec.lua", EXEC_FIELDS, "--ignore-failed"),
                                  ("trace/open.lua", OPEN_FIELDS, "--failed")]:
        out = ok(run_host("info", gadget), "info " + gadget)
        names = {l.split()[0] for l in out.splitlines() if l.strip()}
        missing = [f for f in fields if f not in names]
        check(not missing, "info %s does not list %s" % (gadget, missing), out)
        check(param in out, "info %s does not list %s" % (gadget, param), out)
    # the table stays aligned past long names (runtime.containerImageName)
    out = ok(run_host("info", "trace/mount.lua"), "info trace/mount.lua")
    table = out.split("\n\n")[1].splitlines()
    starts = {l.index(l.split()[1], len(l.split()[0])) for l in table}
    check(len(starts) == 1, "the TYPE column does not start at one place", out)


def test_info_unknown():
    """info of a missing gadget: one line, non-zero"""
    res = run_host("info", "no/such.lua")
    check(res.returncode > 0 and len(res.stderr.strip().splitlines()) == 1
          and "no/such.lua" in res.stderr, "info no/such.lua: exit %d" % res.returncode,
          res.stderr)


def test_run_help():
    """run GADGET -h: options and the gadget's params, exit 0, without root"""
    out = ok(run_host("run", "trace/exec.lua", "-h"), "run -h")
    for opt in ["--output", "--filter", "--fields", "--timeout", "--ready-file", "--ignore-failed"]:
        check(opt in out, "run trace/exec.lua -h does not mention %s" % opt, out)


def test_version_and_help():
    """version and help exit 0; no command exits 1 with usage on stderr"""
    check("gadgethost" in ok(run_host("version"), "version"), "version output")
    ok(run_host("help"), "help")
    # the gadgets' search path, in the program's order, the build tree too
    env = dict(os.environ, GADGETHOST_PATH="/gh-a:/gh-b")
    out = ok(run_host("--help", env=env), "--help")
    where = [l.split(". ", 1)[1] for l in out.splitlines() if re.match(r"  \d+\. ", l)]
    check(where == ["/gh-a ($GADGETHOST_PATH)", "/gh-b ($GADGETHOST_PATH)",
                    where[2], os.environ["GH_SOURCE_DIR"] + "/gadgets (the source tree: this "
                    "is its build)", "the current directory"] and
          where[2].endswith("/share/gadgethost/gadgets (installed)"),
          "--help does not list the search path in order", out)
    res = run_host()
    check(res.returncode == 1 and "usage" in res.stderr, "no command: exit %d" % res.returncode,
          res.stderr)


def test_list_not_root():
    """list as nobody: every KERNEL is ?, and one line says it needs root
    (not that the kernel lacks tracepoints)"""
    setpriv = shutil.which("setpriv")
    if os.geteuid() != 0 or not setpriv:
        raise Skip("needs root and setpriv to run as nobody")
    prefix = [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups"]
    res = run_host("list", prefix=prefix)
    rows = [l.split(None, 2) for l in ok(res, "list as nobody").splitlines()[1:]]
    check(rows and all(r[1] == "?" for r in rows), "a KERNEL that is not ?", res.stdout)
    check("no eBPF program type" not in res.stdout, "a kernel blamed", res.stdout)
    check(res.stderr == "gadgethost: warning: list: KERNEL is ? when not run as root (probing "
          "program types and hooks loads eBPF)\n", "the one line on stderr", res.stderr)


if __name__ == "__main__":
    main([test_list, test_list_not_root, test_info, test_info_unknown, test_run_help, test_version_and_help],
         bpf=False)
