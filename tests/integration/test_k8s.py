#!/usr/bin/env python3
"""Kubernetes: the manifests `gadgethost deploy` prints, validated against
the API's schemas (npm's kubernetes-models, offline), and `gadgethost k8s
run` fanning out for real to several daemons, each in a network namespace
of its own, reached over TLS through veth links (certificates of a CA the
test makes) and merged by the client."""

import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile

from gh import (BUILD_DIR, GH_BIN, Failure, check, describe, excerpt, main,
                private_workload, run_host, scaled, unique, wait_for, workload)
from ghdaemon import Daemon, K8sRun
from ghtls import Pki

HERE = os.path.dirname(os.path.abspath(__file__))
NPM_DIR = os.path.join(BUILD_DIR, "npm")
NPM_PACKAGES = ["kubernetes-models@5.1.0", "js-yaml@4.1.0"]
GADGET = "trace/exec.lua"


def npm_modules():
    """build/npm/node_modules with kubernetes-models and js-yaml (installed
    once; the npm registry is reachable here: a failure is a failure)"""
    mods = os.path.join(NPM_DIR, "node_modules")
    if not all(os.path.isdir(os.path.join(mods, p.rsplit("@", 1)[0])) for p in NPM_PACKAGES):
        r = subprocess.run(["npm", "install", "--prefix", NPM_DIR, "--no-audit", "--no-fund"]
                           + NPM_PACKAGES, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           text=True, timeout=scaled(600))
        check(r.returncode == 0, "npm install %s failed" % " ".join(NPM_PACKAGES),
              excerpt(r.stdout))
    return mods


def validated(yaml_text):
    """the documents, after kubernetes-models validated every one"""
    r = subprocess.run(["node", os.path.join(HERE, "k8s", "validate.mjs"), npm_modules()],
                       input=yaml_text, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True, timeout=scaled(120))
    check(r.returncode == 0, "the manifests do not validate against the Kubernetes API",
          r.stderr)
    return json.loads(r.stdout)


