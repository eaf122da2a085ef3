#!/usr/bin/env python3
"""audit/seccomp.lua: a runc container whose seccomp profile logs chdir
(SCMP_ACT_LOG) and kills on sync (SCMP_ACT_KILL_PROCESS): exactly one row
for each, the logged one from the kernel's audit record, the kill from the
SIGSYS, both with the container's name."""

import os
import tempfile

from ctrace import traced_container
from gh import (Skip, Tracer, check, describe, excerpt, main, object_path, require_bpf, run_host,
                write_gadget)

SOURCE_DIR = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))



def profile(cfg):
    cfg["linux"]["seccomp"] = {
        "defaultAction": "SCMP_ACT_ALLOW",
        "architectures": ["SCMP_ARCH_X86_64"],
        "syscalls": [
            {"names": ["chdir"], "action": "SCMP_ACT_LOG"},
            {"names": ["sync"], "action": "SCMP_ACT_KILL_PROCESS"},
        ],
    }


def need_audit_logging():
    with open("/proc/sys/kernel/seccomp/actions_logged") as f:
        logged = f.read().split()
    if "log" not in logged or "kill_process" not in logged:
        raise Skip("/proc/sys/kernel/seccomp/actions_logged (%s) lacks log or kill_process"
                   % " ".join(logged))


def test_seccomp_log_and_kill():
    require_bpf()
    need_audit_logging()
    # the audit records come later, through kauditd and a netlink socket:
    # the shell stays (its workload: the host ties a record to the
    # container by its process) until the test has seen both rows
    script = "cd /tmp; sync; echo synced; exec sleep 60"
    # beside it, every process (--host): the kill's audit record, of a
    # process gone, must not double the SIGSYS row
    with Tracer("audit/seccomp.lua", "-F", "comm==sync", host=True) as th:
        run = traced_container("audit/seccomp.lua", script, edit=profile,
                               until=lambda t, out: len(t.events_so_far()) >= 2 and
                               "synced" in out)
    th.check_clean_exit()
    t, name, pid, output = run.tracer, run.name, run.pid, run.output
    # two sources (audit socket, ring buffer) reach the host in either
    # order: the rows are compared in the order the calls were made (an
    # audit record's time is cut to the millisecond, never later)
    evs = sorted(t.events(), key=lambda e: e["timestamp"])
    got = [(e["comm"], e["syscall"], e["action"], e["source"],
            e["runtime"]["containerName"]) for e in evs]
    want = [("sh", "chdir", "SCMP_ACT_LOG", "audit", name),
            ("sync", "sync", "SCMP_ACT_KILL_PROCESS", "signal", name)]
    check(got == want, "wanted the logged chdir and the killed sync", got, describe(evs),
          "container output: " + excerpt(output), "stderr: " + excerpt(t.stderr))
    check(evs[0]["pid"] == pid, "the chdir is not the container's shell's (pid %d)" % pid,
          evs[0])
    check(evs[0]["code"] == 0x7ffc0000 and evs[1]["code"] == 0x80000000, "raw codes", evs)
    check(evs[1]["pid"] != pid and evs[1]["tid"] == evs[1]["pid"], "the sync's pid", evs[1])
    check(all(e["arch"] == 0xc000003e for e in evs), "arch is not x86_64", evs)
    hevs = th.events()
    check([(e["comm"], e["syscall"], e["action"], e["source"]) for e in hevs] ==
          [("sync", "sync", "SCMP_ACT_KILL_PROCESS", "signal")],
          "--host: wanted the kill once, from the SIGSYS", describe(hevs))
    check(hevs[0]["pid"] == evs[1]["pid"], "--host: another sync", hevs[0], evs[1])
    check("synced" in output, "the shell did not go on after its child was killed", output)


def test_bad_sources():
    """a script's sources that make no sense: one line naming the script"""
    src = os.path.join(SOURCE_DIR, "gadgets", "audit", "seccomp.lua")
    with open(src) as f:
        text = f.read()
    with tempfile.TemporaryDirectory(prefix="gh-sc-") as d:
        for bad, want in [('{ "audit:abc" }', '"audit:abc" is not audit:TYPE'),
                          ('{ "netlink" }', 'unknown source "netlink"'),
                          ('"audit"', "'sources' must be a list of strings")]:
            path = write_gadget(d, "bad.lua", text.replace(
                'sources = { "audit:1326" }', "sources = " + bad).replace(
                'object = "audit/seccomp.bpf.o"',
                'object = "%s"' % object_path("audit/seccomp")))
            p = run_host("run", path, "--timeout", "1")
            lines = p.stderr.strip().splitlines()
            check(p.returncode == 1 and len(lines) == 1 and want in lines[0] and
                  path in lines[0], "sources = %s: wanted one line with %r" % (bad, want),
                  p.stderr)


if __name__ == "__main__":
    main([test_seccomp_log_and_kill, test_bad_sources])
