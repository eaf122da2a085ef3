#!/usr/bin/env python3
"""Integration tests of trace/signal.lua: /bin/kill (procps) sends signals
to a sleep the test started, so every signal about those processes is
known: the kill's own, and the SIGCHLDs the sleep and the kill send the
test when they stop, continue or end.  Then the same with busybox's kill
inside a runc container."""

import os
import resource
import signal
import subprocess
import time

import containers
from gh import (GH_BIN, Tracer, check, describe, excerpt, main, require_bpf, run_host, unique)

GADGET = "trace/signal.lua"
KILL = "/bin/kill"
HOOKS = {"prestart": [{"path": GH_BIN, "args": ["gadgethost", "hook", "prestart"]}],
         "poststop": [{"path": GH_BIN, "args": ["gadgethost", "hook", "poststop"]}]}
FIELDS = {"timestamp", "mountnsid", "pid", "tid", "uid", "gid", "comm", "tpid", "signal",
          "signalRaw", "code", "ret", "resultRaw", "result", "group"}
SI_USER, CLD_EXITED, CLD_KILLED, CLD_STOPPED, CLD_CONTINUED = 0, 1, 2, 5, 6
ESRCH, EPERM = 3, 1
NOBODY = 65534


def no_core():
    """the sleep's SIGQUIT must not dump core (CLD_KILLED, not CLD_DUMPED)"""
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def start_sleep():
    return subprocess.Popen(["sleep", "1000"], preexec_fn=no_core)


def kill(sig, pid, as_nobody=False, expect_rc=0):
    """/bin/kill -s SIG PID, run to its end; returns its pid"""
    cmd = [KILL, "-s", sig, str(pid)]
    if as_nobody:
        cmd = ["setpriv", "--reuid", str(NOBODY), "--regid", str(NOBODY), "--clear-groups"] + cmd
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, err = p.communicate(timeout=30)
    check(p.returncode == expect_rc, "%s exited %d" % (" ".join(cmd), p.returncode), err)
    return p.pid


def missing_pid():
    """a pid no process can have: past pid_max"""
    with open("/proc/sys/kernel/pid_max") as f:
        return int(f.read()) + 1


def row(e):
    return (e["pid"], e["comm"], e["tpid"], e["signal"], e["code"], e["ret"], e["result"])


def ours(evs, pids):
    return [e for e in evs if e["pid"] in pids or e["tpid"] in pids]


def sigchld(pid, comm, code):
    """what a child of the test sends it when it stops, continues or ends:
    the test leaves SIGCHLD at SIG_DFL, so the kernel ignores it"""
    return (pid, comm, os.getpid(), "SIGCHLD", code, 0, "ignored")


def sent(kill_pid, target, sig):
    """SIGCONT's default action is to ignore it: the kernel continues the
    target when it generates the signal, then reports it ignored"""
    return (kill_pid, "kill", target, sig, SI_USER, 0,
            "ignored" if sig == "SIGCONT" else "delivered")


