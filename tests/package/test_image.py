#!/usr/bin/env python3
"""The node image, really run from the manifests of `gadgethost deploy`.

scripts/build-image.sh builds the image (buildah, no base image: the .deb's
files and the libraries its binary loads); it is pushed to Debian's
docker-registry on loopback; `gadgethost deploy --image` names it; the
DaemonSet's pod template, as deploy prints it and the Kubernetes schemas
accept it (test_k8s.py's validation), runs in podman: image pulled from
the registry, the manifest's privileges, host namespaces, mounts, probes,
nothing added.  Then from the host: `gadgethost --remote
unix:///run/gadgethost.sock` (the socket the manifest's /run mount shares)
runs trace/exec.lua and sees a runc container started afterwards, with its
name; `gadgethost list-containers` in the pod lists the host's containers;
an instance detached there runs again in a second pod (the state dir is
the node's, a hostPath).

Debian 12's podman (4.3) plays a Pod but ignores its hostPID (kube play
learnt it in 4.5), and plays no DaemonSet: the pod template is run with
`podman run`, each field of it turned into the flag that does what a
kubelet does with it (pod_run_flags), any field it does not know refused.
"""

import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time

import pkgbuild
from pkgbuild import SOURCE_DIR

sys.path.insert(0, os.path.join(SOURCE_DIR, "tests", "integration"))
import containers  # noqa: E402
from gh import (GH_BIN, Failure, check, describe, excerpt, main, require_bpf,  # noqa: E402
                scaled, unique)
from test_k8s import validated  # noqa: E402

SOCKET = "/run/gadgethost.sock"     # what the manifest's command and probes name
URL = "unix://" + SOCKET
STATE_DIR = "/var/lib/gadgethost"    # the daemon's default --state-dir, the manifest's hostPath
HOOKS = {"prestart": [{"path": GH_BIN, "args": ["gadgethost", "hook", "prestart"]}],
         "poststop": [{"path": GH_BIN, "args": ["gadgethost", "hook", "poststop"]}]}

# pod fields that only matter to a cluster (scheduling, identity, DNS in
# a cluster): nothing to do on one node
CLUSTER_ONLY = {"serviceAccountName", "priorityClassName", "tolerations", "nodeSelector",
                "dnsPolicy"}
PULL = {"IfNotPresent": "missing", "Always": "always", "Never": "never"}
PROPAGATION = {"HostToContainer": "rslave", "Bidirectional": "rshared", "None": "rprivate"}


def refuse_unknown(obj, known, where):
    extra = sorted(set(obj) - set(known))
    check(not extra, "%s has %s: this test does not know how to run that" % (where, extra), obj)


def probe_flags(probe):
    """a readiness/liveness exec probe as podman's health check"""
    refuse_unknown(probe, {"exec", "initialDelaySeconds", "periodSeconds", "timeoutSeconds"},
                   "a probe")
    return ["--health-cmd", json.dumps(probe["exec"]["command"]),
            "--health-start-period", "%ds" % probe.get("initialDelaySeconds", 0),
            "--health-interval", "%ds" % probe.get("periodSeconds", 10),
            "--health-timeout", "%ds" % probe.get("timeoutSeconds", 1)]