def test_deploy_manifests():
    """deploy: valid Namespace, ServiceAccount, RBAC and DaemonSet, with
    every field the node service needs"""
    r = run_host("deploy", "--namespace", "ghtest", "--image", "registry.example/gh:1")
    check(r.returncode == 0, "deploy failed", r.stderr)
    docs = validated(r.stdout)
    kinds = {d["kind"]: d for d in docs}
    check(sorted(kinds) == ["ClusterRole", "ClusterRoleBinding", "DaemonSet", "Namespace",
                            "ServiceAccount"], "unexpected documents", sorted(kinds))
    check(kinds["Namespace"]["metadata"]["name"] == "ghtest", "namespace not ghtest")
    sa = kinds["ServiceAccount"]["metadata"]
    check(sa == {"name": "gadgethost", "namespace": "ghtest",
                 "labels": {"app.kubernetes.io/name": "gadgethost"}}, "service account", sa)
    rules = kinds["ClusterRole"]["rules"]
    check(any({"pods", "nodes"} <= set(x["resources"]) and
              {"get", "list", "watch"} <= set(x["verbs"]) for x in rules),
          "the ClusterRole does not let it read pods and nodes", rules)
    check(all(set(x["verbs"]) <= {"get", "list", "watch"} for x in rules),
          "the ClusterRole grants more than reading", rules)
    crb = kinds["ClusterRoleBinding"]
    check(crb["roleRef"] == {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole",
                             "name": "gadgethost"}
          and crb["subjects"] == [{"kind": "ServiceAccount", "name": "gadgethost",
                                   "namespace": "ghtest"}],
          "the binding does not bind the role to the service account", crb)

    ds = kinds["DaemonSet"]
    check(ds["metadata"]["namespace"] == "ghtest", "DaemonSet namespace", ds["metadata"])
    labels = ds["spec"]["template"]["metadata"]["labels"]
    check(ds["spec"]["selector"]["matchLabels"] == labels ==
          {"app.kubernetes.io/name": "gadgethost"},
          "selector and pod labels differ (k8s run finds pods by this label)", ds["spec"])
    pod = ds["spec"]["template"]["spec"]
    check(pod["hostPID"] is True, "no hostPID: containers' /proc/PID/ns are not visible")
    check(pod["hostNetwork"] is True, "no hostNetwork")
    check(pod["serviceAccountName"] == "gadgethost", "service account not used")
    check(any(t.get("operator") == "Exists" for t in pod["tolerations"]),
          "not on every node (tolerations)", pod.get("tolerations"))
    check(len(pod["containers"]) == 1, "one container expected")
    c = pod["containers"][0]
    check(c["name"] == "gadgethost", "k8s run execs into container gadgethost", c["name"])
    check(c["image"] == "registry.example/gh:1", "--image not used", c["image"])
    check(c["command"][:2] == ["gadgethost", "daemon"] and "/run/gadgethost.sock" in c["command"],
          "the container does not run the daemon on /run/gadgethost.sock", c["command"])
    check(c["securityContext"] == {"privileged": True}, "not privileged", c["securityContext"])
    probe = c["readinessProbe"]["exec"]["command"]
    check(probe == ["gadgethost", "--remote", "unix:///run/gadgethost.sock", "ping"],
          "the readiness probe does not ping the socket", probe)
    mounts = {m["mountPath"]: m for m in c["volumeMounts"]}
    vols = {v["name"]: v["hostPath"]["path"] for v in pod["volumes"]}
    for path in ("/run", "/sys/fs/bpf", "/sys/kernel/tracing", "/sys/kernel/debug",
                 "/sys/kernel/btf", "/sys/fs/cgroup"):
        check(path in mounts, "no mount at %s" % path, sorted(mounts))
        check(vols.get(mounts[path]["name"]) == path, "%s is not the host's %s" % (path, path),
              vols)
    check(mounts["/sys/kernel/btf"]["readOnly"] is True, "BTF should be read only")
    # the daemon's state dir (its instances) is the node's: a new pod
    # (an upgrade, a crash) starts them again
    m = re.search(r"--state-dir DIR .*\(default (/\S+)\)", run_host("daemon", "--help").stdout)
    check(m, "daemon --help names no default --state-dir")
    state = m.group(1)
    check(state in mounts and mounts[state]["readOnly"] is False,
          "the state dir %s is not mounted writable: instances die with the pod" % state,
          sorted(mounts))
    hp = [v["hostPath"] for v in pod["volumes"] if v["name"] == mounts[state]["name"]]
    check(hp == [{"path": state, "type": "DirectoryOrCreate"}],
          "the state dir is not the node's own %s (made if missing)" % state, hp)
    check(mounts["/run"]["readOnly"] is False, "/run must be writable (the socket)")
    # tests/package/test_image.py: a netns made after the pod started is
    # an empty file in it otherwise
    check(mounts["/run"].get("mountPropagation") == "HostToContainer",
          "/run does not see the node's later mounts (mountPropagation)", mounts["/run"])
    # the probe command works against a real daemon
    with Daemon() as d:
        r = run_host("--remote", d.url, "ping")
        check(r.returncode == 0 and json.loads(r.stdout)["runs"] == 0, "ping failed", r.stderr)
    with Daemon() as d:
        pass
    r = run_host("--remote", d.url, "ping")
    check(r.returncode == 1 and "connect" in r.stderr,
          "ping of a stopped daemon does not fail (the probe would pass)", r.stderr)


def test_undeploy_manifests():
    """undeploy: the same objects, DaemonSet first, namespace last"""
    dep = validated(run_host("deploy", "-n", "ghtest").stdout)
    und = validated(run_host("undeploy", "-n", "ghtest").stdout)
    ident = lambda d: (d["kind"], d["metadata"]["name"], d["metadata"].get("namespace"))
    check([ident(d) for d in und] == [ident(d) for d in reversed(dep)],
          "undeploy does not name deploy's objects, last first",
          [ident(d) for d in dep], [ident(d) for d in und])
    r = run_host("deploy", "--image-pull-policy", "Sometimes")
    check(r.returncode == 1 and "Sometimes" in r.stderr, "a bad pull policy was accepted",
          r.stderr)


