#!/usr/bin/env python3
"""The Debian package: debian/ builds gadgethost and gadgethost-sdk .debs
(dpkg-buildpackage), lintian finds no error in them, and in a clean
Debian 12 root (debootstrap from the archive) `apt-get install
./gadgethost_*.deb` gives a gadgethost that traces (trace/exec.lua --host
sees an exec of the host), whose man pages `man` finds, whose completion
answers, whose gadgets all pass `gadgethost check`, and whose systemd unit
`systemd-analyze verify` accepts."""

import os
import re
import shutil
import subprocess
import tempfile
import threading
import time

import pkgbuild
from gh import check, excerpt, main, require_bpf, scaled, unique

DIST = os.path.join(pkgbuild.SOURCE_DIR, "dist")
GADGETHOSTDIR = "usr/lib/gadgethost"


def deb_contents(deb):
    """{path (no leading ./): mode string} of a .deb"""
    out = subprocess.run(["dpkg-deb", "-c", deb], stdout=subprocess.PIPE, text=True,
                         check=True).stdout
    files = {}
    for line in out.splitlines():
        parts = line.split(None, 5)
        path = parts[5].split(" -> ")[0]
        files[path[2:] if path.startswith("./") else path] = parts[0]
    return files


def man_pages():
    """the pages dist/man holds: [(name, section)]"""
    return [tuple(f[:-4].rsplit(".", 1)) for f in sorted(os.listdir(os.path.join(DIST, "man")))
            if f.endswith(".scd")]


def check_unit_state_dir(root):
    """the unit lets the daemon write its default --state-dir (its
    instances) under ProtectSystem=strict: StateDirectory= names it"""
    helptext = subprocess.run([os.path.join(root, "usr/bin/gadgethost"), "daemon", "--help"],
                              stdout=subprocess.PIPE, text=True).stdout
    m = re.search(r"--state-dir DIR .*\(default (/\S+)\)", helptext)
    check(m, "daemon --help names no default --state-dir", helptext)
    with open(os.path.join(root, "lib/systemd/system/gadgethost.service")) as f:
        unit = dict(l.split("=", 1) for l in f.read().splitlines()
                    if "=" in l and not l.startswith("#"))
    check(unit.get("ProtectSystem") == "strict", "the unit's ProtectSystem changed", unit)
    check("/var/lib/" + unit.get("StateDirectory", "?") == m.group(1),
          "the unit's StateDirectory= is not the daemon's state dir %s: instances could not "
          "be written" % m.group(1), unit.get("StateDirectory"))


def test_package_contents():
    """gadgethost: the binary, every gadget (script and object, the
    object's DWARF dropped but its BTF kept), the Lua library, every man
    page, the completion, the unit; gadgethost-sdk: headers, vmlinux.h,
    template, and a pkg-config file that points at them"""
    debs = pkgbuild.debs()
    files = deb_contents(debs["gadgethost"])
    want = ["usr/bin/gadgethost", "lib/systemd/system/gadgethost.service",
            "usr/share/bash-completion/completions/gadgethost",
            GADGETHOSTDIR + "/lua/gadget/init.lua",
            "usr/share/man/man8/gadgethost-undeploy.8.gz"]
    want += ["usr/share/man/man%s/%s.%s.gz" % (sec, name, sec) for name, sec in man_pages()]
    for d, _, names in os.walk(os.path.join(pkgbuild.SOURCE_DIR, "gadgets")):
        for n in names:
            if n.endswith(".lua"):
                rel = os.path.relpath(os.path.join(d, n), pkgbuild.SOURCE_DIR)
                want += [GADGETHOSTDIR + "/" + rel, GADGETHOSTDIR + "/" + rel[:-4] + ".bpf.o"]
    missing = [p for p in want if p not in files]
    check(not missing, "gadgethost .deb lacks files", missing)
    check(files["usr/bin/gadgethost"].startswith("-rwxr-xr-x"), "binary not executable",
          files["usr/bin/gadgethost"])
    check(not any(p.startswith("usr/share/gadgethost") for p in files),
          "arch-dependent gadgets under /usr/share", [p for p in files if "share/gadgethost" in p])

    with tempfile.TemporaryDirectory(prefix="gh-deb-") as d:
        pkgbuild.run(["dpkg-deb", "-x", debs["gadgethost"], d], 60)
        obj = os.path.join(d, GADGETHOSTDIR, "gadgets/trace/exec.bpf.o")
        sections = subprocess.run(["llvm-readelf", "-S", obj], stdout=subprocess.PIPE,
                                  text=True, check=True).stdout
        check(" .BTF " in sections and " .BTF.ext " in sections, "the object's BTF is gone",
              sections)
        check(".debug_info" not in sections, "the object still carries DWARF", sections)
        check_unit_state_dir(d)

    sdk = deb_contents(debs["gadgethost-sdk"])
    for p in ("sdk/include/gadget/gadget.h", "sdk/vmlinux/vmlinux.h",
              "sdk/template/gadget.bpf.c", "sdk/template/gadget.lua"):
        check(GADGETHOSTDIR + "/" + p in sdk, "gadgethost-sdk lacks " + p, sorted(sdk)[:40])
    pc = [p for p in sdk if p.endswith("pkgconfig/gadgethost-sdk.pc")]
    check(len(pc) == 1, "gadgethost-sdk has no gadgethost-sdk.pc", sorted(sdk))
    text = subprocess.run("dpkg-deb --fsys-tarfile %s | tar -xOf - ./%s" % (
        debs["gadgethost-sdk"], pc[0]), shell=True, stdout=subprocess.PIPE, text=True).stdout
    check("sdkdir=/%s/sdk" % GADGETHOSTDIR in text, "the .pc does not point at the SDK", text)


