"""containers.py - real container runtimes as test fixtures.

Each fixture keeps all its state under a temporary directory the test owns,
and removes on stop() everything it made: its processes (daemons, shims,
conmon, container inits), the mounts under that directory, the cgroups it
created (/default, /docker, /libpod_parent...), and the few paths the
runtimes insist on making outside it (/run/containerd, /run/docker,
/run/runc, /var/lib/containers/cache), but only when they did not exist
before.  A fixture not stopped is stopped at exit.  Nothing here uses the
network: containers get their own empty network namespace (`--network
none`) unless a test asks.

    rootfs = build_rootfs(d)                       # busybox-static rootfs
    with Runc() as r:
        b = r.bundle("c1", ["sh", "-c", "sleep 30"])
        r.run("c1", b); r.state("c1")["pid"]
    with Containerd() as c:
        c.import_image(oci_image_archive(rootfs, d + "/bb-oci.tar"))
        c.run("c2", "sh", "-c", "sleep 30"); c.pid("c2")
        with Dockerd(c) as dk:
            dk.import_rootfs(rootfs_tar(rootfs, d + "/rootfs.tar"))
            dk.run("c3", "sleep", "30"); dk.pid("c3")
    with Podman() as p:
        p.import_rootfs(d + "/rootfs.tar"); p.run("c4", "sleep", "30")

Where each runtime keeps runc's state.json (`runc_state_path()`):
  Runc        <Runc.root>/<id>/state.json
  Containerd  /run/containerd/runc/<namespace>/<id>/state.json
  Dockerd     <exec_root>/runtime-runc/moby/<full id>/state.json
  Podman      /run/runc/<full id>/state.json

The binaries missing -> gh.Skip with the reason.  Tested recipes and traps:
/work/shared/runtimes.md.  Standard library only.  Run this file to
self-test every runtime (`python3 containers.py`).
"""

import atexit
import gzip
import hashlib
import io
import json
import os
import platform
import shutil
import signal
import subprocess
import tarfile
import tempfile
import threading
import time

import gh

IMAGE_REF = "localhost/bb:latest"
PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
# seconds, before gh.scaled() as every limit here: each helper of this
# file scales the limits it is given (run(), kill_wait(), Runc.cmd()...)
START_TIMEOUT = 30.0
STOP_TIMEOUT = 20.0
# the process names (comm, 15 characters at most) a runtime leaves behind
RUNTIME_COMMS = ("containerd", "dockerd", "containerd-shim", "conmon", "runc")
CGROUP_ROOT = "/sys/fs/cgroup"


# gadgethost's OCI hooks, for Runc.bundle(hooks=HOOKS): the prestart hook
# reports the container to every running host before its first exec (runc
# waits for it), the poststop hook its end
HOOKS = {stage: [{"path": gh.GH_BIN, "args": ["gadgethost", "hook", stage]}]
         for stage in ("prestart", "poststop")}


# ---------------------------------------------------------------- helpers

def need(binary, what=None, prefer=(), root=True):
    """absolute path of binary, or gh.Skip (also when not root, if root);
    prefer: paths tried first"""
    if root and os.geteuid() != 0:
        raise gh.Skip("not root: %s needs root" % (what or binary))
    for p in prefer:
        if os.access(p, os.X_OK):
            return p
    path = shutil.which(binary, path=PATH)
    if not path:
        raise gh.Skip("%s not installed (no %s in PATH; scripts/setup.sh installs it)"
                      % (what or binary, binary))
    return path


def run(cmd, env=None, timeout=60, check=True, input=None, cwd=None):
    """cmd to its end: CompletedProcess with text stdout/stderr;
    a non-zero status (when check) or a timeout (gh.scaled) is a gh.Failure"""
    cmd = [str(c) for c in cmd]
    timeout = gh.scaled(timeout)
    try:
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           stdin=subprocess.DEVNULL if input is None else None,
                           input=input, env=env, timeout=timeout, text=True,
                           errors="replace", cwd=cwd)
    except subprocess.TimeoutExpired as e:
        raise gh.Failure("%s did not end within %g s" % (" ".join(cmd), timeout),
                         "stderr: " + gh.excerpt(e.stderr or b""))
    if check and p.returncode != 0:
        raise gh.Failure("%s exited %d" % (" ".join(cmd)[:500], p.returncode),
                         "stderr: " + gh.excerpt(p.stderr),
                         "stdout: " + gh.excerpt(p.stdout))
    return p


# the name tests used before gh.wait_for() (which scales its limit)
wait_until = gh.wait_for


def _env(**extra):
    """our environment without the variables that would point a runtime
    or its CLI elsewhere (DOCKER_HOST, CONTAINERD_NAMESPACE,
    CONTAINERS_STORAGE_CONF...), plus extra"""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("DOCKER_", "CONTAINERD_", "CONTAINERS_", "PODMAN_"))}
    env["PATH"] = PATH
    env.update({k: str(v) for k, v in extra.items()})
    return env


def _mkbase(base, prefix):
    """(dir, before): a fresh temp dir and None, or base (made if missing)
    and the names it held already"""
    if base is None:
        return tempfile.mkdtemp(prefix=prefix), None
    base = os.path.abspath(base)
    if not os.path.isdir(base):
        os.makedirs(base)
        return base, None
    return base, set(os.listdir(base))


def _remove_base(base, before, keep=()):
    """a base dir we made (before is None): remove it.  One that existed:
    unmount what is below it and remove only the entries we added, except
    those named in keep (logs, for the test to read)"""
    if before is None:
        remove_tree(base)
        return
    unmount_under(base)
    for name in os.listdir(base) if os.path.isdir(base) else []:
        if name not in before and name not in keep:
            remove_tree(os.path.join(base, name))


def _read(path, default=None):
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return default


def processes():
    """[(pid, comm, argv)] of every process on the machine"""
    out = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        comm = _read("/proc/%s/comm" % d)
        if comm is None:
            continue
        try:
            with open("/proc/%s/cmdline" % d, "rb") as f:
                argv = [a.decode("utf-8", "replace") for a in f.read().split(b"\0")[:-1]]
        except OSError:
            argv = []
        out.append((int(d), comm.strip(), argv))
    return out


def start_time(pid):
    """field 22 of /proc/PID/stat (clock ticks since boot), or None"""
    s = _read("/proc/%d/stat" % pid)
    if s is None:
        return None
    return int(s[s.rindex(")") + 2:].split()[19])


def alive(pid, started=None):
    """pid exists, is no zombie and (if given) began at `started`"""
    s = _read("/proc/%d/stat" % pid)
    if s is None:
        return False
    fields = s[s.rindex(")") + 2:].split()
    if fields[0] in ("Z", "X"):
        return False
    return started is None or int(fields[19]) == started


def kill_wait(pid, sig=signal.SIGTERM, timeout=STOP_TIMEOUT, started=None):
    """signal one process (only if it still is the one that began at
    `started`), then SIGKILL it if it outlives timeout (gh.scaled)"""
    if not alive(pid, started):
        return
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        return
    try:
        gh.wait_for(lambda: not alive(pid, started), timeout, "pid %d to end" % pid)
        return
    except gh.Failure:
        pass
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        return
    gh.wait_for(lambda: not alive(pid, started), 5, "pid %d to die" % pid)


