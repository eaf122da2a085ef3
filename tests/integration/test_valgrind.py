#!/usr/bin/env python3
"""The host under valgrind: a real trace/exec run (load, attach, events,
--timeout, teardown) and a bad-input exit must show no memory errors and no
definite leaks.  Run by scripts/test.sh in the plain build (suite valgrind)."""

import os
import re
import time

import gh
from gh import Skip, Tracer, bpf_skip_reason, check, excerpt, main, run_host, unique, workload

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
    t = Tracer("trace/exec.lua", "--timeout", "4", prefix=vg_prefix(log))
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
    hooks = {k: [{"path": gh.GH_BIN, "args": ["gadgethost", "hook", k]}]
             for k in ("prestart", "poststop")}
    n = 12
    with containers.Runc() as r:
        t = Tracer("trace/exec.lua", "-c", "vg*", "--runc-root", r.root, "--timeout", "30",
                   prefix=vg_prefix(log), host=False)
        t.start()
        try:
            for i in range(n):
                name = "vg%d" % i
                # hooked ones exec at once (the hook makes that safe); found
                # ones on disk get a second, as valgrind slows the host down
                args = ["/bin/echo", name] if i % 2 else ["sh", "-c", "sleep 1; exec /bin/echo " + name]
                r.run(name, r.bundle(name, args, hooks=hooks if i % 2 else None))
                deadline = time.time() + 20
                while r.state(name).get("status") != "stopped" and time.time() < deadline:
                    time.sleep(0.05)
                r.delete(name)
            time.sleep(2)
            rc = t.stop()
        finally:
            t.__exit__(None, None, None)
    text = read_log(log)
    check_log(text, rc)
    check(rc == 0, "exit status %d, wanted 0" % rc, "stderr: " + excerpt(t.stderr))
    echoes = sorted(e["runtime"]["containerName"] for e in t.events()
                    if e["args"] == ["/bin/echo", e["runtime"]["containerName"]])
    check(echoes == sorted("vg%d" % i for i in range(n)),
          "wanted the echo of each of %d containers under valgrind" % n, echoes)


def test_valgrind_profile_cpu():
    """profile/cpu.lua under valgrind: perf events, stack symbolization
    (kallsyms, ELF files of every sampled process), JSON; exit 0, no errors"""
    reason = bpf_skip_reason()
    if reason:
        raise Skip(reason)
    gh.READY_TIMEOUT = 120.0
    log = os.path.join("/tmp", unique("gh-valgrind-") + ".log")
    t = Tracer("profile/cpu.lua", "--timeout", "4", prefix=vg_prefix(log))
    t.start()
    try:
        workload("exec", 50, unique("vgp"))
        rc = t.wait(180)
    finally:
        t.__exit__(None, None, None)
    text = read_log(log)
    check_log(text, rc)
    check(rc == 0, "exit status %d, wanted 0" % rc, "stderr: " + excerpt(t.stderr))
    stacks = t.events()
    check(stacks and all(e["samples"] > 0 for e in stacks), "no stacks under valgrind",
          excerpt(t.stdout))


if __name__ == "__main__":
    main([test_valgrind_trace_exec, test_valgrind_bad_input, test_valgrind_containers,
          test_valgrind_profile_cpu], bpf=False)