def test_lintian():
    """lintian on the build (.changes: both packages) reports no error"""
    debs = pkgbuild.debs()
    r = subprocess.run(["lintian", "--fail-on", "error", "--no-tag-display-limit",
                        debs["changes"]], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       text=True, timeout=scaled(300))
    tags = [l for l in r.stdout.splitlines() if re.match(r"^[EWIXP]: ", l)]
    errors = [l for l in tags if l.startswith("E: ")]
    check(r.returncode == 0 and not errors, "lintian reports errors (exit %d)" % r.returncode,
          "\n".join(errors) or excerpt(r.stdout))
    print("lintian: no error; %d other tags%s" % (len(tags), "".join(
        "\n    " + t for t in tags)), flush=True)


def exec_markers(path, marker, stop):
    """exec path (a link to /bin/true) with the marker every 50 ms until stop is set"""
    while not stop.is_set():
        subprocess.run([path, marker])
        stop.wait(0.05)


def test_install_in_clean_root():
    """apt-get install ./gadgethost_*.deb in a fresh debootstrap root; from
    there `gadgethost run trace/exec.lua --host --timeout 3` sees the
    host's execs; man, completion, check and systemd-analyze verify work
    on what was installed"""
    require_bpf()
    debs = pkgbuild.debs()
    work = tempfile.mkdtemp(prefix="gh-root-")
    try:
        root = pkgbuild.clean_root(os.path.join(work, "root"))
        deb = os.path.basename(debs["gadgethost"])
        shutil.copy(debs["gadgethost"], os.path.join(root, "tmp", deb))
        t0 = time.monotonic()
        pkgbuild.in_root(root, ["apt-get", "update", "-q"], 300)
        # man-db and bash-completion: what a user reads and types with;
        # systemd: systemd-analyze
        pkgbuild.in_root(root, ["apt-get", "install", "-y", "-q", "--no-install-recommends",
                                "/tmp/" + deb, "man-db", "bash-completion", "systemd"], 600)
        print("apt-get update + install: %.0f s" % (time.monotonic() - t0), flush=True)

        # the exec gadget, run exactly as a user would, sees the host's execs
        marker = unique("pkg")
        link = os.path.join(work, marker[:15])
        os.symlink("/bin/true", link)
        stop = threading.Event()
        execs = threading.Thread(target=exec_markers, args=(link, marker, stop), daemon=True)
        execs.start()
        try:
            r = pkgbuild.in_root(root, ["gadgethost", "run", "trace/exec.lua", "--host",
                                        "--timeout", "3"], 60)
        finally:
            stop.set()
            execs.join()
        lines = r.stdout.splitlines()
        check(lines and lines[0].split()[-6:] == ["PID", "PPID", "COMM", "PCOMM", "RET", "ARGS"],
              "not exec's columns", "stdout: " + excerpt(r.stdout), "stderr: " + excerpt(r.stderr))
        rows = [l.split() for l in lines if l.split()[-2:] == [link, marker]]
        check(rows, "no row of the host's exec of %s %s" % (link, marker),
              "stdout: " + excerpt(r.stdout), "stderr: " + excerpt(r.stderr))
        check(rows[0][-5] == os.path.basename(link) and rows[0][-3] == "0",
              "the row's COMM is not the program's name or RET not 0", rows[0])
        print("trace/exec.lua in the root: %d rows of the marker, e.g. %s"
              % (len(rows), " ".join(rows[0])), flush=True)

        # the libraries opened at first use: libssl3 a Depends (keygen works
        # as installed), libcurl4 and libarchive13 Recommends; once installed
        # the image commands get past loading them to their own errors
        fields = pkgbuild.run(["dpkg-deb", "-f", debs["gadgethost"], "Depends", "Recommends"],
                              60).stdout
        deps = dict(l.split(": ", 1) for l in fields.splitlines())
        check("libssl3" in deps["Depends"] and "libcurl4" in deps.get("Recommends", "") and
              "libarchive13" in deps.get("Recommends", ""),
              "the package does not declare the libraries it opens", fields)
        r = pkgbuild.in_root(root, ["gadgethost", "keygen", "/tmp/ghkey"], 60)
        check(r.returncode == 0 and "ghkey" in r.stdout + r.stderr, "keygen in the root",
              r.stdout, r.stderr)
        pkgbuild.in_root(root, ["apt-get", "install", "-y", "-q", "--no-install-recommends",
                                "libcurl4", "libarchive13"], 600)
        r = pkgbuild.in_root(root, ["gadgethost", "images", "import", "/etc/passwd",
                                    "--verify", "false"], 60, check_rc=False)
        check(r.returncode == 1 and "/etc/passwd: not a tarball" in r.stderr,
              "images import of a non-tarball in the root: not libarchive's answer", r.stderr)
        r = pkgbuild.in_root(root, ["gadgethost", "pull", "127.0.0.1:1/gh/none:1", "--verify",
                                    "false"], 60, check_rc=False)
        check(r.returncode == 1 and "registry 127.0.0.1:1: " in r.stderr and
              "cannot be loaded" not in r.stderr,
              "pull from a closed port in the root: not libcurl's answer", r.stderr)
        print("in the root: keygen, images import and pull load OpenSSL, libarchive and "
              "libcurl", flush=True)

        # every gadget the package holds can run on this kernel
        r = pkgbuild.in_root(root, ["gadgethost", "check"], 120)
        oks = [l for l in r.stdout.splitlines() if re.match(r"^\S+\.lua\s+yes\b", l)]
        check(len(oks) >= 20, "gadgethost check in the root lists too few gadgets", r.stdout)

        # man finds the pages, as a user types it
        r = pkgbuild.in_root(root, ["man", "-P", "cat", "gadgethost-run"], 60,
                             env={"MANWIDTH": "100"})
        check("--fields" in r.stdout and "gadgethost-run" in r.stdout,
              "man gadgethost-run does not show the page", excerpt(r.stdout))
        r = pkgbuild.in_root(root, ["man", "-P", "cat", "gadgethost-undeploy"], 60)
        check("gadgethost-deploy, gadgethost-undeploy" in r.stdout, "man gadgethost-undeploy",
              excerpt(r.stdout))

        # the completion bash-completion loads asks the installed binary
        r = pkgbuild.in_root(root, ["bash", "-c",
                                    ". /usr/share/bash-completion/bash_completion; "
                                    "_completion_loader gadgethost; "
                                    "COMP_LINE='gadgethost run trace/exec.lua --ign'; "
                                    "COMP_POINT=${#COMP_LINE}; _gadgethost; "
                                    "echo \"${COMPREPLY[*]}\""], 60)
        check(r.stdout.strip() == "--ignore-failed", "completion in the root", r.stdout, r.stderr)

        # the unit: systemd-analyze verify with the binary and the man page it names there
        r = pkgbuild.in_root(root, ["systemd-analyze", "verify", "gadgethost.service"], 60)
        check(r.stdout.strip() == "" and r.stderr.strip() == "",
              "systemd-analyze verify says something", r.stdout, r.stderr)
        r = pkgbuild.in_root(root, ["systemd-analyze", "security", "--offline=true",
                                    "gadgethost.service"], 60, check_rc=False)
        m = re.search(r"Overall exposure level for gadgethost.service: (\S+ \S+)", r.stdout)
        print("systemd-analyze security: %s" % (m.group(1) if m else excerpt(r.stdout)),
              flush=True)
    finally:
        pkgbuild.remove_root(work)


if __name__ == "__main__":
    main([test_package_contents, test_lintian, test_install_in_clean_root], bpf=False)