def leftover_processes(comms=RUNTIME_COMMS, mentioning=None):
    """live processes [(pid, comm, command line)] whose name is, or starts
    with, one of comms (and whose command line contains `mentioning`)"""
    out = []
    for pid, comm, argv in processes():
        line = " ".join(argv)
        if any(comm.startswith(c) for c in comms) and alive(pid) and (
                mentioning is None or mentioning in line):
            out.append((pid, comm, line))
    return out


def mounts_under(path):
    """mount points at or below path (deepest last)"""
    path = os.path.realpath(path)
    out = []
    for line in (_read("/proc/self/mountinfo") or "").splitlines():
        mp = line.split()[4].replace("\\040", " ")
        if mp == path or mp.startswith(path + "/"):
            out.append(mp)
    return out


def unmount_under(path):
    """lazily unmount everything at or below path, deepest first"""
    for mp in sorted(set(mounts_under(path)), key=len, reverse=True):
        subprocess.run(["umount", "-l", mp], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)


def remove_tree(path):
    """unmount whatever is below path, then delete it (a file: unlink it)"""
    if os.path.isdir(path) and not os.path.islink(path):
        unmount_under(path)
        shutil.rmtree(path, ignore_errors=True)
    elif os.path.lexists(path):
        os.unlink(path)


def mntns(pid):
    """inode of /proc/PID/ns/mnt"""
    return os.stat("/proc/%d/ns/mnt" % pid).st_ino


class MountNamespace:
    """process pid's mount namespace, held open (an fd on /proc/PID/ns/mnt)
    while in the with block: it outlives the process, so the kernel does
    not give its id (`id`, as mntns()) to another namespace meanwhile"""

    def __init__(self, pid):
        self.fd = os.open("/proc/%d/ns/mnt" % pid, os.O_RDONLY)
        self.id = os.fstat(self.fd).st_ino

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        os.close(self.fd)
        return False


def runc_state_path(container_id, roots):
    """the first <root>/<id>/state.json that exists, or None"""
    for r in roots:
        p = os.path.join(r, container_id, "state.json")
        if os.path.exists(p):
            return p
    return None


class _Guard:
    """directories outside the test dir that a runtime creates
    (/run/containerd, /run/docker, /run/runc): shared by every fixture of
    this process, removed when the last user is done and only if it did not
    exist before the first one started, and only when `idle()` (no other
    user on the machine)."""

    _lock = threading.Lock()
    _users = {}      # path -> count
    _existed = {}    # path -> bool, at the first acquire

    @classmethod
    def acquire(cls, path):
        with cls._lock:
            if cls._users.get(path, 0) == 0:
                cls._existed[path] = os.path.lexists(path)
            cls._users[path] = cls._users.get(path, 0) + 1

    @classmethod
    def release(cls, path, idle=lambda: True):
        with cls._lock:
            n = cls._users.get(path, 0) - 1
            cls._users[path] = max(n, 0)
            if n <= 0 and not cls._existed.get(path, True) and idle():
                remove_tree(path)


class _Cgroups:
    """top-level cgroups a runtime may create (e.g. "default", "docker"):
    the ones that did not exist at start are removed, leaf first, at stop
    (rmdir only: a cgroup that still has processes stays)"""

    def __init__(self, names):
        self.names = list(names)
        self.new = [p for p in self._paths() if not os.path.exists(p)]

    def _paths(self):
        try:
            hier = sorted(os.listdir(CGROUP_ROOT))
        except OSError:
            return []
        out = []
        for h in hier:
            d = os.path.join(CGROUP_ROOT, h)
            if os.path.isdir(d) and not os.path.islink(d):
                if os.path.exists(os.path.join(d, "cgroup.procs")):
                    out += [os.path.join(d, n) for n in self.names]
        return out

    def cleanup(self, timeout=5.0):
        """rmdir the new cgroups, retrying while processes still leave them
        (for gh.scaled(timeout) seconds at most; what stays is left)"""
        def removed():
            for top in self.new:
                for d, _, _ in sorted(os.walk(top), key=lambda t: -len(t[0])):
                    try:
                        os.rmdir(d)
                    except OSError:
                        pass
            self.new = [p for p in self.new if os.path.exists(p)]
            return not self.new
        try:
            gh.wait_for(removed, timeout, "the runtime's cgroups removed")
        except gh.Failure:
            pass


def _spawn(cmd, log, env=None):
    """a long-lived daemon, its output in the file log"""
    f = open(log, "ab")
    try:
        return subprocess.Popen([str(c) for c in cmd], stdin=subprocess.DEVNULL,
                                stdout=f, stderr=subprocess.STDOUT, env=env,
                                start_new_session=True)
    finally:
        f.close()


_live = []   # fixtures started and not stopped, stopped at exit (newest first)


@atexit.register
def _stop_all():
    for f in reversed(list(_live)):
        try:
            f.stop()
        except Exception as e:  # noqa: BLE001 - at exit, report and go on
            print("containers.py: stopping %r at exit: %s" % (f, e))


class _Fixture:
    """start()/stop() (stop() may be called again) and a context manager;
    a fixture made and not stopped is stopped when Python exits"""

    def _started(self):
        if self not in _live:
            _live.append(self)

    def _stopped(self):
        if self in _live:
            _live.remove(self)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        return False

    def _start_daemon(self, argv, name, probe):
        """spawn a daemon (log in self.log) and wait until probe() exits 0;
        stop() and re-raise if it dies or is not ready in time"""
        t0 = time.monotonic()
        self.proc = _spawn(argv, self.log, env=_env())
        self.started = start_time(self.proc.pid)
        self._started()

        def ready():
            if self.proc.poll() is not None:
                raise gh.Failure("%s exited %d" % (name, self.proc.returncode),
                                 "log: " + gh.excerpt(_read(self.log, "")))
            return probe().returncode == 0
        try:
            gh.wait_for(ready, START_TIMEOUT, "%s ready" % name,
                        lambda: "log: " + gh.excerpt(_read(self.log, "")))
        except BaseException:
            self.stop()
            raise
        self.ready_seconds = time.monotonic() - t0
        return self


# ----------------------------------------------------------------- images

BB_DIRS = ("bin", "dev", "etc", "proc", "root", "run", "sys", "tmp", "var",
           "var/tmp", "usr", "home")


def build_rootfs(dir):
    """a busybox-static root filesystem in dir (made if missing); returns dir.

    bin/busybox plus one symlink per applet of `busybox --list`, an
    /etc with passwd, group, hosts (localhost only) and a resolv.conf that
    names 127.0.0.1 (no DNS leaves the container unless a test wants it)."""
    bb = need("busybox", "busybox-static",
              prefer=("/bin/busybox", "/usr/bin/busybox"), root=False)
    applets = run([bb, "--list"]).stdout.split()
    gh.check("sh" in applets and "sleep" in applets,
             "%s --list lacks sh or sleep (not busybox-static?)" % bb, applets[:20])
    os.makedirs(dir, exist_ok=True)
    for d in BB_DIRS:
        os.makedirs(os.path.join(dir, d), exist_ok=True)
    os.chmod(os.path.join(dir, "tmp"), 0o1777)
    os.chmod(os.path.join(dir, "var/tmp"), 0o1777)
    shutil.copy2(bb, os.path.join(dir, "bin/busybox"))
    for a in applets:
        link = os.path.join(dir, "bin", a)
        if a != "busybox" and not os.path.lexists(link):
            os.symlink("busybox", link)
    files = {
        "etc/passwd": "root:x:0:0:root:/root:/bin/sh\n"
                      "nobody:x:65534:65534:nobody:/nonexistent:/bin/false\n",
        "etc/group": "root:x:0:\nnogroup:x:65534:\n",
        "etc/hosts": "127.0.0.1\tlocalhost\n::1\tlocalhost\n",
        "etc/resolv.conf": "nameserver 127.0.0.1\n",
    }
    for name, text in files.items():
        with open(os.path.join(dir, name), "w") as f:
            f.write(text)
    return dir


