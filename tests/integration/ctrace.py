"""ctrace.py - a program in a runc container, run to its end under a tracer
aimed at it (-c NAME).

    run = traced_container("trace/fsslower.lua", "cd /tmp && ...", "--min", "0")
    run.events, run.name, run.pid (the container's init), run.mntns,
    run.output (what the container printed, stdout and stderr), run.tracer
    check_container(e, run): the event carries the container's fields

By default the container sees the host's /usr (Runc.bundle(host_usr=True)),
so Debian's programs run in it by their /usr/bin path; its /bin is busybox.
Standard library only.
"""

import containers
from gh import Tracer, check, require_bpf, unique

HOOKS = containers.HOOKS  # where tests found them before containers.py


class ContainerRun:
    def __init__(self, tracer, name, pid, mntns, output):
        self.tracer = tracer
        self.name = name
        self.pid = pid
        self.mntns = mntns
        self.output = output
        self._events = None

    @property
    def events(self):
        """the tracer's JSON lines (a tracer's -o json: one event each),
        read once: the same objects each time"""
        if self._events is None:
            self._events = self.tracer.events()
        return self._events


def traced_container(gadget, script, *args, argv=None, name=None, select=True, timeout=20,
                     until=None, host_usr=True, fmt="json", **bundle):
    """run `sh -c script` (or argv) in a new runc container with
    gadgethost's hooks, to its end, traced by gadget with -c NAME
    (select=False: without it, when args aim the run, e.g. --host) and
    args, its output as -o fmt.  name: the container's (default: a unique one); timeout: seconds
    (gh.scaled) for the container to stop; host_usr and bundle: keywords of
    Runc.bundle() (network, edit, env...).  The tracer stops once runc says
    the container stopped: every event of its processes was sent by then.
    until(tracer, output so far): for what comes later (an audit record),
    the condition to wait for instead, while the container still runs.

    The test holds the container's mount namespace (an fd) until the
    tracer has stopped: otherwise the kernel may give its id to another
    process (another test's unshare -m, ip netns exec) as soon as the
    container ends, and the host, until it has seen the end, traces and
    names that process as the container"""
    require_bpf()
    name = name or unique("ct")[:30]
    select_args = ["-c", name] if select else []
    with containers.Runc() as r:
        b = r.bundle(name, argv or ["sh", "-c", script], hooks=containers.HOOKS,
                     host_usr=host_usr, **bundle)
        with Tracer(gadget, *select_args, *args, fmt=fmt, host=False) as t:
            r.create(name, b)
            pid = r.pid(name)
            with containers.MountNamespace(pid) as ns:
                r.start(name)
                if until:
                    t.wait_for(lambda: until(t, r.output(name, b)), "the container's events",
                               timeout)
                else:
                    r.wait_stopped(name, timeout)
                t.stop()
        t.check_clean_exit()
        output = r.output(name, b)
    return ContainerRun(t, name, pid, ns.id, output)


def check_container(e, run):
    check(e["mountnsid"] == run.mntns, "mountnsid is not the container's %d" % run.mntns, e)
    check(e["runtime"]["containerName"] == run.name,
          "runtime.containerName is not %s" % run.name, e)
    check(e["runtime"]["runtimeName"] == "runc", "runtime.runtimeName is not runc", e)
