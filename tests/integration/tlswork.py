"""tlswork.py - real TLS on loopback for trace/ssl's tests: openssl
s_server with a fresh self-signed certificate, and clients (openssl
s_client, gnutls-cli, curl) whose stdin and stdout the test drives, so
that each side's plaintext is known exactly.

    with TlsServer() as srv, Client(s_client(srv.port)) as cli:
        cli.send(b"ping\\n"); srv.wait_for(b"ping\\n")
        srv.send(b"pong\\n"); cli.wait_for(b"pong\\n")

Standard library only."""

import os
import shutil
import socket
import subprocess
import tempfile
import threading

from gh import Failure, scaled, wait_for


def free_port():
    """a loopback port nobody listens on right now"""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_cert(directory):
    """a self-signed EC certificate and key in directory: (cert, key)"""
    cert, key = os.path.join(directory, "c.pem"), os.path.join(directory, "k.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key, "-out", cert,
                    "-subj", "/CN=localhost", "-days", "1"], check=True, capture_output=True)
    return cert, key


class Proc:
    """a process whose stdin the test writes and whose stdout it reads"""

    def __init__(self, argv, env=None):
        self.argv = argv
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, env=env)
        self.pid = self.proc.pid
        self._buf = bytearray()
        self._lock = threading.Lock()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self):
        while True:
            chunk = self.proc.stdout.read1(65536)
            if not chunk:
                return
            with self._lock:
                self._buf += chunk

    def output(self):
        with self._lock:
            return bytes(self._buf)

    def send(self, data):
        self.proc.stdin.write(data)
        self.proc.stdin.flush()

    def wait_for(self, data, timeout=20):
        """until data appears in the output (a Failure if the process ends
        without it)"""
        def seen():
            if data in self.output():
                return True
            if not self._reader.is_alive() and data not in self.output():
                raise Failure("%s ended without printing %r" % (" ".join(self.argv), data),
                              self.output()[-2000:].decode("utf-8", "replace"))
            return False
        wait_for(seen, timeout, "%r in the output of %s" % (data, " ".join(self.argv)),
                 lambda: self.output()[-2000:].decode("utf-8", "replace"))

    def close(self, timeout=20):
        """stdin closed (EOF: a client ends its connection); wait for the end"""
        try:
            self.proc.stdin.close()
        except BrokenPipeError:
            pass
        try:
            self.proc.wait(scaled(timeout))
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self._reader.join(scaled(5))

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.proc.poll() is None:
            self.proc.kill()
        self.close()
        return False


class TlsServer(Proc):
    """openssl s_server on 127.0.0.1 (a free port), one connection at a
    time; extra: more options (-www answers HTTP GETs with a page)"""

    def __init__(self, *extra):
        self.dir = tempfile.mkdtemp(prefix="gh-ssl-")
        self.cert, self.key = make_cert(self.dir)
        self.port = free_port()
        super().__init__(["openssl", "s_server", "-accept", "127.0.0.1:%d" % self.port,
                          "-cert", self.cert, "-key", self.key, "-quiet"] + list(extra))
        def listening():
            if self.proc.poll() is not None:
                raise Failure("openssl s_server exited", self.output().decode("utf-8", "replace"))
            return self._listening()
        wait_for(listening, 10, "openssl s_server listening on %d" % self.port,
                 lambda: self.output().decode("utf-8", "replace"))

    def _listening(self):
        with socket.socket() as s:
            return s.connect_ex(("127.0.0.1", self.port)) == 0

    def __exit__(self, *exc):
        super().__exit__(*exc)
        shutil.rmtree(self.dir, ignore_errors=True)
        return False


def s_client(port):
    return ["openssl", "s_client", "-connect", "127.0.0.1:%d" % port]


def gnutls_cli(port):
    return ["gnutls-cli", "--insecure", "--port", str(port), "127.0.0.1"]