def _bind_host_usr(cfg, rootfs):
    """the host's /usr read-only at /usr, /lib* links into it (merged /usr)"""
    os.makedirs(os.path.join(rootfs, "usr"), exist_ok=True)
    for d in ("lib", "lib64"):
        link = os.path.join(rootfs, d)
        if os.path.isdir(os.path.join("/usr", d)) and not os.path.lexists(link):
            os.symlink("usr/" + d, link)
    cfg["mounts"].append({"destination": "/usr", "type": "bind", "source": "/usr",
                          "options": ["rbind", "ro"]})


def _root_owned(ti):
    ti.uid = ti.gid = 0
    ti.uname = ti.gname = "root"
    return ti


def rootfs_tar(dir, tar_path):
    """tar of the rootfs (the same as `tar -C dir -cf tar_path .`), owned
    by root, for `docker import` / `podman import`; returns tar_path"""
    with tarfile.open(tar_path, "w", format=tarfile.PAX_FORMAT) as t:
        t.add(dir, arcname=".", filter=_root_owned)
    return tar_path


def _go_arch():
    m = platform.machine()
    return {"x86_64": "amd64", "aarch64": "arm64", "armv7l": "arm",
            "i686": "386", "ppc64le": "ppc64le", "s390x": "s390x",
            "riscv64": "riscv64"}.get(m, m)


def oci_image_archive(rootfs_dir, out_tar, ref=IMAGE_REF):
    """an OCI image layout tar of rootfs_dir for `ctr images import`:
    oci-layout, index.json (annotated with org.opencontainers.image.ref.name
    = the tag and io.containerd.image.name = ref), blobs/sha256/ with the
    config, the manifest and the gzipped layer (diff_id = sha256 of the
    uncompressed tar).  Returns out_tar."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as t:
        t.add(rootfs_dir, arcname=".", filter=_root_owned)
    layer_tar = raw.getvalue()
    layer = gzip.compress(layer_tar, mtime=0)

    def desc(media, data, **more):
        d = {"mediaType": media, "digest": "sha256:" + hashlib.sha256(data).hexdigest(),
             "size": len(data)}
        d.update(more)
        return d

    config = json.dumps({
        "architecture": _go_arch(), "os": "linux",
        "config": {"Env": ["PATH=" + PATH], "Cmd": ["/bin/sh"], "WorkingDir": "/"},
        "rootfs": {"type": "layers",
                   "diff_ids": ["sha256:" + hashlib.sha256(layer_tar).hexdigest()]},
        "history": [{"created_by": "gadgethost tests: busybox-static rootfs"}],
    }, sort_keys=True).encode()
    cdesc = desc("application/vnd.oci.image.config.v1+json", config)
    ldesc = desc("application/vnd.oci.image.layer.v1.tar+gzip", layer)
    manifest = json.dumps({"schemaVersion": 2,
                           "mediaType": "application/vnd.oci.image.manifest.v1+json",
                           "config": cdesc, "layers": [ldesc]}, sort_keys=True).encode()
    tag = ref.rsplit(":", 1)[1] if ":" in ref.rsplit("/", 1)[-1] else "latest"
    mdesc = desc("application/vnd.oci.image.manifest.v1+json", manifest,
                 platform={"architecture": _go_arch(), "os": "linux"},
                 annotations={"org.opencontainers.image.ref.name": tag,
                              "io.containerd.image.name": ref})
    index = json.dumps({"schemaVersion": 2, "manifests": [mdesc]}, sort_keys=True).encode()

    def add(t, name, data):
        ti = _root_owned(tarfile.TarInfo(name))
        ti.size = len(data)
        ti.mode = 0o644
        t.addfile(ti, io.BytesIO(data))

    with tarfile.open(out_tar, "w") as t:
        add(t, "oci-layout", b'{"imageLayoutVersion":"1.0.0"}')
        add(t, "index.json", index)
        for d, data in ((cdesc, config), (ldesc, layer), (mdesc, manifest)):
            add(t, "blobs/sha256/" + d["digest"].split(":", 1)[1], data)
    return out_tar


# ------------------------------------------------------------------- runc

_IMAGES = None


def images():
    """a temp dir, made once per test process and removed at exit, holding
    the busybox rootfs (rootfs/), its tar (rootfs.tar) and its OCI image
    archive (bb-oci.tar): what the runtimes import"""
    global _IMAGES
    if _IMAGES is None:
        _IMAGES = tempfile.mkdtemp(prefix="gh-images-")
        atexit.register(shutil.rmtree, _IMAGES, True)
        rootfs = build_rootfs(os.path.join(_IMAGES, "rootfs"))
        rootfs_tar(rootfs, os.path.join(_IMAGES, "rootfs.tar"))
        oci_image_archive(rootfs, os.path.join(_IMAGES, "bb-oci.tar"))
    return _IMAGES


class Runc(_Fixture):
    """plain runc: Runc(root_dir) keeps under root_dir (a temp dir if None)
    runc's --root (`self.root` = root_dir/state, so state.json is
    root/<id>/state.json), one bundle per container (root_dir/bundles/<name>)
    and the busybox rootfs they copy (root_dir/rootfs).  cleanup() (= stop())
    kills and deletes every container it made and removes root_dir (or, if
    root_dir existed, what it added to it)."""

    def __init__(self, root_dir=None):
        self.runc = need("runc")
        self.base, self._before = _mkbase(root_dir, "gh-runc-")
        self.root = os.path.join(self.base, "state")
        self.bundles = os.path.join(self.base, "bundles")
        os.makedirs(self.root, exist_ok=True)
        os.makedirs(self.bundles, exist_ok=True)
        self.ids = []
        self._rootfs = None
        self._started()   # from here on, stopped at exit if need be

    def start(self, id=None):
        """start(): the fixture protocol (nothing to start); start(ID): runc start"""
        if id is None:
            self._started()
            return self
        self.cmd("start", id)
        return None

    def stop(self):
        self.cleanup()

    def rootfs(self):
        """the shared busybox rootfs (built on first use)"""
        if self._rootfs is None:
            self._rootfs = build_rootfs(os.path.join(self.base, "rootfs"))
        return self._rootfs

    def cmd(self, *args, check=True, timeout=60, input=None):
        return run([self.runc, "--root", self.root] + list(args), check=check,
                   timeout=timeout, input=input, env=_env())

    def bundle(self, name, args, annotations=None, hooks=None, env=None,
               edit=None, host_usr=False, network=None):
        """a bundle dir made by `runc spec`: terminal false, args, a private
        copy of the rootfs (writable), annotations, hooks (OCI "hooks", e.g.
        {"prestart": [{"path": "/bin/sh", "args": ["sh", "-c", "..."]}]}),
        env (a dict added to process.env) and edit(config) for anything
        else.  The default spec gives the container new pid, net, ipc, uts,
        and mount namespaces (no cgroup ns): no network.  host_usr=True
        bind-mounts the host's /usr read-only at /usr (with /lib and /lib64
        links into it), so Debian's programs (dig, socat, openssl, the test
        workload) run inside the container by their /usr/bin path.
        network="host" keeps the host's network namespace; network=PATH
        joins that netns (e.g. /run/netns/NAME).  Returns the bundle path."""
        b = os.path.join(self.bundles, name)
        remove_tree(b)
        os.makedirs(b)
        shutil.copytree(self.rootfs(), os.path.join(b, "rootfs"), symlinks=True)
        run([self.runc, "spec"], cwd=b)
        cfg_path = os.path.join(b, "config.json")
        with open(cfg_path) as f:
            cfg = json.load(f)
        cfg["process"]["terminal"] = False
        cfg["process"]["args"] = [str(a) for a in args]
        cfg["root"]["readonly"] = False
        if env:
            cfg["process"]["env"] += ["%s=%s" % kv for kv in env.items()]
        if annotations:
            cfg["annotations"] = dict(annotations)
        if hooks:
            cfg["hooks"] = hooks
        if host_usr:
            _bind_host_usr(cfg, os.path.join(b, "rootfs"))
        if network is not None:
            nss = cfg["linux"]["namespaces"]
            nss[:] = [ns for ns in nss if ns["type"] != "network"]
            if network != "host":
                nss.append({"type": "network", "path": network})
        if edit:
            edit(cfg)
        with open(cfg_path, "w") as f:
            json.dump(cfg, f, indent=1)
        return b

    def _io(self, bundle):
        """stdin /dev/null and stdout+stderr to <bundle>/output: a detached
        container must not hold a pipe of ours open"""
        return (subprocess.DEVNULL, open(os.path.join(bundle, "output"), "ab"))

    def _start_detached(self, verb, id, bundle, extra=()):
        self._started()
        self.ids.append(id)
        stdin, out = self._io(bundle)
        cmd = [self.runc, "--root", self.root, verb] + list(extra) + \
              ["--bundle", bundle, id]
        try:
            p = subprocess.run(cmd, stdin=stdin, stdout=out, stderr=out,
                               env=_env(), timeout=gh.scaled(60))
        finally:
            out.close()
        gh.check(p.returncode == 0, "%s exited %d" % (" ".join(cmd), p.returncode),
                 "output: " + gh.excerpt(self.output(id, bundle)))

    def run(self, id, bundle, detach=True):
        """runc run: detached (the default), or to its end, returning the
        CompletedProcess with the container's output"""
        if detach:
            self._start_detached("run", id, bundle, ["--detach"])
            return None
        self.ids.append(id)
        return run([self.runc, "--root", self.root, "run", "--bundle", bundle, id],
                   check=False, env=_env(), timeout=120)

    def create(self, id, bundle):
        """runc create (the init waits in exec.fifo until start())"""
        self._start_detached("create", id, bundle)

    def output(self, id, bundle=None):
        """what a detached container wrote to stdout and stderr so far"""
        return _read(os.path.join(bundle or os.path.join(self.bundles, id), "output"), "")

    def kill(self, id, sig="KILL"):
        self.cmd("kill", id, str(sig))

    def delete(self, id, force=True):
        """runc delete (--force kills a running container first)"""
        self.cmd("delete", *(["--force"] if force else []), id, check=False)

    def state(self, id):
        """`runc state ID`, parsed (id, pid, status, bundle, annotations...)"""
        return json.loads(self.cmd("state", id).stdout)

    def pid(self, id):
        return self.state(id)["pid"]

    def hold(self, id, stack):
        """container id's mount namespace held open (MountNamespace) until
        stack (a contextlib.ExitStack) closes: create it, hold it, start it,
        and no other process gets its id while the test still reads events
        by it"""
        return stack.enter_context(MountNamespace(self.pid(id)))

    def wait_stopped(self, id, timeout=20):
        """wait until `runc state ID` says stopped: its init has exited
        (every event of the container's processes has been sent)"""
        gh.wait_for(lambda: self.state(id).get("status") == "stopped", timeout,
                    "container %s to stop" % id, lambda: "output: " + gh.excerpt(self.output(id)))

    def list(self):
        """`runc list --format json`, parsed ([] when there is none)"""
        return json.loads(self.cmd("list", "--format", "json").stdout or "null") or []

    def state_path(self, id):
        return os.path.join(self.root, id, "state.json")

    def cleanup(self):
        for id in reversed(self.ids):
            if os.path.exists(os.path.join(self.root, id)):
                self.cmd("kill", id, "KILL", check=False)
                self.cmd("delete", "--force", id, check=False)
        self.ids = []
        for entry in os.listdir(self.root) if os.path.isdir(self.root) else []:
            self.cmd("delete", "--force", entry, check=False)
        _remove_base(self.base, self._before)
        self._stopped()


