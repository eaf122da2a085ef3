#!/usr/bin/env python3
"""Integration tests of the container collection with real runc containers
(tests/integration/containers.py starts them, all state in a temp dir):
discovery from runc's state, OCI hooks, the kernel filter aimed at the
selected containers only, runtime.* and k8s.* fields, list-containers."""

import json
import os
import re
import shutil
import socket
import subprocess
import tempfile
import threading

import containers
from containers import HOOKS
from ghdaemon import Daemon
from gh import (GH_BIN, Tracer, check, describe, events_received, excerpt, main,
                require_bpf, run_host, scaled, unique, wait_for)

# Container names, k8s namespaces and runc ids are this test's own
# (unique()): a runc container's cgroup is named after its id, and the
# OCI hooks report every container to every host on the machine, so
# another test's "web" would be selected by -c web here.


def cri_annotations(namespace, app):
    return {"io.kubernetes.cri.container-type": "container",
            "io.kubernetes.cri.sandbox-name": "api-7d4b9",
            "io.kubernetes.cri.sandbox-namespace": namespace,
            "io.kubernetes.cri.sandbox-uid": "0b5f2a9e-1111-2222-3333-444455556666",
            "io.kubernetes.cri.container-name": app,
            "io.kubernetes.cri.image-name": "localhost/bb:latest"}

def execs(evs, name):
    return [e for e in evs if (e.get("runtime") or {}).get("containerName") == name]


def test_runc_discovered_from_first_exec():
    """-c web: a runc container created after the tracer started is traced
    from its first exec, with its runtime fields; another container's execs
    never reach userspace.  Without hooks the host finds a container when
    it looks at runc's state, which needs the container alive: both sleep
    (their workload) until the test has seen web's execs"""
    require_bpf()
    web, other = unique("web")[:30], unique("other")[:30]
    with containers.Runc() as r:
        web_b = r.bundle(web, ["sh", "-c", "/bin/echo first-exec; exec sleep 60"])
        other_b = r.bundle(other, ["sh", "-c", "/bin/echo other; exec sleep 60"])
        with Tracer("trace/exec.lua", "-c", web, "--runc-root", r.root, "--verbose",
                    host=False) as t:
            r.create(web, web_b)
            r.start(web)
            r.create(other, other_b)
            r.start(other)
            t.wait_for(lambda: len(t.events_so_far()) >= 3, "web's 3 execs")
        t.check_clean_exit()
    evs = t.events()
    want = [["sh", "-c", "/bin/echo first-exec; exec sleep 60"], ["/bin/echo", "first-exec"],
            ["sleep", "60"]]
    check([e["args"] for e in evs] == want,
          "wanted exactly the 3 execs of container web, the first one first", describe(evs))
    for e in evs:
        check(e["runtime"] == {"runtimeName": "runc", "containerId": web,
                               "containerName": web, "containerImageName": None},
              "runtime fields of web", e)
        check(e["k8s"]["podName"] is None, "a plain runc container has no pod", e)
    check(events_received(t.stderr) == 3, "the host received events of other containers or the host",
          excerpt(t.stderr))


def test_runc_hook_only():
    """the container is in no watched runc root: only its prestart hook can
    report it, and its first exec is traced; CRI annotations give k8s.*"""
    require_bpf()
    hooked, namespace, app = unique("hooked")[:30], unique("shop"), unique("api")
    empty = tempfile.mkdtemp(prefix="gh-noroot-")
    try:
        with containers.Runc() as r:
            b = r.bundle(hooked, ["sh", "-c", "/bin/echo via-hook"],
                         annotations=cri_annotations(namespace, app), hooks=HOOKS)
            with Tracer("trace/exec.lua", "--k8s-namespace", namespace, "--k8s-podname",
                        "api-*", "--runc-root", empty, "--verbose", host=False) as t:
                r.create(hooked, b)
                # held until the run stops: no other process gets the id
                with containers.MountNamespace(r.pid(hooked)):
                    r.start(hooked)
                    t.wait_for(lambda: "container %s stopped" % app in t.stderr,
                               "the container's end")
                    t.stop()
            t.check_clean_exit()
    finally:
        os.rmdir(empty)
    evs = t.events()
    check([e["args"] for e in evs] == [["sh", "-c", "/bin/echo via-hook"],
                                      ["/bin/echo", "via-hook"]],
          "wanted the container's 2 execs from the hook alone", describe(evs),
          "stderr: " + excerpt(t.stderr))
    for e in evs:
        check(e["k8s"] == {"namespace": namespace, "podName": "api-7d4b9", "containerName": app,
                           "podLabels": None}, "k8s fields from the CRI annotations", e)
        check(e["runtime"]["containerName"] == app and
              e["runtime"]["containerId"] == hooked and
              e["runtime"]["containerImageName"] == "localhost/bb:latest",
              "runtime fields of a CRI-annotated container", e)
    check("container %s started" % app in t.stderr and "container %s stopped" % app in t.stderr,
          "the hooks' start and stop were not seen", excerpt(t.stderr))


