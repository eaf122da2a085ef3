#!/usr/bin/env python3
"""Integration tests of trace/tcpdrop.lua, in two network namespaces the test
makes (netpair.py): a SYN to a closed port (NO_SOCKET), iptables drop
rules on the way in and out (NETFILTER_DROP) whose packet counters say
exactly how many drops the gadget must report, a client in a runc
container, and filters on the reason by name."""

from gh import Tracer, check, describe, excerpt, main, require_bpf, run_host
from ctrace import check_container, traced_container
from netpair import (A_ADDR, B_ADDR, NetPair, Server, free_port, join_netns, send_lines,
                     socat_to)
from storm import check_nothing_skipped, retried_connects

GADGET = "trace/tcpdrop.lua"
ECONNREFUSED_TEXT = "Connection refused"


def on_port(evs, port, n):
    """the events of the test's namespaces (n: a NetPair) on port"""
    return [e for e in evs if port in (e.get("sport"), e.get("dport"))
            and e.get("netns") in (n.a.inode, n.b.inode)]


def check_segment(e, version, src, sport, dst, dport, flags, reason, state):
    got = (e["ipversion"], e["saddr"], e["sport"], e["daddr"], e["dport"], e["tcpflags"],
           e["reason"], e["state"])
    want = (version, src[version], sport, dst[version], dport, flags, reason, state)
    check(got == want, "(ipversion, saddr, sport, daddr, dport, tcpflags, reason, state) is "
          "%r, wanted %r" % (got, want), e)


def check_process(e, pid, comm):
    got = (e["pid"], e["tid"], e["comm"], e["uid"])
    check(got == (pid, pid, comm, 0), "(pid, tid, comm, uid) is %r, wanted %r"
          % (got, (pid, pid, comm, 0)), e)


def check_purged(evs, version, port):
    """a drop other than the rules' can only be a segment from B's port that
    a socket still held when it ended (B's unacknowledged FIN, A's unread
    one): the kernel frees those as dropped, QUEUE_PURGE (NOT_SPECIFIED
    before that reason existed: 6.1)"""
    for e in evs:
        check(e["reason"] in ("QUEUE_PURGE", "NOT_SPECIFIED") and e["saddr"] == B_ADDR[version]
              and e["sport"] == port and e["state"] == "CLOSE",
              "a drop other than the rules' is a segment an ended socket held", e)


def closed_port_scene(version, *args, fmt="json"):
    """A connects to a port of B nobody listens on: refused"""
    port = free_port()
    with Tracer(GADGET, *args, fmt=fmt) as t, NetPair("dc") as n:
        _, err = send_lines(n.a, version, port, 1, expect_rc=1)
        check(ECONNREFUSED_TEXT in err, "socat was not refused", err)
    t.check_clean_exit()
    return t, n, port


def test_syn_to_closed_port():
    """exactly one drop: the SYN, in B, NO_SOCKET, no socket (state ""),
    no process (nobody owns the port)"""
    require_bpf()
    for version in (4, 6):
        t, n, port = closed_port_scene(version)
        evs = on_port(t.events(), port, n)
        check(len(evs) == 1, "wanted one drop on port %d (IPv%d)" % (port, version),
              describe(t.events()))
        e = evs[0]
        check_segment(e, version, A_ADDR, e["sport"], B_ADDR, port, "SYN", "NO_SOCKET", "")
        check(e["netns"] == n.b.inode, "the drop is in B's namespace", e)
        check_process(e, 0, "")