# ------------------------------------------------------------- containerd

CONTAINERD_CONFIG = """\
version = 2
root = "{root}"
state = "{state}"
oom_score = 0
disabled_plugins = [{disabled}]

[grpc]
  address = "{sock}"

[ttrpc]
  address = "{sock}.ttrpc"

[debug]
  address = ""
  level = "info"

[metrics]
  address = ""

[plugins."io.containerd.internal.v1.opt"]
  path = "{base}/opt"
{cri}"""

CRI_CONFIG = """
[plugins."io.containerd.grpc.v1.cri"]
  restrict_oom_score_adj = true
  sandbox_image = "{image}"
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  enable_selinux = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "{base}/cni"
"""

CONTAINERD_RUN = "/run/containerd"
# the CRI plugin's pause image: one with a CMD that keeps running (the
# busybox image's /bin/sh would exit at once); Containerd.import_sandbox_image()
SANDBOX_IMAGE = "localhost/pause:1"


class Containerd(_Fixture):
    """containerd with root, state, sockets and opt under base (a temp dir
    if None); the CRI plugin only with cri=True.  Its shims still use
    /run/containerd/{s,runc}: runc state is
    /run/containerd/runc/<namespace>/<id>/state.json.

    With cri=True the CRI plugin serves on the same socket (`cri_sock`),
    its sandbox image is `sandbox_image` (import_sandbox_image() before the
    first pod).  No CNI network is configured: the CRI plugin wants an eth0
    with an address from CNI for a pod of its own network namespace (a
    loopback-only network fails with "failed to find network info"), and
    every plugin that makes one changes the host's network, so pods here
    use the node's network (NamespaceOption network = NODE)."""

    def __init__(self, base=None, cri=False, sandbox_image=SANDBOX_IMAGE):
        self.containerd = need("containerd")
        self.ctr_bin = need("ctr", "containerd's ctr")
        need("containerd-shim-runc-v2", "containerd's runc shim")
        need("runc")
        self.cri = cri
        self.sandbox_image = sandbox_image
        self.base, self._before = _mkbase(base, "gh-ctrd-")
        self.root = os.path.join(self.base, "root")
        self.state = os.path.join(self.base, "state")
        self.sock = os.path.join(self.base, "containerd.sock")
        self.cri_sock = self.sock   # the CRI services are on containerd's socket
        self.config = os.path.join(self.base, "config.toml")
        self.log = os.path.join(self.base, "containerd.log")
        self.image = IMAGE_REF
        self.proc = None
        self.containers = []   # (namespace, id)
        self._cgroups = None
        self._started()   # from here on, stopped at exit if need be

    def start(self):
        if self.proc:
            return self
        disabled = ["io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs",
                    "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.aufs",
                    "io.containerd.tracing.processor.v1.otlp"]
        if not self.cri:
            disabled.append("io.containerd.grpc.v1.cri")
        with open(self.config, "w") as f:
            f.write(CONTAINERD_CONFIG.format(
                root=self.root, state=self.state, sock=self.sock, base=self.base,
                disabled=", ".join('"%s"' % d for d in disabled),
                cri=CRI_CONFIG.format(image=self.sandbox_image, base=self.base)
                if self.cri else ""))
        _Guard.acquire(CONTAINERD_RUN)
        self._cgroups = _Cgroups(["default", "k8s.io", "moby", "kubepods"])
        return self._start_daemon([self.containerd, "--config", self.config], "containerd",
                                  lambda: self.ctr("version", check=False, timeout=10))

    def ctr(self, *args, namespace=None, check=True, timeout=60):
        """ctr -a SOCK [-n namespace] ARGS"""
        ns = ["-n", namespace] if namespace else []
        return run([self.ctr_bin, "-a", self.sock] + ns + list(args), check=check,
                   timeout=timeout, env=_env())

    def import_image(self, oci_tar, namespace="default"):
        """ctr images import (an archive from oci_image_archive()); the
        image it names becomes the default for run()"""
        out = self.ctr("images", "import", oci_tar, namespace=namespace).stdout
        names = [l.split()[1] for l in out.splitlines() if l.startswith("unpacking ")]
        if names:
            self.image = names[0]
        return out

    def import_sandbox_image(self, rootfs_dir, cmd=("sleep", "86400")):
        """the CRI plugin's sandbox (pause) image, `sandbox_image`, into
        namespace k8s.io: the busybox rootfs as oci_image_archive() packs
        it, its config's Cmd set to cmd (the pause process: it must keep
        running until the pod is stopped)"""
        arch = os.path.join(self.base, "sandbox-oci.tar")
        oci_image_archive(rootfs_dir, arch, ref=self.sandbox_image)
        with tarfile.open(arch) as t:
            files = {m.name: t.extractfile(m).read() for m in t.getmembers() if m.isfile()}
        blob = lambda d: files["blobs/sha256/" + d["digest"].split(":", 1)[1]]
        index = json.loads(files["index.json"])
        mdesc = index["manifests"][0]
        manifest = json.loads(blob(mdesc))
        config = json.loads(blob(manifest["config"]))
        config["config"]["Cmd"] = list(cmd)
        out = {"oci-layout": files["oci-layout"]}
        for name, data in files.items():   # the layer, unchanged
            if name.startswith("blobs/") and name.endswith(
                    manifest["layers"][0]["digest"].split(":", 1)[1]):
                out[name] = data

        def put(desc, data):
            digest = hashlib.sha256(data).hexdigest()
            desc.update(digest="sha256:" + digest, size=len(data))
            out["blobs/sha256/" + digest] = data
        put(manifest["config"], json.dumps(config, sort_keys=True).encode())
        put(mdesc, json.dumps(manifest, sort_keys=True).encode())
        out["index.json"] = json.dumps(index, sort_keys=True).encode()
        with tarfile.open(arch, "w") as t:
            for name, data in out.items():
                ti = _root_owned(tarfile.TarInfo(name))
                ti.size = len(data)
                ti.mode = 0o644
                t.addfile(ti, io.BytesIO(data))
        self.ctr("images", "import", arch, namespace="k8s.io")
        os.unlink(arch)
        return self.sandbox_image

    def task_dir(self, id, namespace="default"):
        return os.path.join(self.state, "io.containerd.runtime.v2.task", namespace, id)

    def run(self, id, *cmd, detach=True, namespace="default", image=None, args=()):
        """ctr run [-d] IMAGE ID CMD...; args: extra `ctr run` flags.
        Detached, the output goes to <base>/<id>.log; otherwise ctr runs it
        to its end (--rm) and the CompletedProcess is returned."""
        image = image or self.image
        self.containers.append((namespace, id))
        if detach:
            log = os.path.join(self.base, "%s.log" % id)
            self.ctr("run", "-d", "--log-uri", "file://" + log, *args, image, id, *cmd,
                     namespace=namespace)
            return None
        return self.ctr("run", "--rm", *args, image, id, *cmd, namespace=namespace,
                        check=False, timeout=120)

    def output(self, id):
        return _read(os.path.join(self.base, "%s.log" % id), "")

    def pid(self, id, namespace="default"):
        """the container's init pid (the task's init.pid file)"""
        p = os.path.join(self.task_dir(id, namespace), "init.pid")
        return int(gh.wait_for(lambda: _read(p), 10, "init.pid of %s" % id))

    def state_path(self, id, namespace="default"):
        return os.path.join(CONTAINERD_RUN, "runc", namespace, id, "state.json")

    def kill(self, id, sig="SIGKILL", namespace="default"):
        self.ctr("task", "kill", "-s", str(sig), id, namespace=namespace, check=False)

    def delete(self, id, namespace="default"):
        """kill the task, delete it and the container"""
        self.ctr("task", "kill", "-s", "SIGKILL", id, namespace=namespace, check=False)
        gh.wait_for(lambda: self._task_gone_or_stopped(id, namespace), 10,
                    "task %s stopped" % id)
        self.ctr("task", "delete", "-f", id, namespace=namespace, check=False)
        self.ctr("containers", "delete", id, namespace=namespace, check=False)

    def _task_gone_or_stopped(self, id, namespace):
        out = self.ctr("task", "ls", namespace=namespace, check=False).stdout
        for line in out.splitlines()[1:]:
            f = line.split()
            if f and f[0] == id:
                return f[-1] == "STOPPED"
        return True

    def namespaces(self):
        return self.ctr("namespaces", "ls", "-q", check=False).stdout.split()

    def _init_pids(self):
        """[(pid, start time)] of every task's init, from the state dir"""
        out = []
        top = os.path.join(self.state, "io.containerd.runtime.v2.task")
        for ns in os.listdir(top) if os.path.isdir(top) else []:
            for id in os.listdir(os.path.join(top, ns)):
                s = _read(os.path.join(top, ns, id, "init.pid"))
                if s and s.strip().isdigit():
                    pid = int(s)
                    out.append((pid, start_time(pid)))
        return out

    def _shims(self):
        return [pid for pid, comm, argv in processes()
                if comm.startswith("containerd-shim") and self.sock in argv]

    def stop(self):
        """delete every container, stop containerd and its shims, remove
        the mounts, cgroups and /run/containerd (if it was not there)"""
        if self.proc is None:
            _remove_base(self.base, self._before, keep=[os.path.basename(self.log)])
            self._stopped()
            return
        inits = self._init_pids()
        if self.proc.poll() is None:
            for ns in self.namespaces():
                for id in self.ctr("task", "ls", "-q", namespace=ns, check=False).stdout.split():
                    self.ctr("task", "kill", "-a", "-s", "SIGKILL", id, namespace=ns, check=False)
                for id in self.ctr("task", "ls", "-q", namespace=ns, check=False).stdout.split():
                    try:
                        gh.wait_for(lambda: self._task_gone_or_stopped(id, ns), 10, "stop")
                    except gh.Failure:
                        pass
                    self.ctr("task", "delete", "-f", id, namespace=ns, check=False)
                for id in self.ctr("containers", "ls", "-q", namespace=ns,
                                   check=False).stdout.split():
                    self.ctr("containers", "delete", id, namespace=ns, check=False)
        kill_wait(self.proc.pid, signal.SIGTERM, started=self.started)
        self.proc.wait()
        for pid in self._shims():
            kill_wait(pid, signal.SIGKILL, timeout=5)
        for pid, started in inits:
            if started is not None:
                kill_wait(pid, signal.SIGKILL, timeout=5, started=started)
        self.proc = None
        unmount_under(self.base)
        self._cgroups.cleanup()
        _Guard.release(CONTAINERD_RUN, idle=lambda: not leftover_processes(
            ("containerd", "containerd-shim")))
        _remove_base(self.base, self._before, keep=[os.path.basename(self.log)] +
                     ["%s.log" % id for _, id in self.containers])
        self._stopped()