def pod_run_flags(pod, name):
    """`podman run` flags for the pod's one container, field by field"""
    spec = pod["spec"]
    refuse_unknown(spec, CLUSTER_ONLY | {"hostPID", "hostNetwork", "containers", "volumes",
                                         "terminationGracePeriodSeconds"}, "the pod spec")
    check(len(spec["containers"]) == 1, "one container expected", spec["containers"])
    c = spec["containers"][0]
    refuse_unknown(c, {"name", "image", "imagePullPolicy", "command", "securityContext",
                       "readinessProbe", "livenessProbe", "resources", "volumeMounts"},
                   "the container")
    flags = ["--name", name]
    for k, v in pod["metadata"].get("labels", {}).items():
        flags += ["--label", "%s=%s" % (k, v)]
    if spec.get("hostPID"):
        flags += ["--pid", "host"]
    flags += ["--network", "host" if spec.get("hostNetwork") else "none"]
    if "terminationGracePeriodSeconds" in spec:
        flags += ["--stop-timeout", str(spec["terminationGracePeriodSeconds"])]
    refuse_unknown(c.get("securityContext", {}), {"privileged"}, "the securityContext")
    if c.get("securityContext", {}).get("privileged"):
        flags += ["--privileged"]
    # requests only place a pod; the kubelet gives CPU shares from them
    refuse_unknown(c.get("resources", {}), {"requests"}, "the resources")
    cpu = c.get("resources", {}).get("requests", {}).get("cpu")
    if cpu:
        milli = int(cpu[:-1]) if cpu.endswith("m") else int(float(cpu) * 1000)
        flags += ["--cpu-shares", str(max(2, milli * 1024 // 1000))]
    # the readiness probe gates traffic, the liveness probe restarts: one
    # command here, podman's health check runs it (the test runs it too)
    probe = c.get("livenessProbe") or c.get("readinessProbe")
    if probe:
        flags += probe_flags(probe)
        check(c.get("readinessProbe", probe)["exec"] == probe["exec"],
              "readiness and liveness probes differ: podman has one health check")
    volumes = {}
    for v in spec.get("volumes", []):
        refuse_unknown(v, {"name", "hostPath"}, "volume %s" % v.get("name"))
        refuse_unknown(v["hostPath"], {"path", "type"}, "volume %s hostPath" % v["name"])
        kind = v["hostPath"].get("type", "")
        check(kind in ("", "DirectoryOrCreate"), "hostPath type %s: unknown here" % kind)
        if kind == "DirectoryOrCreate":  # as the kubelet does
            os.makedirs(v["hostPath"]["path"], mode=0o755, exist_ok=True)
        volumes[v["name"]] = v["hostPath"]["path"]
    for m in c.get("volumeMounts", []):
        refuse_unknown(m, {"name", "mountPath", "readOnly", "mountPropagation"},
                       "volumeMount %s" % m.get("name"))
        opts = ["ro" if m.get("readOnly") else "rw"]
        if "mountPropagation" in m:
            opts.append(PROPAGATION[m["mountPropagation"]])
        flags += ["-v", "%s:%s:%s" % (volumes[m["name"]], m["mountPath"], ",".join(opts))]
    flags += ["--pull", PULL[c.get("imagePullPolicy", "IfNotPresent")], "--tls-verify=false"]
    flags += ["--entrypoint", json.dumps(c["command"]), c["image"]]
    return flags


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Registry:
    """Debian's docker-registry on 127.0.0.1, storage under a temp dir"""

    def __init__(self, directory):
        self.dir = directory
        self.port = free_port()
        self.addr = "127.0.0.1:%d" % self.port
        self.proc = None

    def __enter__(self):
        conf = os.path.join(self.dir, "registry.yml")
        with open(conf, "w") as f:
            f.write("version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n"
                    "    rootdirectory: %s\nhttp:\n  addr: %s\n"
                    % (os.path.join(self.dir, "data"), self.addr))
        self.log = open(os.path.join(self.dir, "registry.log"), "w")
        self.proc = subprocess.Popen(["docker-registry", "serve", conf], stdout=self.log,
                                     stderr=subprocess.STDOUT)
        containers.wait_until(self._up, scaled(20), "docker-registry on %s" % self.addr,
                              lambda: open(self.log.name).read())
        return self

    def _up(self):
        check(self.proc.poll() is None, "docker-registry exited",
              open(self.log.name).read())
        r = subprocess.run(["curl", "-sf", "http://%s/v2/" % self.addr], stdout=subprocess.PIPE,
                           text=True)
        return r.returncode == 0 and r.stdout.strip() == "{}"

    def __exit__(self, *exc):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(scaled(20))
        self.log.close()
        return False


def daemon_answers():
    r = subprocess.run([GH_BIN, "--remote", URL, "ping"], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True, timeout=scaled(10))
    return r.returncode == 0 and '"version"' in r.stdout


def delete_runc(container_id):
    subprocess.run(["runc", "--root", containers.RUNC_RUN, "delete", "--force", container_id],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=scaled(30))


def ns_of(pid, kind):
    return os.readlink("/proc/%d/ns/%s" % (pid, kind))


def instance_state(name):
    r = subprocess.run([GH_BIN, "instances", "--remote", URL, "list", "-o", "json"],
                       stdout=subprocess.PIPE, text=True, timeout=scaled(10))
    found = [json.loads(l) for l in r.stdout.splitlines() if json.loads(l)["name"] == name]
    return found[0]["state"] if found else None


def forget_instances(names, state_existed):
    """the node's state file as it was: a failed test's instances out of
    it (no daemon runs them: the pods are gone), and gone if the test made
    it and it is empty"""
    path = os.path.join(STATE_DIR, "instances")
    if not os.path.exists(path):
        return
    with open(path) as f:
        lines = [l for l in f if json.loads(l)["name"] not in names]
    if names:
        with open(path, "w") as f:
            f.writelines(lines)
    if not lines and not state_existed:
        os.unlink(path)


def test_image_runs_from_the_manifests():
    require_bpf()
    check(not os.path.exists(SOCKET) or not daemon_answers(),
          "a daemon already serves %s, the socket the manifest names: stop it first" % SOCKET)
    socket_existed = os.path.exists(SOCKET)
    debs = pkgbuild.debs()
    version = pkgbuild.deb_version(debs["gadgethost"])
    work = tempfile.mkdtemp(prefix="gh-image-test-")
    tracer = None
    runc_id = None
    netns = []
    made = []  # instances in the node's state dir, to forget if the test fails
    state_existed = os.path.exists(os.path.join(STATE_DIR, "instances"))
    try:
        # podman's fixture first: it owns (and removes) what containers/image
        # writes outside the test's directory, for buildah and skopeo too
        with containers.Podman() as p:
            # the image, from the .deb, and its size
            archive = os.path.join(work, "gadgethost-image.tar")
            r = pkgbuild.run(["bash", os.path.join(SOURCE_DIR, "scripts", "build-image.sh"),
                              debs["gadgethost"], "localhost/gadgethost:" + version, archive], 300)
            print(r.stdout.strip(), "(%.1f s)" % r.seconds, flush=True)

            with Registry(work) as reg:
                ref = "%s/gadgethost:%s" % (reg.addr, version)
                pkgbuild.run(["skopeo", "copy", "--quiet", "--dest-tls-verify=false",
                              "oci-archive:" + archive, "docker://" + ref], 120)
                manifest = json.loads(pkgbuild.run(["skopeo", "inspect", "--raw",
                                                    "--tls-verify=false", "docker://" + ref],
                                                   60).stdout)
                layers = sum(l["size"] for l in manifest["layers"])
                print("pushed %s: %d layer(s), %d KiB compressed" % (ref, len(manifest["layers"]),
                                                                      layers // 1024), flush=True)

                # the manifests, validated against the Kubernetes schemas
                r = subprocess.run([GH_BIN, "deploy", "--image", ref], stdout=subprocess.PIPE,
                                   text=True, timeout=scaled(30))
                check(r.returncode == 0, "gadgethost deploy failed")
                ds = [d for d in validated(r.stdout) if d["kind"] == "DaemonSet"][0]
                pod = ds["spec"]["template"]
                name = unique("ghnode")
                flags = pod_run_flags(pod, name)
                print("the pod template as podman run flags: %s" % " ".join(flags), flush=True)
                # a network namespace the node has before the pod starts
                # makes /run/netns a shared mount, as on any node with pods
                netns.append(unique("ghns"))
                pkgbuild.run(["ip", "netns", "add", netns[-1]], 30)
                p.podman("run", "-d", *flags, timeout=scaled(120))
                pid = p.pid(name)
                for kind in ("pid", "net"):
                    check(ns_of(pid, kind) == ns_of(os.getpid(), kind),
                          "the pod is not in the host's %s namespace" % kind)
                containers.wait_until(daemon_answers, scaled(30),
                                      "the pod's daemon to answer on " + SOCKET,
                                      lambda: p.podman("logs", name, check=False).stdout +
                                      p.podman("logs", name, check=False).stderr)
                # the manifest's own probe
                p.podman("healthcheck", "run", name, timeout=scaled(30))

                # a network namespace made after the pod started is one in it
                # too (mountPropagation HostToContainer on /run), not an
                # empty file a socket gadget could not enter
                netns.append(unique("ghns"))
                pkgbuild.run(["ip", "netns", "add", netns[-1]], 30)
                seen = subprocess.run(["stat", "-f", "-c", "%T", "/proc/%d/root/run/netns/%s"
                                       % (pid, netns[-1])], stdout=subprocess.PIPE,
                                      text=True).stdout.strip()
                check(seen == "nsfs", "the pod sees /run/netns/%s as %r, not the namespace"
                      % (netns[-1], seen))

                # from the host, through the socket: trace/exec.lua, then a
                # runc container starts
                ready = os.path.join(work, "ready")
                tracer = subprocess.Popen([GH_BIN, "--remote", URL, "run", "trace/exec.lua",
                                           "-o", "json", "--ready-file", ready],
                                          stdout=subprocess.PIPE, stderr=subprocess.PIPE)
                containers.wait_until(lambda: os.path.exists(ready) or tracer.poll() is not None,
                                      scaled(20), "the remote run to start")
                if tracer.poll() is not None:
                    raise Failure("the remote run ended at once (exit %d)" % tracer.returncode,
                                  tracer.stderr.read().decode(errors="replace"))
                runc_id = unique("ghct")[:30]
                marker = unique("mark")
                r = containers.Runc(os.path.join(work, "runc"))
                b = r.bundle(runc_id, ["sh", "-c", "/bin/true %s; exec sleep 60" % marker],
                             hooks=HOOKS)
                for verb in ("create", "start"):
                    with open(os.path.join(b, "output"), "ab") as out:
                        subprocess.run(["runc", "--root", containers.RUNC_RUN, verb] +
                                       (["--bundle", b] if verb == "create" else []) + [runc_id],
                                       stdin=subprocess.DEVNULL, stdout=out, stderr=out,
                                       check=True, timeout=scaled(30))
                state = json.loads(subprocess.run(
                    ["runc", "--root", containers.RUNC_RUN, "state", runc_id],
                    stdout=subprocess.PIPE, text=True, check=True).stdout)
                cpid = state["pid"]

                # list-containers in the pod: the host's containers
                def listed():
                    out = p.podman("exec", name, "gadgethost", "list-containers", "-o",
                                   "json").stdout
                    return json.loads(out) if out.strip() else []
                found = containers.wait_until(
                    lambda: [c for c in listed() if c["runtime"]["containerName"] == runc_id], scaled(10),
                    "list-containers in the pod to show " + runc_id, lambda: str(listed()))
                check(found[0].get("pid") == cpid, "list-containers: wrong pid", found, cpid)
                print("list-containers in the pod: %s" % sorted(
                    "%s (%s)" % (c["runtime"]["containerName"], c["runtime"]["runtimeName"])
                    for c in listed()), flush=True)

                # the libraries the binary opens at first use are in the image
                # (build-image.sh bundles them from its section gh_dlopen):
                # OpenSSL, libarchive and libcurl load and answer
                for argv, want in ((["keygen", "/tmp/ghkey"], ("/tmp/ghkey.pub", 0)),
                                   (["images", "import", "/etc/passwd", "--verify", "false",
                                     "--image-store", "/tmp/ghstore"],
                                    ("/etc/passwd: not a tarball", 1)),
                                   (["pull", "127.0.0.1:1/gh/none:1", "--verify", "false",
                                     "--image-store", "/tmp/ghstore"],
                                    ("registry 127.0.0.1:1: ", 1))):
                    r = p.podman("exec", name, "gadgethost", *argv, check=False)
                    check(want[0] in r.stdout + r.stderr and r.returncode == want[1],
                          "gadgethost %s in the pod: wanted exit %d and %r"
                          % (" ".join(argv), want[1], want[0]), r.stdout, r.stderr)
                print("in the pod: keygen, images import and pull load OpenSSL, libarchive "
                      "and libcurl", flush=True)

                # the events: the container's shell and its /bin/true, named
                deadline = time.monotonic() + scaled(15)
                out = b""
                os.set_blocking(tracer.stdout.fileno(), False)
                while marker.encode() not in out and time.monotonic() < deadline:
                    out += tracer.stdout.read() or b""
                    time.sleep(0.05)
                os.set_blocking(tracer.stdout.fileno(), True)
                tracer.send_signal(signal.SIGINT)
                rest, err = tracer.communicate(timeout=scaled(30))
                out += rest or b""
                check(tracer.returncode == 0, "the remote run exited %d" % tracer.returncode,
                      err.decode(errors="replace"))
                evs = [json.loads(l) for l in out.decode().splitlines() if l.strip()]
                ours = [e for e in evs if e.get("args") == ["/bin/true", marker]]
                check(len(ours) == 1, "the remote trace/exec.lua did not see the container's "
                      "exec of /bin/true %s once" % marker, describe(evs))
                e = ours[0]
                check(e["runtime"]["containerName"] == runc_id and
                      e["runtime"]["runtimeName"] == "runc",
                      "the event does not name the runc container %s" % runc_id, e)
                check(e["mountnsid"] == containers.mntns(cpid), "not the container's mntns", e)
                print("remote trace/exec.lua: %s" % json.dumps(e)[:300], flush=True)

                # an instance, in the node's state dir (the manifest's hostPath)
                inst = unique("ghinst")
                r = subprocess.run([GH_BIN, "--remote", URL, "run", "trace/exec.lua", "--detach",
                                    "--name", inst, "--host"], stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, text=True, timeout=scaled(60))
                check(r.returncode == 0, "run --detach in the pod failed", r.stderr)
                made.append(inst)

                # the daemon logged the run; SIGTERM stops it cleanly
                p.podman("stop", name, timeout=scaled(60))
                code = p.inspect(name, "{{.State.ExitCode}}")
                logs = p.podman("logs", name).stderr + p.podman("logs", name).stdout
                check(code == "0", "the pod's daemon exited %s on SIGTERM" % code,
                      excerpt(logs))
                check(re.search(r"run \d+ \(trace/exec\.lua\)", logs),
                      "the pod's daemon did not log the remote run", excerpt(logs))
                check(not daemon_answers(), "something still answers on " + SOCKET)
                delete_runc(runc_id)
                runc_id = None

                # a new pod (an upgrade, a crash): the instance runs again
                name2 = unique("ghnode")
                p.podman("run", "-d", *pod_run_flags(pod, name2), timeout=scaled(120))
                containers.wait_until(daemon_answers, scaled(30),
                                      "the new pod's daemon to answer on " + SOCKET)
                containers.wait_until(lambda: instance_state(inst) == "running", scaled(30),
                                      "the instance to run again in the new pod",
                                      lambda: p.podman("logs", name2, check=False).stderr)
                r = subprocess.run([GH_BIN, "instances", "--remote", URL, "delete", inst],
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                   timeout=scaled(30))
                check(r.returncode == 0, "instances delete failed", r.stderr)
                made.remove(inst)
                print("instance %s ran again in a new pod, from %s" % (inst, STATE_DIR),
                      flush=True)
                p.podman("stop", name2, timeout=scaled(60))
                check(p.inspect(name2, "{{.State.ExitCode}}") == "0",
                      "the new pod's daemon did not exit 0 on SIGTERM")
    finally:
        if tracer and tracer.poll() is None:
            tracer.kill()
            tracer.wait()
        if runc_id:
            delete_runc(runc_id)
        for ns in netns:
            subprocess.run(["ip", "netns", "del", ns], stderr=subprocess.DEVNULL)
        if not socket_existed and os.path.exists(SOCKET) and not daemon_answers():
            os.unlink(SOCKET)
        forget_instances(made, state_existed)
        containers.remove_tree(work)


if __name__ == "__main__":
    main([test_image_runs_from_the_manifests], bpf=False)
