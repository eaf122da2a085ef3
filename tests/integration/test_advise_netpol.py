#!/usr/bin/env python3
"""advise/network-policy.lua: two runc "pods" (pod annotations and labels,
each in a network namespace of its own on a bridge the test makes) talk
to each other over TCP and to an "outside" host (a third namespace, no
container) over TCP and UDP, which also talks to one of them (TCP, UDP);
the NetworkPolicy manifests printed allow exactly that: the UDP answers
need no rule.

The addresses (10.A.B.0/24) exist only inside the namespaces the test
creates; nothing is sent anywhere else."""

import json
import random
import subprocess
import time

import containers
from gh import GH_BIN, Tracer, check, excerpt, main, require_bpf, unique
from netns_dns import Netns

HOOKS = {"prestart": [{"path": GH_BIN, "args": ["gadgethost", "hook", "prestart"]}],
         "poststop": [{"path": GH_BIN, "args": ["gadgethost", "hook", "poststop"]}]}

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

# a UDP client: a datagram to HOST:PORT until the answer comes
UDP_CLIENT = """
import socket, sys
host, port = sys.argv[1].rsplit(":", 1)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(0.2)
for _ in range(75):
    s.sendto(b"ask", (host, int(port)))
    try:
        s.recvfrom(100)
        break
    except OSError:
        pass
else:
    sys.exit("no answer")
"""

# both at once, in one container: "tcp PORT N" and "udp PORT"
WEB = """
import subprocess, sys
tcp = subprocess.Popen([sys.executable, "-c", sys.argv[1], sys.argv[2], sys.argv[3]])
udp = subprocess.Popen([sys.executable, "-c", sys.argv[4], sys.argv[5]])
sys.exit(tcp.wait() or udp.wait())
"""

CLIENT = """
import socket, sys, time
for target in sys.argv[1:]:
    host, port = target.rsplit(":", 1)
    deadline = time.time() + 15
    while True:
        try:
            c = socket.create_connection((host, int(port)), timeout=2)
            break
        except OSError:
            if time.time() > deadline:
                raise
            time.sleep(0.05)
    c.sendall(b"hi")
    c.close()
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
    return {"io.kubernetes.pod.name": pod, "io.kubernetes.pod.namespace": ns,
            "io.kubernetes.container.name": "main", "io.kubernetes.pod.uid": unique("uid"),
            "io.kubernetes.cri-o.Labels": json.dumps(dict(labels, **{
                "io.kubernetes.pod.name": pod})),
            }


def wait_stopped(r, name, timeout=30):
    deadline = time.time() + timeout
    while r.state(name).get("status") != "stopped":
        check(time.time() < deadline, "container %s still running" % name,
              "output: " + r.output(name))
        time.sleep(0.05)


def parse_yaml(text):
    try:
        import yaml
    except ImportError:
        raise containers.gh.Skip("python3-yaml is not installed (scripts/setup.sh installs it)")
    return [d for d in yaml.safe_load_all(text) if d is not None]


def test_policies_allow_exactly_what_was_seen():
    require_bpf()
    u = unique("np")[-8:]
    ns_web, ns_cli = "gh-np-%s-shop" % u, "gh-np-%s-front" % u
    with Lan() as lan, containers.Runc() as r:
        web_net, web_ip = lan.host("np-web", 1)
        cli_net, cli_ip = lan.host("np-cli", 2)
        ext_net, ext_ip = lan.host("np-ext", 3)
        web = r.bundle("web-" + u, ["python3", "-c", WEB, SERVER, "8080", "2", UDP_SERVER, "7777"],
                       host_usr=True,
                       network=web_net.path, hooks=HOOKS,
                       annotations=pod_annotations(ns_web, "web", {"app": "web", "tier": "be"}))
        cli = r.bundle("cli-" + u, ["sh", "-c", 'python3 -c "$1" %s:8080 %s:9090 && '
                                    'python3 -c "$2" %s:5353' % (web_ip, ext_ip, ext_ip),
                                    "sh", CLIENT, UDP_CLIENT],
                       host_usr=True, network=cli_net.path, hooks=HOOKS,
                       annotations=pod_annotations(ns_cli, "client", {"app": "client"}))
        with Tracer("advise/network-policy.lua", "--k8s-namespace", "gh-np-%s-*" % u,
                    fmt=None, host=False) as t:
            ext_server = ext_net.popen("python3", "-c", SERVER, "9090", "1")
            ext_udp = ext_net.popen("python3", "-c", UDP_SERVER, "5353")
            r.run("web-" + u, web)
            r.run("cli-" + u, cli)
            wait_stopped(r, "cli-" + u)
            # the outside host connects in, not traced (no container)
            p = ext_net.popen("python3", "-c", CLIENT, web_ip + ":8080")
            check(p.wait(30) == 0, "the outside client failed", p.stderr.read())
            check(ext_server.wait(30) == 0, "the outside server failed", ext_server.stderr.read())
            check(ext_udp.wait(30) == 0, "the outside UDP server failed", ext_udp.stderr.read())
            p = ext_net.popen("python3", "-c", UDP_CLIENT, web_ip + ":7777")
            check(p.wait(30) == 0, "the outside UDP client failed", p.stderr.read())
            wait_stopped(r, "web-" + u)
            time.sleep(0.3)
        t.check_clean_exit()
        out = t.stdout
    docs = parse_yaml(out)
    check(out.startswith("---"), "YAML documents, --- before each", out[:500])
    ns_sel = lambda ns: {"matchLabels": {"kubernetes.io/metadata.name": ns}}
    want = [
        {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
         "metadata": {"name": "client-network", "namespace": ns_cli},
         "spec": {"podSelector": {"matchLabels": {"app": "client"}},
                  "policyTypes": ["Ingress", "Egress"],
                  "egress": [
                      {"to": [{"podSelector": {"matchLabels": {"app": "web", "tier": "be"}},
                               "namespaceSelector": ns_sel(ns_web)}],
                       "ports": [{"port": 8080, "protocol": "TCP"}]},
                      {"to": [{"ipBlock": {"cidr": ext_ip + "/32"}}],
                       "ports": [{"port": 9090, "protocol": "TCP"},
                                 {"port": 5353, "protocol": "UDP"}]}]}},
        {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
         "metadata": {"name": "web-network", "namespace": ns_web},
         "spec": {"podSelector": {"matchLabels": {"app": "web", "tier": "be"}},
                  "policyTypes": ["Ingress", "Egress"],
                  "ingress": [
                      {"from": [{"podSelector": {"matchLabels": {"app": "client"}},
                                 "namespaceSelector": ns_sel(ns_cli)}],
                       "ports": [{"port": 8080, "protocol": "TCP"}]},
                      {"from": [{"ipBlock": {"cidr": ext_ip + "/32"}}],
                       "ports": [{"port": 8080, "protocol": "TCP"},
                                 {"port": 7777, "protocol": "UDP"}]}]}},
    ]
    check(docs == want, "the policies are not exactly the connections seen",
          "got:\n" + out, "want: " + json.dumps(want, indent=1), "stderr: " + excerpt(t.stderr))
    check(cli_ip not in out and web_ip not in out,
          "a pod's address as an ipBlock: it should be a podSelector", out)


if __name__ == "__main__":
    main([test_policies_allow_exactly_what_was_seen], bpf=False)
