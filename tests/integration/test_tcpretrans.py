#!/usr/bin/env python3
"""Integration tests of trace/tcpretrans.lua, in two network namespaces the
test makes (netpair.py): an iptables rule in one drops what the other
sends, and the kernel's own counters (RetransSegs of each namespace) say
exactly how many retransmissions the gadget must report: a SYN sent again,
a SYN-ACK sent again, data segments lost every fourth packet, and a client
in a runc container."""

from gh import Tracer, check, describe, excerpt, main, require_bpf, run_host
from ctrace import check_container, traced_container
from netpair import (A_ADDR, B_ADDR, NetPair, Server, free_port, join_netns, send_lines,
                     socat_to)
from storm import (check_nothing_skipped, drop_first_syns, program_runs, program_runs_counted,
                   retried_connects)

GADGET = "trace/tcpretrans.lua"


def in_ns(evs, ns, sent_only=True):
    """the events of namespace ns; sent_only: not the attempts that failed
    (6.14+ report those too, with their error: RetransSegs counts only
    what was sent)"""
    return [e for e in evs if e.get("netns") == ns.inode and (e["error"] == 0 or not sent_only)]


def check_conn(e, version, sport, dport, pid, comm, local, remote):
    got = (e["ipversion"], e["saddr"], e["sport"], e["daddr"], e["dport"], e["pid"], e["comm"])
    want = (version, local[version], sport, remote[version], dport, pid, comm)
    check(got == want, "(ipversion, saddr, sport, daddr, dport, pid, comm) is %r, wanted %r"
          % (got, want), e)


def test_syn_retransmit():
    """B drops the client's first SYN: one RETRANS of a SYN in SYN_SENT, by
    the connecting socat (its owner is known before the SYN leaves)"""
    require_bpf()
    port = free_port()
    with program_runs_counted(), Tracer(GADGET, "-v") as t, NetPair("rs") as n, \
            Server(n.b, port) as srv:
        drop_first_syns(n.b, port)
        before = n.a.snmp()
        pid, _ = send_lines(n.a, 4, port, 1)
        srv.wait()
        retrans = n.a.snmp()["RetransSegs"] - before["RetransSegs"]
        check(n.b.rule_packets("INPUT") == 1 and retrans == 1,
              "the rule dropped one SYN and A retransmitted once", n.a.snmp())
    t.check_clean_exit()
    evs = in_ns(t.events(), n.a)
    check(len(evs) == 1, "wanted exactly one retransmission in A", describe(t.events()),
          "stderr: " + excerpt(t.stderr))
    e = evs[0]
    check(len(in_ns(t.events(), n.a, sent_only=False)) == 1, "no failed attempt either",
          describe(t.events()))
    check((e["type"], e["state"], e["tcpflags"]) == ("RETRANS", "SYN_SENT", "SYN"),
          "type, state, flags", e)
    check_conn(e, 4, e["sport"], port, pid, "socat", A_ADDR, B_ADDR)
    check(e["uid"] == 0 and e["tid"] == pid and e["ppid"] > 0, "uid, tid, ppid of socat", e)
    check(not in_ns(t.events(), n.b), "nothing retransmitted in B", describe(t.events()))
    # -v: the program ran exactly once per RETRANS event (every retransmission
    # on the machine meanwhile: --host, no filter), none skipped
    runs = program_runs(t, "tcp_retransmit_skb")
    retrans = [e for e in t.events() if e["type"] == "RETRANS"]
    check(runs == (len(retrans), 0), "tcp_retransmit_skb ran %d times (%d skipped) for %d "
          "RETRANS events" % (runs + (len(retrans),)), t.stderr)


