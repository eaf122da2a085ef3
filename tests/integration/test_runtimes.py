#!/usr/bin/env python3
"""The container collection with every runtime Debian ships here, started
by the tests themselves (tests/integration/containers.py): containerd with
ctr, dockerd on that containerd, podman (with OCI hooks from --hooks-dir),
and list-containers against each runtime's own list with all of them
running at once."""

import json
import os

import containers
from gh import (GH_BIN, Tracer, check, describe, events_received, excerpt, main,
                require_bpf, run_host, unique)

work = containers.images

# Containers are named unique(): the runtimes' state under /run is shared
# with every other test on the machine, and the host finds all of it.
# Found on disk (no hook), a container must be alive when the host looks
# at the state its first event sends it to: they sleep, their workload,
# until the test has seen their execs.


def test_containerd_ctr():
    """ctr run: the container found under /run/containerd/runc/default,
    traced from its very first exec without any hook, runtime containerd,
    name = id; nothing else reaches userspace"""
    require_bpf()
    name = unique("ctr")[:30]
    script = "/bin/echo from-ctr; exec sleep 60"
    with containers.Containerd() as c:
        c.import_image(os.path.join(work(), "bb-oci.tar"))
        with Tracer("trace/exec.lua", "-c", name, "--verbose", host=False) as t:
            c.run(name, "sh", "-c", script)
            t.wait_for(lambda: len(t.events_so_far()) >= 3, "the container's 3 execs")
        t.check_clean_exit()
    evs = t.events()
    check([e["args"] for e in evs] == [["sh", "-c", script], ["/bin/echo", "from-ctr"],
                                       ["sleep", "60"]],
          "wanted the container's first exec and its echo (no hook: found on disk)",
          describe(evs), "stderr: " + excerpt(t.stderr))
    for e in evs:
        check(e["runtime"] == {"runtimeName": "containerd", "containerId": name,
                               "containerName": name, "containerImageName": None},
              "runtime fields of a ctr container", e)
    check(events_received(t.stderr) == len(evs), "events of other processes reached userspace",
          excerpt(t.stderr))


def test_docker():
    """docker run: found under EXEC_ROOT/runtime-runc/moby, traced from its
    very first exec without any hook, named and imaged by the Engine API on
    the daemon's socket"""
    require_bpf()
    name = unique("dk")[:30]
    script = "/bin/echo from-docker; exec sleep 60"
    with containers.Containerd() as c, containers.Dockerd(c) as d:
        d.import_rootfs(os.path.join(work(), "rootfs.tar"))
        with Tracer("trace/exec.lua", "-c", name, "--verbose", "--docker-socket", d.sock,
                    "--runc-root", os.path.join(d.exec_root, "runtime-runc"),
                    host=False) as t:
            cid = d.run(name, "sh", "-c", script)
            t.wait_for(lambda: len(t.events_so_far()) >= 3, "the container's 3 execs")
        t.check_clean_exit()
    evs = t.events()
    check([e["args"] for e in evs] == [["sh", "-c", script], ["/bin/echo", "from-docker"],
                                       ["sleep", "60"]],
          "wanted the container's first exec and its echo (no hook: found on disk)",
          describe(evs), "stderr: " + excerpt(t.stderr))
    for e in evs:
        check(e["runtime"]["runtimeName"] == "docker" and
              e["runtime"]["containerName"] == name and
              e["runtime"]["containerId"] == cid and
              e["runtime"]["containerImageName"] == containers.IMAGE_REF,
              "runtime fields of a docker container (id %s)" % cid, e)
    check(events_received(t.stderr) == len(evs), "events of other processes reached userspace",
          excerpt(t.stderr))


def podman_hooks_dir(base):
    """podman's OCI hooks config: gadgethost hook prestart and poststop"""
    d = os.path.join(base, "hooks.d")
    os.makedirs(d, exist_ok=True)
    for stage in ("prestart", "poststop"):
        with open(os.path.join(d, "gadgethost-%s.json" % stage), "w") as f:
            json.dump({"version": "1.0.0",
                       "hook": {"path": GH_BIN, "args": ["gadgethost", "hook", stage]},
                       "when": {"always": True}, "stages": [stage]}, f)
    return d


