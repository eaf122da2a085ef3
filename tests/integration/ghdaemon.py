"""ghdaemon.py - a `gadgethost daemon` of a test's own, and runs on it.

Every daemon gets a socket, a hook dir and (for TCP) a token of its own,
so tests running at the same time never meet.  Standard library only.
"""

import json
import os
import resource
import secrets
import signal
import socket
import subprocess
import tempfile

from gh import GH_BIN, Failure, Tracer, _Drain, check, excerpt, scaled, wait_for


class Daemon:
    """gadgethost daemon, as a context manager; prefix runs it elsewhere
    (["ip", "netns", "exec", NS]); listen ADDR:PORT: TCP too, with TLS when
    pki (a ghtls.Pki) is given (client_ca: clients must show a certificate
    of its CA); nofile: the soft limit of open files it starts with"""

    def __init__(self, *args, prefix=None, listen=None, token_file=None, pki=None,
                 client_ca=False, nofile=None):
        self.args = list(args)
        self.prefix = list(prefix or [])
        self.listen = listen
        self.pki = pki
        self.client_ca = client_ca
        self.nofile = nofile
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
        return ("tls://" if self.pki else "tcp://") + self.listen

    def command(self):
        cmd = self.prefix + [GH_BIN, "daemon", "--socket", self.socket,
                             "--hook-dir", os.path.join(self.dir, "hooks")]
        if self.listen:
            cmd += ["--listen", self.tcp_url, "--token-file", self.token_file]
        if self.pki:
            cmd += self.pki.server_args(self.client_ca)
        return cmd + self.args

    def _limit_files(self):
        hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(self.nofile, hard), hard))

    def start(self):
        self.proc = subprocess.Popen(self.command(), stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE,
                                     preexec_fn=self._limit_files if self.nofile else None)
        self._out = _Drain(self.proc.stdout)
        self._err = _Drain(self.proc.stderr)
        self._out.start()
        self._err.start()
        wait_for(lambda: "ready:" in self.log or self.proc.poll() is not None, 10,
                 "the daemon ready", lambda: "log: " + excerpt(self.log))
        if "ready:" not in self.log:
            raise Failure("the daemon exited %d at start" % self.proc.returncode,
                          "log: " + excerpt(self.log))
        return self

    @property
    def log(self):
        return self._err.data().decode("utf-8", "replace")

    def wait_log(self, want, what, timeout=5):
        """wait until the daemon's log holds want (a string, or a function
        of the log text that returns something true): the log reaches us
        through a pipe and a thread, after the answer the test acted on;
        a Failure naming what after scaled(timeout) seconds"""
        def holds():
            return want(self.log) if callable(want) else want in self.log
        return wait_for(holds, timeout, what, lambda: "log: " + excerpt(self.log))

    def stop(self):
        if self.returncode is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.returncode = self.proc.wait(scaled(20))
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.returncode = self.proc.wait()
                raise Failure("the daemon did not stop within %g s of SIGTERM" % scaled(20),
                              "log: " + excerpt(self.log))
            self._err.join(scaled(5))
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
        """send raw bytes on the Unix socket; (status, headers text, body);
        timeout: scaled()"""
        s = socket.socket(socket.AF_UNIX)
        s.settimeout(scaled(timeout))
        s.connect(self.socket)
        try:
            return exchange(s, raw)
        finally:
            s.close()

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


def free_port():
    """a TCP port of 127.0.0.1 that nothing listens on (now)"""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def exchange(s, raw):
    """send raw on the connected socket s (plain or TLS) and read until the
    daemon closes it: (status, headers text, body)"""
    s.sendall(raw)
    data = b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1]) if head.startswith(b"HTTP/1.1 ") else 0
    return status, head.decode("latin-1"), body


def ping_request(token):
    """GET /v1/ping with a bearer token"""
    return (b"GET /v1/ping HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n\r\n"
            % token.encode())


class RemoteTracer(Tracer):
    """gadgethost --remote URL run GADGET ..., like Tracer (the client makes
    its --ready-file once the daemon says the run started)"""

    def __init__(self, url, gadget, *args, token_file=None, user_prefix=None, client_args=(),
                 **kw):
        super().__init__(gadget, *args, **kw)
        self.url = url
        self.token_file = token_file
        self.user_prefix = list(user_prefix or [])
        self.client_args = list(client_args)

    def command(self):
        base = super().command()  # prefix + [GH_BIN, "run", ...]
        i = base.index(GH_BIN)
        remote = [GH_BIN, "--remote", self.url] + self.client_args
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
