#!/usr/bin/env python3
"""gadgethost traceloop: the flight recorder of containers' syscalls (the
gadget traceloop/traceloop.lua).

A recorder (`traceloop start`) runs while two runc containers do their
work: one opens a file that does not exist and exits 1, the other keeps
running.  Its dump (`traceloop show`, over the recorder's socket) ends with
exactly that openat (ENOENT), the write of cat's complaint and
exit_group(1); the other's dump has none of the first's syscalls; `list`
says which exited and which runs."""

import contextlib
import glob
import json
import os
import re
import shutil
import subprocess
import tempfile

import containers
import gh
from containers import HOOKS
from gh import GH_BIN, check, excerpt, main, require_bpf, run_host, unique, wait_for

# the gadget, named so that the VM matrix (tests/kernels/run-vm.sh) runs this file
GADGET = "traceloop/traceloop.lua"
SOURCE_DIR = os.environ.get("GH_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", ".."))

# 05:31:02.123456 cpu1 [1234] cat openat(AT_FDCWD, "/missing", O_RDONLY) = -1 ENOENT
COMPLAINT = "cat: can't open '/missing': No such file or directory"
LINE = re.compile(r"^(\d\d:\d\d:\d\d\.\d{6}) cpu(\d+) \[(\d+)(?::(\d+))?\] (\S+) (.*)$")


class Recorder(gh.Tracer):
    """gadgethost traceloop start, as a context manager (ready, stop, stderr)"""

    def __init__(self, socket, *args, env=None):
        super().__init__("traceloop", *args, fmt=None, host=False, env=env)
        self.socket = socket

    def command(self):
        return [GH_BIN, "traceloop", "start", "--socket", self.socket,
                "--ready-file", self.ready_file] + self.args


def traceloop(socket, *args):
    p = run_host("traceloop", *args, "--socket", socket)
    check(p.returncode == 0, "traceloop %s exited %d" % (" ".join(args), p.returncode),
          "stderr: " + excerpt(p.stderr))
    return p.stdout


# the CPU a container is kept on (its cgroup's cpuset): not 0 where there
# is another, so a CPU printed as 0 by mistake shows
CPU = 1 if len(os.sched_getaffinity(0)) > 1 and 1 in os.sched_getaffinity(0) else \
    min(os.sched_getaffinity(0))


def on_cpu(cfg, cpu=CPU):
    """a bundle edit: the container runs on that CPU only"""
    cfg["linux"].setdefault("resources", {})["cpu"] = {"cpus": str(cpu)}


def lines(dump):
    """the dump's lines: [(cpu, pid, tid, comm, call text)]"""
    out = []
    for line in dump.splitlines():
        m = LINE.match(line)
        check(m, "a dump line not like 'HH:MM:SS.us cpuN [pid] comm call(args) = ret'", line)
        pid = int(m.group(3))
        out.append((int(m.group(2)), pid, int(m.group(4) or pid), m.group(5), m.group(6)))
    return out


def calls(dump):
    """the dump's lines without time, cpu and command: [(pid, call text)]"""
    return [(pid, call) for _, pid, _, _, call in lines(dump)]


def n_records(calls):
    """the records a dump's lines were made of: an enter and an exit each,
    but a call that never returned, an exit whose enter was lost and a
    task's end (one record)"""
    return 2 * len(calls) - sum(1 for _, c in calls if c.endswith("= ?") or "resumed>" in c
                                or c.startswith("+++ "))


def listed(socket):
    return [json.loads(l) for l in traceloop(socket, "list", "-o", "json").splitlines()]


def wait_listed(socket, name, state, timeout=10):
    """wait until the recorder lists name as state; its list then"""
    def rows():
        rows = listed(socket)
        return rows if any(x["name"] == name and x["state"] == state for x in rows) else None
    return wait_for(rows, timeout, "%s listed as %s" % (name, state), lambda: listed(socket))