def test_netfilter_in():
    """B drops the first SYN and then every third segment of the connection
    on its way in: as many NETFILTER_DROP events as the rules counted; the
    SYN (no socket yet) belongs to the listening nc by its port, the
    others to nc's connection (ESTABLISHED, CLOSE_WAIT), or to nobody once
    nc closed it (LAST_ACK)"""
    require_bpf()
    port = free_port()
    with Tracer(GADGET) as t, NetPair("dn") as n, Server(n.b, port) as srv:
        n.b.iptables("-I", "INPUT", "-p", "tcp", "--dport", port, "--syn", "-m", "statistic",
                     "--mode", "nth", "--every", "100000", "--packet", "0", "-j", "DROP")
        n.b.iptables("-A", "INPUT", "-p", "tcp", "--dport", port, "!", "--syn", "-m",
                     "statistic", "--mode", "nth", "--every", "3", "--packet", "1", "-j", "DROP")
        send_lines(n.a, 4, port, 12, gap=0.02)
        srv.wait()
        n.wait_closed(port)
        out = n.b.iptables("-L", "INPUT", "-v", "-x", "-n").stdout
        counts = [int(l.split()[0]) for l in out.splitlines()[2:] if l.strip()]
    t.check_clean_exit()
    evs = [e for e in on_port(t.events(), port, n) if e["reason"] == "NETFILTER_DROP"]
    # nc's FIN, sent again until A's ACK made it through, purged
    check_purged([e for e in on_port(t.events(), port, n) if e["reason"] != "NETFILTER_DROP"],
                 4, port)
    check(counts[0] == 1 and counts[1] >= 2, "the rules' counts %r" % counts, out)
    check(len(evs) == sum(counts), "wanted %d drops (the rules' counts)" % sum(counts),
          describe(evs))
    syn, rest = evs[0], evs[1:]
    cport = syn["sport"]
    check_segment(syn, 4, A_ADDR, cport, B_ADDR, port, "SYN", "NETFILTER_DROP", "")
    check_process(syn, srv.pid, "nc")
    for e in rest:
        check(e["reason"] == "NETFILTER_DROP" and e["saddr"] == A_ADDR[4]
              and e["sport"] == cport and e["dport"] == port and e["netns"] == n.b.inode
              and "ACK" in e["tcpflags"].split("|"), "a segment of the connection", e)
        check(e["state"] in ("ESTABLISHED", "CLOSE_WAIT", "LAST_ACK"), "its state", e)
        # LAST_ACK: nc has closed its socket, and its close ended the ownership
        if e["state"] == "LAST_ACK":
            check_process(e, 0, "")
        else:
            check_process(e, srv.pid, "nc")


def test_netfilter_out_ipv6():
    """A drops the client's first SYN on its way out (IPv6): one event with
    the client's socket (SYN_SENT) and process, though its port was chosen
    inside connect(); nothing else but nc's FIN where socat's socket ended
    before reading it (seen on 6.1 under TCG)"""
    require_bpf()
    port = free_port()
    with Tracer(GADGET) as t, NetPair("do") as n, Server(n.b, port, version=6) as srv:
        n.a.iptables("-I", "OUTPUT", "-p", "tcp", "--dport", port, "--syn", "-m", "statistic",
                     "--mode", "nth", "--every", "100000", "--packet", "0", "-j", "DROP",
                     version=6)
        pid, _ = send_lines(n.a, 6, port, 1)
        srv.wait()
    evs = [e for e in on_port(t.events(), port, n) if e["reason"] == "NETFILTER_DROP"]
    check_purged([e for e in on_port(t.events(), port, n) if e["reason"] != "NETFILTER_DROP"],
                 6, port)
    check(len(evs) == 1, "wanted the one dropped SYN", describe(t.events()))
    e = evs[0]
    check_segment(e, 6, A_ADDR, e["sport"], B_ADDR, port, "SYN", "NETFILTER_DROP", "SYN_SENT")
    check_process(e, pid, "socat")
    check(e["netns"] == n.a.inode, "the drop is in A's namespace", e)


def test_columns_and_reason_filter():
    """-F reason==NO_SOCKET keeps the refused SYN; the row names the
    reason without SKB_DROP_REASON_"""
    require_bpf()
    t, n, port = closed_port_scene(4, "-F", "reason==NO_SOCKET", fmt=None)
    lines = [l.split() for l in t.stdout.splitlines()]
    check(lines and lines[0] == ["RUNTIME.CONTAINERNAME", "PID", "COMM", "IPVERSION", "SADDR",
                                 "SPORT", "DADDR", "DPORT", "STATE", "TCPFLAGS", "REASON"],
          "header", excerpt(t.stdout))
    rows = [l for l in lines[1:] if str(port) in l]
    check(len(rows) == 1 and rows[0][:3] == ["0", "4", A_ADDR[4]]
          and rows[0][4:] == [B_ADDR[4], str(port), "SYN", "NO_SOCKET"],
          "the refused SYN's row", excerpt(t.stdout))
    check(all(l[-1] == "NO_SOCKET" for l in lines[1:]), "only NO_SOCKET rows", excerpt(t.stdout))


