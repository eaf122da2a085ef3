"""Gadgets beside a storm of another tracer's programs.

The kernel runs a classic tracepoint's eBPF program only when no other
kprobe, tracepoint or perf_event program runs on that CPU (one per-CPU flag
for them all), so an event in an interrupt or softirq (a timer's
retransmission or signal, a packet received) that lands inside, say, an
open tracer's syscall program is silently lost (the program's
recursion_misses; the host warns "the kernel skipped N runs").  A raw
tracepoint is skipped only inside itself.  open_storm() keeps trace/open's
programs running nearly all the time on both CPUs, so such a loss happens
within a few dozen interrupts; the tests then want the exact count of
events."""

import contextlib
import re
import subprocess

from gh import WORKLOAD, Tracer, check, wait_for
from netpair import NetPair, Server, free_port, socat_to


@contextlib.contextmanager
def open_storm():
    """trace/open traces `workload open-storm` on both CPUs while the block
    runs"""
    with Tracer("trace/open.lua", "--comm", "workload", fmt="columns"):
        storms = [subprocess.Popen([WORKLOAD, "open-storm", "1000000000"],
                                   stdout=subprocess.DEVNULL) for _ in range(2)]
        try:
            yield
        finally:
            for w in storms:
                w.kill()
                w.wait()


STATS = "/proc/sys/kernel/bpf_stats_enabled"


@contextlib.contextmanager
def program_runs_counted():
    """the kernel counts every eBPF program's runs meanwhile (the host's -v
    says them: program_runs()); as it was after"""
    with open(STATS) as f:
        before = f.read().strip()
    with open(STATS, "w") as f:
        f.write("1")
    try:
        yield
    finally:
        with open(STATS, "w") as f:
            f.write(before)


def program_runs(t, name):
    """(runs, skipped) of program name, from the -v run t's last lines"""
    m = re.search(r"program %s: (\d+) runs, (\d+) skipped" % re.escape(name), t.stderr)
    check(m, "-v does not say how often %s ran" % name, t.stderr)
    return int(m.group(1)), int(m.group(2))


def check_nothing_skipped(t):
    """the gadget's tracer t ended without the host's warning that the
    kernel skipped runs of its programs"""
    check("the kernel skipped" not in t.stderr, "the kernel skipped the gadget's programs", t.stderr)


def drop_first_syns(ns, port, count=1):
    """ns (a network namespace with cmd()) drops the first count SYNs to
    port that reach it (and only those): one rule per SYN, since each rule
    counts the packets that reach it"""
    for _ in range(count):
        subprocess.run(ns.cmd("iptables", "-w", "-I", "INPUT", "-p", "tcp", "--dport", port,
                              "--syn", "-m", "statistic", "--mode", "nth", "--every", "100000",
                              "--packet", "0", "-j", "DROP"), check=True,
                       stdout=subprocess.DEVNULL)


def connect_all(n, ports, limit=20):
    """a socat client in n.a to each of n.b's ports (its servers listening),
    sending nothing; returns once all ended, each having connected"""
    clients = [n.a.popen("socat", "-u", "/dev/null", socat_to(4, port),
                         stdout=subprocess.DEVNULL) for port in ports]
    try:
        wait_for(lambda: all(c.poll() is not None for c in clients), limit,
                 "the %d clients connected and ended" % len(ports))
    finally:
        for c in clients:
            if c.poll() is None:
                c.kill()
                c.wait()
    check([c.returncode for c in clients] == [0] * len(ports), "every client connected",
          [c.stderr.read() for c in clients if c.returncode])


def retried_connects(tag, k=24, drops=1):
    """k socat clients in namespace A of a NetPair, each to its own port of
    B whose first drops SYNs B drops, inside open_storm(): the SYNs sent
    again leave from a timer's softirq, which goes on to take in B's answer
    (the SYN-ACK: the handshake ends there).  Returns (the NetPair, gone
    by then but for its namespaces' inodes, the ports, A's RetransSegs
    during the clients)"""
    base = free_port() % 15000 + 20000
    ports = [base + i for i in range(k)]
    with NetPair(tag) as n, contextlib.ExitStack() as stack:
        for port in ports:
            stack.enter_context(Server(n.b, port))
            drop_first_syns(n.b, port, drops)
        with open_storm():
            before = n.a.snmp()["RetransSegs"]
            connect_all(n, ports)
            retrans = n.a.snmp()["RetransSegs"] - before
    return n, ports, retrans
