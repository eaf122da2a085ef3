"""gh.py - shared helpers for gadgethost's integration tests.

A test starts the tracer (`gadgethost run GADGET -o json --ready-file F ...`),
waits until F exists (the host creates it once every program is attached),
runs the workload helper so the events are exactly known, stops the tracer
with SIGINT (or lets --timeout end it) and checks the JSON lines it printed.

Environment (set by tests/integration/meson.build):
  GH_BIN          build/host/gadgethost
  GH_WORKLOAD     build/tests/integration/workload
  GH_BUILD_DIR    the build directory (for build/bpf/trace/*.bpf.o)
  GH_REQUIRE_BPF  1: a test that cannot load eBPF fails instead of skipping
  GH_READY_TIMEOUT  seconds to wait for attaching (default 10)
  GH_TIME_SCALE   factor for every time limit (default 1; the VM of
                  tests/kernels/run-vm.sh sets 10: TCG runs ~10x slower)

Time: tests wait for conditions, never for a while.  Each limit is given
in seconds as a lightly loaded machine needs them, with room to spare, and
goes through scaled() once: wait_for(), run_host(), Workload, Tracer and
the helpers of containers.py scale the limits they are given; a test that
calls subprocess itself writes scaled(N).  A time.sleep() is only for a
workload that must take time (a process that must stay alive, a rate
limit that must pass) and says so in a comment (lint_waits.py, meson
test integration_waits, checks these rules).  Stopping a Tracer
(SIGINT) is no race: the host detaches its programs, then prints every
event the kernel had sent, so once a workload has ended (its exit waited
for) every event of it is in the output.

Standard library only.
"""

import json
import os
import re
import secrets
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback

SKIP_CODE = 77

GH_BIN = os.environ.get("GH_BIN", "")
WORKLOAD = os.environ.get("GH_WORKLOAD", "")
BUILD_DIR = os.environ.get("GH_BUILD_DIR") or (
    os.path.dirname(os.path.dirname(GH_BIN)) if GH_BIN else "")
REQUIRE_BPF = os.environ.get("GH_REQUIRE_BPF") == "1"
TIME_SCALE = float(os.environ.get("GH_TIME_SCALE", "1"))


def scaled(seconds):
    """a timeout, scaled for a slow machine (GH_TIME_SCALE)"""
    return seconds * TIME_SCALE


# seconds, before scaled() as every limit: the tracer's attaching, its exit once stopped
READY_TIMEOUT = float(os.environ.get("GH_READY_TIMEOUT", "10"))
STOP_TIMEOUT = 15.0
POLL_SECONDS = 0.02  # between two looks at a condition


def wait_for(cond, timeout, what, *context):
    """look at cond() every POLL_SECONDS until it returns something true,
    and return that; a Failure "WHAT: not within N s" after scaled(timeout)
    seconds.  context: items for the failure message, or callables that
    give them then"""
    limit = scaled(timeout)
    deadline = time.monotonic() + limit
    while True:
        v = cond()
        if v:
            return v
        if time.monotonic() > deadline:
            raise Failure("%s: not within %g s" % (what, limit),
                          *[c() if callable(c) else c for c in context])
        time.sleep(POLL_SECONDS)  # the poll


class Skip(Exception):
    """This test cannot run here (a tool or a kernel feature is missing)."""


class NoBpf(Skip):
    """The machine cannot run eBPF gadgets: the rest of the file is skipped."""


class Failure(AssertionError):
    """a failed check: the message, then what was seen, one item a line"""

    def __init__(self, msg, *context):
        parts = [msg] + [c if isinstance(c, str) else repr(c) for c in context]
        super().__init__("\n    ".join(parts))


def check(cond, msg, *context):
    """assert with a message that says what was seen"""
    if not cond:
        raise Failure(msg, *context)


def object_path(name):
    """absolute path of a compiled eBPF object, e.g. object_path('trace/exec')"""
    return os.path.join(BUILD_DIR, "bpf", name + ".bpf.o")


