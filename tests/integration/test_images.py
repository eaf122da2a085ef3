#!/usr/bin/env python3
"""Gadget images: a custom gadget made with `gadgethost new` + `build`,
packed (reproducibly), signed, pushed to Debian's docker-registry over TLS
from a test CA (and with basic auth), checked by skopeo, pulled and run on
other "nodes" (stores and daemons of their own), moved by tarball, and run
by reference on every node of the multi-daemon k8s test.  Each way an
image must be refused is tried: one line, nothing stored, nothing run."""

import json
import os
import shutil
import subprocess
import tempfile

from gh import Tracer, check, describe, excerpt, main, run_host, scaled, unique
from ghdaemon import Daemon, K8sRun, RemoteTracer, wait_for
from ghregistry import Registry, free_port
from sdkwork import Project, rm


class Node:
    """a node's image side: a store, the admin's public keys"""

    def __init__(self, keys):
        self.dir = tempfile.mkdtemp(prefix="gh-node-")
        self.store = os.path.join(self.dir, "images")
        self.keys = list(keys)

    def opts(self, reg=None):
        o = ["--image-store", self.store]
        for k in self.keys:
            o += ["--verify-key", k]
        if reg:
            o += ["--registry-ca", reg.ca]
        return o

    def refs(self):
        r = run_host("images", "-o", "json", "--image-store", self.store)
        check(r.returncode == 0, "images list failed", r.stderr)
        return {j["reference"]: j for j in map(json.loads, r.stdout.splitlines())}

    def unpacked(self):
        tmp = os.path.join(self.store, "tmp")
        return os.listdir(tmp) if os.path.isdir(tmp) else []

    def cleanup(self):
        shutil.rmtree(self.dir, ignore_errors=True)


class Keys:
    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="gh-keys-")
        self.ids = {}
        for name in ("team", "other"):
            r = run_host("keygen", os.path.join(self.dir, name))
            check(r.returncode == 0, "keygen failed", r.stderr)
            self.ids[name] = r.stdout.split()[2]
        check(oct(os.stat(self.key("team")).st_mode & 0o777) == "0o600",
              "the private key is not mode 0600")

    def key(self, name):
        return os.path.join(self.dir, name + ".key")

    def pub(self, name):
        return os.path.join(self.dir, name + ".pub")

    def cleanup(self):
        shutil.rmtree(self.dir, ignore_errors=True)


def ok(r, what):
    check(r.returncode == 0, "%s failed (exit %d)" % (what, r.returncode),
          "stderr: " + excerpt(r.stderr), "stdout: " + excerpt(r.stdout))
    return r.stdout


def refused(r, *words):
    """exit 1 and one line on stderr holding every word"""
    lines = r.stderr.splitlines()
    check(r.returncode == 1 and len(lines) == 1 and lines[0].startswith("gadgethost: "),
          "not refused with one line (exit %d)" % r.returncode, "stderr: " + excerpt(r.stderr),
          "stdout: " + excerpt(r.stdout))
    for w in words:
        check(w in lines[0], "the refusal does not say %r" % w, lines[0])
    return lines[0]


def pack(p, store, ref):
    out = ok(run_host("pack", p.lua, "-t", ref, "--image-store", store), "pack")
    name, digest = out.split()
    check(name == ref and digest.startswith("sha256:"), "pack printed %r" % out)
    return digest


def deletions(tracer_factory, p, tag, copies=1):
    """the gadget's events for rm of a file that exists and one that
    does not, in a folder of this test's own; the run stops once it has
    printed both (from each of `copies` nodes)"""
    made = p.victim("%s-1" % tag)
    open(made, "w").close()
    missing = p.victim("%s-missing" % tag)
    with tracer_factory() as t:
        rm(made, missing)
        t.wait_for(lambda: len(p.ours(t.events_so_far())) >= 2 * copies, "the 2 deletions")
    t.check_clean_exit()
    return t, [(e["path"], e["err"]) for e in p.ours(t.events())]


def expected(p, tag):
    return [(p.victim("%s-1" % tag), 0), (p.victim("%s-missing" % tag), 2)]  # ENOENT