class Nodes:
    """n daemons, each in a network namespace of its own behind a veth link,
    listening with TLS there (one certificate naming every node's address),
    with one shared token; daemon_args(i): node i's own daemon options"""

    def __init__(self, n, daemon_args=None):
        self.daemon_args = daemon_args or (lambda i: [])
        self.tag = secrets.token_hex(3)
        self.net = "10.%d.%d" % (100 + secrets.randbelow(150), secrets.randbelow(250))
        self.n = n
        self.dir = tempfile.mkdtemp(prefix="gh-nodes-")
        self.token_file = os.path.join(self.dir, "token")
        with open(self.token_file, "w") as f:
            f.write(secrets.token_hex(24) + "\n")
        os.chmod(self.token_file, 0o600)
        self.names = ["node-%s-%d" % (self.tag, i) for i in range(n)]
        self.netns = ["ghk8s%s%d" % (self.tag, i) for i in range(n)]
        self.daemons = []
        self.addrs = []
        self.pki = Pki(ips=["%s.%d" % (self.net, 4 * i + 2) for i in range(n)], names=())

    def client_args(self):
        """k8s run's options to reach the nodes: the token, the CA"""
        return ["--token-file", self.token_file] + self.pki.client_args()

    def __enter__(self):
        try:
            for i in range(self.n):
                ns, host_if, ns_if = self.netns[i], "gk%sh%d" % (self.tag, i), "gk%sn%d" % (self.tag, i)
                here, there = "%s.%d" % (self.net, 4 * i + 1), "%s.%d" % (self.net, 4 * i + 2)
                for cmd in (["ip", "netns", "add", ns],
                            ["ip", "link", "add", host_if, "type", "veth", "peer", "name", ns_if],
                            ["ip", "link", "set", ns_if, "netns", ns],
                            ["ip", "addr", "add", here + "/30", "dev", host_if],
                            ["ip", "link", "set", host_if, "up"],
                            ["ip", "-n", ns, "addr", "add", there + "/30", "dev", ns_if],
                            ["ip", "-n", ns, "link", "set", ns_if, "up"],
                            ["ip", "-n", ns, "link", "set", "lo", "up"]):
                    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                       text=True)
                    check(r.returncode == 0, "%s failed" % " ".join(cmd), r.stdout)
                addr = "%s:%d" % (there, 7000 + i)
                d = Daemon(*self.daemon_args(i), prefix=["ip", "netns", "exec", ns],
                           listen=addr, token_file=self.token_file, pki=self.pki)
                d.start()
                self.daemons.append(d)
                self.addrs.append(addr)
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def endpoints(self, names=None):
        return ",".join("%s=tls://%s" % (n, a) for n, a in zip(self.names, self.addrs)
                        if names is None or n in names)

    def __exit__(self, exc_type, exc, tb):
        errors = []
        for d in self.daemons:
            try:
                d.__exit__(exc_type, exc, tb)
            except Failure as e:
                errors.append(e)
        for i, ns in enumerate(self.netns):
            subprocess.run(["ip", "link", "del", "gk%sh%d" % (self.tag, i)],
                           stderr=subprocess.DEVNULL)
            subprocess.run(["ip", "netns", "del", ns], stderr=subprocess.DEVNULL)
        shutil.rmtree(self.dir, ignore_errors=True)
        self.pki.cleanup()
        if errors and exc_type is None:
            raise errors[0]
        return False


def trues(evs, prefix):
    return [e for e in evs if e.get("comm") == "true" and prefix in " ".join(e.get("args", []))]


def test_fanout_json():
    """3 nodes: every node's run streams, each event carries k8s.node"""
    tmp = tempfile.mkdtemp(prefix="gh-fan-")
    try:
        wl, comm = private_workload(tmp)
        prefix = unique("fan")
        with Nodes(3) as nodes:
            t = K8sRun(GADGET, "-F", "pcomm==" + comm,
                       k8s_args=["--endpoints", nodes.endpoints()] + nodes.client_args())
            with t:
                for d in nodes.daemons:
                    check(len(d.runs()) == 1, "a node has no run", d.log)
                workload("exec", 4, prefix, binary=wl)
                t.wait_for(lambda: len(trues(t.events_so_far(), prefix)) >= 12,
                           "4 execs from each of 3 nodes")
            t.check_clean_exit()
            evs = trues(t.events(), prefix)
            by_node = {}
            for e in evs:
                by_node.setdefault(e.get("k8s", {}).get("node"), []).append(e)
            check(sorted(by_node) == sorted(nodes.names), "not one stream per node",
                  sorted(by_node, key=str), describe(evs))
            want = sorted("%s-%d" % (prefix, i) for i in range(4))
            strip = lambda e: {k: v for k, v in e.items() if k not in ("timestamp", "k8s")}
            first = sorted((strip(e) for e in by_node[nodes.names[0]]), key=json.dumps)
            for node, got in by_node.items():
                check(sorted(e["args"][1] for e in got) == want,
                      "node %s did not send exactly the 4 execs" % node, describe(got))
                check(sorted((strip(e) for e in got), key=json.dumps) == first,
                      "node %s's events differ from the others' (but for k8s.node)" % node)
                check(all(set(e["k8s"]) == {"node"} for e in got),
                      "k8s.node not merged into the event's k8s object", describe(got))
            for d in nodes.daemons:
                wait_for(lambda: not d.runs(), 10, "a node still runs after Ctrl-C", d.runs)
                check("stop asked" in d.log, "the node was not asked to stop", excerpt(d.log))
    finally:
        shutil.rmtree(tmp)