def test_synack_retransmit():
    """A drops the first SYN-ACK: the listener's SYN-ACK is sent again
    (SYNACK, NEW_SYN_RECV, the listening nc) and the client's SYN too;
    in each namespace exactly as many events as RetransSegs grew"""
    require_bpf()
    port = free_port()
    with Tracer(GADGET) as t, NetPair("rk") as n, Server(n.b, port) as srv:
        n.a.iptables("-I", "INPUT", "-p", "tcp", "--sport", port, "--tcp-flags", "SYN,ACK",
                     "SYN,ACK", "-m", "statistic", "--mode", "nth", "--every", "100000",
                     "--packet", "0", "-j", "DROP")
        before_a, before_b = n.a.snmp(), n.b.snmp()
        pid, _ = send_lines(n.a, 4, port, 1)
        srv.wait()
        ra = n.a.snmp()["RetransSegs"] - before_a["RetransSegs"]
        rb = n.b.snmp()["RetransSegs"] - before_b["RetransSegs"]
        check(n.a.rule_packets("INPUT") == 1, "one SYN-ACK dropped")
    t.check_clean_exit()
    ea, eb = in_ns(t.events(), n.a), in_ns(t.events(), n.b)
    check(rb >= 1 and len(eb) == rb, "B: %d SYN-ACK retransmissions counted, wanted as many "
          "events" % rb, describe(t.events()))
    check(len(ea) == ra, "A: %d retransmissions counted, wanted as many events" % ra,
          describe(t.events()))
    for e in eb:
        check((e["type"], e["state"], e["tcpflags"]) == ("SYNACK", "NEW_SYN_RECV", "SYN|ACK"),
              "a SYN-ACK's type, state, flags", e)
        check_conn(e, 4, port, e["dport"], srv.pid, "nc", B_ADDR, A_ADDR)
    for e in ea:
        check((e["type"], e["state"], e["tcpflags"]) == ("RETRANS", "SYN_SENT", "SYN"),
              "the client's SYN retransmission", e)
        check_conn(e, 4, e["sport"], port, pid, "socat", A_ADDR, B_ADDR)


def test_data_loss_ipv6():
    """B drops every fourth packet from the client (IPv6): every segment A
    sends again is an event (RetransSegs' growth, exactly), on the client's
    connection, by socat; the columns name state and flags"""
    require_bpf()
    port = free_port()
    with Tracer(GADGET) as t, NetPair("rd") as n, Server(n.b, port, version=6) as srv:
        n.b.iptables("-I", "INPUT", "-p", "tcp", "--dport", port, "!", "--syn", "-m",
                     "statistic", "--mode", "nth", "--every", "4", "--packet", "1", "-j",
                     "DROP", version=6)
        before_a, before_b = n.a.snmp(), n.b.snmp()
        pid, _ = send_lines(n.a, 6, port, 24, gap=0.02)
        srv.wait()
        n.wait_closed(port)
        ra = n.a.snmp()["RetransSegs"] - before_a["RetransSegs"]
        rb = n.b.snmp()["RetransSegs"] - before_b["RetransSegs"]
        dropped = n.b.rule_packets("INPUT", version=6)
    t.check_clean_exit()
    ea, eb = in_ns(t.events(), n.a), in_ns(t.events(), n.b)
    check(dropped >= 3 and ra >= 1, "the rule dropped %d packets, A retransmitted %d"
          % (dropped, ra))
    check(len(ea) == ra and len(eb) == rb, "events in A and B: %d, %d; RetransSegs grew %d, %d"
          % (len(ea), len(eb), ra, rb), describe(t.events()))
    cport = ea[0]["sport"]
    for e in in_ns(t.events(), n.a, sent_only=False):
        check(e["error"] in (0, 16), "sent, or EBUSY (the first copy still queued)", e)
        check(e["type"] == "RETRANS" and e["state"] in ("SYN_SENT", "ESTABLISHED", "FIN_WAIT1")
              and (e["tcpflags"] == "SYN" or "ACK" in e["tcpflags"].split("|")),
              "a SYN, data or FIN retransmission", e)
        check_conn(e, 6, cport, port, pid, "socat", A_ADDR, B_ADDR)
    for e in eb:
        check_conn(e, 6, port, cport, srv.pid, "nc", B_ADDR, A_ADDR)


def test_columns():
    """the default columns, a SYN retransmission's row"""
    require_bpf()
    port = free_port()
    with Tracer(GADGET, "-v", fmt=None) as t, NetPair("rc") as n, Server(n.b, port) as srv:
        drop_first_syns(n.b, port)
        before = n.a.snmp()
        pid, _ = send_lines(n.a, 4, port, 1)
        srv.wait()
        retrans = n.a.snmp()["RetransSegs"] - before["RetransSegs"]
        dropped = n.b.rule_packets("INPUT")
    lines = [l.split() for l in t.stdout.splitlines()]
    check(lines and lines[0] == ["RUNTIME.CONTAINERNAME", "PID", "COMM", "IPVERSION", "SADDR",
                                 "SPORT", "DADDR", "DPORT", "STATE", "TCPFLAGS", "TYPE"],
          "header", excerpt(t.stdout))
    rows = [l for l in lines[1:] if str(port) in l]
    check(len(rows) == 1 and rows[0][:4] == [str(pid), "socat", "4", A_ADDR[4]]
          and rows[0][5:] == [B_ADDR[4], str(port), "SYN_SENT", "SYN", "RETRANS"],
          "the row", excerpt(t.stdout), "SYNs dropped: %d, retransmitted: %d" % (dropped, retrans),
          "stderr: " + excerpt(t.stderr))


