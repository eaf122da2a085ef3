#!/usr/bin/env python3
"""A Kubernetes-style pod through containerd's CRI plugin, the way the
kubelet makes one: RunPodSandbox (the pause container), CreateContainer,
StartContainer, over the CRI gRPC API on containerd's socket.  gadgethost
finds both under /run/containerd/runc/k8s.io (one of its default runc
roots), gives the app container its k8s.* fields from the
io.kubernetes.cri.* annotations the plugin writes and its pod's labels
from the CRI API on the same socket (host/containers/cri_client.c), and never
selects the sandbox; advise/network-policy selects the pod by those
labels.

The CRI client: Debian's python3-grpcio and python3-protobuf, with a
minimal hand-written cri/api.proto (package runtime.v1, field numbers as in
k8s.io/cri-api; it imports the host's own host/containers/cri.proto) compiled at test
time by python3-grpc-tools into a temporary directory.  Those packages are installed for Debian's
/usr/bin/python3; run by another python3 (pyenv's, say) that cannot import
them, this file runs itself again with /usr/bin/python3.

Pods use the node's network (NamespaceOption network = NODE): the CRI
plugin wants an eth0 from a CNI plugin for a pod network namespace of its
own, and every plugin that makes one changes the host's network.
"""

import json
import os
import sys
import tempfile
import uuid

DEBIAN_PYTHON = "/usr/bin/python3"
REEXEC_MARK = "GH_CRI_REEXEC"


def _grpc_importable():
    try:
        import grpc  # noqa: F401
        import google.protobuf  # noqa: F401
        import grpc_tools.protoc  # noqa: F401
    except ImportError:
        return False
    return True


if (__name__ == "__main__" and not _grpc_importable()
        and os.environ.get(REEXEC_MARK) != "1" and os.access(DEBIAN_PYTHON, os.X_OK)
        and os.path.realpath(sys.executable) != os.path.realpath(DEBIAN_PYTHON)):
    os.environ[REEXEC_MARK] = "1"
    sys.stdout.flush()
    os.execv(DEBIAN_PYTHON, [DEBIAN_PYTHON] + sys.argv)

import containers  # noqa: E402
from gh import (Failure, Skip, Tracer, check, describe, events_received,  # noqa: E402
                excerpt, main, require_bpf, run_host, scaled, unique, wait_for)

HERE = os.path.dirname(os.path.abspath(__file__))
PROTO_DIR = os.path.join(HERE, "cri")
HOST_DIR = os.path.join(HERE, "..", "..", "host", "containers")  # cri.proto: the host's part
K8S_NS = "k8s.io"          # the containerd namespace of the CRI plugin
POD = "api-7d4b9"
# the test's own namespace: the host finds every CRI container on the
# machine, another test's pods too
POD_NS = unique("shop")
APP = "api"
LABELS = {"app": "api", "tier": "backend"}   # the pod's; podLabels as gadgethost prints them:
POD_LABELS = "app=api,tier=backend"          # sorted, the kubelet's io.kubernetes.* left out
RPC_TIMEOUT = scaled(60)

_API = None
work = containers.images


def cri_api():
    """(api_pb2, api_pb2_grpc, cri_pb2) compiled from cri/api.proto and
    host/containers/cri.proto into work(), or Skip"""
    global _API
    if _API is not None:
        return _API
    if not _grpc_importable():
        raise Skip("no Python gRPC for %s (python3-grpcio, python3-protobuf and "
                   "python3-grpc-tools; scripts/setup.sh installs them)" % sys.executable)
    from grpc_tools import protoc
    out = os.path.join(work(), "cri-py")
    os.makedirs(out, exist_ok=True)
    for proto in (os.path.join(HOST_DIR, "cri.proto"), os.path.join(PROTO_DIR, "api.proto")):
        rc = protoc.main(["grpc_tools.protoc", "-I" + PROTO_DIR, "-I" + HOST_DIR,
                          "--python_out=" + out, "--grpc_python_out=" + out, proto])
        check(rc == 0, "grpc_tools.protoc failed on %s (status %r)" % (proto, rc))
    sys.path.insert(0, out)
    import api_pb2
    import api_pb2_grpc
    import cri_pb2
    _API = (api_pb2, api_pb2_grpc, cri_pb2)
    return _API


