#!/usr/bin/env python3
"""Integration tests of trace/oomkill.lua: in a memory cgroup the test
makes (64 MiB, no swap), a python3 holds 40 MiB with oom_score_adj 1000,
then dd reads 40 MiB into one buffer: dd's allocation triggers the OOM
killer, which kills the python3.  Then the same in a runc container with a
memory limit."""

import os
import signal
import subprocess

from ctrace import traced_container
from gh import (Failure, Tracer, check, describe, excerpt, main, require_bpf, scaled, unique,
                wait_for)

GADGET = "trace/oomkill.lua"
LIMIT = 64 << 20
HOLD_MB = 40
PYTHON = "/usr/bin/python3"
# holds HOLD_MB MiB (touched), makes itself the OOM killer's first choice,
# says so, and waits to be killed (its sleep is the workload: it must stay
# alive, holding the memory, until the kill)
HOG = ("import os, sys, time\n"
       "b = bytearray(%d << 20)\n"
       "for i in range(0, len(b), 4096): b[i] = 1\n"
       "open('/proc/self/oom_score_adj', 'w').write('1000')\n"
       "print('ready', flush=True)\n"
       "time.sleep(60)\n" % HOLD_MB)  # the workload
DD = ["dd", "if=/dev/zero", "of=/dev/null", "bs=%dM" % HOLD_MB, "count=1"]
FIELDS = {"timestamp", "mountnsid", "kpid", "ktid", "kppid", "kuid", "kgid", "kcomm", "pages",
          "tpid", "ttid", "tcomm", "uid", "gid"}


class MemoryCgroup:
    """a memory cgroup with LIMIT bytes and no swap: cgroup v2 where the
    memory controller is enabled for children, else v1 (this machine's
    hybrid layout)"""

    def __init__(self):
        name = unique("gh-oom")
        # v2 where the memory controller is there: the hybrid layout's
        # unified/, or a pure v2 hierarchy (the VM of tests/kernels/)
        v2 = next((d for d in ("/sys/fs/cgroup/unified", "/sys/fs/cgroup")
                   if os.path.exists(os.path.join(d, "cgroup.controllers")) and
                   "memory" in open(os.path.join(d, "cgroup.subtree_control")).read().split()),
                  None)
        if v2:
            self.path = os.path.join(v2, name)
            os.mkdir(self.path)
            self._write("memory.max", LIMIT)
            self._write("memory.swap.max", 0)
        else:
            self.path = os.path.join("/sys/fs/cgroup/memory", name)
            os.mkdir(self.path)
            self._write("memory.limit_in_bytes", LIMIT)
            if os.path.exists(os.path.join(self.path, "memory.memsw.limit_in_bytes")):
                self._write("memory.memsw.limit_in_bytes", LIMIT)

    def _write(self, f, v):
        with open(os.path.join(self.path, f), "w") as fh:
            fh.write(str(v))

    def enter(self):
        """preexec_fn: the child joins the cgroup"""
        self._write("cgroup.procs", 0)

    def remove(self):
        """rmdir, retried while the killed processes still leave it (what
        stays after 5 s, scaled, is left)"""
        def removed():
            try:
                os.rmdir(self.path)
                return True
            except OSError:
                return False
        try:
            wait_for(removed, 5, "cgroup %s removed" % self.path)
        except Failure:
            pass


def unkillable():
    """preexec_fn: the OOM killer never picks this process, where the
    process may say so (CAP_SYS_RESOURCE: not in every sandbox)"""
    try:
        with open("/proc/self/oom_score_adj", "w") as f:
            f.write("-1000")
    except PermissionError:
        pass


def check_event(e, victim, victim_comm, trigger, trigger_comm):
    check(FIELDS <= set(e), "fields missing: %s" % sorted(FIELDS - set(e)), e)
    check((e["kpid"], e["kcomm"], e["tpid"], e["tcomm"]) ==
          (victim, victim_comm, trigger, trigger_comm),
          "wanted %s %d killed, %s %d triggering" % (victim_comm, victim, trigger_comm, trigger), e)
    check(e["ktid"] == e["kpid"] and e["ttid"] == e["tpid"], "tids", e)
    # the victim held HOLD_MB MiB: at least that many 4 KiB pages, and less
    # than the cgroup's limit
    check(HOLD_MB << 8 <= e["pages"] < LIMIT >> 12, "pages %d: not the victim's "
          "resident pages" % e["pages"], e)


def test_oomkill_in_cgroup():
    """dd's allocation triggers the OOM kill of the python3 that holds the
    memory: kpid/kcomm the python3, tpid/tcomm dd"""
    require_bpf()
    cg = MemoryCgroup()
    try:
        with Tracer(GADGET, "--verbose") as t:
            hog = subprocess.Popen([PYTHON, "-c", HOG], preexec_fn=cg.enter,
                                   stdout=subprocess.PIPE)
            check(hog.stdout.readline() == b"ready\n", "the python3 did not get its memory")
            # dd is never the one killed (-1000): where the victim's memory
            # comes back slowly (6.1 under TCG), the kernel would kill dd too
            dd = subprocess.Popen(DD, preexec_fn=lambda: (cg.enter(), unkillable()),
                                  stderr=subprocess.DEVNULL)
            check(dd.wait(scaled(30)) == 0, "dd did not finish after the kill")
            check(hog.wait(scaled(10)) == -signal.SIGKILL, "the python3 was not killed")
        t.check_clean_exit()
    finally:
        cg.remove()
    evs = [e for e in t.events() if e["kpid"] == hog.pid or e["tpid"] == dd.pid]
    check(len(evs) == 1, "wanted one OOM kill", describe(evs), "stderr: " + excerpt(t.stderr))
    check_event(evs[0], hog.pid, "python3", dd.pid, "dd")
    check((evs[0]["uid"], evs[0]["gid"], evs[0]["kuid"], evs[0]["kgid"]) == (0, 0, 0, 0),
          "uids", evs[0])
    check(evs[0]["kppid"] == os.getpid(), "the killed python3's parent is the test", evs[0])


def test_oomkill_in_container():
    """the same inside a runc container with a 64 MiB memory limit, traced
    with -c: busybox's dd triggers the kill of the python3"""
    script = ("%s -c \"$HOG\" > /tmp/hog.out & pid=$!; "
              "while ! grep -q ready /tmp/hog.out; do sleep 0.05; done; "
              "echo hog $pid; /bin/dd if=/dev/zero of=/dev/null bs=%dM count=1 2>/dev/null; "
              "echo dd $?; wait $pid; echo hog $?" % (PYTHON, HOLD_MB))

    def limit(cfg):
        cfg["linux"].setdefault("resources", {})["memory"] = {"limit": LIMIT, "swap": LIMIT}

    run = traced_container(GADGET, script, name=unique("oom")[:30], timeout=30,
                           env={"HOG": HOG}, edit=limit)
    t, name, mntns, out = run.tracer, run.name, run.mntns, run.output
    check("dd 0" in out and "hog 137" in out, "dd did not succeed or the python3 was "
          "not killed", out)
    evs = t.events()
    check(len(evs) == 1, "wanted one OOM kill", describe(evs), "stderr: " + excerpt(t.stderr))
    e = evs[0]
    check_event(e, e["kpid"], "python3", e["tpid"], "dd")
    check(e["kpid"] != e["tpid"], "victim and trigger are the same process", e)
    check(e["mountnsid"] == mntns, "mountnsid is not the container's %d" % mntns, e)
    check(e["runtime"]["containerName"] == name, "containerName", e)


if __name__ == "__main__":
    main([test_oomkill_in_cgroup, test_oomkill_in_container])