def test_traceloop_two_containers():
    require_bpf()
    a, b = unique("tla")[:30], unique("tlb")[:30]
    sock = "/run/gadgethost/%s.sock" % unique("tl")
    with containers.Runc() as r:
        ba = r.bundle(a, ["cat", "/missing"], hooks=HOOKS, edit=on_cpu)
        bb = r.bundle(b, ["sh", "-c", "ls /etc/%s-b >/dev/null 2>&1; exec sleep 60" % b],
                      hooks=HOOKS)
        with Recorder(sock, "--verbose") as rec, contextlib.ExitStack() as held:
            r.create(a, ba)
            pid_a = r.pid(a)
            r.hold(a, held)  # its ring read by the mount namespace id
            wait_listed(sock, a, "running")
            r.start(a)
            r.wait_stopped(a)
            r.create(b, bb)
            wait_listed(sock, b, "running")
            r.start(b)
            rows = wait_listed(sock, a, "exited")
            # b's ls has run once its failed look at /etc/B-b is recorded
            # ("nanosleep" is no sign of it: runc init's own threads sleep)
            def ls_in_b():
                dump = traceloop(sock, "show", b)
                return dump if any('"/etc/%s-b"' % b in l and "ENOENT" in l
                                   for l in dump.splitlines()) else None
            dump_b = wait_for(ls_in_b, 10, "b's ls in its dump")
            dump_a = traceloop(sock, "show", a)
            rows = [json.loads(l) for l in traceloop(sock, "list", "-o", "json").splitlines()]
            table = traceloop(sock, "list")
            r.delete(b)
            rows_after = wait_listed(sock, b, "exited")
            deleted = run_host("traceloop", "delete", a, "--socket", sock)
            rows_deleted = [json.loads(l) for l in
                            traceloop(sock, "list", "-o", "json").splitlines()]
            missing = run_host("traceloop", "show", a, "--socket", sock)
        rec.check_clean_exit()

    ca = calls(dump_a)
    want_tail = [
        (pid_a, 'openat(AT_FDCWD, "/missing", O_RDONLY) = -1 ENOENT'),
        (pid_a, 'write(2, "%s\\n", %d) = %d' % (COMPLAINT, len(COMPLAINT) + 1,
                                                   len(COMPLAINT) + 1)),
        (pid_a, "exit_group(1) = ?"),
        (pid_a, "+++ exited with 1 +++"),
    ]
    check(ca[-4:] == want_tail, "a's dump does not end with its openat, write, exit_group, "
          "exit", "tail: %r" % ca[-6:], "stderr: " + excerpt(rec.stderr))
    # each line's command and CPU: cat's own calls, on the one CPU its
    # cgroup lets it use
    la = lines(dump_a)
    check([(cpu, comm) for cpu, _, _, comm, _ in la[-4:]] == [(CPU, "cat")] * 4,
          "a's last lines are not cat's on cpu%d" % CPU, la[-4:])
    check(all(cpu == CPU for cpu, _, _, _, _ in la), "a line of a not on cpu%d" % CPU,
          [l for l in la if l[0] != CPU][:3])
    check(any(c.startswith('execve("/bin/cat", ["cat", "/missing"], 0x') for _, c in ca),
          "a's dump has no execve of /bin/cat with its argv", excerpt(dump_a))
    check(all(p == pid_a for p, _ in ca[-8:]), "a's last calls not all its init's", ca[-8:])

    cb = calls(dump_b)
    check(any(c.startswith('execve("/bin/sh", ') for _, c in cb), "b's dump has no execve of sh",
          excerpt(dump_b))
    check(any(('"/etc/%s-b"' % b) in c and "ENOENT" in c for _, c in cb),
          "b's dump lacks its ls of /etc/%s-b" % b, excerpt(dump_b))
    check("/missing" not in dump_b and all(p != pid_a for p, _ in cb),
          "b's dump has a's syscalls",
          [l for l in dump_b.splitlines() if "/missing" in l or ("[%d]" % pid_a) in l])
    check(("%s-b" % b) not in dump_a, "a's dump has b's syscalls")

    by_name = {x["name"]: x for x in rows}
    check(by_name.get(a, {}).get("state") == "exited" and
          by_name.get(b, {}).get("state") == "running",
          "list: a exited, b running", rows)
    # every call is an enter and an exit record, but those that never
    # returned; the ring (4096) holds all of a's
    check(by_name[a]["records"] == n_records(ca), "list: a's records are not the dump's %d"
          % n_records(ca), rows)
    check(by_name[a]["id"] == a, "list: a's id", rows)
    check(re.search(r"^-\s+-\s+%s\s+%s\s+exited\s+\d+$" % (re.escape(a), re.escape(a[:12])),
                    table, re.M), "the list table has no row for a", table)
    check({x["name"]: x["state"] for x in rows_after}.get(b) == "exited",
          "b not exited after runc delete", rows_after)
    check(deleted.returncode == 0, "delete a failed", deleted.stderr)
    check(a not in [x["name"] for x in rows_deleted], "a still listed after delete",
          rows_deleted)
    check(missing.returncode == 1 and ("no container %s recorded" % a) in missing.stderr,
          "show of a deleted ring: a one-line error", missing.stderr)