# ---------------------------------------------------------------- dockerd

class Dockerd(_Fixture):
    """dockerd on a running Containerd, with its own data-root, exec-root,
    pidfile and socket under base (a temp dir if None); no bridge, no
    iptables, no ip forwarding.  Containers run in containerd namespace
    "moby"; runc state is <exec_root>/runtime-runc/moby/<id>/state.json."""

    def __init__(self, containerd, base=None):
        self.dockerd = need("dockerd")
        # the CLI that ships with this dockerd: /usr/local/bin may hold another
        self.docker_bin = need("docker", "the docker CLI", prefer=("/usr/bin/docker",))
        self.containerd = containerd
        self.base, self._before = _mkbase(base, "gh-dockerd-")
        self.data_root = os.path.join(self.base, "data")
        self.exec_root = os.path.join(self.base, "exec")
        self.sock = os.path.join(self.base, "docker.sock")
        self.pidfile = os.path.join(self.base, "dockerd.pid")
        self.config_file = os.path.join(self.base, "daemon.json")
        self.cli_config = os.path.join(self.base, "cli")
        self.log = os.path.join(self.base, "dockerd.log")
        self.image = IMAGE_REF
        self.proc = None
        self._started()   # from here on, stopped at exit if need be

    def env(self):
        return _env(DOCKER_HOST="unix://" + self.sock, DOCKER_CONFIG=self.cli_config)

    def start(self):
        if self.proc:
            return self
        self.containerd.start()
        os.makedirs(self.cli_config, exist_ok=True)
        with open(self.config_file, "w") as f:
            # else dockerd 20.10 writes its trust key to /etc/docker/key.json
            json.dump({"deprecated-key-path": os.path.join(self.base, "key.json")}, f)
        for p in ("/run/docker", "/etc/docker/key.json"):
            _Guard.acquire(p)
        self._cgroups = _Cgroups(["docker"])
        return self._start_daemon([
            self.dockerd, "--config-file", self.config_file,
            "--data-root", self.data_root, "--exec-root", self.exec_root,
            "--pidfile", self.pidfile, "-H", "unix://" + self.sock,
            "--containerd", self.containerd.sock,
            "--bridge", "none", "--iptables=false", "--ip6tables=false",
            "--ip-forward=false", "--ip-masq=false", "--userland-proxy=false",
            "--storage-driver", "overlay2",
        ], "dockerd", lambda: self.docker("version", check=False, timeout=10))

    def docker(self, *args, check=True, timeout=60):
        """docker ARGS with DOCKER_HOST set to this daemon"""
        return run([self.docker_bin] + list(args), env=self.env(), check=check,
                   timeout=timeout)

    def import_rootfs(self, tar, ref=IMAGE_REF):
        """docker import TAR REF; REF becomes the default image for run()"""
        self.docker("import", tar, ref)
        self.image = ref
        return ref

    def run(self, name, *cmd, detach=True, image=None, args=()):
        """docker run --pull never --network none [-d] --name NAME IMAGE CMD;
        args: extra `docker run` flags (e.g. ("--network", "host") after).
        Returns the container id (detached) or the CompletedProcess."""
        flags = ["run", "--pull", "never", "--network", "none", "--name", name]
        flags += list(args)
        if detach:
            return self.docker(*flags, "-d", image or self.image, *cmd).stdout.strip()
        return self.docker(*flags, image or self.image, *cmd, check=False, timeout=120)

    def inspect(self, name, fmt):
        return self.docker("inspect", "-f", fmt, name).stdout.strip()

    def id(self, name):
        return self.inspect(name, "{{.Id}}")

    def pid(self, name):
        return int(self.inspect(name, "{{.State.Pid}}"))

    def state_path(self, name):
        return os.path.join(self.exec_root, "runtime-runc", "moby", self.id(name),
                            "state.json")

    def rm(self, name):
        """docker rm -f NAME"""
        self.docker("rm", "-f", name, check=False)

    def stop(self):
        """remove every container, stop dockerd, then clean /run/docker
        and /etc/docker/key.json if they were not there before"""
        if self.proc is None:
            _remove_base(self.base, self._before, keep=[os.path.basename(self.log)])
            self._stopped()
            return
        if self.proc.poll() is None:
            ids = self.docker("ps", "-aq", check=False).stdout.split()
            if ids:
                self.docker("rm", "-f", *ids, check=False)
        kill_wait(self.proc.pid, signal.SIGTERM, started=self.started)
        self.proc.wait()
        self.proc = None
        unmount_under(self.base)
        self._cgroups.cleanup()
        idle = lambda: not leftover_processes(("dockerd",))
        _Guard.release("/run/docker", idle=idle)
        _Guard.release("/etc/docker/key.json", idle=idle)
        _remove_base(self.base, self._before, keep=[os.path.basename(self.log)])
        self._stopped()