def unique(tag="gh"):
    """a marker no other process on the machine will use"""
    return "%s%dx%s" % (tag, os.getpid(), secrets.token_hex(4))


def bpf_skip_reason():
    if os.geteuid() != 0:
        return "not root: loading eBPF needs root"
    if not os.path.exists("/sys/kernel/btf/vmlinux"):
        return "the kernel has no BTF (/sys/kernel/btf/vmlinux is missing)"
    return None


def require_bpf():
    reason = bpf_skip_reason()
    if reason:
        raise NoBpf(reason)


# the top-level keys of the container fields: present on the events of a
# container, left out of a host process's events
CONTAINER_FIELDS = {"runtime", "k8s", "netnsid"}


def events_received(stderr):
    """the host's own count of events it received (--verbose's last line)"""
    m = re.search(r"(\d+) events received", stderr)
    check(m, "no 'events received' line (--verbose)", excerpt(stderr))
    return int(m.group(1))


def excerpt(text, limit=3000):
    text = text if isinstance(text, str) else text.decode("utf-8", "replace")
    if len(text) <= limit:
        return text
    return text[: limit // 2] + "\n[... %d bytes ...]\n" % (len(text) - limit) + text[-limit // 2:]


class _Drain(threading.Thread):
    """reads a pipe to its end, so the host never blocks on a full pipe"""

    def __init__(self, pipe):
        super().__init__(daemon=True)
        self.pipe = pipe
        self.chunks = []

    def run(self):
        while True:
            chunk = self.pipe.read1(65536) if hasattr(self.pipe, "read1") else self.pipe.read(65536)
            if not chunk:
                break
            self.chunks.append(chunk)

    def data(self):
        return b"".join(self.chunks)


class Tracer:
    """gadgethost run GADGET, as a context manager:

        with Tracer("trace/open.lua", "--comm", "workload") as t:
            workload("exec", "3", "x")
        events = t.events()
    """

    def __init__(self, gadget, *args, fmt="json", ready=True, env=None, prefix=None, host=True):
        """host: add --host (host processes too), as the tests of host
        workloads need: without it a run traces containers only"""
        self.prefix = list(prefix or [])
        self.host = host
        self.gadget = gadget
        self.args = list(args)
        self.fmt = fmt
        self.ready = ready
        self.env = env
        self.proc = None
        self.returncode = None
        self.tmpdir = None
        self.ready_file = None
        self.started = None
        self.ended = None

    def command(self):
        cmd = self.prefix + [GH_BIN, "run", self.gadget]
        if self.fmt:
            cmd += ["-o", self.fmt]
        if self.ready:
            cmd += ["--ready-file", self.ready_file]
        if self.host:
            cmd += ["--host"]
        return cmd + self.args

    def start(self):
        self.tmpdir = tempfile.mkdtemp(prefix="gh-ready-")
        self.ready_file = os.path.join(self.tmpdir, "ready")
        self.started = time.monotonic()
        self.proc = subprocess.Popen(self.command(), stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, env=self.env)
        self._out = _Drain(self.proc.stdout)
        self._err = _Drain(self.proc.stderr)
        self._out.start()
        self._err.start()
        if self.ready:
            self._wait_ready()
        return self

    def _wait_ready(self):
        try:
            wait_for(lambda: os.path.exists(self.ready_file) or self.proc.poll() is not None,
                     READY_TIMEOUT, "the tracer attached (%s)" % self.ready_file)
        except Failure:
            self.proc.kill()
            self._finish(self.proc.wait())
            raise Failure("tracer not attached within %g s (no %s)"
                          % (scaled(READY_TIMEOUT), self.ready_file),
                          "stderr: " + excerpt(self.stderr))
        rc = self.proc.poll()
        if rc is not None and not os.path.exists(self.ready_file):
            self._finish(rc)
            if rc == SKIP_CODE:
                raise Skip("gadgethost exited 77 (cannot load eBPF here): "
                           + self.stderr.strip())
            raise Failure("tracer exited with %d before attaching" % rc,
                          "command: %s" % " ".join(self.command()),
                          "stderr: " + excerpt(self.stderr),
                          "stdout: " + excerpt(self.stdout))

    def wait_for(self, cond, what, timeout=10):
        """while the tracer runs, wait until cond() is true (it may look
        at self.events_so_far(), self.stdout, self.stderr) and return
        it; a Failure when the tracer ends first, or after
        scaled(timeout) seconds"""
        def holds():
            v = cond()
            check(v or self.proc.poll() is None, "the tracer ended (exit status %r) before %s"
                  % (self.proc.poll(), what), "stderr: " + excerpt(self.stderr),
                  "stdout: " + excerpt(self.stdout))
            return v
        return wait_for(holds, timeout, what, lambda: "stderr: " + excerpt(self.stderr),
                        lambda: "stdout: " + excerpt(self.stdout))

    def _finish(self, rc):
        self.returncode = rc
        self.ended = time.monotonic()
        self._out.join(scaled(10))
        self._err.join(scaled(10))

    def wait(self, timeout):
        """wait for the tracer to end by itself (--timeout), within
        scaled(timeout) seconds"""
        try:
            rc = self.proc.wait(scaled(timeout))
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self._finish(self.proc.wait())
            raise Failure("tracer still running %g s later; killed" % scaled(timeout),
                          "stderr: " + excerpt(self.stderr))
        self._finish(rc)
        return rc

    def stop(self, sig=signal.SIGINT):
        """SIGINT the tracer and wait for it; returns its exit status"""
        if self.returncode is not None:
            return self.returncode
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            rc = self.proc.wait(scaled(STOP_TIMEOUT))
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self._finish(self.proc.wait())
            raise Failure("tracer did not exit within %g s of %s; killed"
                          % (scaled(STOP_TIMEOUT), signal.Signals(sig).name),
                          "stderr: " + excerpt(self.stderr))
        self._finish(rc)
        return rc

    def __enter__(self):
        return self.start()

    def __exit__(self, exc_type, exc, tb):
        if self.proc and self.returncode is None:
            if exc_type is None:
                self.stop()
            else:
                self.proc.kill()
                self._finish(self.proc.wait())
        if self.tmpdir:
            try:
                if os.path.exists(self.ready_file):
                    os.unlink(self.ready_file)
                os.rmdir(self.tmpdir)
            except OSError:
                pass
        return False

    @property
    def stdout(self):
        return self._out.data().decode("utf-8", "replace")

    @property
    def stderr(self):
        return self._err.data().decode("utf-8", "replace")

    def check_clean_exit(self):
        """exit status 0 (not a signal) and nothing alarming on stderr"""
        rc = self.returncode
        check(rc == 0, "tracer exit status %r, wanted 0" % rc,
              "stderr: " + excerpt(self.stderr))
        bad = [l for l in self.stderr.splitlines()
               if re.search(r"AddressSanitizer|LeakSanitizer|runtime error:|"
                            r"Segmentation|Aborted|panic", l)]
        check(not bad, "tracer stderr shows a crash or sanitizer report",
              excerpt(self.stderr))

    def events(self):
        """the JSON lines of -o json, each one object"""
        out = self.stdout
        check(out == "" or out.endswith("\n"), "output does not end with a newline "
              "(a cut last line?)", out[-300:])
        return json_lines(out, dict)

    def events_so_far(self):
        """while it runs: the JSON lines it has printed whole so far"""
        out = self.stdout
        return json_lines(out[:out.rfind("\n") + 1], dict)


def json_lines(text, kind):
    """each non-blank line of text as JSON, each a kind (dict: an object,
    list: an array)"""
    values = []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            v = json.loads(line)
        except ValueError as e:
            raise Failure("stdout line %d is not JSON: %s" % (n, e), line[:500])
        check(isinstance(v, kind), "stdout line %d is not a JSON %s"
              % (n, "object" if kind is dict else "array"), line[:500])
        values.append(v)
    return values


class Workload:
    """the workload helper, run to its end"""

    def __init__(self, *args, expect_rc=0, binary=None):
        self.args = [str(a) for a in args]
        p = subprocess.Popen([binary or WORKLOAD] + self.args, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE)
        self.pid = p.pid
        out, err = p.communicate(timeout=scaled(60))
        self.returncode = p.returncode
        self.stdout = out.decode("utf-8", "replace")
        self.stderr = err.decode("utf-8", "replace")
        if expect_rc is not None:
            check(p.returncode == expect_rc, "workload %s exited %d"
                  % (" ".join(self.args)[:200], p.returncode), "stderr: " + self.stderr)


def workload(*args, **kw):
    return Workload(*args, **kw)


def private_workload(directory):
    """a link to the workload helper under a name of its own (its comm):
    --comm then matches this test's processes only, not another test's
    workload running on the machine at the same time; returns (path, comm)"""
    comm = unique("wl")[:15]
    path = os.path.join(directory, comm)
    os.symlink(WORKLOAD, path)
    return path, comm


def run_host(*args, env=None, timeout=60, prefix=None):
    """gadgethost ARGS..., run to its end: CompletedProcess with text output"""
    timeout = scaled(timeout)
    cmd = (prefix or []) + [GH_BIN] + [str(a) for a in args]
    try:
        return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              env=env, timeout=timeout, text=True, errors="replace")
    except subprocess.TimeoutExpired as e:
        raise Failure("%s did not end within %d s" % (" ".join(cmd), timeout),
                      "stderr: " + excerpt(e.stderr or b""))


