"""pkgbuild.py - what the package tests share: the .debs built from this
source tree by debian/ (dpkg-buildpackage, as a user or a distribution
builds them), and clean Debian 12 roots (debootstrap) to install them in.

Both are cached under BUILD_DIR/package/: the .debs are rebuilt when any
source file changed (a hash of the tree, not of times), the debootstrap
root is made once and unpacked afresh for every test that wants one.
Standard library only.
"""

import fcntl
import glob
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tarfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
import gh  # noqa: E402
from gh import BUILD_DIR, check, excerpt  # noqa: E402

SOURCE_DIR = os.environ.get("GH_SOURCE_DIR") or os.path.dirname(os.path.dirname(
    os.path.dirname(os.path.abspath(__file__))))
CACHE = os.path.join(BUILD_DIR, "package")
SUITE = "bookworm"
MIRROR = "http://deb.debian.org/debian"
# the build trees inside the source tree, and what git keeps
SKIP_TOP = (".git",)


def _source_files():
    """(relative path, absolute path) of every file of the source tree but
    build directories (build, build-*: anything holding meson-private)"""
    out = []
    for top in sorted(os.listdir(SOURCE_DIR)):
        path = os.path.join(SOURCE_DIR, top)
        if top in SKIP_TOP or os.path.exists(os.path.join(path, "meson-private")) or \
                top.startswith("build"):
            continue
        if os.path.isfile(path) or os.path.islink(path):
            out.append((top, path))
            continue
        for d, dirs, files in os.walk(path):
            dirs[:] = sorted(x for x in dirs if x != "__pycache__")
            for f in sorted(files):
                p = os.path.join(d, f)
                out.append((os.path.relpath(p, SOURCE_DIR), p))
    return out


def source_hash(files):
    h = hashlib.sha256()
    for rel, path in files:
        h.update(rel.encode() + b"\0")
        if os.path.islink(path):
            h.update(b"link:" + os.readlink(path).encode())
        else:
            with open(path, "rb") as f:
                h.update(f.read())
        h.update(b"\0")
    return h.hexdigest()


class _Lock:
    """an exclusive lock on CACHE/NAME.lock (tests of two build trees, or
    two test files, never build the same thing at once)"""

    def __init__(self, name):
        os.makedirs(CACHE, exist_ok=True)
        self.path = os.path.join(CACHE, name + ".lock")

    def __enter__(self):
        self.f = open(self.path, "w")
        fcntl.flock(self.f, fcntl.LOCK_EX)
        return self

    def __exit__(self, *exc):
        fcntl.flock(self.f, fcntl.LOCK_UN)
        self.f.close()
        return False


def run(cmd, timeout, what=None, **kw):
    """cmd to its end, output captured; a failure names cmd and shows it"""
    t0 = time.monotonic()
    try:
        r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                           errors="replace", timeout=gh.scaled(timeout), **kw)
    except subprocess.TimeoutExpired as e:
        raise gh.Failure("%s: not done within %d s" % (what or " ".join(cmd), gh.scaled(timeout)),
                         excerpt(e.stdout or b""))
    check(r.returncode == 0, "%s exited %d" % (what or " ".join(cmd), r.returncode),
          excerpt(r.stdout))
    r.seconds = time.monotonic() - t0
    return r


def debs():
    """{package name: path of its .deb} for gadgethost and gadgethost-sdk,
    and the .changes file under "changes": built by dpkg-buildpackage in a
    copy of the source tree, again only when the tree changed"""
    files = _source_files()
    digest = source_hash(files)
    out_dir = os.path.join(CACHE, "debs")
    stamp = os.path.join(out_dir, "source.sha256")
    with _Lock("debs"):
        if not (os.path.exists(stamp) and open(stamp).read().strip() == digest):
            work = os.path.join(CACHE, "work")
            shutil.rmtree(work, ignore_errors=True)
            shutil.rmtree(out_dir, ignore_errors=True)
            src = os.path.join(work, "gadgethost")
            for rel, path in files:
                dst = os.path.join(src, rel)
                os.makedirs(os.path.dirname(dst), exist_ok=True)
                shutil.copy2(path, dst, follow_symlinks=False)
            env = dict(os.environ, DEB_BUILD_OPTIONS="parallel=%d" % (os.cpu_count() or 1))
            r = run(["dpkg-buildpackage", "-us", "-uc", "-b"], 1200, cwd=src, env=env)
            print("dpkg-buildpackage: %.0f s" % r.seconds, flush=True)
            os.makedirs(out_dir)
            for f in glob.glob(os.path.join(work, "*.deb")) + \
                    glob.glob(os.path.join(work, "*.changes")) + \
                    glob.glob(os.path.join(work, "*.buildinfo")):
                shutil.move(f, out_dir)
            shutil.rmtree(work, ignore_errors=True)
            with open(stamp, "w") as f:
                f.write(digest + "\n")
    found = {}
    for f in glob.glob(os.path.join(out_dir, "*.deb")):
        found[os.path.basename(f).split("_")[0]] = f
    changes = glob.glob(os.path.join(out_dir, "*.changes"))
    check("gadgethost" in found and "gadgethost-sdk" in found and len(changes) == 1,
          "dpkg-buildpackage did not leave the two .debs and one .changes", os.listdir(out_dir))
    found["changes"] = changes[0]
    return found


