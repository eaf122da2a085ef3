#!/usr/bin/env python3
"""bench/daemon_idle.py - what the node daemon costs with 10 instances at rest.

Starts `gadgethost daemon` (a socket, state dir and --metrics-listen port of
its own), detaches 10 instances (exec, open, signal, bind, tcpconnect,
mount, tcp, capabilities, exec, open; each --host --metric 'n=counter by
comm' with a --comm no process has: the kernel drops every event, so what
is left is the cost of being there), waits until all run, then measures
over --seconds (default 60) with a scrape of /metrics every --scrape
seconds (default 15, Prometheus' default interval):

  CPU        user+sys of the daemon, and of the 10 run children together
             (/proc/PID/stat), as % of one core over the window
  RSS, PSS   at the end (/proc/PID/status VmRSS, smaps_rollup Pss): PSS
             splits shared libraries among the processes mapping them
  programs   the run time the kernel counted for the instances' eBPF
             programs over the window (gadgethost_program_run_seconds_total)
  scrape     bytes and time of one GET /metrics

Run as root from the repository after `meson setup build && ninja -C build`:
  sudo bench/daemon_idle.py [--bin build/host/gadgethost] [--seconds 60]
"""

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

GADGETS = ["trace/exec.lua", "trace/open.lua", "trace/signal.lua", "trace/bind.lua",
           "trace/tcpconnect.lua", "trace/mount.lua", "trace/tcp.lua",
           "trace/capabilities.lua", "trace/exec.lua", "trace/open.lua"]
TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK  # utime, stime


def memory_kib(pid):
    rss = pss = 0
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1])
    with open("/proc/%d/smaps_rollup" % pid) as f:
        for line in f:
            if line.startswith("Pss:"):
                pss = int(line.split()[1])
    return rss, pss


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def scrape(port):
    t0 = time.monotonic()
    body = urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=10).read()
    return body.decode(), time.monotonic() - t0


def program_seconds(text):
    return sum(float(l.rsplit(" ", 1)[1]) for l in text.splitlines()
               if l.startswith("gadgethost_program_run_seconds_total{gadget_instance="))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bin", default="build/host/gadgethost")
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--scrape", type=float, default=15)
    a = ap.parse_args()
    gh = os.path.abspath(a.bin)
    tmp = tempfile.mkdtemp(prefix="gh-idle-")
    sock = os.path.join(tmp, "gadgethost.sock")
    port = free_port()
    log = open(os.path.join(tmp, "daemon.log"), "w")
    d = subprocess.Popen([gh, "daemon", "--socket", sock, "--hook-dir", os.path.join(tmp, "hooks"),
                          "--state-dir", os.path.join(tmp, "state"),
                          "--metrics-listen", "127.0.0.1:%d" % port], stderr=log)
    try:
        url = "unix://" + sock
        for _ in range(100):
            if os.path.exists(sock):
                break
            time.sleep(0.1)
        for i, g in enumerate(GADGETS):
            r = subprocess.run([gh, "run", g, "--detach", "--name", "idle%d" % i, "--remote", url,
                                "--host", "--comm", "nosuchcomm", "--metric",
                                "n=counter by comm"], capture_output=True, text=True)
            if r.returncode:
                sys.exit("instance %d (%s): %s" % (i, g, r.stderr.strip()))
        out = subprocess.run([gh, "instances", "--remote", url, "list", "-o", "json"],
                             capture_output=True, text=True, check=True).stdout
        kids = [json.loads(l)["pid"] for l in out.splitlines()]
        assert len(kids) == 10 and all(kids), out
        time.sleep(5)  # settle: the children's start is not "at rest"
        text, _ = scrape(port)
        prog0 = program_seconds(text)
        d0, k0 = cpu_seconds(d.pid), sum(cpu_seconds(p) for p in kids)
        t0 = time.monotonic()
        scrapes = []
        while time.monotonic() - t0 < a.seconds:
            time.sleep(min(a.scrape, a.seconds - (time.monotonic() - t0)))
            if time.monotonic() - t0 < a.seconds - 0.5:
                text, took = scrape(port)
                scrapes.append((len(text), took))
        wall = time.monotonic() - t0
        d1, k1 = cpu_seconds(d.pid), sum(cpu_seconds(p) for p in kids)
        text, took = scrape(port)
        scrapes.append((len(text), took))
        prog1 = program_seconds(text)
        drss, dpss = memory_kib(d.pid)
        kmem = [memory_kib(p) for p in kids]
        print("window %.1f s, %d scrapes of /metrics" % (wall, len(scrapes)))
        print("daemon:      CPU %.3f s = %.2f%% of a core; RSS %.1f MiB, PSS %.1f MiB"
              % (d1 - d0, 100 * (d1 - d0) / wall, drss / 1024, dpss / 1024))
        print("10 children: CPU %.3f s = %.2f%% of a core together; RSS %.1f-%.1f MiB each, "
              "PSS %.1f MiB together"
              % (k1 - k0, 100 * (k1 - k0) / wall, min(r for r, _ in kmem) / 1024,
                 max(r for r, _ in kmem) / 1024, sum(p for _, p in kmem) / 1024))
        print("programs:    %.3f s of kernel run time over the window (%.2f%% of a core)"
              % (prog1 - prog0, 100 * (prog1 - prog0) / wall))
        print("scrape:      %d bytes, %.0f-%.0f ms"
              % (scrapes[-1][0], 1000 * min(t for _, t in scrapes),
                 1000 * max(t for _, t in scrapes)))
    finally:
        d.terminate()
        d.wait(30)
        log.close()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