def test_comm_filter():
    """--comm nc: only the listener's SYN-ACKs; the client's SYN retransmit,
    though it happens in a timer, is not nc's and stays in the kernel"""
    require_bpf()
    port = free_port()
    with Tracer(GADGET, "--comm", "nc") as t, NetPair("rf") as n, Server(n.b, port) as srv:
        n.a.iptables("-I", "INPUT", "-p", "tcp", "--sport", port, "--tcp-flags", "SYN,ACK",
                     "SYN,ACK", "-m", "statistic", "--mode", "nth", "--every", "100000",
                     "--packet", "0", "-j", "DROP")
        send_lines(n.a, 4, port, 1)
        srv.wait()
    evs = in_ns(t.events(), n.a) + in_ns(t.events(), n.b)
    check(evs and all(e["comm"] == "nc" and e["type"] == "SYNACK" for e in evs),
          "wanted nc's SYN-ACKs only", describe(t.events()))


def test_in_container():
    """socat in a runc container that joined namespace A: B drops its first
    SYN; -c NAME gets that one retransmission, with the container's fields"""
    require_bpf()
    port = free_port()
    with NetPair("rn") as n, Server(n.b, port) as srv:
        drop_first_syns(n.b, port)
        before = n.a.snmp()
        run = traced_container(GADGET, "exec /usr/bin/socat -u /dev/null %s" % socat_to(4, port),
                               edit=join_netns(n.a.path))
        srv.wait()
        retrans = n.a.snmp()["RetransSegs"] - before["RetransSegs"]
        dropped = n.b.rule_packets("INPUT")
    evs = in_ns(run.events, n.a)
    check(len(evs) == 1 and len(run.events) == 1, "wanted the container's one retransmission",
          describe(run.events), "SYNs dropped: %d, retransmitted: %d" % (dropped, retrans),
          "output: " + run.output, "stderr: " + excerpt(run.tracer.stderr))
    e = evs[0]
    check_container(e, run)
    check((e["type"], e["state"], e["tcpflags"]) == ("RETRANS", "SYN_SENT", "SYN"), "the SYN", e)
    check_conn(e, 4, e["sport"], port, run.pid, "socat", A_ADDR, B_ADDR)


def test_beside_a_storm():
    """K clients, each on its own port whose first SYN B drops, while an
    open tracer's syscall programs run for a storm of opens on both CPUs
    (storm.py): exactly K SYN retransmissions, from the timer's softirq"""
    require_bpf()
    with Tracer(GADGET, "-v") as t:
        n, ports, retrans = retried_connects("rm")
    check(retrans == len(ports), "A retransmitted %d SYNs, wanted one per client" % retrans)
    t.check_clean_exit()
    check_nothing_skipped(t)
    evs = [e for e in t.events() if e["netns"] == n.a.inode and e["error"] == 0]
    got = sorted((e["dport"], e["tcpflags"], e["comm"]) for e in evs)
    check(got == [(port, "SYN", "socat") for port in ports],
          "wanted one SYN retransmission per client, got %d events" % len(evs),
          "stderr: " + excerpt(t.stderr), describe(evs))


def test_bad_filter():
    """an unknown state name in -F: one line naming it, non-zero exit"""
    p = run_host("run", GADGET, "--host", "-F", "state==ESTABLISH", "--timeout", "1")
    lines = p.stderr.strip().splitlines()
    check(p.returncode != 0 and len(lines) == 1 and "ESTABLISH" in lines[0]
          and "ESTABLISHED" in lines[0], "wanted one line naming the value and the names",
          p.stderr)


if __name__ == "__main__":
    main([test_bad_filter, test_syn_retransmit, test_synack_retransmit, test_data_loss_ipv6,
          test_columns, test_comm_filter, test_in_container, test_beside_a_storm], bpf=False)
