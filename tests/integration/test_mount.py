#!/usr/bin/env python3
"""Integration tests of trace/mount.lua: util-linux mount and umount, and
busybox mount with an unknown filesystem type (ENODEV), in a private mount
namespace the test creates (unshare -m); the new mount API (fsopen,
fsconfig, fsmount, move_mount) from python3 through syscall(2); busybox
mount and umount inside a runc container given CAP_SYS_ADMIN."""

import os
import shutil
import subprocess
import tempfile

from containers import MountNamespace
from ctrace import traced_container
from gh import Tracer, check, describe, excerpt, main, require_bpf, scaled

GADGET = "trace/mount.lua"
# unshare -m --propagation private starts with this call (its fstype and
# data are NULL pointers: null, and NULL in the call as strace writes it)
UNSHARE_ROW = ("unshare", "MOUNT", "none", "/", None, "MS_REC|MS_PRIVATE", None, 0, -1,
               'mount("none", "/", NULL, MS_REC|MS_PRIVATE, NULL) = 0')

# the new mount API through syscall(2) (x86_64 numbers); prints its pid,
# mount namespace and the two fds it got
NEW_API = r"""
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
L = ctypes.c_long
def sc(nr, *args):
    r = libc.syscall(L(nr), *args)
    return r if r >= 0 else -ctypes.get_errno()
d = sys.argv[1].encode()
fd = sc(430, b"tmpfs", L(1))                               # fsopen, FSOPEN_CLOEXEC
ok = sc(431, L(fd), L(1), b"size", b"1m", L(0))            # FSCONFIG_SET_STRING
bad = sc(431, L(fd), L(1), b"nosuchopt", b"x", L(0))       # EINVAL
made = sc(431, L(fd), L(6), None, None, L(0))              # FSCONFIG_CMD_CREATE
mfd = sc(432, L(fd), L(1), L(0x6))                         # fsmount, CLOEXEC, NOSUID|NODEV
moved = sc(429, L(mfd), b"", L(-100), d, L(4))             # move_mount, F_EMPTY_PATH
gone = sc(166, d, L(2))                                    # umount2, MNT_DETACH
print(os.getpid(), os.stat("/proc/self/ns/mnt").st_ino, fd, mfd, ok, bad, made, moved, gone)
"""


def row(e):
    return (e["comm"], e["op"], e["src"], e["dest"], e["fs"], e["flags"], e["data"], e["ret"],
            e["fd"], e["call"])


def check_common(evs, pid_ok, mntns):
    for e in evs:
        check(e["tid"] == e["pid"] and pid_ok(e["pid"]), "pid/tid", e)
        check(e["uid"] == 0 and e["gid"] == 0, "uid/gid", e)
        check(e["mountnsid"] == mntns, "mountnsid is not the namespace's %d" % mntns, e)
        check(0 < e["latency"] < scaled(5) * 1e9, "latency %r ns" % e["latency"], e)


def test_mount_umount_exact():
    """mount -t tmpfs -o size=1m,mode=700, umount, and busybox mount of an
    unknown fs type (ENODEV) in a new mount namespace: exact rows"""
    require_bpf()
    busybox = shutil.which("busybox")
    check(busybox, "busybox is not installed")
    d = tempfile.mkdtemp(prefix="gh-mount-")
    script = ('stat -L -c %%i /proc/self/ns/mnt; read go; '
              'mount -t tmpfs -o size=1m,mode=700 gh-tmp "$1"; '
              'umount "$1"; %s mount -t nosuchfs gh-bad "$1"; exit 0' % busybox)
    try:
        with Tracer(GADGET) as t:
            p = subprocess.Popen(["unshare", "-m", "--propagation", "private", "sh", "-c", script,
                                  "sh", d], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True)
            mntns = int(p.stdout.readline())
            # the namespace held until the run stops: once the workload
            # ends, the kernel may give its id to another test's new one
            with MountNamespace(p.pid) as ns:
                check(ns.id == mntns, "unshare's namespace is not the one stat saw")
                _, err = p.communicate("go\n", timeout=scaled(30))
                t.stop()
        t.check_clean_exit()
    finally:
        os.rmdir(d)
    check(p.returncode == 0, "the workload failed", err)
    # the namespace's id alone is not enough: one that ended before unshare
    # (another test's) may have had the same id; unshare's own calls and
    # its children's are the workload's
    evs = [e for e in t.events() if e["mountnsid"] == mntns and p.pid in (e["pid"], e["ppid"])]
    want = [UNSHARE_ROW,
            ("mount", "MOUNT", "gh-tmp", d, "tmpfs", "", "size=1m,mode=700", 0, -1,
             'mount("gh-tmp", "%s", "tmpfs", 0, "size=1m,mode=700") = 0' % d),
            ("umount", "UMOUNT", "", d, "", "", "", 0, -1, 'umount2("%s", 0) = 0' % d),
            ("busybox", "MOUNT", "gh-bad", d, "nosuchfs", "MS_SILENT", None, 19, -1,
             'mount("gh-bad", "%s", "nosuchfs", MS_SILENT, NULL) = -ENODEV' % d)]
    check([row(e) for e in evs] == want, "wanted exactly the namespace's 4 calls",
          "want: %r" % want, describe(evs, 10))
    check([e["flagsRaw"] for e in evs] == [0x44000, 0, 0, 0x8000], "flagsRaw", describe(evs))
    check_common(evs, lambda pid: pid > 0, mntns)