# one container run, strace -f beside the recorder: a child waited for
# (wait4(-1, ...)), a file copied by sendfile (busybox cat), a directory
# opened (ls: O_DIRECTORY, no mode), a file made (O_CREAT: a mode),
# kill(-1, 0) (sh is the namespace's init: ESRCH), a subshell's exit 3, a
# shell that kills itself with SIGKILL
STRACE_WORKLOAD = ("echo hi > /tmp/f; cat /tmp/f; ls / > /dev/null; kill -0 -1; "
                   "(exit 3); echo $?; sh -c 'kill -KILL $$'; echo $?")
# the calls compared whole; wait4 by its first argument and result (strace
# decodes the status it wrote, which traceloop does not read)
COMPARED = ("openat", "sendfile", "kill", "wait4", "execve")
STRACE_LINE = re.compile(r"^(\w+)\((.*)\) += (-?\w+|\?)(?: (E[A-Z0-9]+) \(.*\))?$")


def strace_calls(files):
    """{pid: [(name, args, result)]} of strace -ff files (PREFIX.PID), the
    calls of COMPARED only; result "-1 ENOENT" as traceloop prints it; and
    {pid: "+++ exited with 3 +++"}, each task's end"""
    out, ends = {}, {}
    for path in files:
        pid = int(path.rsplit(".", 1)[1])
        with open(path) as f:
            for line in f:
                m = STRACE_LINE.match(line.strip())
                if m and m.group(1) in COMPARED:
                    ret = m.group(3) + (" " + m.group(4) if m.group(4) else "")
                    out.setdefault(pid, []).append((m.group(1), m.group(2), ret))
                elif line.startswith("+++ "):
                    ends[pid] = line.strip()
    return out, ends


def traceloop_calls(dump):
    """the same of a traceloop dump: {pid: [(name, args, result)]}"""
    out = {}
    for pid, call in calls(dump):
        m = re.match(r"^(\w+)\((.*)\) = (.*)$", call)
        if m and m.group(1) in COMPARED:
            out.setdefault(pid, []).append(m.groups())
    return out


def without_envp(args):
    """execve's arguments but its envp (strace counts its vars)"""
    return re.sub(r", (NULL|0x[0-9a-f]+)( /\* \d+ vars? \*/)?$", "", args)


def traced_by(pid):
    """the TracerPid of pid (0: none)"""
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("TracerPid:"):
                return int(line.split()[1])
    return 0


