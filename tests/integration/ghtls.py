"""ghtls.py - certificates for the TLS tests, made by `openssl` itself.

Pki(): a CA of the test's own, a server certificate for the addresses and
names given, and client certificates on demand; everything in a temp dir,
keys mode 0600 (the daemon refuses any other).  Standard library only.
"""

import os
import shutil
import subprocess
import tempfile

from gh import check


def openssl(*args, cwd=None):
    r = subprocess.run(["openssl"] + list(args), cwd=cwd, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True)
    check(r.returncode == 0, "openssl %s failed" % " ".join(args), r.stdout)
    return r.stdout


def _newkey(kind):
    if kind == "rsa":
        return ["-newkey", "rsa:2048"]
    return ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"]


class Pki:
    """a CA, its server certificate (ips, names) and client certificates"""

    def __init__(self, ips=("127.0.0.1",), names=("localhost",), kind="ec", ca_name="ca"):
        self.dir = tempfile.mkdtemp(prefix="gh-pki-")
        self.kind = kind
        self.ca_crt, self.ca_key = self.new_ca(ca_name)
        self.server_crt, self.server_key = self.issue("server", ips=ips, names=names,
                                                      usage="serverAuth")

    def path(self, name):
        return os.path.join(self.dir, name)

    def new_ca(self, name):
        """a self-signed CA (crt, key)"""
        crt, key = self.path(name + ".crt"), self.path(name + ".key")
        openssl("req", "-x509", *_newkey(self.kind), "-nodes", "-keyout", key, "-out", crt,
                "-subj", "/CN=gadgethost test %s" % name, "-days", "2",
                "-addext", "basicConstraints=critical,CA:TRUE",
                "-addext", "keyUsage=critical,keyCertSign,cRLSign")
        os.chmod(key, 0o600)
        return crt, key

    def issue(self, name, ips=(), names=(), usage="clientAuth", ca=None):
        """a certificate signed by ca (crt, key; default: this Pki's CA)"""
        ca_crt, ca_key = ca or (self.ca_crt, self.ca_key)
        crt, key, csr = (self.path(name + ".crt"), self.path(name + ".key"),
                         self.path(name + ".csr"))
        ext = self.path(name + ".ext")
        sans = ["IP:%s" % ip for ip in ips] + ["DNS:%s" % n for n in names]
        with open(ext, "w") as f:
            f.write("basicConstraints=CA:FALSE\nextendedKeyUsage=%s\n" % usage)
            if sans:
                f.write("subjectAltName=%s\n" % ",".join(sans))
        openssl("req", *_newkey(self.kind), "-nodes", "-keyout", key, "-out", csr,
                "-subj", "/CN=%s" % name)
        openssl("x509", "-req", "-in", csr, "-CA", ca_crt, "-CAkey", ca_key,
                "-CAcreateserial", "-out", crt, "-days", "2", "-extfile", ext)
        os.chmod(key, 0o600)
        return crt, key

    def server_args(self, client_ca=False):
        """the daemon's options: its certificate and key (client_ca: mTLS)"""
        args = ["--tls-cert", self.server_crt, "--tls-key", self.server_key]
        return args + (["--tls-client-ca", self.ca_crt] if client_ca else [])

    def client_args(self, cert=None):
        """a client's options: trust this CA (cert: (crt, key) to show)"""
        args = ["--ca", self.ca_crt]
        return args + (["--cert", cert[0], "--key", cert[1]] if cert else [])

    def cleanup(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.cleanup()
        return False
