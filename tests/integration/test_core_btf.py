#!/usr/bin/env python3
"""Minimal BTFs for CO-RE (docs/kernels.md): every gadget object of the
build has one for the running kernel build, the loader uses it, and
trace/exec and trace/open trace exactly as ever on a kernel without
/sys/kernel/btf/vmlinux (hidden under an empty tmpfs in a private mount
namespace).  run --watch and the minimal BTF: test_reload.py."""

import functools
import glob
import os
import re
import shutil
import subprocess

from gh import (BUILD_DIR, Skip, Tracer, check, describe, excerpt, main, object_path,
                run_host, unique, workload)
from test_exec import check_true_execs
from test_open import Scene, check_successes

BTF_MAGIC = b"\x9f\xeb"  # 0xeb9f, little-endian
SOURCE_DIR = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# sh -c: hide the kernel's BTF, make sure it is gone, then run the command
NO_KERNEL_BTF = ('mount -t tmpfs gh-no-btf /sys/kernel/btf && '
                 'test ! -e /sys/kernel/btf/vmlinux && exec "$@"')


@functools.lru_cache(maxsize=None)
def kernel_build_id():
    """the running kernel's build ID, as gadgethost check says; the same as
    the build's bpf/kernel_build_id.py where the source tree is at hand"""
    res = run_host("check")
    m = re.search(r"^kernel build:  ([0-9a-f]+)$", res.stdout, re.M)
    check(m, "gadgethost check names no kernel build", res.stdout)
    script = os.path.join(SOURCE_DIR, "bpf", "kernel_build_id.py")
    if os.path.exists(script):
        out = subprocess.run([script, "/sys/kernel/btf/vmlinux"], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
        check(out.stdout.strip() == m.group(1), "kernel_build_id.py says otherwise",
              out.stdout + out.stderr)
    return m.group(1)


def minimal_btf(obj):
    return obj[:-len(".o")] + "." + kernel_build_id() + ".btf"


def without_kernel_btf():
    """a Tracer prefix: gadgethost in a private mount namespace whose
    /sys/kernel/btf is an empty tmpfs"""
    unshare = shutil.which("unshare")
    if not unshare:
        raise Skip("needs unshare (util-linux)")
    return [unshare, "-m", "--propagation", "private", "sh", "-c", NO_KERNEL_BTF, "sh"]


def test_every_gadget_object_has_its_minimal_btf():
    """each gadget object of the build has a small BTF file for this kernel build"""
    objects = [o for o in glob.glob(os.path.join(BUILD_DIR, "bpf", "*", "*.bpf.o"))
               if os.path.basename(os.path.dirname(o)) not in ("test", "bench")]
    check(len(objects) >= 25, "found only %d gadget objects" % len(objects), BUILD_DIR)
    for obj in objects:
        btf = minimal_btf(obj)
        check(os.path.exists(btf), "no minimal BTF for this kernel beside " + obj, btf)
        with open(btf, "rb") as f:
            data = f.read()
        check(data[:2] == BTF_MAGIC, "not a BTF file", btf)
        check(len(data) < 64 << 10, "%s is %d bytes: not a minimal BTF" % (btf, len(data)))


def test_loader_uses_the_minimal_btf():
    """--verbose says CO-RE relocates against the object's minimal BTF"""
    with Tracer("trace/open.lua", "-v", "--comm", unique("none")[:15]) as t:
        pass
    t.check_clean_exit()
    want = minimal_btf(object_path("trace/open"))
    used = re.search(r"CO-RE against (\S+)", t.stderr)
    check(used and os.path.realpath(used.group(1)) == os.path.realpath(want),
          "the loader did not say it used the minimal BTF",
          "wanted: CO-RE against %s\nstderr: %s" % (want, excerpt(t.stderr)))


def test_exec_without_kernel_btf():
    """trace/exec with /sys/kernel/btf hidden: exactly the 20 execs, every field right"""
    prefix = unique("nobtf")
    with Tracer("trace/exec.lua", prefix=without_kernel_btf()) as t:
        w = workload("exec", 20, prefix)
    t.check_clean_exit()
    check_true_execs(t.events(), w, prefix, 20)


def test_open_without_kernel_btf():
    """trace/open with /sys/kernel/btf hidden: each open once, the failed one with ENOENT"""
    s = Scene()
    try:
        with Tracer("trace/open.lua", prefix=without_kernel_btf()) as t:
            s.run()
        t.check_clean_exit()
        evs = s.ours(t.events())
        check_successes(s, evs)
        missing = [e for e in evs if e.get("path") == s.missing]
        check(len(missing) == 1, "wanted the missing path's open once", describe(evs))
        check(missing[0]["fd"] == -1 and missing[0]["err"] == 2,
              "the missing path's open is not fd -1, err 2 (ENOENT)", missing[0])
        check(len(evs) == len(s.paths) + 1, "events of the scene beside the %d opens"
              % (len(s.paths) + 1), describe(evs))
    finally:
        s.cleanup()


def test_kernel_enum_without_kernel_btf():
    """trace/tcpdrop's reason names cannot come from the kernel's BTF: one
    notice says so, and the gadget runs"""
    res = run_host("run", "trace/tcpdrop.lua", "--host", "--timeout", "1",
                   prefix=without_kernel_btf())
    check(res.returncode == 0, "trace/tcpdrop did not run without the kernel's BTF",
          excerpt(res.stderr))
    want = ("gadgethost: trace tcpdrop: no kernel BTF (/sys/kernel/btf/vmlinux): the names of "
            "reason are those the object was built with")
    check(res.stderr.count(want) == 1, "not one notice about the enum's names",
          excerpt(res.stderr))


if __name__ == "__main__":
    main([test_every_gadget_object_has_its_minimal_btf, test_loader_uses_the_minimal_btf,
          test_exec_without_kernel_btf, test_open_without_kernel_btf,
          test_kernel_enum_without_kernel_btf])