def test_each_signal():
    """SIGHUP, SIGINT, SIGQUIT, SIGUSR1, SIGUSR2 and SIGTERM each end a sleep;
    SIGSTOP, SIGCONT and SIGKILL stop, continue and end another: exactly
    the kill's signal, the sleep's SIGCHLD (CLD_KILLED, CLD_STOPPED,
    CLD_CONTINUED) and each kill's own SIGCHLD (CLD_EXITED)"""
    require_bpf()
    want, pids = [], set()
    with Tracer(GADGET) as t:
        for sig in ("SIGHUP", "SIGINT", "SIGQUIT", "SIGUSR1", "SIGUSR2", "SIGTERM"):
            s = start_sleep()
            k = kill(sig, s.pid)
            check(s.wait(10) == -signal.Signals[sig], "sleep did not die of %s" % sig)
            pids |= {s.pid, k}
            want += [sent(k, s.pid, sig), sigchld(s.pid, "sleep", CLD_KILLED),
                     sigchld(k, "kill", CLD_EXITED)]
        s = start_sleep()
        pids.add(s.pid)
        for sig, code, flag in (("SIGSTOP", CLD_STOPPED, os.WUNTRACED),
                                ("SIGCONT", CLD_CONTINUED, os.WCONTINUED)):
            k = kill(sig, s.pid)
            os.waitpid(s.pid, flag)
            pids.add(k)
            want += [sent(k, s.pid, sig), sigchld(s.pid, "sleep", code),
                     sigchld(k, "kill", CLD_EXITED)]
        k = kill("SIGKILL", s.pid)
        check(s.wait(10) == -signal.SIGKILL, "sleep did not die of SIGKILL")
        pids.add(k)
        want += [sent(k, s.pid, "SIGKILL"), sigchld(s.pid, "sleep", CLD_KILLED),
                 sigchld(k, "kill", CLD_EXITED)]
        time.sleep(0.2)
    t.check_clean_exit()
    evs = ours(t.events(), pids)
    check(sorted(map(row, evs)) == sorted(want), "wanted exactly the kills' signals and "
          "the SIGCHLDs", "got:  %s" % sorted(map(row, evs)), "want: %s" % sorted(want),
          "stderr: " + excerpt(t.stderr))
    for e in evs:
        check(FIELDS <= set(e), "fields missing: %s" % sorted(FIELDS - set(e)), e)
        check(e["tid"] == e["pid"] and e["uid"] == 0 and e["gid"] == 0, "tid/uid/gid", e)
        check(e["signalRaw"] == signal.Signals[e["signal"]], "signalRaw", e)
        check(e["group"] is True, "kill() and SIGCHLD go to the whole process", e)


def test_failed_only():
    """--failed-only: a kill of a pid that does not exist (ESRCH) and one
    of root's sleep by nobody (EPERM), never signal_generate'd; the
    successful kills and the SIGCHLDs around them are left out"""
    require_bpf()
    gone = missing_pid()
    s = start_sleep()
    try:
        with Tracer(GADGET, "--failed-only") as t:
            k1 = kill("SIGTERM", gone, expect_rc=1)
            k2 = kill("SIGTERM", s.pid, as_nobody=True, expect_rc=1)
            k3 = kill("SIGCONT", s.pid)
            k4 = kill("SIGKILL", s.pid)
            s.wait(10)
            time.sleep(0.2)
    finally:
        s.kill()
        s.wait()
    t.check_clean_exit()
    evs = ours(t.events(), {s.pid, k1, k2, k3, k4})
    want = [(k1, "kill", gone, "SIGTERM", SI_USER, -ESRCH, "not_sent"),
            (k2, "kill", s.pid, "SIGTERM", SI_USER, -EPERM, "not_sent")]
    check(list(map(row, evs)) == want, "wanted exactly the 2 failed kills", describe(evs),
          "stderr: " + excerpt(t.stderr))
    check((evs[0]["uid"], evs[0]["gid"]) == (0, 0), "uid/gid of root's kill", evs[0])
    check((evs[1]["uid"], evs[1]["gid"]) == (NOBODY, NOBODY), "uid/gid of nobody's kill", evs[1])


def test_failed_only_columns():
    """the default columns of a failed kill: PID COMM SIGNAL TPID RET, by name"""
    require_bpf()
    gone = missing_pid()
    with Tracer(GADGET, "--failed-only", fmt="columns") as t:
        k = kill("SIGUSR2", gone, expect_rc=1)
        time.sleep(0.2)
    t.check_clean_exit()
    lines = t.stdout.splitlines()
    check(lines and lines[0].split() == ["RUNTIME.CONTAINERNAME", "PID", "COMM", "SIGNAL",
                                         "TPID", "RET"], "header", t.stdout)
    mine = [l.split() for l in lines[1:] if l.split()[:1] == [str(k)]]
    check(mine == [[str(k), "kill", "SIGUSR2", str(gone), "ESRCH"]], "the failed kill's row",
          t.stdout)


def test_signal_filter():
    """--signal keeps one signal, given by name, without SIG, or by number:
    a SIGUSR2 and the SIGCHLDs are left out, the SIGUSR1 is kept"""
    require_bpf()
    for value in ("SIGUSR1", "usr1", "10"):
        a, b = start_sleep(), start_sleep()
        with Tracer(GADGET, "--signal", value) as t:
            ka = kill("SIGUSR2", a.pid)
            kb = kill("SIGUSR1", b.pid)
            a.wait(10)
            b.wait(10)
            time.sleep(0.2)
        t.check_clean_exit()
        evs = ours(t.events(), {a.pid, b.pid, ka, kb})
        check(list(map(row, evs)) == [sent(kb, b.pid, "SIGUSR1")],
              "--signal %s: wanted the SIGUSR1 only" % value, describe(evs))