def test_fanout_columns_and_node():
    """columns: K8S.NODE first, the header once; --node picks one node; an
    unreachable node is named, the others still stream"""
    tmp = tempfile.mkdtemp(prefix="gh-fancol-")
    try:
        wl, comm = private_workload(tmp)
        prefix = unique("col")
        with Nodes(2) as nodes:
            t = K8sRun(GADGET, "-F", "pcomm==" + comm, fmt="columns",
                       k8s_args=["--endpoints", nodes.endpoints()] + nodes.client_args())
            with t:
                workload("exec", 3, prefix, binary=wl)
                t.wait_for(lambda: t.stdout.count(prefix) >= 6, "3 rows from each of 2 nodes")
            t.check_clean_exit()
            lines = t.stdout.splitlines()
            check(len(lines) == 7, "wanted a header and 3 rows per node", t.stdout)
            check(re.match(r"K8S\.NODE +RUNTIME\.CONTAINERNAME +PID +PPID +COMM", lines[0]),
                  "the header does not start with K8S.NODE", lines[0])
            width = len(nodes.names[0])
            for node in nodes.names:
                rows = [l for l in lines[1:] if l.startswith(node + " ")]
                check(len(rows) == 3 and all(prefix in r for r in rows),
                      "node %s: not its 3 rows" % node, t.stdout)
            check(all(len(l.split(" ")[0]) == width for l in lines[1:]), "column not aligned",
                  t.stdout)
            # local columns of the same gadget: the merged rows are those, after K8S.NODE
            local = run_host("run", GADGET, "--host", "-F", "pcomm==" + comm, "--timeout", "0.5")
            check(lines[0][width + 1:] == local.stdout.splitlines()[0],
                  "the header after K8S.NODE is not run's", lines[0], local.stdout)

            t = K8sRun(GADGET, "-F", "pcomm==" + comm,
                       k8s_args=["--endpoints", nodes.endpoints(), "--node", nodes.names[1]] +
                       nodes.client_args())
            with t:
                workload("exec", 2, prefix + "n", binary=wl)
                t.wait_for(lambda: len(trues(t.events_so_far(), prefix + "n")) >= 2,
                           "the node's 2 execs")
            t.check_clean_exit()
            got = trues(t.events(), prefix + "n")
            check(len(got) == 2 and {e["k8s"]["node"] for e in got} == {nodes.names[1]},
                  "--node did not pick the one node", describe(got))

            dead = nodes.endpoints() + ",gone=tls://%s.250:9" % nodes.net
            t = K8sRun(GADGET, "-F", "pcomm==" + comm,
                       k8s_args=["--endpoints", dead] + nodes.client_args())
            with t:
                workload("exec", 1, prefix + "d", binary=wl)
                t.wait_for(lambda: len(trues(t.events_so_far(), prefix + "d")) >= 2,
                           "the exec from each reachable node")
            check(t.returncode == 1 and "node gone" in t.stderr,
                  "the unreachable node is not reported (exit 1)", t.returncode, t.stderr)
            check(len(trues(t.events(), prefix + "d")) == 2, "the reachable nodes did not stream",
                  t.stdout)

            # plain TCP to a node: the client does not send the token in clear
            plain = nodes.endpoints().replace("tls://", "tcp://")
            r = run_host("k8s", "run", GADGET, "--endpoints", plain, *nodes.client_args()[:2])
            check(r.returncode == 1 and "plain TCP goes to a loopback address only" in r.stderr,
                  "k8s run sent a token over plain TCP to a node", r.returncode, r.stderr)
            # a client that trusts another CA: refused, node by node
            with Pki(ca_name="other", ips=(), names=("x",)) as other:
                r = run_host("k8s", "run", GADGET, "--endpoints", nodes.endpoints(),
                             *nodes.client_args()[:2], *other.client_args())
            check(r.returncode == 1 and r.stderr.count("the server's certificate is refused")
                  == 2, "a client trusting another CA reached the nodes", r.returncode, r.stderr)
    finally:
        shutil.rmtree(tmp)