def test_pack_is_reproducible():
    """the same files give the same digest, from another folder and store
    too; a changed script another one; the image is what skopeo reads"""
    p, keys = Project(), Keys()
    a, b = Node([]), Node([])
    try:
        ref = "localhost:5000/team/mytool:1.0"
        d1 = pack(p, a.store, ref)
        copy = tempfile.mkdtemp(prefix="gh-copy-", dir=p.dir)
        for f in (p.lua, p.obj):
            shutil.copy(f, copy)
        os.utime(os.path.join(copy, "mytool.lua"), (1, 1))
        out = ok(run_host("pack", os.path.join(copy, "mytool.lua"), "-t", ref,
                          "--image-store", b.store), "pack from a copy")
        check(out.split()[1] == d1, "the same files packed to another digest", d1, out)
        check(pack(p, a.store, ref) == d1, "packing again changed the digest")
        p.edit(p.lua, 'columns = {', '-- a comment\n  columns = {')
        check(pack(p, a.store, ref) != d1, "a changed script kept the digest")
        inspect = json.loads(ok(run_host("images", "inspect", ref, "--image-store", a.store),
                                "images inspect"))
        kinds = [(l["kind"], l["file"], l["mediaType"]) for l in inspect["layers"]]
        check(kinds == [("ebpf", "mytool.bpf.o", "application/vnd.gadgethost.gadget.ebpf.v1"),
                        ("lua", "mytool.lua", "application/vnd.gadgethost.gadget.lua.v1")],
              "the layers are not one per file kind", kinds)
        # the old image's blobs went with its reference: the store holds one image
        blobs = os.listdir(os.path.join(a.store, "blobs", "sha256"))
        check(len(blobs) == 7, "the store should keep both packs' blobs (4, then 3 new) until "
              "a removal", blobs)
        ok(run_host("images", "rm", ref, "--image-store", a.store), "images rm")
        check(not os.listdir(os.path.join(a.store, "blobs", "sha256")),
              "rm left blobs nothing needs")
    finally:
        for x in (p, keys, a, b):
            x.cleanup()


def test_push_pull_run_on_another_node():
    """node A packs, signs, pushes over TLS; skopeo inspects and copies it;
    node B's daemon pulls, verifies and runs it for a remote client, then
    runs it again from its store with the registry gone"""
    p, keys = Project(), Keys()
    a, b = Node([]), Node([keys.pub("team")])
    try:
        with Registry() as reg:
            ref = "%s/team/mytool:1.0" % reg.addr
            digest = pack(p, a.store, ref)
            out = ok(run_host("sign", ref, "--key", keys.key("team"), "--image-store", a.store),
                     "sign")
            check(keys.ids["team"] in out, "sign does not name the key", out)
            out = ok(run_host("push", ref, *a.opts(reg)), "push")
            check(out.strip() == "%s %s pushed, 1 signature" % (ref, digest), "push said", out)
            # skopeo: a real OCI image, by any client
            sk = subprocess.run(["skopeo", "inspect", "--cert-dir", reg.cert_dir,
                                 "docker://" + ref], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, timeout=scaled(60))
            check(sk.returncode == 0, "skopeo inspect refused the image", sk.stderr)
            info = json.loads(sk.stdout)
            check(info["Digest"] == digest and info["Architecture"] == "amd64" and
                  info["Labels"] == {"io.gadgethost.gadget": "mytool"} and
                  len(info["Layers"]) == 2, "skopeo inspect reads another image", sk.stdout)
            copied = "%s/team/copied:1.0" % reg.addr
            sk = subprocess.run(["skopeo", "copy", "--src-cert-dir", reg.cert_dir,
                                 "--dest-cert-dir", reg.cert_dir, "docker://" + ref,
                                 "docker://" + copied], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, timeout=scaled(120))
            check(sk.returncode == 0, "skopeo copy refused the image", sk.stderr)
            sk = subprocess.run(["skopeo", "inspect", "--cert-dir", reg.cert_dir,
                                 "docker://" + copied], stdout=subprocess.PIPE, text=True,
                                timeout=scaled(60))
            check(json.loads(sk.stdout)["Digest"] == digest,
                  "skopeo's copy is another image", sk.stdout)

            allowed = "%s/team/*" % reg.addr
            with Daemon(*b.opts(reg), "--allowed-gadgets", allowed) as d:
                t, evs = deletions(lambda: RemoteTracer(d.url, ref, "--comm", "rm"), p, "remote")
                check(evs == expected(p, "remote"), "the remote run by reference saw other "
                      "deletions", describe(t.events()))
                d.wait_log(lambda log: "--image-store=%s" % b.store in log and
                           "--allowed-gadgets=" in log,
                           "the run did not get the daemon's image settings")
            refs = b.refs()
            check(refs.get(ref, {}).get("digest") == digest and refs[ref]["signatures"] == 1,
                  "node B's store does not hold the pulled image and its signature", refs)
            check(not b.unpacked(), "the run's unpacked files were left", b.unpacked())
        # offline: the registry is gone, the store and the keys suffice
        t, evs = deletions(lambda: Tracer(ref, "--comm", "rm", "--no-pull", *b.opts()), p,
                           "offline")
        check(evs == expected(p, "offline"), "the offline run saw other deletions",
              describe(t.events()))
    finally:
        for x in (p, keys, a, b):
            x.cleanup()