class Cri:
    """a minimal CRI client (RuntimeService only) on a Unix socket"""

    def __init__(self, sock):
        import grpc
        self.grpc = grpc
        self.pb, pbg, self.cri_pb = cri_api()
        self.channel = grpc.insecure_channel("unix://" + sock)
        self.rt = pbg.RuntimeServiceStub(self.channel)

    def call(self, method, request):
        try:
            return getattr(self.rt, method)(request, timeout=RPC_TIMEOUT)
        except self.grpc.RpcError as e:
            raise Failure("CRI %s failed: %s: %s" % (method, e.code(), e.details()),
                          str(request)[:1000])

    def close(self):
        self.channel.close()

    def version(self):
        return self.call("Version", self.pb.VersionRequest(version="v1"))

    def namespaces(self):
        """the node's network, the pod's ipc, the container's own pid namespace
        (as the kubelet asks for a hostNetwork pod)"""
        pb = self.pb
        return pb.NamespaceOption(network=pb.NODE, pid=pb.CONTAINER, ipc=pb.POD)

    def sandbox_config(self, name, namespace, uid, log_dir, labels=None):
        pb = self.pb
        return pb.PodSandboxConfig(
            metadata=pb.PodSandboxMetadata(name=name, uid=uid, namespace=namespace, attempt=0),
            log_directory=log_dir,
            dns_config=pb.DNSConfig(servers=["127.0.0.1"]),
            labels=labels or {},
            linux=pb.LinuxPodSandboxConfig(
                cgroup_parent="/kubepods/besteffort/pod" + uid,
                security_context=pb.LinuxSandboxSecurityContext(
                    namespace_options=self.namespaces())))

    def run_pod(self, config):
        return self.call("RunPodSandbox",
                         self.pb.RunPodSandboxRequest(config=config)).pod_sandbox_id

    def create(self, sandbox_id, sandbox_config, name, image, command, log_path):
        pb = self.pb
        cfg = pb.ContainerConfig(
            metadata=pb.ContainerMetadata(name=name, attempt=0),
            image=pb.ImageSpec(image=image), command=list(command), log_path=log_path,
            linux=pb.LinuxContainerConfig(security_context=pb.LinuxContainerSecurityContext(
                namespace_options=self.namespaces())))
        return self.call("CreateContainer", pb.CreateContainerRequest(
            pod_sandbox_id=sandbox_id, config=cfg,
            sandbox_config=sandbox_config)).container_id

    def start(self, container_id):
        self.call("StartContainer", self.pb.StartContainerRequest(container_id=container_id))

    def stop(self, container_id):
        self.call("StopContainer",
                  self.pb.StopContainerRequest(container_id=container_id, timeout=0))

    def remove(self, container_id):
        self.call("RemoveContainer", self.pb.RemoveContainerRequest(container_id=container_id))

    def stop_pod(self, sandbox_id):
        self.call("StopPodSandbox", self.pb.StopPodSandboxRequest(pod_sandbox_id=sandbox_id))

    def remove_pod(self, sandbox_id):
        self.call("RemovePodSandbox",
                  self.pb.RemovePodSandboxRequest(pod_sandbox_id=sandbox_id))

    def containers(self, sandbox_id=""):
        return list(self.call("ListContainers", self.pb.ListContainersRequest(
            filter=self.pb.ContainerFilter(pod_sandbox_id=sandbox_id))).containers)

    def pods(self):
        return list(self.call("ListPodSandbox", self.cri_pb.ListPodSandboxRequest()).items)


class Pod:
    """a pod of one container, as the kubelet makes it: RunPodSandbox,
    CreateContainer, StartContainer; on exit StopContainer, RemoveContainer,
    StopPodSandbox, RemovePodSandbox (and a check that none is left).  Its
    sandbox has labels, and the kubelet's own io.kubernetes.pod.* ones."""

    def __init__(self, cri, command, name=POD, namespace=POD_NS, container=APP,
                 image=containers.IMAGE_REF, labels=LABELS, kubelet_labels=True):
        self.cri = cri
        self.command = command
        self.name, self.namespace, self.container, self.image = name, namespace, container, image
        self.uid = str(uuid.uuid4())
        self.labels = dict(labels)
        if kubelet_labels:  # crictl runp and other clients may set none at all
            self.labels.update({"io.kubernetes.pod.name": name,
                                "io.kubernetes.pod.namespace": namespace,
                                "io.kubernetes.pod.uid": self.uid})
        self.log_dir = tempfile.mkdtemp(prefix="pod-logs-", dir=work())
        self.sandbox_id = self.container_id = None

    def __enter__(self):
        self.config = self.cri.sandbox_config(self.name, self.namespace, self.uid,
                                              self.log_dir, labels=self.labels)
        try:
            self.sandbox_id = self.cri.run_pod(self.config)
            self.container_id = self.cri.create(self.sandbox_id, self.config, self.container,
                                                self.image, self.command,
                                                "%s/0.log" % self.container)
            self.cri.start(self.container_id)
        except BaseException:
            self.remove()
            raise
        return self

    def output(self):
        return containers._read(os.path.join(self.log_dir, self.container, "0.log"), "")

    def remove(self):
        if self.container_id:
            self.cri.stop(self.container_id)
            self.cri.remove(self.container_id)
        if self.sandbox_id:
            self.cri.stop_pod(self.sandbox_id)
            self.cri.remove_pod(self.sandbox_id)
        left = [c.id for c in self.cri.containers()] + [p.id for p in self.cri.pods()]
        check(not left, "the CRI plugin still lists containers or pods", left)

    def __exit__(self, exc_type, exc, tb):
        try:
            self.remove()
        except Failure:
            if exc_type is None:
                raise
        return False


