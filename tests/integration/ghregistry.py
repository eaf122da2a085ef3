"""ghregistry.py - Debian's docker-registry (the CNCF distribution server)
on an address of the test's own, with TLS from a test CA made by openssl,
and optionally basic auth (htpasswd, bcrypt).  Standard library only."""

import os
import secrets
import shutil
import socket
import subprocess
import tempfile

from gh import Failure, check, excerpt, scaled, wait_for


def free_port(host="127.0.0.1"):
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def openssl(*args, cwd):
    r = subprocess.run(["openssl"] + list(args), cwd=cwd, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True, timeout=scaled(60))
    check(r.returncode == 0, "openssl %s failed" % args[0], r.stdout)


class Registry:
    """docker-registry serving https://HOST:PORT; .ca is the CA to trust,
    .cert_dir a folder with it for skopeo --cert-dir, .auth_file (with
    user) an auth.json for --registry-auth, .creds for skopeo --creds"""

    def __init__(self, host="127.0.0.1", user=None):
        self.dir = tempfile.mkdtemp(prefix="gh-registry-")
        self.host = host
        self.port = None  # chosen at start: the host's address may come later
        self.data = os.path.join(self.dir, "data")
        self.cert_dir = os.path.join(self.dir, "certs")
        self.ca = os.path.join(self.cert_dir, "ca.crt")
        self.user = user
        self.password = secrets.token_hex(12) if user else None
        self.auth_file = None
        self.proc = None

    @property
    def addr(self):
        return "%s:%d" % (self.host, self.port)

    @property
    def creds(self):
        return "%s:%s" % (self.user, self.password)

    def _make_ca(self):
        os.makedirs(self.cert_dir, exist_ok=True)
        d = self.dir
        openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                "-nodes", "-keyout", "ca.key", "-out", self.ca, "-days", "2",
                "-subj", "/CN=gadgethost test CA", cwd=d)
        with open(os.path.join(d, "ext.cnf"), "w") as f:
            f.write("basicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n"
                    "subjectAltName=IP:%s\n" % self.host)
        openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=registry", cwd=d)
        openssl("x509", "-req", "-in", "server.csr", "-CA", self.ca, "-CAkey", "ca.key",
                "-CAcreateserial", "-out", "server.crt", "-days", "2", "-extfile", "ext.cnf",
                cwd=d)

    def _config(self):
        conf = ("version: 0.1\nlog:\n  level: warn\n  accesslog:\n    disabled: true\n"
                "storage:\n  filesystem:\n    rootdirectory: %s\n"
                "http:\n  addr: %s\n  tls:\n    certificate: %s\n    key: %s\n"
                % (self.data, self.addr, os.path.join(self.dir, "server.crt"),
                   os.path.join(self.dir, "server.key")))
        if self.user:
            htpasswd = os.path.join(self.dir, "htpasswd")
            r = subprocess.run(["htpasswd", "-Bbn", self.user, self.password],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            check(r.returncode == 0, "htpasswd failed", r.stderr)
            with open(htpasswd, "w") as f:
                f.write(r.stdout)
            conf += "auth:\n  htpasswd:\n    realm: gadgethost-test\n    path: %s\n" % htpasswd
            self.auth_file = os.path.join(self.dir, "auth.json")
            import base64
            import json
            with open(self.auth_file, "w") as f:
                json.dump({"auths": {self.addr: {"auth": base64.b64encode(
                    self.creds.encode()).decode()}}}, f)
        path = os.path.join(self.dir, "registry.yml")
        with open(path, "w") as f:
            f.write(conf)
        return path

    def _status(self):
        r = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--cacert",
                            self.ca, "https://%s/v2/" % self.addr], stdout=subprocess.PIPE,
                           text=True, timeout=scaled(10))
        return r.stdout.strip()

    def start(self):
        self.port = free_port(self.host)
        self._make_ca()
        conf = self._config()
        self.log = open(os.path.join(self.dir, "registry.log"), "w")
        self.proc = subprocess.Popen(["docker-registry", "serve", conf], stdout=self.log,
                                     stderr=subprocess.STDOUT)
        log = lambda: excerpt(open(self.log.name).read())
        wait_for(lambda: self.proc.poll() is not None or self._status() in ("200", "401"), 20,
                 "docker-registry up on %s" % self.addr, log)
        if self.proc.poll() is not None:
            raise Failure("docker-registry did not come up on %s" % self.addr, log())
        return self

    def blob_file(self, digest):
        """where the registry keeps a blob: its storage, to tamper with"""
        hexd = digest.split(":", 1)[1]
        return os.path.join(self.data, "docker", "registry", "v2", "blobs", "sha256", hexd[:2],
                            hexd, "data")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(scaled(20))
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def __enter__(self):
        try:
            return self.start()
        except BaseException:
            self.__exit__(None, None, None)
            raise

    def __exit__(self, *exc):
        self.stop()
        if getattr(self, "log", None):
            self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)
        return False
