#!/usr/bin/env python3
"""advise/seccomp.lua: record a workload in a runc container, put the
profile it prints into a new bundle's config.json (linux.seccomp), and
run the same workload under it: it succeeds, while a system call it
never made (chroot) is denied with EPERM.  The calls numbered above 450
(tests/integration/newsyscalls.c) are in the profile by name, and work
under it wherever runc's libseccomp can name them; a number no kernel has
is listed and warned about.  --workload-only leaves runc init out: runc
runs the workload under that profile, and mount, pivot_root, sethostname
are not in it."""

import ctypes
import ctypes.util
import json
import contextlib
import os
import shutil

import containers
from containers import HOOKS
from gh import Tracer, check, excerpt, main, require_bpf, run_host, unique

# files, a pipe, a subshell, a loop: a few dozen system calls
WORKLOAD = ("echo recorded > /tmp/f; cat /tmp/f | tr a-z A-Z; ls / > /dev/null; "
            "for i in 1 2 3; do echo $i; done | wc -l; (sleep 0.1); exit 0")


def record(r, name, *extra, args=("sh", "-c", WORKLOAD), edit=None):
    """run args (WORKLOAD) in container name, traced, to its end; the
    documents printed (at the end of the run: every system call was made
    by then)"""
    b = r.bundle(name, list(args), hooks=HOOKS, edit=edit)
    # its mount namespace held until the run stops (Runc.hold)
    with contextlib.ExitStack() as held, \
            Tracer("advise/seccomp.lua", "-c", name, *extra, host=False) as t:
        r.create(name, b)
        r.hold(name, held)
        r.start(name)
        r.wait_stopped(name)
    t.check_clean_exit()
    return t.events(), t


def run_under(r, name, args, profile, sys_admin=False, edit=None):
    """run args in a new container whose config.json has profile (None:
    no seccomp); sys_admin: with CAP_SYS_ADMIN and CAP_SYS_CHROOT, so that
    only seccomp can deny chroot; its CompletedProcess (exit status and
    output)"""
    def edit_all(cfg):
        if profile is not None:
            cfg["linux"]["seccomp"] = profile
        if sys_admin:
            for kind in ("bounding", "effective", "permitted"):
                cfg["process"]["capabilities"][kind] += ["CAP_SYS_ADMIN", "CAP_SYS_CHROOT"]
        if edit:
            edit(cfg)
    b = r.bundle(name, args, edit=edit_all)
    return r.run(name, b, detach=False)


def test_profile_allows_the_workload_and_denies_the_rest():
    require_bpf()
    with containers.Runc() as r:
        name = unique("sc")[:30]
        docs, t = record(r, name)
        check(len(docs) == 1, "wanted one profile, of container %s" % name, t.stdout[:3000],
              "stderr: " + excerpt(t.stderr))
        doc = docs[0]
        check(doc["runtime"] == {"containerName": name, "containerId": name,
                                 "runtimeName": "runc"}, "the container's identity", doc)
        prof = doc["seccomp"]
        check(prof["defaultAction"] == "SCMP_ACT_ERRNO", "defaultAction", prof)
        check(prof["architectures"] == ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
              "architectures", prof)
        check(len(prof["syscalls"]) == 1 and prof["syscalls"][0]["action"] == "SCMP_ACT_ALLOW",
              "one rule allowing the recorded system calls", prof)
        names = prof["syscalls"][0]["names"]
        check(names == sorted(set(names)), "names sorted, each once", names)
        for want in ("execve", "openat", "write", "pipe2", "wait4", "exit_group"):
            check(want in names, "%s was made by the workload but is not allowed" % want, names)
        # (not unshare: in the 6.1 VM, cgroup v2 only, the recording holds
        # an unshare the workload never made, likely runc init's of the
        # cgroup namespace)
        for never in ("chroot", "reboot", "kexec_load", "ptrace"):
            check(never not in names, "%s was never made but is allowed" % never, names)

        # the same workload under the profile: the same output, exit 0
        again = run_under(r, unique("sc2")[:30], ["sh", "-c", WORKLOAD], prof)
        check(again.returncode == 0, "the workload failed under its own profile (%d)"
              % again.returncode, "output: " + again.stdout + again.stderr, names)
        check(again.stdout.split() == ["RECORDED", "3"], "the workload's output", again.stdout)

        # a system call it never made: EPERM (SCMP_ACT_ERRNO), busybox says so
        denied = run_under(r, unique("sc3")[:30], ["chroot", "/", "true"], prof,
                           sys_admin=True)
        check(denied.returncode != 0, "chroot under the profile exited 0, wanted a failure",
              "output: " + denied.stdout + denied.stderr)
        check("Operation not permitted" in denied.stdout + denied.stderr,
              "chroot was not denied with EPERM", denied.stdout + denied.stderr)
        # the control: without the profile chroot works
        free = run_under(r, unique("sc4")[:30], ["chroot", "/", "true"], None,
                         sys_admin=True)
        check(free.returncode == 0, "chroot without the profile exited %d" % free.returncode,
              free.stdout + free.stderr)


