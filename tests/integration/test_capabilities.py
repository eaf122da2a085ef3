#!/usr/bin/env python3
"""Integration tests of trace/capabilities.lua: chown(1) of a temp file to
another uid as root (CAP_CHOWN, Allow), the same with CAP_CHOWN dropped by
capsh (Deny, EPERM), setpriv changing uids (CAP_SETUID, insetid), checked
row by row; and the same chowns by busybox in a runc container."""

import os
import re
import shutil
import subprocess
import tempfile

from ctrace import check_container, traced_container
from gh import Tracer, check, describe, main, run_host, scaled

GADGET = "trace/capabilities.lua"
FIELDS = {"timestamp", "mountnsid", "pid", "tid", "ppid", "uid", "gid", "comm", "capRaw", "cap",
          "verdict", "audit", "insetid", "syscall", "capEffectiveRaw", "capEffective",
          "currentUserns", "targetUserns"}  # host processes: no container fields
CAP_CHOWN, CAP_SETUID, CAP_SYS_ADMIN = 0, 7, 21
CHOWN = shutil.which("chown", path="/usr/bin:/bin")
CAPSH = shutil.which("capsh", path="/usr/sbin:/usr/bin:/sbin")
SETPRIV = shutil.which("setpriv", path="/usr/bin:/bin")


def rows(evs, pid, skip_sys_admin=True):
    """(cap, verdict, audit, insetid, syscall) of pid's checks, in order;
    without the CAP_SYS_ADMIN checks every mmap/brk makes (vm_enough_memory)"""
    return [(e["cap"], e["verdict"], e["audit"], e["insetid"], e["syscall"]) for e in evs
            if e["pid"] == pid and not (skip_sys_admin and e["capRaw"] == CAP_SYS_ADMIN)]


class Temp:
    """a temp dir with one file owned by root"""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="gh-caps-")
        self.file = os.path.join(self.dir, "f")
        open(self.file, "w").close()

    def cleanup(self):
        shutil.rmtree(self.dir, ignore_errors=True)


def spawn(cmd):
    """run cmd to its end; (pid, returncode, stderr)"""
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _, err = p.communicate(timeout=scaled(30))
    return p.pid, p.returncode, err


def chosen_variant():
    """the hook the host chose on this kernel (gadgethost check): the
    tracepoint where tracefs has it, else fexit on cap_capable()"""
    res = run_host("check", GADGET)
    m = re.search(r"^trace/capabilities.lua +yes +variants: cap=(\w+)$", res.stdout, re.M)
    check(m, "gadgethost check does not say which variant runs", res.stdout, res.stderr)
    tp = os.path.exists("/sys/kernel/tracing/events/capability/cap_capable")
    check(m.group(1) == ("on_cap_capable" if tp else "fexit_cap_capable"),
          "the variant chosen is not the tracepoint exactly where tracefs has it", m.group(1))
    return m.group(1)


def check_chown_event(e, pid):
    check(set(e) == FIELDS, "fields differ from the documented ones",
          "missing %s extra %s" % (sorted(FIELDS - set(e)), sorted(set(e) - FIELDS)), e)
    check(e["pid"] == pid and e["tid"] == pid and e["comm"] == "chown", "pid/tid/comm", e)
    check(e["ppid"] == os.getpid(), "ppid is not the test's pid %d" % os.getpid(), e)
    check(e["uid"] == 0 and e["gid"] == 0, "uid/gid not 0", e)
    check(e["capRaw"] == CAP_CHOWN, "capRaw is not 0", e)
    check(e["currentUserns"] == e["targetUserns"] == os.stat("/proc/self/ns/user").st_ino,
          "user namespaces are not the host's", e)


def test_chown_allow_and_deny():
    """chown as root: CAP_CHOWN Allow in fchownat; under capsh
    --drop=cap_chown: CAP_CHOWN Deny, and chown fails with EPERM"""
    s = Temp()
    try:
        with Tracer(GADGET, "--comm", "chown") as t:
            pid_ok, rc_ok, err_ok = spawn([CHOWN, "1000", s.file])
            pid_no, rc_no, err_no = spawn([CAPSH, "--drop=cap_chown", "--", "-c",
                                           "exec %s 1001 %s" % (CHOWN, s.file)])
        t.check_clean_exit()
        owner = os.stat(s.file).st_uid
    finally:
        s.cleanup()
    check(rc_ok == 0, "chown as root failed", err_ok)
    check(rc_no != 0 and "Operation not permitted" in err_no,
          "chown without CAP_CHOWN did not fail with EPERM", err_no)
    check(owner == 1000, "the file's owner is %d, wanted 1000" % owner)
    evs = t.events()
    allow = [e for e in evs if e["pid"] == pid_ok and e["capRaw"] == CAP_CHOWN]
    deny = [e for e in evs if e["pid"] == pid_no and e["capRaw"] == CAP_CHOWN]
    check(rows(evs, pid_ok) == [("CAP_CHOWN", "Allow", True, False, "fchownat")],
          "chown as root: wanted one audited CAP_CHOWN Allow in fchownat",
          describe([e for e in evs if e["pid"] == pid_ok]))
    check(rows(evs, pid_no) == [("CAP_CHOWN", "Deny", True, False, "fchownat")],
          "chown without CAP_CHOWN: wanted one audited CAP_CHOWN Deny in fchownat",
          describe([e for e in evs if e["pid"] == pid_no]))
    check_chown_event(allow[0], pid_ok)
    check_chown_event(deny[0], pid_no)
    check("CAP_CHOWN" in allow[0]["capEffective"].split("|"),
          "root's effective set lacks CAP_CHOWN", allow[0])
    check("CAP_CHOWN" not in deny[0]["capEffective"].split("|") and
          deny[0]["capEffectiveRaw"] & 1 == 0, "capsh's chown still has CAP_CHOWN", deny[0])
    # the CAP_SYS_ADMIN checks of mmap/brk/execve (vm_enough_memory) are noaudit
    admin = [e for e in evs if e["pid"] in (pid_ok, pid_no) and e["capRaw"] == CAP_SYS_ADMIN]
    if chosen_variant() == "fexit_cap_capable":
        # cap_vm_enough_memory() calls cap_capable() of its own file, inlined
        # (as cap_capset() does): fexit on cap_capable() does not see them
        check(not admin, "fexit saw vm_enough_memory's checks: the docs are wrong",
              describe(admin))
        return
    check(admin, "no CAP_SYS_ADMIN check at all from chown's memory mappings")
    audited = [e for e in admin if e["audit"]]
    check(not audited, "vm_enough_memory's CAP_SYS_ADMIN checks are not noaudit",
          describe(audited))