def test_mount_new_api_exact():
    """fsopen, fsconfig (a good key, a bad one: EINVAL, create), fsmount,
    move_mount and umount2 by python3: exact rows, fds and flags by name"""
    require_bpf()
    d = tempfile.mkdtemp(prefix="gh-mount-")
    try:
        with Tracer(GADGET) as t:
            p = subprocess.run(["unshare", "-m", "--propagation", "private",
                                "/usr/bin/python3", "-c", NEW_API, d], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, timeout=scaled(30))
        t.check_clean_exit()
    finally:
        os.rmdir(d)
    check(p.returncode == 0, "the python3 workload failed", p.stderr)
    pid, mntns, fd, mfd, ok, bad, made, moved, gone = map(int, p.stdout.split())
    check(fd >= 3 and mfd > fd and (ok, bad, made, moved, gone) == (0, -22, 0, 0, 0),
          "the workload's own results", p.stdout)
    evs = [e for e in t.events() if e["pid"] == pid]
    want = [UNSHARE_ROW,
            ("python3", "FSOPEN", "", "", "tmpfs", "FSOPEN_CLOEXEC", "", 0, fd,
             'fsopen("tmpfs", FSOPEN_CLOEXEC) = %d' % fd),
            ("python3", "FSCONFIG", "", "", "", "FSCONFIG_SET_STRING", "size=1m", 0, -1,
             'fsconfig(%d, FSCONFIG_SET_STRING, "size", "1m") = 0' % fd),
            ("python3", "FSCONFIG", "", "", "", "FSCONFIG_SET_STRING", "nosuchopt=x", 22, -1,
             'fsconfig(%d, FSCONFIG_SET_STRING, "nosuchopt", "x") = -EINVAL' % fd),
            ("python3", "FSCONFIG", "", "", "", "FSCONFIG_CMD_CREATE", "", 0, -1,
             'fsconfig(%d, FSCONFIG_CMD_CREATE) = 0' % fd),
            ("python3", "FSMOUNT", "", "", "", "FSMOUNT_CLOEXEC|MOUNT_ATTR_NOSUID|MOUNT_ATTR_NODEV",
             "", 0, mfd, 'fsmount(%d, FSMOUNT_CLOEXEC, MOUNT_ATTR_NOSUID|MOUNT_ATTR_NODEV) = %d'
             % (fd, mfd)),
            ("python3", "MOVE_MOUNT", "", d, "", "MOVE_MOUNT_F_EMPTY_PATH", "", 0, -1,
             'move_mount(%d, "", AT_FDCWD, "%s", MOVE_MOUNT_F_EMPTY_PATH) = 0' % (mfd, d)),
            ("python3", "UMOUNT", "", d, "", "MNT_DETACH", "", 0, -1,
             'umount2("%s", MNT_DETACH) = 0' % d)]
    check([row(e) for e in evs] == want, "wanted exactly python3's 8 calls",
          "want: %r" % want, describe(evs, 10))
    fds = [(e["srcFd"], e["destFd"]) for e in evs]
    check(fds == [(-1, -1), (-1, -1), (fd, -1), (fd, -1), (fd, -1), (fd, -1), (mfd, -100),
                  (-1, -1)], "srcFd/destFd", fds)
    check(evs[5]["flagsRaw"] == (0x6 << 32) | 1, "fsmount's flagsRaw", evs[5])
    check_common(evs, lambda p: p == pid, mntns)


def add_sys_admin(cfg):
    caps = cfg["process"]["capabilities"]
    for kind in caps:
        if "CAP_SYS_ADMIN" not in caps[kind]:
            caps[kind].append("CAP_SYS_ADMIN")


def test_mount_in_container():
    """busybox mount and umount inside a runc container with CAP_SYS_ADMIN:
    the exact rows, with the container's fields"""
    script = ("mkdir -p /mnt/t; mount -t tmpfs -o size=1m gh-ctr /mnt/t; umount /mnt/t; "
              "mount -t nosuchfs gh-bad /mnt/t; exit 0")
    # busybox's mount and umount: not the host's /usr
    run = traced_container(GADGET, script, "--verbose", host_usr=False, edit=add_sys_admin)
    t, name, pid, mntns, out = run.tracer, run.name, run.pid, run.mntns, run.output
    evs = [e for e in t.events() if e["comm"] in ("mount", "umount")]
    want = [("mount", "MOUNT", "gh-ctr", "/mnt/t", "tmpfs", "MS_SILENT", "size=1m", 0, -1,
             'mount("gh-ctr", "/mnt/t", "tmpfs", MS_SILENT, "size=1m") = 0'),
            ("umount", "UMOUNT", "", "/mnt/t", "", "", "", 0, -1, 'umount2("/mnt/t", 0) = 0'),
            ("mount", "MOUNT", "gh-bad", "/mnt/t", "nosuchfs", "MS_SILENT", None, 19, -1,
             'mount("gh-bad", "/mnt/t", "nosuchfs", MS_SILENT, NULL) = -ENODEV')]
    check([row(e) for e in evs] == want, "wanted exactly the container's 3 calls",
          "want: %r" % want, describe(evs, 10), "container output: " + out,
          "stderr: " + excerpt(t.stderr))
    check_common(evs, lambda p: p > pid, mntns)
    for e in t.events():
        check(e["mountnsid"] == mntns, "an event from outside the container", e)
    for e in evs:
        check(e["runtime"] == {"runtimeName": "runc", "containerId": name,
                               "containerName": name, "containerImageName": None},
              "runtime fields", e)


if __name__ == "__main__":
    main([test_mount_umount_exact, test_mount_new_api_exact, test_mount_in_container], bpf=False)