def test_kill_only():
    """--kill-only: one event per kill syscall at its exit, successful
    (result sent) or not; no SIGCHLD (no kill syscall sends those)"""
    require_bpf()
    gone = missing_pid()
    s = start_sleep()
    with Tracer(GADGET, "--kill-only") as t:
        k1 = kill("SIGTERM", s.pid)
        s.wait(10)
        k2 = kill("SIGHUP", gone, expect_rc=1)
        time.sleep(0.2)
    t.check_clean_exit()
    evs = ours(t.events(), {s.pid, k1, k2})
    want = [(k1, "kill", s.pid, "SIGTERM", SI_USER, 0, "sent"),
            (k2, "kill", gone, "SIGHUP", SI_USER, -ESRCH, "not_sent")]
    check(list(map(row, evs)) == want, "wanted the 2 kill syscalls only", describe(evs))


def test_bad_signal():
    """an unknown signal name or number: one line naming it, exit status 1"""
    for value, what in (("SIGFOO", "unknown signal \"SIGFOO\""),
                        ("99", "\"99\" is not a signal number")):
        p = run_host("run", GADGET, "--host", "--signal", value)
        check(p.returncode == 1, "--signal %s: exit status %d" % (value, p.returncode), p.stderr)
        check(p.stdout == "" and len(p.stderr.splitlines()) == 1 and what in p.stderr,
              "--signal %s: wanted one line saying %s" % (value, what), p.stderr)


def test_in_container():
    """busybox's kill inside a runc container, traced with -c: a SIGUSR1 the
    init ignores, a SIGUSR2 it handles, a SIGKILL to its sleep and a
    failed kill of a pid that does not exist, with the container's fields.
    (The SIGCHLDs of exiting children carry no mount namespace: the child
    left it before it notifies its parent, so -c does not select them.)"""
    require_bpf()
    name = unique("sig")[:30]
    script = ("trap '' USR1; trap 'echo usr2' USR2; /bin/kill -USR1 $$; /bin/kill -USR2 $$; "
              "sleep 100 & /bin/kill -KILL $!; wait; /bin/kill -TERM 99999; exit 0")
    with containers.Runc() as r:
        b = r.bundle(name, ["sh", "-c", script], hooks=HOOKS)
        with Tracer(GADGET, "-c", name, host=False) as t:
            r.create(name, b)
            init, mntns = r.pid(name), containers.mntns(r.pid(name))
            r.start(name)
            containers.wait_until(lambda: r.state(name).get("status") == "stopped", 10,
                                  "the container to stop")
            time.sleep(0.3)
        t.check_clean_exit()
        check("usr2" in r.output(name), "the init's USR2 trap did not run", r.output(name))
    evs = t.events()
    kills = [e for e in evs if e["comm"] == "kill"]
    got = [(e["tpid"] if e["tpid"] == 99999 or e["tpid"] == init else "sleep", e["signal"],
            e["code"], e["ret"], e["result"]) for e in kills]
    want = [(init, "SIGUSR1", SI_USER, 0, "ignored"), (init, "SIGUSR2", SI_USER, 0, "delivered"),
            ("sleep", "SIGKILL", SI_USER, 0, "delivered"),
            (99999, "SIGTERM", SI_USER, -ESRCH, "not_sent")]
    check(got == want, "wanted the container's 4 kills", describe(evs),
          "stderr: " + excerpt(t.stderr))
    check(len({e["pid"] for e in kills}) == 4, "4 kill processes", describe(kills))
    for e in kills:
        check(e["mountnsid"] == mntns, "mountnsid is not the container's %d" % mntns, e)
        check(e["runtime"]["containerName"] == name, "containerName", e)
    others = [e for e in evs if e["comm"] != "kill"]
    check(all(e["mountnsid"] == mntns for e in others),
          "an event of another mount namespace", describe(others))


if __name__ == "__main__":
    main([test_each_signal, test_failed_only, test_failed_only_columns, test_signal_filter,
          test_kill_only, test_bad_signal, test_in_container])
