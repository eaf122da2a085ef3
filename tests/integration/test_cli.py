#!/usr/bin/env python3
"""gadgethost list, info, run -h, version: no eBPF needed."""

from gh import check, excerpt, main, run_host

EXEC_FIELDS = ["timestamp", "mountnsid", "pid", "tid", "ppid", "uid", "gid", "ret", "comm",
               "pcomm", "argsTruncated", "args"]
OPEN_FIELDS = ["timestamp", "mountnsid", "pid", "tid", "uid", "gid", "comm", "fd", "err",
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
    res = run_host()
    check(res.returncode == 1 and "usage" in res.stderr, "no command: exit %d" % res.returncode,
          res.stderr)


if __name__ == "__main__":
    main([test_list, test_info, test_info_unknown, test_run_help, test_version_and_help],
         bpf=False)