def prepare(c):
    """images into k8s.io; the CRI plugin answers Version; returns a Cri"""
    c.import_image(os.path.join(work(), "bb-oci.tar"), namespace=K8S_NS)
    c.import_sandbox_image(os.path.join(work(), "rootfs"))
    cri = Cri(c.cri_sock)
    v = cri.version()
    check(v.runtime_name == "containerd" and v.runtime_api_version == "v1",
          "CRI Version: wanted containerd serving runtime.v1", str(v))
    return cri


def k8s_of(cid):
    """where containerd keeps what gadgethost reads, for failure messages"""
    state = os.path.join(containers.CONTAINERD_RUN, "runc", K8S_NS, cid, "state.json")
    try:
        with open(state) as f:
            labels = json.load(f)["config"].get("labels")
    except (OSError, ValueError, KeyError) as e:
        labels = "(%s)" % e
    return "runc state %s: labels %s" % (state, labels)


def test_cri_pod_k8s_fields():
    """a pod's container through the CRI: selected by --k8s-namespace, its
    events carry k8s.namespace/podName/containerName and the image the CRI
    plugin recorded; the sandbox (pause) is never selected; nothing of
    other processes reaches userspace"""
    require_bpf()
    cri_api()
    with containers.Containerd(cri=True) as c:
        cri = prepare(c)
        try:
            with Tracer("trace/exec.lua", "--k8s-namespace", POD_NS, "--verbose",
                        host=False) as t:
                # found on disk: the host looks at containerd's state when
                # the first event comes, so the container sleeps (its
                # workload) until the test has seen the echo
                with Pod(cri, ["sh", "-c", "/bin/echo from-cri; exec sleep 60"]) as pod:
                    where = k8s_of(pod.container_id) + "\n    sandbox " + \
                        k8s_of(pod.sandbox_id)
                    t.wait_for(lambda: [e for e in t.events_so_far()
                                        if e["args"] == ["/bin/echo", "from-cri"]],
                               "the pod container's echo")
                    output = wait_for(lambda: "from-cri" in pod.output() and pod.output(), 10,
                                      "the echo in the container's log", where)
        finally:
            cri.close()
        t.check_clean_exit()
    check("from-cri" in output, "the container's log lacks its echo", output)
    evs = t.events()
    echo = [e for e in evs if e["args"] == ["/bin/echo", "from-cri"]]
    check(len(echo) == 1, "wanted the pod container's echo once", describe(evs),
          where, "stderr: " + excerpt(t.stderr))
    # the labels from the CRI API on containerd's socket (ListPodSandbox)
    want_k8s = {"namespace": POD_NS, "podName": POD, "containerName": APP,
                "podLabels": POD_LABELS}
    check(echo[0]["k8s"] == want_k8s, "k8s fields of the pod's container", echo[0], where)
    check(echo[0]["runtime"] == {"runtimeName": "containerd",
                                 "containerId": pod.container_id,
                                 "containerName": APP,
                                 # io.kubernetes.cri.image-name: the name as asked
                                 "containerImageName": containers.IMAGE_REF},
          "runtime fields of the pod's container", echo[0], where)
    for e in evs:
        check(e["runtime"]["containerName"] != POD and
              e["runtime"]["containerId"] != pod.sandbox_id,
              "an event of the pod's sandbox (pause) container", e)
        check(e["runtime"]["containerId"] == pod.container_id and e["k8s"] == want_k8s,
              "an event of another container", e)
    check(events_received(t.stderr) == len(evs), "events of other processes reached userspace",
          excerpt(t.stderr))


def test_cri_network_policy_selects_by_labels():
    """advise/network-policy on a CRI pod: its podSelector is the pod's
    labels as the CRI API gives them (not {}, every pod of the namespace),
    and the manifest validates against the Kubernetes API (kubernetes-
    models)"""
    require_bpf()
    cri_api()
    from test_k8s import validated
    with containers.Containerd(cri=True) as c:
        cri = prepare(c)
        try:
            with Tracer("advise/network-policy.lua", "--k8s-namespace", POD_NS, fmt=None,
                        host=False) as t:
                # a DNS query to the node's loopback (no rule: loopback), so
                # that the pod is seen; found on disk, the pod must be alive
                # when the host looks: it sleeps (its workload) until the
                # run stops
                with Pod(cri, ["sh", "-c",
                               "nslookup a.test 127.0.0.1; echo asked; exec sleep 60"]) as pod:
                    where = k8s_of(pod.container_id)
                    output = wait_for(lambda: "asked" in pod.output() and pod.output(), 30,
                                      "the pod's nslookup", where)
        finally:
            cri.close()
        t.check_clean_exit()
    check("asked" in output, "the pod's nslookup did not run", output)
    docs = validated(t.stdout)
    want = [{"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
             "metadata": {"name": POD + "-network", "namespace": POD_NS},
             "spec": {"podSelector": {"matchLabels": LABELS},
                      "policyTypes": ["Ingress", "Egress"]}}]
    check(docs == want, "the pod's policy does not select it by its labels", t.stdout,
          json.dumps(want), where, "stderr: " + excerpt(t.stderr))