# ----------------------------------------------------------------- podman

CONTAINERS_CONF = """\
[containers]
default_ulimits = ["nofile=1024:1024", "nproc=4096:4096"]
netns = "none"
log_driver = "k8s-file"

[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
lock_type = "file"
tmp_dir = "{tmp}"
static_dir = "{root}/libpod"
volume_path = "{root}/volumes"
image_copy_tmp_dir = "{tmp}"

[network]
network_backend = "cni"
network_config_dir = "{base}/cni"
"""

RUNC_RUN = "/run/runc"
# made outside base: runc's default root, then the blob info cache (child first)
PODMAN_OUTSIDE = (RUNC_RUN, "/var/lib/containers/cache", "/var/lib/containers")


class Podman(_Fixture):
    """podman (root, runc, cgroupfs) with --root, --runroot and --tmpdir
    under base (a temp dir if None) and CONTAINERS_CONF there (file locks,
    file events, the ulimits the machine allows).  runc uses its default
    root: state is /run/runc/<full id>/state.json."""

    def __init__(self, base=None):
        self.podman_bin = need("podman")
        need("conmon", "podman's conmon")
        need("runc")
        self.base, self._before = _mkbase(base, "gh-podman-")
        self.root = os.path.join(self.base, "root")
        self.runroot = os.path.join(self.base, "runroot")
        self.tmpdir = os.path.join(self.base, "tmp")
        self.conf = os.path.join(self.base, "containers.conf")
        self.image = IMAGE_REF
        self.started = False
        self._started()   # from here on, stopped at exit if need be

    def env(self):
        return _env(CONTAINERS_CONF=self.conf, TMPDIR=self.tmpdir)

    def start(self):
        if self.started:
            return self
        for d in (self.root, self.runroot, self.tmpdir, os.path.join(self.base, "cni")):
            os.makedirs(d, exist_ok=True)
        with open(self.conf, "w") as f:
            f.write(CONTAINERS_CONF.format(tmp=self.tmpdir, root=self.root, base=self.base))
        for p in PODMAN_OUTSIDE:
            _Guard.acquire(p)
        self._cgroups = _Cgroups(["libpod_parent"])
        self.started = True
        self._started()
        return self

    def podman(self, *args, check=True, timeout=60, hooks_dir=None):
        """podman --root R --runroot RR --tmpdir T ... ARGS"""
        g = ["--root", self.root, "--runroot", self.runroot, "--tmpdir", self.tmpdir,
             "--storage-driver", "overlay", "--cgroup-manager", "cgroupfs",
             "--runtime", "runc", "--events-backend", "file"]
        if hooks_dir:
            g += ["--hooks-dir", hooks_dir]
        return run([self.podman_bin] + g + list(args), env=self.env(), check=check,
                   timeout=timeout)

    def import_rootfs(self, tar, ref=IMAGE_REF):
        """podman import TAR REF; REF becomes the default image for run()"""
        self.start()
        self.podman("import", "-q", tar, ref)
        self.image = ref
        return ref

    def run(self, name, *cmd, detach=True, hooks_dir=None, image=None, args=()):
        """podman run --network none [-d] --name NAME IMAGE CMD; hooks_dir:
        OCI hook JSON files for this container; args: extra flags.  Returns
        the container id (detached) or the CompletedProcess."""
        self.start()
        flags = ["run", "--network", "none", "--name", name] + list(args)
        if detach:
            return self.podman(*flags, "-d", image or self.image, *cmd,
                               hooks_dir=hooks_dir).stdout.strip()
        return self.podman(*flags, "--rm", image or self.image, *cmd, check=False,
                           timeout=120, hooks_dir=hooks_dir)

    def inspect(self, name, fmt):
        return self.podman("inspect", "-f", fmt, name).stdout.strip()

    def id(self, name):
        return self.inspect(name, "{{.Id}}")

    def pid(self, name):
        return int(self.inspect(name, "{{.State.Pid}}"))

    def state_path(self, name):
        return os.path.join(RUNC_RUN, self.id(name), "state.json")

    def rm(self, name):
        """podman rm -f -t 0 NAME (SIGKILL at once)"""
        self.podman("rm", "-f", "-t", "0", name, check=False)

    def _helpers(self):
        """our conmons and the `podman container cleanup` they spawn: every
        process but us whose command line names base"""
        return [pid for pid, comm, argv in processes()
                if pid != os.getpid() and any(self.base in a for a in argv)
                and alive(pid)]

    def stop(self):
        """remove every container, kill conmons left, unmount the storage,
        remove the cgroups and /run/runc (if it was not there)"""
        if not self.started:
            _remove_base(self.base, self._before)
            self._stopped()
            return
        self.podman("rm", "-a", "-f", "-t", "0", check=False, timeout=120)
        # conmon ends with its container and runs `podman container cleanup`:
        # wait for both (they sit in the cgroup libpod_parent/conmon)
        try:
            gh.wait_for(lambda: not self._helpers(), 10, "podman's conmon to exit")
        except gh.Failure:
            for pid in self._helpers():
                kill_wait(pid, signal.SIGKILL, timeout=5)
        self.started = False
        unmount_under(self.base)
        self._cgroups.cleanup()
        # another podman or runc (other tests) may be using these right now
        idle = lambda: not leftover_processes(("podman", "conmon", "runc"))
        _Guard.release(RUNC_RUN, idle=lambda: idle() and (
            not os.path.isdir(RUNC_RUN) or not os.listdir(RUNC_RUN)))
        # `podman import` writes containers/image's blob info cache there
        # (root's default; podman 4.3 has no setting for it)
        for p in PODMAN_OUTSIDE[1:]:
            _Guard.release(p, idle=idle)
        _remove_base(self.base, self._before)
        self._stopped()


