#!/usr/bin/env python3
"""The host under valgrind: a real trace/exec run (load, attach, events,
--timeout, teardown) and a bad-input exit must show no memory errors and no
definite leaks.  Run by scripts/test.sh in the plain build (suite valgrind)."""

import os
import re

import gh
from test_profile import Spinner
from gh import (Skip, Tracer, bpf_skip_reason, check, excerpt, main, run_host, scaled, unique,
                workload)

VALGRIND = os.environ.get("GH_VALGRIND", "valgrind")
SUPPRESSIONS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "valgrind.supp")
ERROR_EXIT = 99


def vg_prefix(log):
    return [VALGRIND, "--error-exitcode=%d" % ERROR_EXIT, "--leak-check=full",
            "--show-leak-kinds=definite", "--errors-for-leak-kinds=definite",
            "--num-callers=30", "--suppressions=" + SUPPRESSIONS, "--log-file=" + log]


def read_log(log):
    try:
        with open(log) as f:
            return f.read()
    except OSError:
        return ""
    finally:
        if os.path.exists(log):
            os.unlink(log)


def check_log(text, rc):
    summary = re.search(r"ERROR SUMMARY: (\d+) errors", text)
    check(summary, "no valgrind ERROR SUMMARY in its log", excerpt(text))
    check(rc != ERROR_EXIT and summary.group(1) == "0",
          "valgrind found %s errors (exit %d)" % (summary.group(1), rc), excerpt(text, 8000))


def test_valgrind_trace_exec():
    """trace/exec.lua under valgrind: events arrive, exit 0, no errors"""
    reason = bpf_skip_reason()
    if reason:
        raise Skip(reason)
    gh.READY_TIMEOUT = 120.0
    log = os.path.join("/tmp", unique("gh-valgrind-") + ".log")
    prefix = unique("vg")
    # the run ends by itself (--timeout), the workload's execs well before
    t = Tracer("trace/exec.lua", "--timeout", str(scaled(4)), prefix=vg_prefix(log))
    t.start()
    try:
        w = workload("exec", 5, prefix)
        rc = t.wait(180)
    finally:
        t.__exit__(None, None, None)
    text = read_log(log)
    check_log(text, rc)
    check(rc == 0, "exit status %d, wanted 0" % rc, "stderr: " + excerpt(t.stderr))
    trues = [e for e in t.events() if e.get("comm") == "true"
             and any(prefix in a for a in e.get("args", []))]
    check(len(trues) == 5 and all(e["ppid"] == w.pid for e in trues),
          "wanted 5 execs of true under valgrind, got %d" % len(trues))


def test_valgrind_bad_input():
    """a Lua syntax error under valgrind: exit 1, no errors, no leaks"""
    d = os.path.join("/tmp", unique("gh-vg-"))
    os.makedirs(d)
    path = os.path.join(d, "broken.lua")
    with open(path, "w") as f:
        f.write("return {\n  name = = 1,\n}\n")
    log = os.path.join(d, "valgrind.log")
    try:
        res = run_host("run", path, "-o", "json", prefix=vg_prefix(log), timeout=120)
        text = read_log(log)
    finally:
        if os.path.exists(path):
            os.unlink(path)
        os.rmdir(d)
    check_log(text, res.returncode)
    check(res.returncode == 1, "exit status %d, wanted 1" % res.returncode, res.stderr)


def test_valgrind_containers():
    """containers coming and going under valgrind (state watch and OCI
    hooks, the kernel filter updated each time): no errors, no leaks"""
    reason = bpf_skip_reason()
    if reason:
        raise Skip(reason)
    import containers
    gh.READY_TIMEOUT = 120.0
    log = os.path.join("/tmp", unique("gh-valgrind-") + ".log")
    n = 12
    prefix = unique("vg")[:24]  # hooks report containers to every host: our own names
    names = ["%s-%d" % (prefix, i) for i in range(n)]
    with containers.Runc() as r:
        t = Tracer("trace/exec.lua", "-c", prefix + "*", "--runc-root", r.root, "--verbose",
                   prefix=vg_prefix(log), host=False)
        t.start()
        try:
            for i, name in enumerate(names):
                # hooked ones exec at once (the hook makes that safe); found
                # ones on disk must be alive when the host, slowed down by
                # valgrind, looks at runc's state: they sleep (their
                # workload) until their echo is out
                if i % 2:
                    r.run(name, r.bundle(name, ["/bin/echo", name], hooks=containers.HOOKS))
                    r.wait_stopped(name)
                else:
                    r.run(name, r.bundle(name, ["sh", "-c", "/bin/echo %s; exec sleep 600"
                                                % name]))
                    t.wait_for(lambda: [e for e in t.events_so_far()
                                        if e["args"] == ["/bin/echo", name]],
                               "%s's echo" % name, timeout=60)
                r.delete(name)
            # the host has removed every one: the removals ran under valgrind too
            t.wait_for(lambda: all("container %s stopped" % x in t.stderr for x in names),
                       "the host's removal of the %d containers" % n, timeout=60)
            rc = t.stop()
        finally:
            t.__exit__(None, None, None)
    text = read_log(log)
    check_log(text, rc)
    check(rc == 0, "exit status %d, wanted 0" % rc, "stderr: " + excerpt(t.stderr))
    echoes = sorted(e["runtime"]["containerName"] for e in t.events()
                    if e["args"] == ["/bin/echo", e["runtime"]["containerName"]])
    check(echoes == sorted(names),
          "wanted the echo of each of %d containers under valgrind" % n, echoes)


def test_valgrind_profile_cpu():
    """profile/cpu.lua under valgrind: perf events, stack symbolization
    (kallsyms, ELF files of every sampled process), JSON; exit 0, no errors"""
    reason = bpf_skip_reason()
    if reason:
        raise Skip(reason)
    gh.READY_TIMEOUT = 120.0
    log = os.path.join("/tmp", unique("gh-valgrind-") + ".log")
    t = Tracer("profile/cpu.lua", "--timeout", str(scaled(4)), prefix=vg_prefix(log))
    spinner = Spinner()
    t.start()
    try:
        # a known second of CPU time while it samples (a few short execs
        # could all fall between samples: "no stacks" once in CI)
        pid = spinner.run(1.0)
        rc = t.wait(180)
    finally:
        t.__exit__(None, None, None)
        spinner.close()
    text = read_log(log)
    check_log(text, rc)
    check(rc == 0, "exit status %d, wanted 0" % rc, "stderr: " + excerpt(t.stderr))
    stacks = t.events()
    check(stacks and all(e["samples"] > 0 for e in stacks), "no stacks under valgrind",
          excerpt(t.stdout))
    check(any(e["pid"] == pid and e["comm"] == spinner.comm for e in stacks),
          "no stack of the spinner under valgrind", excerpt(t.stdout))


if __name__ == "__main__":
    main([test_valgrind_trace_exec, test_valgrind_bad_input, test_valgrind_containers,
          test_valgrind_profile_cpu], bpf=False)