def write_gadget(directory, name, text):
    path = os.path.join(directory, name)
    with open(path, "w") as f:
        f.write(text)
    return path


def describe(evs, limit=5):
    """a few events, for failure messages"""
    shown = [json.dumps(e)[:400] for e in evs[:limit]]
    more = " (+%d more)" % (len(evs) - limit) if len(evs) > limit else ""
    return "%d events%s: %s" % (len(evs), more, "\n      ".join(shown))


def main(tests, bpf=True):
    """run the test functions; print ok / not ok / skip lines; exit 0, 1 or 77

    bpf: every test needs eBPF, so check the machine first.  A test that
    raises Skip is skipped; the file exits 77 when nothing passed and
    something skipped, and 1 when anything skipped under GH_REQUIRE_BPF=1.
    """
    name = os.path.basename(sys.argv[0])
    if not GH_BIN or not WORKLOAD:
        print("%s: GH_BIN and GH_WORKLOAD must be set (run through meson test)" % name)
        sys.exit(1)
    selected = sys.argv[1:]
    if selected:
        tests = [t for t in tests if t.__name__ in selected]
    passed = failed = skipped = 0
    reason = bpf_skip_reason() if bpf else None
    for t in tests:
        t0 = time.monotonic()
        try:
            if reason:
                raise NoBpf(reason)
            t()
        except Skip as e:
            skipped += 1
            print("skip - %s: %s" % (t.__name__, e), flush=True)
            if isinstance(e, NoBpf) and not reason:
                reason = str(e)  # the host cannot load eBPF: no use trying again
            continue
        except Failure as e:
            failed += 1
            print("not ok - %s: %s" % (t.__name__, e), flush=True)
            continue
        except Exception:
            failed += 1
            print("not ok - %s: unexpected exception\n%s"
                  % (t.__name__, traceback.format_exc()), flush=True)
            continue
        passed += 1
        print("ok - %s (%.1f s)" % (t.__name__, time.monotonic() - t0), flush=True)
    print("%s: %d ok, %d not ok, %d skipped" % (name, passed, failed, skipped), flush=True)
    if skipped and REQUIRE_BPF:
        print("GH_REQUIRE_BPF=1: a test that would skip fails instead", flush=True)
        sys.exit(1)
    if failed:
        sys.exit(1)
    if skipped and not passed:
        sys.exit(SKIP_CODE)
    sys.exit(0)