def test_export_import():
    """a tarball carries the image and its signature to a node without a
    registry; skopeo reads it as an oci-archive; the node runs it"""
    p, keys = Project(), Keys()
    a, c = Node([]), Node([keys.pub("team")])
    try:
        ref = "registry.example:5000/team/mytool:2.0"
        digest = pack(p, a.store, ref)
        ok(run_host("sign", ref, "--key", keys.key("team"), "--image-store", a.store), "sign")
        tar = os.path.join(a.dir, "mytool.tar")
        ok(run_host("images", "export", tar, ref, "--image-store", a.store), "export")
        before = open(tar, "rb").read()
        ok(run_host("images", "export", tar, ref, "--image-store", a.store), "export again")
        check(open(tar, "rb").read() == before, "the same export gave other bytes")
        sk = subprocess.run(["skopeo", "inspect", "oci-archive:%s:%s" % (tar, ref)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            timeout=scaled(60))
        check(sk.returncode == 0 and json.loads(sk.stdout)["Digest"] == digest,
              "skopeo does not read the export", sk.stderr)
        out = ok(run_host("images", "import", tar, *c.opts()), "import")
        check(out.strip() == "%s %s imported" % (ref, digest), "import said", out)
        check(c.refs()[ref]["signatures"] == 1, "the signature did not come along", c.refs())
        t, evs = deletions(lambda: Tracer(ref, "--comm", "rm", "--no-pull", *c.opts()), p,
                           "imported")
        check(evs == expected(p, "imported"), "the imported image's run saw other deletions",
              describe(t.events()))
    finally:
        for x in (p, keys, a, c):
            x.cleanup()


def test_basic_auth():
    """a registry with htpasswd: refused without credentials, pushed and
    pulled with an auth.json (docker's format); skopeo reads it too"""
    p, keys = Project(), Keys()
    a, b = Node([]), Node([keys.pub("team")])
    try:
        with Registry(user="gh") as reg:
            ref = "%s/team/mytool:1.0" % reg.addr
            digest = pack(p, a.store, ref)
            ok(run_host("sign", ref, "--key", keys.key("team"), "--image-store", a.store), "sign")
            refused(run_host("push", ref, *a.opts(reg)), "asks for credentials", "(401)")
            ok(run_host("push", ref, *a.opts(reg), "--registry-auth", reg.auth_file),
               "push with credentials")
            sk = subprocess.run(["skopeo", "inspect", "--cert-dir", reg.cert_dir, "--creds",
                                 reg.creds, "docker://" + ref], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, timeout=scaled(60))
            check(sk.returncode == 0 and json.loads(sk.stdout)["Digest"] == digest,
                  "skopeo inspect with credentials", sk.stderr)
            refused(run_host("pull", ref, *b.opts(reg)), "asks for credentials", "(401)")
            check(not b.refs(), "a refused pull stored something", b.refs())
            out = ok(run_host("pull", ref, *b.opts(reg), "--registry-auth", reg.auth_file),
                     "pull with credentials")
            check(out.strip() == "%s %s verified" % (ref, digest), "pull said", out)
    finally:
        for x in (p, keys, a, b):
            x.cleanup()


def test_refused():
    """unsigned, another key, a layer changed in the registry's storage, a
    reference outside the allowlist, pulling forbidden, the registry
    unreachable, a corrupt tarball: each one line, nothing stored or run"""
    p, keys = Project(), Keys()
    a = Node([])
    nodes = []

    def fresh():
        n = Node([keys.pub("team")])
        nodes.append(n)
        return n

    def nothing_on(n):
        check(not os.path.exists(n.store) or not n.refs(), "a refused image was stored",
              n.refs())
        check(not n.unpacked(), "a refused image was unpacked", n.unpacked())

    try:
        with Registry() as reg:
            def publish(name, key, tweak=None):
                ref = "%s/team/%s:1.0" % (reg.addr, name)
                if tweak:
                    p.edit(p.lua, 'columns = {', '-- %s\n  columns = {' % tweak)
                pack(p, a.store, ref)
                if key:
                    ok(run_host("sign", ref, "--key", keys.key(key), "--image-store", a.store),
                       "sign")
                ok(run_host("push", ref, *a.opts(reg)), "push")
                return ref

            unsigned = publish("unsigned", None)
            other = publish("other", "other")
            tampered = publish("tampered", "team", tweak=unique("changed"))
            good = publish("mytool", "team", tweak=unique("good"))

            n = fresh()
            refused(run_host("pull", unsigned, *n.opts(reg)), "is not signed: refused")
            refused(run_host("pull", other, *n.opts(reg)), "is signed by key",
                    keys.ids["other"][:19], "not a verify key of this node")
            # the script's layer, changed where the registry keeps it
            lua = [l for l in json.loads(ok(run_host("images", "inspect", tampered,
                                                     "--image-store", a.store), "inspect"))
                   ["layers"] if l["kind"] == "lua"][0]
            blob = reg.blob_file(lua["digest"])
            data = bytearray(open(blob, "rb").read())
            data[len(data) // 2] ^= 0x20
            open(blob, "wb").write(bytes(data))
            refused(run_host("pull", tampered, *n.opts(reg)), lua["digest"],
                    "does not match its digest", "refused")
            # the same, through a run: refused before anything loads
            refused(run_host("run", tampered, "--host", "--timeout", "5", *n.opts(reg)),
                    "does not match its digest")
            nothing_on(n)

            # the daemon's allowlist and --no-pull, for a remote client
            n = fresh()
            with Daemon(*n.opts(reg), "--allowed-gadgets", "%s/team/mytool:*" % reg.addr) as d:
                r = run_host("--remote", d.url, "run", other, "--host", "--timeout", "5")
                refused(r, "is not allowed on this node (--allowed-gadgets)")
                # the log line may come a moment after the answer
                wait_for(lambda: "refused a run" in d.log and "not allowed on this node"
                         in d.log, 5, "the refusal is not in the daemon's log",
                         lambda: excerpt(d.log))
                check(not d.runs(), "a refused run runs")
            with Daemon(*n.opts(reg)) as d:
                r = run_host("--remote", d.url, "run", good, "--host", "--timeout", "5")
                refused(r, "gadget images are not allowed by this daemon")
            with Daemon(*n.opts(reg), "--no-pull", "--allowed-gadgets", "*") as d:
                r = run_host("--remote", d.url, "run", good, "--host", "--timeout", "5")
                refused(r, "pulling is off (--no-pull): refused")
            nothing_on(n)
            # the same reference is fine where it is allowed (the control)
            t, evs = deletions(lambda: Tracer(good, "--comm", "rm", *n.opts(reg),
                                              "--allowed-gadgets", "%s/team/*" % reg.addr),
                               p, "control")
            check(evs == expected(p, "control"), "the allowed image did not run as it should",
                  describe(t.events()))
        # the registry gone: an image the store does not have cannot run
        n = fresh()
        gone = "127.0.0.1:%d/team/mytool:1.0" % free_port()
        refused(run_host("run", gone, "--host", "--timeout", "5", *n.opts()),
                "registry 127.0.0.1", "onnect")
        nothing_on(n)

        # tarballs: cut short, and a byte changed inside a blob
        ok(run_host("sign", good, "--key", keys.key("team"), "--image-store", a.store), "sign")
        tar = os.path.join(a.dir, "good.tar")
        ok(run_host("images", "export", tar, good, "--image-store", a.store), "export")
        data = open(tar, "rb").read()
        short = os.path.join(a.dir, "short.tar")
        open(short, "wb").write(data[:len(data) // 2])
        n = fresh()
        refused(run_host("images", "import", short, *n.opts()), short)
        changed = bytearray(data)
        at = data.index(b"ELF") + 200  # inside the eBPF object's blob
        changed[at] ^= 0x01
        bad = os.path.join(a.dir, "changed.tar")
        open(bad, "wb").write(bytes(changed))
        refused(run_host("images", "import", bad, *n.opts()), "does not match its digest")
        open(bad, "wb").write(b"not a tarball at all\n" * 100)
        refused(run_host("images", "import", bad, *n.opts()), bad)
        nothing_on(n)
        out = ok(run_host("images", "import", tar, *n.opts()), "import of the good tarball")
        check(good in out, "the good tarball did not import", out)
    finally:
        for x in [p, keys, a] + nodes:
            x.cleanup()


def test_k8s_run_by_reference():
    """k8s run REF over three daemons in three network namespaces: every
    node pulls from the registry, verifies, runs the custom gadget"""
    from test_k8s import Nodes

    p, keys = Project(), Keys()
    a = Node([])
    stores = [Node([keys.pub("team")]) for _ in range(3)]
    reg = None
    try:
        nodes = Nodes(3, daemon_args=lambda i: stores[i].opts(reg) + [
            "--allowed-gadgets", "*/team/mytool:*"])
        # the registry listens on the host side of node 0's link
        reg = Registry(host=nodes.net + ".1")
        with nodes, reg:
            for i in range(1, 3):  # the other nodes reach it through the host
                r = subprocess.run(["ip", "-n", nodes.netns[i], "route", "add",
                                    reg.host + "/32", "via", "%s.%d" % (nodes.net, 4 * i + 1)],
                                   stderr=subprocess.PIPE, text=True)
                check(r.returncode == 0, "route to the registry", r.stderr)
            ref = "%s/team/mytool:1.0" % reg.addr
            digest = pack(p, a.store, ref)
            ok(run_host("sign", ref, "--key", keys.key("team"), "--image-store", a.store), "sign")
            ok(run_host("push", ref, *a.opts(reg)), "push")
            t, _ = deletions(lambda: K8sRun(ref, "--comm", "rm", k8s_args=[
                "--endpoints", nodes.endpoints()] + nodes.client_args()), p, "k8s",
                copies=len(nodes.names))
            by_node = {}
            for e in p.ours(t.events()):
                by_node.setdefault(e["k8s"]["node"], []).append((e["path"], e["err"]))
            check(sorted(by_node) == sorted(nodes.names), "not every node ran it",
                  sorted(by_node), describe(t.events()), excerpt(t.stderr))
            for node, evs in by_node.items():
                check(evs == expected(p, "k8s"), "node %s saw other deletions" % node, evs)
        for s in stores:
            check(s.refs().get(ref, {}).get("digest") == digest,
                  "a node's store does not hold the image", s.refs())
    finally:
        for x in [p, keys, a] + stores:
            x.cleanup()


if __name__ == "__main__":
    main([test_pack_is_reproducible, test_push_pull_run_on_another_node, test_export_import,
          test_basic_auth, test_refused, test_k8s_run_by_reference])