def test_audit_only_and_unique():
    """--audit-only leaves out the noaudit CAP_SYS_ADMIN checks; --unique
    reports CAP_CHOWN once for a chown of three files"""
    s = Temp()
    files = [s.file] + [os.path.join(s.dir, n) for n in ("g", "h")]
    for f in files[1:]:
        open(f, "w").close()
    try:
        with Tracer(GADGET, "--comm", "chown", "--audit-only", "--unique") as t:
            pid, rc, err = spawn([CHOWN, "1000"] + files)
        t.check_clean_exit()
        with Tracer(GADGET, "--comm", "chown") as t_all:
            pid_all, rc_all, err_all = spawn([CHOWN, "1001"] + files)
        t_all.check_clean_exit()
    finally:
        s.cleanup()
    check(rc == 0 and rc_all == 0, "chown failed", err, err_all)
    evs = [e for e in t.events() if e["pid"] == pid]
    check(rows(evs, pid, skip_sys_admin=False) == [("CAP_CHOWN", "Allow", True, False,
                                                    "fchownat")],
          "--audit-only --unique: wanted CAP_CHOWN once and nothing noaudit", describe(evs))
    evs_all = t_all.events()
    check(rows(evs_all, pid_all) == [("CAP_CHOWN", "Allow", True, False, "fchownat")] * 3,
          "without --unique: one CAP_CHOWN check per file", describe(evs_all))


def test_setuid_insetid():
    """setpriv --reuid/--regid: CAP_SETUID and CAP_SETGID checks with
    insetid true (ns_capable_setid) in setresuid/setresgid/setgroups, and
    its capset checks (insetid false)"""
    with Tracer(GADGET, "--comm", "setpriv") as t:
        pid, rc, err = spawn([SETPRIV, "--reuid=65534", "--regid=65534", "--clear-groups",
                              "/bin/true"])
    t.check_clean_exit()
    check(rc == 0, "setpriv failed", err)
    got = rows(t.events(), pid)
    # setpriv keeps its capabilities across the uid change (capset, PR_SET_KEEPCAPS),
    # changes uid, then tries to raise CAP_SETPCAP as nobody (denied), then gids
    want = [("CAP_SETPCAP", "Allow", True, False, "capset"),
            ("CAP_SETUID", "Allow", True, True, "setresuid"),
            ("CAP_SETPCAP", "Deny", True, False, "capset"),
            ("CAP_SETGID", "Allow", True, True, "setresgid"),
            ("CAP_SETGID", "Allow", True, True, "setgroups")]
    if chosen_variant() == "fexit_cap_capable":
        # cap_capset() makes its CAP_SETPCAP checks through cap_inh_is_capped(),
        # inlined, calling cap_capable() of the same file, inlined too: fexit
        # on cap_capable() (6.1) does not see them, the tracepoint (in the
        # inlined copy too) does
        want = [w for w in want if w[4] != "capset"]
    check(got == want, "setpriv's set*id checks", "got  %r" % got, "want %r" % want)


def add_caps(names):
    def edit(cfg):
        c = cfg["process"]["capabilities"]
        for kind in ("bounding", "effective", "permitted"):
            c[kind] = sorted(set(c.get(kind, [])) | set(names))
    return edit


def test_chown_in_container():
    """busybox chown in a runc container (CAP_CHOWN added): Allow; then
    with CAP_CHOWN dropped by setpriv: Deny and EPERM; container fields"""
    script = ("touch /tmp/f && /bin/chown 1000 /tmp/f && "
              "/usr/bin/setpriv --inh-caps=-chown --bounding-set=-chown /bin/chown 1001 /tmp/f;"
              " echo owner=$(stat -c %u /tmp/f)")
    r = traced_container(GADGET, script, "--comm", "chown",
                         edit=add_caps(["CAP_CHOWN", "CAP_SETPCAP"]))
    evs = [e for e in r.events if e["capRaw"] == CAP_CHOWN]
    got = [(e["comm"], e["cap"], e["verdict"], e["audit"], e["syscall"]) for e in evs]
    check(got == [("chown", "CAP_CHOWN", "Allow", True, "chown"),
                  ("chown", "CAP_CHOWN", "Deny", True, "chown")],
          "wanted busybox chown's CAP_CHOWN Allow, then Deny", describe(r.events),
          "container output: " + r.output)
    check("owner=1000" in r.output and "Operation not permitted" in r.output,
          "the second chown did not fail with EPERM", r.output)
    check(evs[0]["pid"] != evs[1]["pid"], "the two chowns have one pid", describe(evs))
    for e in r.events:
        check_container(e, r)
        check(e["comm"] == "chown", "--comm chown let another command through", e)


if __name__ == "__main__":
    main([test_chown_allow_and_deny, test_audit_only_and_unique, test_setuid_insetid,
          test_chown_in_container])