def newsyscalls_in(r, name):
    """a bundle edit that puts the static helper tests/integration/
    newsyscalls.c (built by meson) at /newsyscalls in bundle name's rootfs"""
    built = os.environ.get("GH_NEWSYSCALLS", "")
    check(os.access(built, os.X_OK), "tests/integration/newsyscalls is not built "
          "(GH_NEWSYSCALLS)", built)
    return lambda cfg: shutil.copy2(built, os.path.join(r.bundles, name, "rootfs",
                                                        "newsyscalls"))


def results(out):
    """newsyscalls' "NAME RESULT" lines: {name: result}"""
    return dict(l.split(" ", 1) for l in out.splitlines() if " " in l)


def libseccomp_names(names):
    """those of names the host's libseccomp (runc's) can resolve"""
    lib = ctypes.CDLL(ctypes.util.find_library("seccomp") or "libseccomp.so.2")
    lib.seccomp_syscall_resolve_name.restype = ctypes.c_int
    return {n for n in names if lib.seccomp_syscall_resolve_name(n.encode()) >= 0}


def test_calls_above_450_named():
    """a container's calls numbered 451..470 are in its profile by name;
    480 (no kernel has it) is in unknownSyscalls, with a warning; under
    the profile each call runc's libseccomp can name gives what it gave
    when recorded"""
    require_bpf()
    with containers.Runc() as r:
        name = unique("scn")[:30]
        docs, t = record(r, name, args=["/newsyscalls"], edit=newsyscalls_in(r, name))
        out = r.output(name)
        made = results(out)
        check("fchmodat2" in made and made.get("syscall_480") == "ENOSYS",
              "newsyscalls did not run", out)
        check(len(docs) == 1, "wanted one profile", t.stdout[:3000], excerpt(t.stderr))
        doc = docs[0]
        names = doc["seccomp"]["syscalls"][0]["names"]
        calls = [c for c in made if c != "syscall_480"]
        missing = [c for c in calls if c not in names]
        check(not missing, "calls above 450 made but not in the profile by name", missing,
              names)
        check(doc.get("unknownSyscalls") == [480], "unknownSyscalls: wanted [480]", doc)
        check(list(doc) == ["runtime", "seccomp", "unknownSyscalls"], "document members",
              list(doc))
        check(("container %s made system calls that have no name here (480)" % name)
              in t.stderr, "no warning naming 480", excerpt(t.stderr))

        name2 = unique("scn2")[:30]
        again = run_under(r, name2, ["/newsyscalls"], doc["seccomp"],
                          edit=newsyscalls_in(r, name2))
        check(again.returncode == 0, "newsyscalls failed under its profile (%d)"
              % again.returncode, again.stdout + again.stderr, names)
        under = results(again.stdout)
        named = libseccomp_names(calls)
        check({"fchmodat2", "cachestat", "futex_wake", "futex_wait"} <= named,
              "runc's libseccomp names none of the new calls: nothing to test", named)
        differ = {c: (made[c], under.get(c)) for c in named if under.get(c) != made[c]}
        check(not differ, "calls in the profile gave another result under it "
              "(recorded, under the profile)", differ, again.stdout)