# -------------------------------------------------------------- self-test

def _hook_recorder(out_dir, kind):
    """an OCI hook that appends its stdin (the state JSON) to out_dir/kind.json"""
    f = os.path.join(out_dir, kind + ".json")
    return {"path": "/bin/sh", "args": ["sh", "-c", "cat >> %s; echo >> %s" % (f, f)]}


def _hook_payloads(out_dir, kind):
    return [json.loads(l) for l in (_read(os.path.join(out_dir, kind + ".json"), "")
                                    .splitlines()) if l.strip()]


def _selftest():
    """start each runtime, run `sh -c 'echo hi; sleep 30'`, show its init
    pid, mntns and runc state.json, stop, and check nothing is left"""
    import sys
    outside_paths = ("/run/containerd", "/run/docker", "/run/runc",
                     "/var/lib/containers", "/etc/docker/key.json", "/dev/shm/libpod_lock")
    before = {p: os.path.lexists(p) for p in outside_paths}
    # the cgroups these runtimes make: top-level ones, and runc's default
    # (no cgroupsPath) <our own cgroup>/<id>; other tests may make others
    ours = {}
    for line in (_read("/proc/self/cgroup") or "").splitlines():
        _, ctrls, path = line.split(":", 2)
        for c in (ctrls.split(",") if ctrls else ["unified"]):
            ours[c.replace("name=", "")] = path

    def watched_cgroups():
        out = set()
        for h in os.listdir(CGROUP_ROOT):
            tops = ["default", "docker", "libpod_parent", "moby", "k8s.io", "kubepods"]
            for id in ("c1", "c2", "c3"):
                tops += [id, os.path.join(ours.get(h, "/").strip("/"), id)]
            for top in tops:
                p = os.path.join(CGROUP_ROOT, h, top)
                if os.path.isdir(p):
                    out.add(p)
        return out
    cgroups_before = watched_cgroups()
    work = tempfile.mkdtemp(prefix="gh-ctr-selftest-")
    cmd = ("sh", "-c", "echo hi; sleep 30")
    timings = {}
    problems = []

    def show(runtime, pid, path, output):
        gh.check(path, "%s: no runc state.json found" % runtime)
        with open(path) as f:
            st = json.load(f)
        gh.check(st["init_process_pid"] == pid, "%s: state.json pid %r != %d"
                 % (runtime, st["init_process_pid"], pid))
        gh.check("hi" in output, "%s: no 'hi' in the output" % runtime, output)
        ino = mntns(pid)
        gh.check(ino != mntns(os.getpid()), "%s: the container shares our mntns" % runtime)
        print("%-10s pid %d mntns %d state.json %s" % (runtime, pid, ino, path))
        seen = []
        for top in outside_paths:
            for d, dirs, files in os.walk(top):
                if d[len(top):].count("/") >= 3:
                    dirs[:] = []
                seen += [os.path.join(d, n) for n in dirs + files]
        print("           outside the test dir: %s" % (" ".join(seen) or "-"))

    def gone(runtime, pid):
        gh.wait_for(lambda: not alive(pid), 10, "%s: container init %d gone" % (runtime, pid))

    def timed(key, runtime, fn, *a, **kw):
        t0 = time.monotonic()
        try:
            return fn(*a, **kw)
        finally:
            timings.setdefault(runtime, {})[key] = time.monotonic() - t0

    try:
        t0 = time.monotonic()
        rootfs = build_rootfs(os.path.join(work, "rootfs"))
        tar = rootfs_tar(rootfs, os.path.join(work, "rootfs.tar"))
        oci = oci_image_archive(rootfs, os.path.join(work, "bb-oci.tar"))
        timings["images"] = {"build": time.monotonic() - t0}

        # runc: run -d; hooks; create/start/list/kill
        t0 = time.monotonic()
        with Runc(os.path.join(work, "runc")) as r:
            b = r.bundle("c1", cmd)
            timed("run", "runc", r.run, "c1", b)
            pid = r.pid("c1")
            gh.wait_for(lambda: "hi" in r.output("c1"), 5, "runc output")
            show("runc", pid, runc_state_path("c1", [r.root]), r.output("c1"))
            timed("delete", "runc", r.delete, "c1")
            gone("runc", pid)

            hooks = os.path.join(work, "hooks")
            os.makedirs(hooks)
            b = r.bundle("c2", ["true"], annotations={"gh.test/key": "value"},
                         hooks={"prestart": [_hook_recorder(hooks, "prestart")],
                                "poststop": [_hook_recorder(hooks, "poststop")]})
            r.run("c2", b)
            gh.wait_for(lambda: r.state("c2")["status"] == "stopped", 5, "c2 stopped")
            r.delete("c2")
            for kind, status in (("prestart", "creating"), ("poststop", "stopped")):
                p = _hook_payloads(hooks, kind)
                gh.check(len(p) == 1 and p[0]["id"] == "c2" and p[0]["status"] == status
                         and p[0]["annotations"] == {"gh.test/key": "value"}
                         and p[0]["bundle"] == b, "runc %s hook payload" % kind, p)
                print("runc hook %-8s %s" % (kind, json.dumps(p[0])))

            b = r.bundle("c3", ["sleep", "30"])
            r.create("c3", b)
            gh.check(r.state("c3")["status"] == "created", "c3 created", r.state("c3"))
            r.start("c3")
            gh.check(r.state("c3")["status"] == "running", "c3 running", r.state("c3"))
            gh.check([c["id"] for c in r.list()] == ["c3"], "runc list", r.list())
            pid = r.pid("c3")
            r.kill("c3", "KILL")
            gone("runc", pid)
        gh.check(not os.path.exists(os.path.join(work, "runc")), "Runc left its dir")
        timings["runc"]["total"] = time.monotonic() - t0

        # containerd + ctr, and dockerd on it
        t0 = time.monotonic()
        with Containerd(os.path.join(work, "ctrd")) as c:
            timings["containerd"] = {"ready": c.ready_seconds}
            timed("import", "containerd", c.import_image, oci)
            timed("run", "containerd", c.run, "c1", *cmd)
            pid = c.pid("c1")
            gh.wait_for(lambda: "hi" in c.output("c1"), 5, "ctr output")
            show("containerd", pid, runc_state_path(
                "c1", [r.root, "/run/containerd/runc/default", "/run/runc"]), c.output("c1"))
            timed("delete", "containerd", c.delete, "c1")
            gone("containerd", pid)

            t1 = time.monotonic()
            with Dockerd(c, os.path.join(work, "dockerd")) as d:
                timings["dockerd"] = {"ready": d.ready_seconds}
                timed("import", "dockerd", d.import_rootfs, tar)
                cid = timed("run", "dockerd", d.run, "c1", *cmd)
                pid = d.pid("c1")
                gh.wait_for(lambda: "hi" in d.docker("logs", "c1").stdout, 5, "docker logs")
                show("dockerd", pid, runc_state_path(cid, [
                    os.path.join(d.exec_root, "runtime-runc/moby"),
                    "/run/containerd/runc/moby", "/run/runc"]), d.docker("logs", "c1").stdout)
                timed("rm", "dockerd", d.rm, "c1")
                gone("dockerd", pid)
                d.run("c2", "sleep", "30")    # left for stop() to remove
                pid = d.pid("c2")
            gone("dockerd", pid)
            timings["dockerd"]["total"] = time.monotonic() - t1
            left = leftover_processes(("dockerd",), mentioning=work)
            gh.check(not left, "dockerd still running after stop()", left)
            c.run("c2", "sleep", "30")    # left for stop() to remove
            pid = c.pid("c2")
        gone("containerd", pid)
        timings["containerd"]["total"] = time.monotonic() - t0

        # podman, with an OCI hook through --hooks-dir
        t0 = time.monotonic()
        with Podman(os.path.join(work, "podman")) as p:
            timed("import", "podman", p.import_rootfs, tar)
            cid = timed("run", "podman", p.run, "c1", *cmd)
            pid = p.pid("c1")
            gh.wait_for(lambda: "hi" in p.podman("logs", "c1").stdout, 5, "podman logs")
            show("podman", pid, runc_state_path(cid, ["/run/runc", p.runroot]),
                 p.podman("logs", "c1").stdout)
            timed("rm", "podman", p.rm, "c1")
            gone("podman", pid)

            hooks = os.path.join(work, "podman-hooks")
            os.makedirs(hooks)
            with open(os.path.join(hooks, "record.json"), "w") as f:
                json.dump({"version": "1.0.0", "when": {"always": True},
                           "hook": _hook_recorder(hooks, "payload"),
                           "stages": ["prestart", "poststop"]}, f)
            cid = p.run("c2", "true", hooks_dir=hooks)
            gh.wait_for(lambda: len(_hook_payloads(hooks, "payload")) == 2, 10,
                        "podman prestart+poststop hooks",
                        lambda: _read(os.path.join(hooks, "payload.json"), ""))
            got = [(x["id"], x["status"]) for x in _hook_payloads(hooks, "payload")]
            gh.check(got == [(cid, "creating"), (cid, "stopped")], "podman hooks", got)
            print("podman hooks: %s" % got)
            p.run("c3", "sleep", "30")    # left for stop() to remove
            pid = p.pid("c3")
        gone("podman", pid)
        timings["podman"]["total"] = time.monotonic() - t0
    finally:
        shutil.rmtree(work, ignore_errors=True)

    # other tests may run runtimes too: only what names our work dir counts
    left = leftover_processes(mentioning=work)
    if left:
        problems.append(("processes", left))
    others = leftover_processes()
    if others:
        print("(not ours, ignored: %s)" % [(p, c, l[:100]) for p, c, l in others])
    for p, existed in before.items():
        if not existed and os.path.lexists(p):
            problems.append(("path", p))
    new = sorted(watched_cgroups() - cgroups_before)
    if new:
        problems.append(("cgroups", new))
    mounts = [l for l in (_read("/proc/self/mountinfo") or "").splitlines()
              if "gh-ctr-selftest-" in l or "/run/containerd" in l or "/run/docker" in l
              or "/run/runc" in l]
    if mounts:
        problems.append(("mounts", mounts))
    for runtime, t in timings.items():
        print("timing %-10s %s" % (runtime, " ".join("%s %.2fs" % kv for kv in t.items())))
    for p in problems:
        print("LEFT BEHIND: %s: %s" % p)
    if problems:
        sys.exit(1)
    print("ok: runc, containerd, dockerd and podman; nothing left behind")


if __name__ == "__main__":
    _selftest()