def test_list_containers():
    """list-containers agrees with runc list: ids, pids, mount namespaces"""
    require_bpf()
    one, two = unique("one")[:30], unique("two")[:30]
    with containers.Runc() as r:
        for name in (one, two):
            r.run(name, r.bundle(name, ["sleep", "30"]))
        res = run_host("list-containers", "-o", "json", "--runc-root", r.root)
        runc = r.cmd("list", "--format", "json").stdout
        check(res.returncode == 0, "list-containers failed", res.stderr)
        got = {c["runtime"]["containerId"]: c for c in json.loads(res.stdout)}
        ref = {c["id"]: c for c in json.loads(runc)}
        check(set(got) == set(ref) == {one, two}, "ids differ from runc list",
              res.stdout, runc)
        for cid, c in got.items():
            check(c["pid"] == ref[cid]["pid"], "pid of %s differs from runc list" % cid, c)
            check(c["runtime"]["runtimeName"] == "runc" and
                  c["runtime"]["containerName"] == cid, "runtime fields of %s" % cid, c)
            check(c["mntns"] == containers.mntns(ref[cid]["pid"]),
                  "mntns of %s differs from /proc" % cid, c)
        # -o json is one JSON list, as a snapshot's: [] when there is none
        empty = tempfile.mkdtemp(prefix="gh-noroot-")
        try:
            res = run_host("list-containers", "-o", "json", "--runc-root", empty,
                           "--docker-socket", os.path.join(empty, "none.sock"))
        finally:
            shutil.rmtree(empty)
        check(res.returncode == 0 and res.stdout == "[]\n", "no container: wanted []",
              repr(res.stdout), res.stderr)


def test_malformed_state_file():
    """a state.json that is not JSON: one warning naming it, the rest listed;
    the daemon logs the same warning (its sink says "warning: ", once)"""
    require_bpf()
    good = unique("good")[:30]
    with containers.Runc() as r:
        r.run(good, r.bundle(good, ["sleep", "30"]))
        bad = os.path.join(r.root, "bad")
        os.makedirs(bad)
        with open(os.path.join(bad, "state.json"), "w") as f:
            f.write('{"id": "bad", "init_process_pid": ')
        res = run_host("list-containers", "--runc-root", r.root)
        with Daemon("--runc-root", r.root) as d:
            log = d.log
    check(res.returncode == 0, "list-containers failed on a malformed state file", res.stderr)
    warnings = res.stderr.strip().splitlines()
    check(len(warnings) == 1 and "bad/state.json" in warnings[0] and
          warnings[0].startswith("gadgethost: warning: skipping "),
          "wanted one warning naming bad/state.json", res.stderr)
    logged = [l for l in log.splitlines() if "bad/state.json" in l]
    check(len(logged) == 1 and
          re.search(r"Z gadgethost daemon: warning: skipping \S*bad/state\.json", logged[0]),
          "wanted one warning line in the daemon's log", log)
    # ID is cut to 12 characters, NAME is whole
    check(re.search(r"^%s\s+%s\s" % (good[:12], good), res.stdout, re.M),
          "the good container is not listed", res.stdout)


def mntns_map_entries(pid):
    """gadget_mntns_filter_map of process pid: {mntns: value}"""
    mine = set()
    for fd in os.listdir("/proc/%d/fdinfo" % pid):
        try:
            with open("/proc/%d/fdinfo/%s" % (pid, fd)) as f:
                m = re.search(r"^map_id:\s*(\d+)", f.read(), re.M)
        except OSError:
            continue
        if m:
            mine.add(int(m.group(1)))
    maps = json.loads(subprocess.run(["bpftool", "-j", "map", "list"], check=True,
                                     capture_output=True, text=True).stdout)
    ids = [m["id"] for m in maps if m.get("name", "").startswith("gadget_mntns_fi")
           and m["id"] in mine]
    check(len(ids) == 1, "wanted one gadget_mntns_filter_map of pid %d" % pid, maps)
    dump = json.loads(subprocess.run(["bpftool", "-j", "map", "dump", "id", str(ids[0])],
                                     check=True, capture_output=True, text=True).stdout)
    entries = {}
    for e in dump:
        key, value = e.get("key", e.get("formatted", {}).get("key")), e.get("value")
        if isinstance(key, list):  # no BTF: bytes as hex strings
            key = int.from_bytes(bytes(int(b, 16) for b in key), "little")
            value = int.from_bytes(bytes(int(b, 16) for b in value), "little")
        entries[key] = value
    return entries