FAKE_KUBECTL = r'''#!/usr/bin/env python3
# kubectl as far as gadgethost k8s run uses it: get pods answers with this
# test's pods, exec runs the command in the pod's place (its node's daemon)
import json, os, sys
pods = json.loads(os.environ["GH_FAKE_PODS"])
args = sys.argv[1:]
with open(os.environ["GH_FAKE_LOG"], "a") as log:
    log.write(" ".join(args) + "\n")
if args[:2] == ["get", "pods"]:
    want = ["get", "pods", "-n", "gadgethost", "-l", "app.kubernetes.io/name=gadgethost",
            "-o", "json"]
    if args != want:
        sys.exit("fake kubectl: unexpected " + " ".join(args))
    items = [{"metadata": {"name": p}, "spec": {"nodeName": v["node"]},
              "status": {"phase": v["phase"]}} for p, v in pods.items()]
    print(json.dumps({"kind": "PodList", "items": items}))
    sys.exit(0)
if args[0] == "exec":
    sep = args.index("--")
    pod = args[sep - 3]
    cmd = args[sep + 1:]
    if args[1:sep] != ["-i", "-n", "gadgethost", pod, "-c", "gadgethost"] or \
            cmd[:3] != ["gadgethost", "--remote", "unix:///run/gadgethost.sock"]:
        sys.exit("fake kubectl: unexpected " + " ".join(args))
    os.execv(os.environ["GH_BIN"], [os.environ["GH_BIN"], "--remote",
             "unix://" + pods[pod]["socket"]] + cmd[3:])
sys.exit("fake kubectl: unexpected " + " ".join(args))
'''


def test_kubectl_discovery():
    """with kubectl: the DaemonSet's running pods are found, one kubectl exec
    stream each (into the daemons of two namespaces), merged; Ctrl-C closes
    their stdin and every run stops"""
    tmp = tempfile.mkdtemp(prefix="gh-kubectl-")
    try:
        wl, comm = private_workload(tmp)
        prefix = unique("kc")
        kubectl = os.path.join(tmp, "kubectl")
        with open(kubectl, "w") as f:
            f.write(FAKE_KUBECTL)
        os.chmod(kubectl, 0o755)
        with Nodes(2) as nodes:
            pods = {"gadgethost-aaaaa": {"node": nodes.names[0], "phase": "Running",
                                         "socket": nodes.daemons[0].socket},
                    "gadgethost-bbbbb": {"node": nodes.names[1], "phase": "Running",
                                         "socket": nodes.daemons[1].socket},
                    "gadgethost-ccccc": {"node": "node-pending", "phase": "Pending",
                                         "socket": "/nonexistent"}}
            env = dict(os.environ, GH_FAKE_PODS=json.dumps(pods),
                       GH_FAKE_LOG=os.path.join(tmp, "log"))
            t = K8sRun(GADGET, "-F", "pcomm==" + comm, k8s_args=["--kubectl", kubectl], env=env)
            with t:
                for d in nodes.daemons:
                    wait_for(lambda: d.runs() and d.runs()[0]["started"], 10,
                             "a node's run did not start", lambda: excerpt(d.log))
                workload("exec", 2, prefix, binary=wl)
                t.wait_for(lambda: len(trues(t.events_so_far(), prefix)) >= 4,
                           "2 execs from each running pod's node")
            t.check_clean_exit()
            got = trues(t.events(), prefix)
            check(sorted(e["k8s"]["node"] for e in got) == sorted(nodes.names * 2),
                  "not 2 execs from each running pod's node", describe(got), t.stderr)
            check("node-pending" in t.stderr and "Pending" in t.stderr,
                  "the pending pod is not reported", t.stderr)
            for d in nodes.daemons:
                wait_for(lambda: not d.runs(), 10, "a node still runs after Ctrl-C", d.runs)
    finally:
        shutil.rmtree(tmp)


if __name__ == "__main__":
    main([test_deploy_manifests, test_undeploy_manifests, test_fanout_json,
          test_fanout_columns_and_node, test_kubectl_discovery])
