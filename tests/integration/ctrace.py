"""ctrace.py - a shell script in a runc container, traced with -c NAME.

    run = traced_container("trace/fsslower.lua", "cd /tmp && ...", "--min", "0")
    run.events, run.name, run.pid (the container's init), run.mntns,
    run.output (what the container printed, stdout and stderr)
    check_container(e, run): the event carries the container's fields

The container sees the host's /usr (Runc.bundle(host_usr=True)), so
Debian's programs run in it by their /usr/bin path; its /bin is busybox.
Standard library only.
"""

import os
import time

import containers
from gh import GH_BIN, Tracer, check, require_bpf, unique

HOOKS = {"prestart": [{"path": GH_BIN, "args": ["gadgethost", "hook", "prestart"]}],
         "poststop": [{"path": GH_BIN, "args": ["gadgethost", "hook", "poststop"]}]}


class ContainerRun:
    def __init__(self, tracer, name, pid, mntns, output):
        self.tracer = tracer
        self.events = tracer.events()
        self.name = name
        self.pid = pid
        self.mntns = mntns
        self.output = output


def traced_container(gadget, script, *args, edit=None):
    """run `sh -c script` in a new runc container to its end, traced by
    gadget with -c NAME and args; edit(config) changes its OCI config"""
    require_bpf()
    name = unique("ct")[:30]
    with containers.Runc() as r:
        b = r.bundle(name, ["sh", "-c", script], hooks=HOOKS, host_usr=True, edit=edit)
        with Tracer(gadget, "-c", name, *args, host=False) as t:
            r.create(name, b)
            pid = r.pid(name)
            mntns = containers.mntns(pid)
            r.start(name)
            deadline = time.time() + 20
            while r.state(name).get("status") != "stopped" and time.time() < deadline:
                time.sleep(0.05)
            time.sleep(0.3)
        t.check_clean_exit()
        with open(os.path.join(b, "output"), errors="replace") as f:
            output = f.read()
    return ContainerRun(t, name, pid, mntns, output)


def check_container(e, run):
    check(e["mountnsid"] == run.mntns, "mountnsid is not the container's %d" % run.mntns, e)
    check(e["runtime"]["containerName"] == run.name,
          "runtime.containerName is not %s" % run.name, e)
    check(e["runtime"]["runtimeName"] == "runc", "runtime.runtimeName is not runc", e)