def test_cri_list_containers():
    """list-containers: the pod's container with its k8s fields and no
    sandbox; with --all the sandbox too, marked "sandbox": true"""
    require_bpf()
    cri_api()
    with containers.Containerd(cri=True) as c:
        cri = prepare(c)
        try:
            with Pod(cri, ["sleep", "30"]) as pod:
                res = run_host("list-containers", "-o", "json")
                res_all = run_host("list-containers", "--all", "-o", "json")
                where = k8s_of(pod.container_id) + "\n    sandbox " + k8s_of(pod.sandbox_id)
                pids = {}
                for cid in (pod.container_id, pod.sandbox_id):
                    p = os.path.join(c.task_dir(cid, K8S_NS), "init.pid")
                    pids[cid] = int(containers._read(p, "0").strip() or 0)
        finally:
            cri.close()
    for r in (res, res_all):
        check(r.returncode == 0, "list-containers failed", r.stderr)
    ours = (pod.container_id, pod.sandbox_id)

    def mine(out):
        got = json.loads(out)
        return {g["runtime"]["containerId"]: g for g in got
                if g["runtime"]["containerId"] in ours}

    listed, listed_all = mine(res.stdout), mine(res_all.stdout)
    app = {"runtime": {"runtimeName": "containerd", "containerId": pod.container_id,
                       "containerName": APP, "containerImageName": containers.IMAGE_REF},
           "k8s": {"namespace": POD_NS, "podName": POD, "containerName": APP,
                   "podUID": pod.uid, "podLabels": POD_LABELS}}
    check(list(listed) == [pod.container_id],
          "list-containers: wanted the pod's container and not its sandbox",
          res.stdout, where)
    got = listed[pod.container_id]
    check({k: got[k] for k in ("runtime", "k8s")} == app and "sandbox" not in got,
          "list-containers: the pod's container", got, app, where)
    check(got["pid"] == pids[pod.container_id], "list-containers: pid of the container",
          got, pids)
    check(set(listed_all) == set(ours),
          "list-containers --all: wanted the pod's container and its sandbox",
          res_all.stdout, where)
    check(listed_all[pod.container_id] == got, "list-containers --all: the container",
          listed_all[pod.container_id], got)
    sb = listed_all[pod.sandbox_id]
    want_sb = {"runtime": {"runtimeName": "containerd", "containerId": pod.sandbox_id,
                           "containerName": POD},
               "k8s": {"namespace": POD_NS, "podName": POD, "podUID": pod.uid}}
    check(sb.get("sandbox") is True and {k: sb[k] for k in ("runtime", "k8s")} == want_sb
          and sb["pid"] == pids[pod.sandbox_id],
          "list-containers --all: the sandbox", sb, want_sb, pids, where)


def test_cri_pod_without_labels():
    """a pod whose sandbox has no label at all (crictl runp can make one):
    the CRI API answers an empty list, the container is listed with its
    namespace and pod from the annotations and no podLabels (the labels'
    array is absent from such an answer: UBSan caught a sort of nothing)"""
    require_bpf()
    cri_api()
    with containers.Containerd(cri=True) as c:
        cri = prepare(c)
        try:
            with Pod(cri, ["sleep", "30"], labels={}, kubelet_labels=False) as pod:
                res = run_host("list-containers", "-o", "json")
        finally:
            cri.close()
    check(res.returncode == 0, "list-containers failed", res.stderr)
    got = [g for g in json.loads(res.stdout) if g["runtime"]["containerId"] == pod.container_id]
    check(len(got) == 1, "list-containers: wanted the pod's container once", res.stdout)
    check(got[0]["k8s"] == {"namespace": POD_NS, "podName": POD, "containerName": APP,
                            "podUID": pod.uid},
          "list-containers: the k8s fields of a pod without labels", got[0], res.stderr)


if __name__ == "__main__":
    main([test_cri_pod_k8s_fields, test_cri_network_policy_selects_by_labels,
          test_cri_list_containers, test_cri_pod_without_labels], bpf=False)