def test_traceloop_against_strace():
    """the workload's openat, sendfile, kill and wait4 as strace -f prints
    them, for the same run of one container: negative ints signed, open's
    mode only with O_CREAT, sendfile decoded (its tracepoint is sendfile64)"""
    require_bpf()
    strace = shutil.which("strace")
    check(strace, "strace is not installed (scripts/setup.sh installs it)")
    name = unique("tls")[:30]
    sock = "/run/gadgethost/%s.sock" % unique("tl")
    tmp = tempfile.mkdtemp(prefix="gh-strace-")
    try:
        with containers.Runc() as r:
            b = r.bundle(name, ["sh", "-c", STRACE_WORKLOAD], hooks=HOOKS)
            with Recorder(sock) as rec, contextlib.ExitStack() as held:
                # strace follows the container's init from before its exec
                # (attached while it waits to be started), not runc: the
                # hooks stay untraced (a sanitizer build's cannot run
                # under ptrace)
                r.create(name, b)
                pid = r.pid(name)
                r.hold(name, held)  # its ring read by the mount namespace id
                wait_listed(sock, name, "running")
                p = subprocess.Popen([strace, "-ff", "-q", "-s", "256", "-o",
                                      os.path.join(tmp, "st"), "-p", str(pid)],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
                wait_for(lambda: traced_by(pid) != 0 or p.poll() is not None, 10,
                         "strace attached to the container's init")
                check(traced_by(pid) != 0, "strace did not attach to the container's init",
                      p.stderr.read1() if p.poll() is not None else "")
                r.start(name)
                r.wait_stopped(name)
                check(p.wait(gh.scaled(30)) == 0, "strace failed", p.stderr.read())
                output = r.output(name)
                check(sorted(output.splitlines()) ==
                      ["137", "3", "Killed", "hi", "sh: can't kill pid -1: No such process"],
                      "the workload under strace", output)
                wait_listed(sock, name, "exited")
                dump = traceloop(sock, "show", name)
            rec.check_clean_exit()
        st, st_ends = strace_calls(glob.glob(os.path.join(tmp, "st.*")))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    tl = traceloop_calls(dump)
    mine = tl
    check(mine, "no openat, sendfile, kill or wait4 in the dump", excerpt(dump))
    # the workload: sh, cat, ls (the processes after runc init's exec)
    seen = set()
    for pid, tcalls in mine.items():
        scalls = st.get(pid)
        check(scalls is not None, "pid %d is in the dump, not in strace's files" % pid,
              sorted(st), st_ends, tcalls, excerpt(dump))
        # each saw the calls since it started (the recorder from runc
        # init's first, strace from its attach): the same last ones, in order
        n = min(len(scalls), len(tcalls))
        check(n > 0, "pid %d: no call both saw" % pid, tcalls, scalls)
        for want, got in zip(scalls[-n:], tcalls[-n:]):
            if want[0] == "wait4":
                want = (want[0], want[1].split(",")[0], want[2])
                got = (got[0], got[1].split(",")[0], got[2])
            if want[0] == "execve":
                want = (want[0], without_envp(want[1]), want[2])
                got = (got[0], without_envp(got[1]), got[2])
                # the argv read is cut past 128 bytes (sh -c's script)
                if got[1].endswith('"...]') and want[1].startswith(got[1][:-5]):
                    got = want
            if want[2] == "?":
                # strace saw no return (the task died first: kill(9,
                # SIGKILL) of itself); the kernel's sys_exit did
                got = got[:2] + ("?",)
            check(got == want, "pid %d: traceloop and strace differ" % pid,
                  "strace:    %s(%s) = %s" % want, "traceloop: %s(%s) = %s" % got)
            seen.add(got[0] + ("(-1" if got[1].startswith("-1") else ""))
    # busybox runs its applets as /proc/self/exe: argv says which
    check(any(c[0] == "execve" and c[1].startswith('"/proc/self/exe", ["cat", "/tmp/f"], ')
              for cs in mine.values() for c in cs), "no execve of cat with its argv", mine)
    for want in ("sendfile", "kill(-1", "wait4(-1", "openat", "execve"):
        check(want in seen, "no %s compared: the workload did not make it" % want, seen,
              excerpt(dump))
    # each process's end: its exit code, or the signal that killed it, as
    # strace saw it (runc init's Go threads, [pid:tid], end at its exec)
    ends = {pid: c for _, pid, tid, _, c in lines(dump) if c.startswith("+++ ") and pid == tid}
    for pid, end in sorted(ends.items()):
        check(st_ends.get(pid) == end, "pid %d: traceloop and strace end it differently" % pid,
              "strace:    %s" % st_ends.get(pid), "traceloop: %s" % end)
    for want in ("+++ exited with 0 +++", "+++ exited with 3 +++", "+++ killed by SIGKILL +++"):
        check(want in ends.values(), "no %r in the dump" % want, ends, st_ends)
    check(any(c[0] == "openat" and "O_DIRECTORY" in c[1] for cs in mine.values() for c in cs)
          and any(c[0] == "openat" and "O_CREAT" in c[1] for cs in mine.values() for c in cs),
          "the dump lacks ls's O_DIRECTORY open or the shell's O_CREAT", mine)


def test_traceloop_calls_above_450():
    """tests/integration/newsyscalls.c in a container: its calls numbered
    451..470 by name, their arguments decoded from the kernel's formats
    (not syscall_452(...) with six registers); 480, which no kernel has,
    as syscall_480 with its registers"""
    require_bpf()
    built = os.environ.get("GH_NEWSYSCALLS", "")
    check(os.access(built, os.X_OK), "tests/integration/newsyscalls is not built", built)
    name = unique("tln")[:30]
    sock = "/run/gadgethost/%s.sock" % unique("tl")
    with containers.Runc() as r:
        b = r.bundle(name, ["/newsyscalls"], hooks=HOOKS,
                     edit=lambda cfg: shutil.copy2(built, os.path.join(r.bundles, name,
                                                                       "rootfs", "newsyscalls")))
        with Recorder(sock) as rec, contextlib.ExitStack() as held:
            r.create(name, b)
            r.hold(name, held)  # its ring read by the mount namespace id
            r.start(name)
            r.wait_stopped(name)
            wait_listed(sock, name, "exited")
            dump = traceloop(sock, "show", name)
        rec.check_clean_exit()
        out = r.output(name)
    made = dict(l.split(" ", 1) for l in out.splitlines() if " " in l)
    check(made.get("syscall_480") == "ENOSYS", "newsyscalls did not run", out)
    lines = [c for _, c in calls(dump)]
    path = '"/tmp/newsyscalls-file"'
    want = {
        "cachestat": r"3, 0x[0-9a-f]+, 0x[0-9a-f]+, 0\) = 0",
        "fchmodat2": r"AT_FDCWD, %s, 0600, 0\) = 0" % path,
        "futex_wake": r"0x[0-9a-f]+, 4294967295, 1, 130\) = 0",
        "futex_wait": r"0x[0-9a-f]+, 1, 4294967295, 130, NULL, 1\) = -1 EAGAIN",
        "setxattrat": r"AT_FDCWD, %s, 0, \"user.gh\", 0x[0-9a-f]+, 16\) = 0" % path,
        "getxattrat": r"AT_FDCWD, %s, 0, \"user.gh\", 0x[0-9a-f]+, 16\) = 2" % path,
        "removexattrat": r"AT_FDCWD, %s, 0, \"user.gh\"\) = 0" % path,
        "mseal": r"0x[0-9a-f]+, 4096, 0\) = 0",
        "listmount": r"0x[0-9a-f]+, 0x[0-9a-f]+, 64, 0\) = \d+",
    }
    raw = r"(NULL|0x[0-9a-f]+)(, (NULL|0x[0-9a-f]+)){5}\) = -1 ENOSYS"
    for name, args in sorted(want.items()):
        # a kernel without the call (6.1): named all the same, its six
        # registers (no format to read the arguments from), ENOSYS
        if not os.path.exists("/sys/kernel/tracing/events/syscalls/sys_enter_" + name):
            args = raw
        pattern = name + r"\(" + args
        check(any(re.fullmatch(pattern, c) for c in lines), "no line like %s" % pattern,
              "\n".join(c for c in lines if c.startswith(name) or c.startswith("syscall_")))
    check(any(re.fullmatch(r"syscall_480\(" + raw, c) for c in lines),
          "no syscall_480 line with its registers", [c for c in lines if "480" in c])
    check(not any(re.match(r"syscall_4[5-7]\d\(", c) and not c.startswith("syscall_480")
                  for c in lines), "a call above 450 unnamed",
          [c for c in lines if c.startswith("syscall_")])


def record_cat_missing(prefix, *recorder_args):
    """a container that runs `cat /missing`, recorded from its first call
    to its end by a recorder started with recorder_args: its init's pid,
    the recorder's list once it exited and its dump"""
    a = unique(prefix)[:30]
    sock = "/run/gadgethost/%s.sock" % unique("tl")
    with containers.Runc() as r:
        ba = r.bundle(a, ["cat", "/missing"], hooks=HOOKS)
        with Recorder(sock, *recorder_args) as rec, contextlib.ExitStack() as held:
            r.create(a, ba)
            pid_a = r.pid(a)
            r.hold(a, held)  # its ring read by the mount namespace id
            wait_listed(sock, a, "running")
            r.start(a)
            r.wait_stopped(a)
            rows = wait_listed(sock, a, "exited")
            dump = traceloop(sock, "show", a)
        rec.check_clean_exit()
    return pid_a, [x for x in rows if x["name"] == a], dump


def test_traceloop_ring_wraps():
    """--entries 64: the ring keeps the last 64 records, the end intact"""
    require_bpf()
    pid_a, rows, dump = record_cat_missing("tlw", "--entries", "64")
    ca = calls(dump)
    check(rows[0]["records"] == 64, "not 64 records held", rows)
    check(n_records(ca) == 64, "the dump is not the ring's 64 records (%d)" % n_records(ca),
          dump)
    check(ca[-1] == (pid_a, "+++ exited with 1 +++") and ca[-2] == (pid_a, "exit_group(1) = ?")
          and ca[-4] == (pid_a, 'openat(AT_FDCWD, "/missing", O_RDONLY) = -1 ENOENT'),
          "the wrapped ring's end", ca[-4:])


def test_traceloop_syscall_filters():
    """--syscall-filters openat,exit_group: only those calls are recorded
    (the ring holds nothing else: the kernel left the rest out), and the
    task's end"""
    require_bpf()
    pid_a, rows, dump = record_cat_missing("tlq", "--syscall-filters", "openat,exit_group")
    ca = calls(dump)
    names = {re.match(r"(\+\+\+|<\.\.\. \w+|\w+)", c).group(1) for _, c in ca}
    check(names == {"openat", "exit_group", "+++"}, "calls other than openat and exit_group "
          "recorded", sorted(names), excerpt(dump))
    check(ca[-3:] == [(pid_a, 'openat(AT_FDCWD, "/missing", O_RDONLY) = -1 ENOENT'),
                      (pid_a, "exit_group(1) = ?"), (pid_a, "+++ exited with 1 +++")],
          "the filtered dump's end", ca[-4:])
    check(rows[0]["records"] == n_records(ca),
          "the ring holds records the dump does not show", rows, n_records(ca))


def pod_annotations(namespace, pod, container):
    """a runc container made as containerd's CRI plugin makes a pod's"""
    return {"io.kubernetes.cri.container-type": "container",
            "io.kubernetes.cri.sandbox-name": pod,
            "io.kubernetes.cri.sandbox-namespace": namespace,
            "io.kubernetes.cri.sandbox-uid": "0b5f2a9e-1111-2222-3333-444455556666",
            "io.kubernetes.cri.container-name": container,
            "io.kubernetes.cri.image-name": "localhost/bb:latest"}


def test_traceloop_pods():
    """pods' containers of one name: `list` shows each one's Kubernetes
    namespace and pod; `show NAME` lists them and exits 1 rather than pick
    one; NAMESPACE/POD/NAME or -n/-p picks a pod's, the latest run of its
    container (a restart is the same container)"""
    require_bpf()
    name = unique("main")[:30]
    ns_a, ns_b = unique("nsa")[:30], unique("nsb")[:30]
    runs = [("a1", ns_a, "web-a"), ("a2", ns_a, "web-a"), ("b", ns_b, "web-b")]
    ids = {run: unique("tlp" + run)[:30] for run, _, _ in runs}
    sock = "/run/gadgethost/%s.sock" % unique("tl")
    with containers.Runc() as r:
        bundles = {run: r.bundle(ids[run], ["cat", "/missing-" + run], hooks=HOOKS,
                                 annotations=pod_annotations(ns, pod, name))
                   for run, ns, pod in runs}
        with Recorder(sock) as rec, contextlib.ExitStack() as held:
            for run, _, _ in runs:
                r.create(ids[run], bundles[run])
                r.hold(ids[run], held)  # its ring read by the mount namespace id
                wait_listed(sock, name, "running")
                r.start(ids[run])
                r.wait_stopped(ids[run])
                wait_for(lambda: [x for x in listed(sock) if x["id"] == ids[run] and
                                  x["state"] == "exited"], 10, "%s exited" % run,
                         lambda: listed(sock))
            rows = [x for x in listed(sock) if x["name"] == name]
            table = traceloop(sock, "list")
            ambiguous = run_host("traceloop", "show", name, "--socket", sock)
            by_path = traceloop(sock, "show", "%s/web-a/%s" % (ns_a, name))
            by_opts = traceloop(sock, "show", name, "-n", ns_b, "-p", "web-b")
            by_ns = traceloop(sock, "show", name, "--namespace", ns_b)
            by_id = traceloop(sock, "show", ids["a1"])
            none = run_host("traceloop", "show", "%s/web-c/%s" % (ns_a, name), "--socket", sock)
            bad = run_host("traceloop", "show", "a/b", "--socket", sock)
        rec.check_clean_exit()
    check(sorted((x["id"], x["k8s"].get("namespace"), x["k8s"].get("podName")) for x in rows)
          == sorted((ids[run], ns, pod) for run, ns, pod in runs),
          "list -o json: each run's namespace and pod", rows)
    for run, ns, pod in runs:
        check(re.search(r"^%s\s+%s\s+%s\s+%s\s+exited\s+\d+$" % (
            re.escape(ns), pod, re.escape(name), re.escape(ids[run][:12])), table, re.M),
            "the list table has no row for %s with its namespace and pod" % run, table)
    err = ambiguous.stderr.strip().splitlines()
    check(ambiguous.returncode == 1 and len(err) == 1 and
          ('"%s" is more than one container' % name) in err[0] and
          all("%s/%s/%s (id %s, exited)" % (ns, pod, name, ids[run][:12]) in err[0]
              for run, ns, pod in runs),
          "show NAME of three runs in two pods: one line listing them, exit 1",
          ambiguous.returncode, ambiguous.stderr, ambiguous.stdout[:200])
    check(not ambiguous.stdout, "show NAME printed a dump all the same", ambiguous.stdout[:300])

    def shows(dump, run):
        return '"/missing-%s"' % run in dump and \
            not any('"/missing-%s"' % o in dump for o, _, _ in runs if o != run)
    check(shows(by_path, "a2"), "NAMESPACE/POD/NAME: the latest run of web-a's container",
          excerpt(by_path))
    check(shows(by_opts, "b") and shows(by_ns, "b"), "-n/-p: web-b's container",
          excerpt(by_opts), excerpt(by_ns))
    check(shows(by_id, "a1"), "by id: that run", excerpt(by_id))
    check(none.returncode == 1 and "no container %s/web-c/%s recorded" % (ns_a, name)
          in none.stderr, "a pod with no such container", none.stderr)
    check(bad.returncode == 1 and '"a/b" names no container' in bad.stderr,
          "a name with one slash", bad.stderr)


def test_traceloop_script_filter():
    """traceloop is a gadget as any other: a traceloop/traceloop.lua of one's
    own, first in $GADGETHOST_PATH, drops openat's records with its filter;
    the rest of the dump is there"""
    require_bpf()
    a = unique("tlf")[:30]
    sock = "/run/gadgethost/%s.sock" % unique("tl")
    d = tempfile.mkdtemp(prefix="gh-tl-lua-")
    os.makedirs(os.path.join(d, "traceloop"))
    with open(os.path.join(d, "traceloop", "traceloop.lua"), "w") as f:
        f.write('local g = dofile("%s/gadgets/traceloop/traceloop.lua")\n'
                'local gadget = require("gadget")\n'
                'g.filter = function(ev) return gadget.syscall_name(ev.nr) ~= "openat" end\n'
                'return g\n' % SOURCE_DIR)
    env = dict(os.environ, GADGETHOST_PATH=d)
    try:
        with containers.Runc() as r:
            ba = r.bundle(a, ["cat", "/missing"], hooks=HOOKS)
            with Recorder(sock, env=env) as rec:
                r.create(a, ba)
                pid_a = r.pid(a)
                wait_listed(sock, a, "running")
                r.start(a)
                r.wait_stopped(a)
                wait_listed(sock, a, "exited")
                dump = traceloop(sock, "show", a)
            rec.check_clean_exit()
    finally:
        shutil.rmtree(d, ignore_errors=True)
    ca = calls(dump)
    check(ca, "an empty dump", "stderr: " + excerpt(rec.stderr))
    check(not [c for _, c in ca if "openat" in c], "openat's records were not dropped",
          excerpt(dump))
    check(ca[-3:] == [(pid_a, 'write(2, "%s\\n", %d) = %d' % (COMPLAINT, len(COMPLAINT) + 1,
                                                             len(COMPLAINT) + 1)),
                      (pid_a, "exit_group(1) = ?"), (pid_a, "+++ exited with 1 +++")],
          "the write, exit_group and exit are", ca[-4:])


def test_traceloop_errors():
    """bad use: one line naming what is wrong, exit 1"""
    sock = "/run/gadgethost/%s.sock" % unique("tlx")
    cases = [
        (["traceloop", "list", "--socket", sock],
         "%s: no traceloop recorder answers there" % sock),
        (["traceloop", "show", "--socket", sock], "which container?"),
        (["traceloop", "frobnicate"], 'unknown command "frobnicate"'),
        (["traceloop", "start", "--entries", "8"], "--entries: at least 16"),
        (["traceloop", "start", "--keep", "many"], '--keep: "many" is not a number'),
        (["traceloop", "start", "--bogus"], "start: unknown option --bogus"),
        (["traceloop", "start", "--syscall-filters", "openat,frobnicate", "--socket", sock],
         '--syscall-filters: "frobnicate" is not a system call'),
        (["traceloop", "start", "--syscall-filters", ",", "--socket", sock],
         "--syscall-filters: no system call named"),
    ]
    for args, want in cases:
        p = run_host(*args)
        lines = p.stderr.strip().splitlines()
        check(p.returncode == 1 and len(lines) == 1 and want in lines[0],
              "%s: wanted exit 1 and one line with %r" % (" ".join(args), want),
              "rc %d" % p.returncode, p.stderr)
    # a second recorder on a socket someone answers on: refused, the
    # first one unharmed
    with Recorder(sock) as rec:
        p = run_host("traceloop", "start", "--socket", sock)
        check(p.returncode == 1 and "another traceloop recorder answers there" in p.stderr,
              "a second recorder on the same socket", p.stderr)
        traceloop(sock, "list")
        missing = run_host("traceloop", "show", "nosuch", "--socket", sock)
        check(missing.returncode == 1 and "no container nosuch recorded" in missing.stderr,
              "show of an unknown container", missing.stderr)
    rec.check_clean_exit()
    check(not os.path.exists(sock), "the socket is left behind", sock)


def test_traceloop_through_daemon():
    """the node service serves the recorder's rings: GET /v1/traceloop is
    `list -o json`, GET /v1/traceloop/NAME is `show NAME`; no recorder: 503"""
    require_bpf()
    from ghdaemon import Daemon
    a = unique("tld")[:30]
    sock = "/run/gadgethost/%s.sock" % unique("tl")
    with containers.Runc() as r:
        ba = r.bundle(a, ["cat", "/missing"], hooks=HOOKS)
        with Daemon("--traceloop-socket", sock) as d:
            status, body = d.get("/v1/traceloop")
            check(status == 503 and b"no traceloop recorder answers there" in body,
                  "no recorder: wanted 503 naming the socket", status, body)
            with Recorder(sock) as rec, contextlib.ExitStack() as held:
                r.create(a, ba)
                r.hold(a, held)  # its ring read by the mount namespace id
                wait_listed(sock, a, "running")
                r.start(a)
                r.wait_stopped(a)
                wait_listed(sock, a, "exited")
                status, listed = d.get("/v1/traceloop")
                local_list = traceloop(sock, "list", "-o", "json")
                status_cols, cols = d.get("/v1/traceloop?o=columns")
                status_show, shown = d.get("/v1/traceloop/" + a)
                # NAMESPACE/POD/NAME, both empty: any pod's (here none)
                status_sel, shown_sel = d.get("/v1/traceloop///" + a)
                local_show = traceloop(sock, "show", a)
                status_none, none = d.get("/v1/traceloop/nosuch")
                status_bad, _ = d.get("/v1/traceloop/" + a + "/x")
                status_del, _, _ = d.request(b"DELETE /v1/traceloop/%s HTTP/1.1\r\nHost: x"
                                             b"\r\n\r\n" % a.encode())
                after = traceloop(sock, "list", "-o", "json")
            rec.check_clean_exit()
            check(d.proc.poll() is None, "the daemon died", excerpt(d.log))
    # this test's container only: other containers on the machine (another
    # test's) may change state between the two lists
    def ours(text):
        return [l for l in text.splitlines() if json.loads(l)["name"] == a]
    check(status == 200 and ours(listed.decode()) == ours(local_list) and ours(local_list),
          "GET /v1/traceloop is not `traceloop list -o json`", status, listed, local_list)
    check(status_cols == 200 and cols.decode().startswith("K8S.NAMESPACE") and
          a in cols.decode(),
          "GET /v1/traceloop?o=columns", status_cols, cols)
    # the same lines; the wall clock of each dump is worked out anew (1 us off)
    served, local = calls(shown.decode()), calls(local_show)
    check(status_show == 200 and served == local and served,
          "GET /v1/traceloop/NAME is not `traceloop show NAME`", status_show,
          [(x, y) for x, y in zip(served, local) if x != y][:3], len(served), len(local))
    check(status_sel == 200 and calls(shown_sel.decode()) == served,
          "GET /v1/traceloop/NAMESPACE/POD/NAME", status_sel, shown_sel[:300])
    check(calls(shown.decode())[-1][1] == "+++ exited with 1 +++", "the served dump's end",
          excerpt(shown.decode()))
    check(status_none == 404 and b"no container nosuch recorded" in none,
          "an unknown container: 404 with the recorder's reason", status_none, none)
    check(status_bad == 400, "a name with a slash: 400", status_bad)
    check(status_del == 204 and a not in after, "DELETE /v1/traceloop/NAME forgets it",
          status_del, after)


if __name__ == "__main__":
    main([test_traceloop_two_containers, test_traceloop_against_strace,
          test_traceloop_calls_above_450, test_traceloop_ring_wraps, test_traceloop_syscall_filters,
          test_traceloop_pods,
          test_traceloop_script_filter,
          test_traceloop_errors, test_traceloop_through_daemon])