def test_workload_only():
    """--workload-only: runc init's calls (mount, pivot_root, sethostname)
    are left out, the workload's are in, and runc runs the workload under
    that profile; the whole-container profile has them all"""
    require_bpf()
    with containers.Runc() as r:
        name = unique("scw")[:30]
        whole, t1 = record(r, name)
        name2 = unique("scw")[:30]
        docs, t = record(r, name2, "--workload-only")
        check(len(docs) == 1 and len(whole) == 1, "wanted one profile of each",
              t.stdout[:2000], t1.stdout[:2000], excerpt(t.stderr))
        all_names = whole[0]["seccomp"]["syscalls"][0]["names"]
        names = docs[0]["seccomp"]["syscalls"][0]["names"]
        # runc init's set-up; what it does after (setgroups, capset...) stays:
        # runc loads the profile before those when noNewPrivileges is false
        runc_init = ("mount", "pivot_root", "sethostname", "umount2", "keyctl")
        for call in runc_init:
            check(call in all_names, "%s (runc init's) not in the whole profile" % call,
                  all_names)
            check(call not in names, "%s (runc init's) in the workload-only profile" % call,
                  names)
        for call in ("execve", "openat", "write", "pipe2", "wait4", "exit_group"):
            check(call in names, "%s (the workload's) not in the workload-only profile"
                  % call, names)
        check(len(names) < len(all_names) - 10, "the workload-only profile is not smaller",
              names, all_names)
        def nnp(value):
            return lambda cfg: cfg["process"].__setitem__("noNewPrivileges", value)
        # runc loads the profile just before the exec with noNewPrivileges
        # (runc spec's default), before dropping privileges without it (as
        # for a Kubernetes pod that allows privilege escalation)
        for i, no_new_privs in enumerate((True, False, True, False)):
            again = run_under(r, unique("scw2")[:30], ["sh", "-c", WORKLOAD],
                              docs[0]["seccomp"], edit=nnp(no_new_privs))
            check(again.returncode == 0, "the workload failed under its workload-only "
                  "profile (%d, run %d, noNewPrivileges %s)" % (again.returncode, i + 1,
                                                                no_new_privs),
                  "output: " + again.stdout + again.stderr, names)
            check(again.stdout.split() == ["RECORDED", "3"], "the workload's output",
                  again.stdout)


def test_interval_and_yaml():
    """--interval prints the profiles while it runs; -o yaml writes YAML
    documents (---), the same profile.  The container sleeps (its
    workload) until the test has seen two intervals' documents"""
    require_bpf()
    with containers.Runc() as r:
        name = unique("sci")[:30]
        b = r.bundle(name, ["sh", "-c", "echo x; exec sleep 60"], hooks=HOOKS)
        with Tracer("advise/seccomp.lua", "-c", name, "--interval", "0.5", fmt="yaml",
                    host=False) as t:
            r.run(name, b)
            t.wait_for(lambda: len([d for d in t.stdout.split("---") if "sleep" in d]) >= 2,
                       "two documents with the sleep's system call")
        t.check_clean_exit()
        out = t.stdout
        docs = [d for d in out.split("---") if d.strip()]
        check(len(docs) >= 3, "wanted profiles every 0.5 s while the container ran and "
              "one at the end", out[:2000])
        last = docs[-1]
        check("containerName: %s" % name in last, "the container's name", last)
        check("defaultAction: SCMP_ACT_ERRNO" in last and
              ("- nanosleep" in last or "- clock_nanosleep" in last),
              "a YAML profile with sleep's syscall", last)


def test_bad_interval():
    p = run_host("run", "advise/seccomp.lua", "--interval", "x")
    check(p.returncode != 0 and "--interval" in p.stderr, "a bad --interval", p.stderr)
    p = run_host("run", "trace/exec.lua", "--interval", "1")
    check(p.returncode != 0 and "on_interval" in p.stderr,
          "--interval for a gadget without on_interval", p.stderr)


if __name__ == "__main__":
    main([test_profile_allows_the_workload_and_denies_the_rest, test_calls_above_450_named,
          test_workload_only, test_interval_and_yaml, test_bad_interval], bpf=False)
