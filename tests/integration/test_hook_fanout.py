#!/usr/bin/env python3
"""The OCI hook with hosts that do not answer: a real runc container whose
prestart hook is `gadgethost hook prestart --dir D`, a live daemon in D,
and then five more daemons in D stopped with SIGSTOP (their sockets accept,
nobody answers) and one host that trickles its answer a byte a second.
The container's start is delayed by at most the hook's one deadline (2 s),
not 2 s per host, and the live daemon still learns of the container."""

import json
import os
import shutil
import signal
import socket
import tempfile
import threading
import time

import containers
from gh import GH_BIN, check, main, scaled, unique
from ghdaemon import Daemon, wait_for

HOOK_DEADLINE_S = 2.0


def hooks(d):
    return {kind: [{"path": GH_BIN, "args": ["gadgethost", "hook", kind, "--dir", d]}]
            for kind in ("prestart", "poststop")}


class Trickler(threading.Thread):
    """a host socket that reads the hook's message and answers one byte a
    second, never a whole line"""

    def __init__(self, path):
        super().__init__(daemon=True)
        self.srv = socket.socket(socket.AF_UNIX)
        self.srv.bind(path)
        self.srv.listen(8)
        self.stop = threading.Event()
        self.served = 0

    def run(self):
        self.srv.settimeout(0.2)
        while not self.stop.is_set():
            try:
                c, _ = self.srv.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            self.served += 1
            threading.Thread(target=self.trickle, args=(c,), daemon=True).start()

    def trickle(self, c):
        try:
            while c.recv(65536):
                pass
            while not self.stop.wait(1.0):  # the workload: a byte a second
                c.send(b"o")
        except OSError:
            pass
        c.close()

    def close(self):
        self.stop.set()
        self.srv.close()


def listed(d, cid):
    status, body = d.get("/v1/containers")
    return status == 200 and any(c["runtime"]["containerId"] == cid
                                 for c in json.loads(body))  # one JSON list


def timed_run(r, cid, bundle):
    t0 = time.monotonic()
    r.run(cid, bundle)
    return time.monotonic() - t0


def test_stuck_hosts():
    """5 stopped hosts and a trickling one delay a container start by at
    most the hook's deadline; the live host is told all the same"""
    hook_dir = tempfile.mkdtemp(prefix="gh-hookdir-")
    stuck, trickler = [], None
    try:
        with containers.Runc() as r, Daemon("--hook-dir", hook_dir) as live:
            base_id, slow_id = unique("hka")[:30], unique("hkb")[:30]
            cmd = ["sh", "-c", "exec sleep 60"]
            # a first container: the time a start takes with one live host
            r.run(unique("warm")[:30], r.bundle("warm", cmd, hooks=hooks(hook_dir)))
            base = timed_run(r, base_id, r.bundle(base_id, cmd, hooks=hooks(hook_dir)))
            wait_for(lambda: listed(live, base_id), 5,
                     "the live daemon was not told of the first container")

            for _ in range(5):
                d = Daemon("--hook-dir", hook_dir)
                d.start()
                stuck.append(d)
                os.kill(d.proc.pid, signal.SIGSTOP)
            trickler = Trickler(os.path.join(hook_dir, "trickle.sock"))
            trickler.start()
            socks = sorted(f for f in os.listdir(hook_dir) if f.endswith(".sock"))
            check(len(socks) == 7, "the hook directory does not hold 7 host sockets", socks)

            slow = timed_run(r, slow_id, r.bundle(slow_id, cmd, hooks=hooks(hook_dir)))
            wait_for(lambda: listed(live, slow_id), 5,
                     "the live daemon was not told of the container the stuck hosts delayed")
            check(trickler.served == 1, "the trickling host was not asked", trickler.served)
            delay = slow - base
            print("container start: %.2f s with one live host, %.2f s with 5 stopped hosts "
                  "and a trickling one too (+%.2f s)" % (base, slow, delay))
            check(delay >= HOOK_DEADLINE_S - 0.3,
                  "the start was not delayed by the stuck hosts (%.2f s): were they asked?"
                  % delay)
            check(delay <= HOOK_DEADLINE_S + scaled(0.6),
                  "6 hosts that do not answer delayed the start by %.2f s, not at most %.1f s"
                  % (delay, HOOK_DEADLINE_S))
            for d in stuck:
                os.kill(d.proc.pid, signal.SIGCONT)
            trickler.close()
            r.cleanup()
            for d in stuck:
                d.check_clean_exit()
    finally:
        for d in stuck:
            if d.returncode is None:
                os.kill(d.proc.pid, signal.SIGCONT)
                d.__exit__(None, None, None)
        if trickler:
            trickler.close()
        shutil.rmtree(hook_dir, ignore_errors=True)


if __name__ == "__main__":
    main([test_stuck_hosts])