def test_podman_hooks_first_exec():
    """podman run --hooks-dir: the prestart hook reports the container before
    its first exec, named as podman names it (conmon's -n)"""
    require_bpf()
    name = unique("pm")[:30]
    hooks = podman_hooks_dir(work())
    with containers.Podman() as p:
        p.import_rootfs(os.path.join(work(), "rootfs.tar"))
        with Tracer("trace/exec.lua", "-c", name, "--verbose", host=False) as t:
            p.run(name, "sh", "-c", "/bin/echo from-podman", hooks_dir=hooks)
            t.wait_for(lambda: len(t.events_so_far()) >= 2, "the container's 2 execs")
        t.check_clean_exit()
    evs = t.events()
    check([e["args"] for e in evs][:2] == [["sh", "-c", "/bin/echo from-podman"],
                                          ["/bin/echo", "from-podman"]],
          "wanted the container's first exec and its echo", describe(evs),
          "stderr: " + excerpt(t.stderr))
    for e in evs:
        check(e["runtime"]["runtimeName"] == "podman" and
              e["runtime"]["containerName"] == name,
              "runtime fields of a podman container", e)


def test_list_containers_four_runtimes():
    """runc, containerd, docker and podman containers at once:
    list-containers agrees with runc list, ctr containers list, docker ps
    and podman ps"""
    require_bpf()
    w = work()
    rc, ctr, dk, pm = (unique(tag)[:30] for tag in ("rc", "ctr", "dk", "pm"))
    with containers.Runc() as r, containers.Containerd() as c, \
            containers.Dockerd(c) as d, containers.Podman() as p:
        r.run(rc, r.bundle(rc, ["sleep", "60"]))
        c.import_image(os.path.join(w, "bb-oci.tar"))
        c.run(ctr, "sleep", "60")
        d.import_rootfs(os.path.join(w, "rootfs.tar"))
        d.run(dk, "sleep", "60")
        p.import_rootfs(os.path.join(w, "rootfs.tar"))
        p.run(pm, "sleep", "60")
        res = run_host("list-containers", "-o", "json", "--verbose",
                       "--runc-root", r.root, "--runc-root", "/run/containerd/runc",
                       "--runc-root", os.path.join(d.exec_root, "runtime-runc"),
                       "--runc-root", "/run/runc", "--docker-socket", d.sock)
        want = {
            ("runc", rc, rc),
            ("containerd", ctr, c.ctr("containers", "list", "-q",
                                      namespace="default").stdout.split()[0]),
            ("docker", dk, d.docker("ps", "-q", "--no-trunc").stdout.split()[0]),
            ("podman", pm, p.podman("ps", "-q", "--no-trunc").stdout.split()[0]),
        }
        pids = {rc: r.pid(rc), ctr: c.pid(ctr, "default"), dk: d.pid(dk), pm: p.pid(pm)}
    check(res.returncode == 0, "list-containers failed", res.stderr)
    # /run/containerd/runc and /run/runc are the machine's: other tests'
    # containers may be listed too; ours, each once, must be exactly these
    got = [g for g in json.loads(res.stdout)  # one list
           if g["runtime"]["containerName"] in pids]
    seen = [(g["runtime"]["runtimeName"], g["runtime"]["containerName"],
             g["runtime"]["containerId"]) for g in got]
    check(sorted(seen) == sorted(want), "list-containers differs from the runtimes' own lists",
          "got: %s" % sorted(seen), "want: %s" % sorted(want))
    for g in got:
        name = g["runtime"]["containerName"]
        check(g["pid"] == pids[name], "pid of %s" % name, g, pids)


if __name__ == "__main__":
    main([test_containerd_ctr, test_docker, test_podman_hooks_first_exec,
              test_list_containers_four_runtimes], bpf=False)
