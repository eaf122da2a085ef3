"""ghdaemon.py - a `gadgethost daemon` of a test's own, and runs on it.

Every daemon gets a socket, a hook dir and (for TCP) a token of its own,
so tests running at the same time never meet.  Standard library only.
"""

import json
import os
import secrets
import signal
import socket
import subprocess
import tempfile
import time

from gh import GH_BIN, Failure, Tracer, _Drain, check, excerpt, unique


class Daemon:
    """gadgethost daemon, as a context manager; prefix runs it elsewhere
    (["ip", "netns", "exec", NS])"""

    def __init__(self, *args, prefix=None, listen=None, token_file=None):
        self.args = list(args)
        self.prefix = list(prefix or [])
        self.listen = listen
        self.dir = tempfile.mkdtemp(prefix="gh-daemon-")
        self.socket = os.path.join(self.dir, "gadgethost.sock")
        self.token_file = token_file or os.path.join(self.dir, "token")
        if not token_file:
            with open(self.token_file, "w") as f:
                f.write(secrets.token_hex(24) + "\n")
            os.chmod(self.token_file, 0o600)
        self.proc = None
        self.returncode = None

    @property
    def url(self):
        return "unix://" + self.socket

    @property
    def tcp_url(self):
        return "tcp://" + self.listen

    def command(self):
        cmd = self.prefix + [GH_BIN, "daemon", "--socket", self.socket,
                             "--hook-dir", os.path.join(self.dir, "hooks")]
        if self.listen:
            cmd += ["--listen", "tcp://" + self.listen, "--token-file", self.token_file]
        return cmd + self.args

    def start(self):
        self.proc = subprocess.Popen(self.command(), stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE)
        self._out = _Drain(self.proc.stdout)
        self._err = _Drain(self.proc.stderr)
        self._out.start()
        self._err.start()
        deadline = time.monotonic() + 10
        while "ready:" not in self.log:
            if self.proc.poll() is not None:
                raise Failure("the daemon exited %d at start" % self.proc.returncode,
                              "log: " + excerpt(self.log))
            check(time.monotonic() < deadline, "the daemon is not ready within 10 s",
                  "log: " + excerpt(self.log))
            time.sleep(0.02)
        return self

    @property
    def log(self):
        return self._err.data().decode("utf-8", "replace")

    def stop(self):
        if self.returncode is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.returncode = self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.returncode = self.proc.wait()
                raise Failure("the daemon did not stop within 20 s of SIGTERM",
                              "log: " + excerpt(self.log))
            self._err.join(5)
        return self.returncode

    def check_clean_exit(self):
        rc = self.stop()
        check(rc == 0, "the daemon exited %r" % rc, "log: " + excerpt(self.log))
        for bad in ("AddressSanitizer", "LeakSanitizer", "runtime error:"):
            check(bad not in self.log, "the daemon's log shows " + bad, excerpt(self.log))

    def __enter__(self):
        return self.start()

    def __exit__(self, exc_type, exc, tb):
        if self.proc and self.returncode is None:
            if exc_type is None:
                self.check_clean_exit()
            else:
                self.proc.kill()
                self.proc.wait()
        subprocess.run(["rm", "-rf", self.dir])
        return False

    # -- raw HTTP, to check exactly what the daemon answers --

    def request(self, raw, timeout=10):
        """send raw bytes on the Unix socket; (status, headers text, body)"""
        s = socket.socket(socket.AF_UNIX)
        s.settimeout(timeout)
        s.connect(self.socket)
        s.sendall(raw)
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
        s.close()
        head, _, body = data.partition(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1]) if head.startswith(b"HTTP/1.1 ") else 0
        return status, head.decode("latin-1"), body

    def get(self, path):
        status, _, body = self.request(b"GET %s HTTP/1.1\r\nHost: x\r\n\r\n" % path.encode())
        return status, body

    def runs(self):
        status, body = self.get("/v1/runs")
        check(status == 200, "GET /v1/runs answered %d" % status, body)
        return [json.loads(l) for l in body.decode().splitlines() if l.strip()]

    def ping(self):
        status, body = self.get("/v1/ping")
        check(status == 200, "GET /v1/ping answered %d" % status, body)
        return json.loads(body)


class RemoteTracer(Tracer):
    """gadgethost --remote URL run GADGET ..., like Tracer (the client makes
    its --ready-file once the daemon says the run started)"""

    def __init__(self, url, gadget, *args, token_file=None, user_prefix=None, **kw):
        super().__init__(gadget, *args, **kw)
        self.url = url
        self.token_file = token_file
        self.user_prefix = list(user_prefix or [])

    def command(self):
        base = super().command()  # prefix + [GH_BIN, "run", ...]
        i = base.index(GH_BIN)
        remote = [GH_BIN, "--remote", self.url]
        if self.token_file:
            remote += ["--token-file", self.token_file]
        return self.user_prefix + base[:i] + remote + base[i + 1:]


class K8sRun(Tracer):
    """gadgethost k8s run GADGET ... --endpoints/--kubectl ..., like Tracer"""

    def __init__(self, gadget, *args, k8s_args=(), **kw):
        super().__init__(gadget, *args, **kw)
        self.k8s_args = list(k8s_args)

    def command(self):
        base = super().command()
        i = base.index(GH_BIN)
        return base[:i] + [GH_BIN, "k8s"] + base[i + 1:] + self.k8s_args


def wait_for(cond, timeout, msg, *context):
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise Failure(msg, *[c() if callable(c) else c for c in context])
        time.sleep(0.05)


def bpf_objects_of(pid):
    """(prog ids, link ids) process pid holds fds of (/proc/PID/fdinfo)"""
    progs, links = set(), set()
    fddir = "/proc/%d/fdinfo" % pid
    for fd in os.listdir(fddir):
        try:
            with open(os.path.join(fddir, fd)) as f:
                info = f.read()
        except OSError:
            continue
        for line in info.splitlines():
            key, _, val = line.partition(":")
            if key == "prog_id":
                progs.add(int(val))
            elif key == "link_id":
                links.add(int(val))
    return progs, links


def bpf_ids(kind):
    out = subprocess.run(["bpftool", "-j", kind, "show"], stdout=subprocess.PIPE, text=True)
    return {o["id"] for o in json.loads(out.stdout or "[]")}