def test_churn_leaves_no_stale_entries():
    """100 containers started and stopped while tracing: each traced from its
    first exec, hook or no hook, and the kernel filter map holds nothing but
    the host's entry afterwards (mount namespace ids get reused)"""
    require_bpf()
    n = 100
    prefix = unique("churn")[:24]
    host = containers.mntns(os.getpid())
    with containers.Runc() as r:
        with Tracer("trace/exec.lua", "-c", prefix + "*", "--runc-root", r.root, "--verbose",
                    host=False) as t:
            for i in range(n):
                name = "%s-%d" % (prefix, i)
                # half reported by hooks, half found on disk: the kernel
                # passes their first events up until the host has judged
                # (which needs the container alive when the host looks:
                # one that is gone before has left nothing to find, so
                # those sleep, their workload, until their echo is out)
                if i % 2 == 0:
                    r.run(name, r.bundle(name, ["/bin/echo", name], hooks=HOOKS))
                    r.wait_stopped(name)
                else:
                    r.run(name, r.bundle(name, ["sh", "-c", "/bin/echo %s; exec sleep 60" % name]))
                    t.wait_for(lambda: [e for e in t.events_so_far()
                                        if e["args"] == ["/bin/echo", name]], "%s's echo" % name)
                r.delete(name)
            # the last ones leave the map when the host notices their end
            wait_for(lambda: mntns_map_entries(t.proc.pid) == {host: 0}, 10,
                     "the kernel filter map holding only the host's mount namespace "
                     "(%d, value 0 = skip): no stale entries" % host,
                     lambda: mntns_map_entries(t.proc.pid))
        t.check_clean_exit()
    evs = t.events()
    echoes = sorted(e["runtime"]["containerName"] for e in evs
                    if e["args"] == ["/bin/echo", e["runtime"]["containerName"]])
    names = sorted("%s-%d" % (prefix, i) for i in range(n))
    missing = sorted(set(names) - set(echoes))
    check(echoes == names,
          "wanted the echo of each of the %d containers; missing: %s" % (n, missing),
          describe([e for e in evs if e["runtime"]["containerName"] in missing], 20),
          "stderr: " + excerpt(t.stderr))
    check(all(e["runtime"]["containerName"].startswith(prefix + "-") for e in evs),
          "events of other containers", describe(evs))


def test_hook_malformed_payload():
    """gadgethost hook with garbage on stdin: one warning, exit 0 (a hook
    must never fail the container)"""
    p = subprocess.run([GH_BIN, "hook", "prestart"], input="{not json", capture_output=True,
                       text=True, timeout=scaled(10))
    check(p.returncode == 0, "hook exited %d" % p.returncode, p.stderr)
    lines = p.stderr.strip().splitlines()
    check(len(lines) == 1 and "malformed" in lines[0], "wanted one warning line", p.stderr)


def test_docker_api_malformed_answer():
    """a docker container (its bundle where containerd keeps moby's) whose
    Engine API answers garbage: one warning, listed all the same, by id"""
    require_bpf()
    dk1 = unique("dk")[:30]
    d = tempfile.mkdtemp(prefix="gh-fakedocker-")
    sock_path = os.path.join(d, "docker.sock")
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(sock_path)
    server.listen(4)
    asked = []

    def serve():
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            with conn:
                asked.append(conn.recv(4096).decode(errors="replace"))
                conn.sendall(b"HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n"
                             b'{"Name": "/web", "Config": {"Image": ')
    threading.Thread(target=serve, daemon=True).start()
    try:
        with containers.Runc() as r:
            b = r.bundle("io.containerd.runtime.v2.task/moby/" + dk1, ["sleep", "30"])
            r.run(dk1, b)
            res = run_host("list-containers", "-o", "json", "--runc-root", r.root,
                           "--docker-socket", sock_path)
    finally:
        server.close()
        shutil.rmtree(d, ignore_errors=True)
    check(res.returncode == 0, "list-containers failed", res.stderr)
    check(asked and asked[0].startswith("GET /containers/%s/json HTTP/1.0" % dk1),
          "the Engine API was not asked for %s" % dk1, asked)
    lines = res.stderr.strip().splitlines()
    check(len(lines) == 1 and "docker container %s:" % dk1[:12] in lines[0] and
          "Engine API" in lines[0],
          "wanted one warning about the answer", res.stderr)
    got = json.loads(res.stdout)
    check(len(got) == 1 and got[0]["runtime"]["runtimeName"] == "docker" and
          got[0]["runtime"]["containerName"] == dk1, "wanted %s, a docker container named "
          "by its id" % dk1, res.stdout)


if __name__ == "__main__":
    main([test_runc_discovered_from_first_exec, test_runc_hook_only, test_list_containers,
          test_malformed_state_file, test_churn_leaves_no_stale_entries,
          test_hook_malformed_payload, test_docker_api_malformed_answer], bpf=False)