def test_reason_filter_excludes():
    """-F reason!=NO_SOCKET: the refused SYN is not printed"""
    require_bpf()
    t, n, port = closed_port_scene(4, "-F", "reason!=NO_SOCKET")
    check(not on_port(t.events(), port, n), "the NO_SOCKET drop was printed", describe(t.events()))


def test_unknown_reason():
    """an unknown drop reason name in a filter: one line, non-zero exit"""
    p = run_host("run", GADGET, "--host", "-F", "reason==NO_SOCKETS", "--timeout", "1")
    lines = p.stderr.strip().splitlines()
    check(p.returncode != 0 and len(lines) == 1 and '"NO_SOCKETS" is not a value of reason'
          in lines[0] and "NETFILTER_DROP" in lines[0], "wanted one line naming the value",
          p.stderr)


def test_in_container():
    """socat in a runc container that joined namespace A: A drops its first
    SYN on the way out; -c NAME gets exactly that drop, the container's"""
    require_bpf()
    port = free_port()
    with NetPair("dr") as n, Server(n.b, port) as srv:
        n.a.iptables("-I", "OUTPUT", "-p", "tcp", "--dport", port, "--syn", "-m", "statistic",
                     "--mode", "nth", "--every", "100000", "--packet", "0", "-j", "DROP")


        run = traced_container(GADGET, "exec /usr/bin/socat -u /dev/null %s" % socat_to(4, port),
                               edit=join_netns(n.a.path))
        srv.wait()
    rule = [e for e in run.events if e["reason"] == "NETFILTER_DROP"]
    check(len(rule) == 1, "wanted the container's one dropped SYN", describe(run.events),
          "output: " + run.output, "stderr: " + excerpt(run.tracer.stderr))
    # and, on a slow run, B's FIN sent again after A's ACK reached a socket
    # in TIME_WAIT: a drop too, of the same connection
    for e in run.events:
        check(e is rule[0] or (e["state"] == "TIME_WAIT" and "FIN" in e["tcpflags"]),
              "a drop that is not the teardown's", e)
    e = rule[0]
    check_container(e, run)
    check_segment(e, 4, A_ADDR, e["sport"], B_ADDR, port, "SYN", "NETFILTER_DROP", "SYN_SENT")
    check_process(e, run.pid, "socat")


def test_beside_a_storm():
    """K clients, each to its own port whose first two SYNs B drops, while
    an open tracer's programs run for a storm of opens (storm.py): exactly
    2K NETFILTER_DROP events, though every second SYN is sent, and dropped,
    in a timer's softirq, often inside the other tracer's program"""
    require_bpf()
    with Tracer(GADGET) as t:
        n, ports, retrans = retried_connects("dm", drops=2)
    check(retrans == 2 * len(ports), "A sent %d SYNs again, wanted two per client" % retrans)
    t.check_clean_exit()
    evs = [e for e in t.events()
           if e.get("netns") == n.b.inode and e["reason"] == "NETFILTER_DROP"]
    got = sorted((e["dport"], e["tcpflags"], e["saddr"]) for e in evs)
    check(got == sorted([(port, "SYN", A_ADDR[4]) for port in ports] * 2),
          "wanted two SYN drops per client, got %d events" % len(evs),
          "stderr: " + excerpt(t.stderr), describe(evs))
    check_nothing_skipped(t)


if __name__ == "__main__":
    main([test_unknown_reason, test_syn_to_closed_port, test_netfilter_in,
          test_netfilter_out_ipv6, test_columns_and_reason_filter, test_reason_filter_excludes,
          test_in_container, test_beside_a_storm], bpf=False)