def deb_version(deb):
    return subprocess.run(["dpkg-deb", "-f", deb, "Version"], stdout=subprocess.PIPE,
                          text=True, check=True).stdout.strip()


def _debootstrap_tar():
    """CACHE/debootstrap-bookworm.tar: a minbase Debian 12 from the archive"""
    tar = os.path.join(CACHE, "debootstrap-%s.tar" % SUITE)
    with _Lock("debootstrap"):
        if os.path.exists(tar):
            return tar
        root = os.path.join(CACHE, "debootstrap-root")
        shutil.rmtree(root, ignore_errors=True)
        r = run(["debootstrap", "--variant=minbase", SUITE, root, MIRROR], 900)
        print("debootstrap: %.0f s" % r.seconds, flush=True)
        run(["tar", "-C", root, "--numeric-owner", "-cf", tar + ".part", "."], 300)
        os.rename(tar + ".part", tar)
        shutil.rmtree(root, ignore_errors=True)
    return tar


def clean_root(directory):
    """a fresh Debian 12 root at directory (unpacked from the cached
    debootstrap), with the .debs apt fetched before kept in the cache"""
    tar = _debootstrap_tar()
    os.makedirs(directory)
    run(["tar", "-C", directory, "--numeric-owner", "-xpf", tar], 300)
    return directory


def in_root(root, cmd, timeout=300, check_rc=True, env=None):
    """cmd chrooted in root, in a mount namespace of its own holding the
    host's /proc, /sys (BTF, tracefs, bpffs) and /dev, and the apt cache:
    all gone when cmd ends; a clean environment plus env.
    CompletedProcess with text output."""
    archives = os.path.join(CACHE, "apt-archives")
    os.makedirs(os.path.join(archives, "partial"), exist_ok=True)
    script = ("set -e; r=$1; shift; mount -t proc proc \"$r/proc\"; "
              "mount --rbind /sys \"$r/sys\"; mount --rbind /dev \"$r/dev\"; "
              "mount --bind %s \"$r/var/cache/apt/archives\"; "
              "exec chroot \"$r\" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin "
              "HOME=/root LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive \"$@\"" % archives)
    extra = ["%s=%s" % kv for kv in (env or {}).items()]
    full = ["unshare", "-m", "--propagation", "private", "sh", "-c", script, "sh", root] + \
        extra + cmd
    try:
        r = subprocess.run(full, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                           errors="replace", timeout=gh.scaled(timeout))
    except subprocess.TimeoutExpired as e:
        raise gh.Failure("in the root: %s: not done within %d s" % (" ".join(cmd),
                                                                    gh.scaled(timeout)),
                         "stdout: " + excerpt(e.stdout or b""),
                         "stderr: " + excerpt(e.stderr or b""))
    if check_rc:
        check(r.returncode == 0, "in the root: %s exited %d" % (" ".join(cmd), r.returncode),
              "stdout: " + excerpt(r.stdout), "stderr: " + excerpt(r.stderr))
    return r


def remove_root(root):
    """a root in_root used: nothing is mounted there any more (each
    in_root's namespace is gone), so a plain delete"""
    shutil.rmtree(root, ignore_errors=True)


# --------------------------------------------------------- help texts

OPTION = re.compile(r"(?:^|(?<=[\s(\[|]))(--?[A-Za-z][A-Za-z0-9-]*)")


def options_in(text):
    """the options a help text names: -x and --long-name where an option
    is written (line start, after a blank, "(", "[" or "|"); -h and
    --help left out"""
    return set(OPTION.findall(text)) - {"-h", "--help"}


def help_commands(text):
    """the commands of `gadgethost --help`: the first word of each entry
    under "commands:" (and the words joined by commas: deploy, undeploy)"""
    cmds, inside = [], False
    for line in text.splitlines():
        if line.startswith("commands:"):
            inside = True
            continue
        if inside and not line.strip():
            break
        if inside and re.match(r"^  \S", line):
            for word in line.split():
                cmds.append(word.rstrip(","))
                if not word.endswith(","):
                    break
    return cmds
