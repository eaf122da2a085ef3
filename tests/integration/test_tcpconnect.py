#!/usr/bin/env python3
"""Integration tests of trace/tcpconnect.lua: socat clients to nc servers
on 127.0.0.1 and ::1 (ports picked free), refused connects, --latency and
--min-latency, and a client in a runc container."""

from gh import Tracer, check, describe, excerpt, main, require_bpf, run_host
from netpair import A_ADDR, B_ADDR
from storm import check_nothing_skipped, retried_connects
from tcpwork import (ECONNREFUSED, Scene, check_container, check_host_namespaces,
                     check_process, check_tuple, connects_in_container, host_netns)

GADGET = "trace/tcpconnect.lua"
SECOND_NS = 1000000000


def traced(version, *args, fmt="json"):
    """one connect (socat -> nc) and one refused; (events on those ports,
    tracer, client pid, refused pid, port, refused port)"""
    require_bpf()
    s = Scene(version)
    with Tracer(GADGET, *args, fmt=fmt) as t:
        s.run()
    t.check_clean_exit()
    evs = s.events(t.events()) if fmt == "json" else None
    return evs, t, s.client_pid, s.refused_pid, s.port, s.refused_port


def check_connects(version, evs, cpid, rpid, port, refused_port):
    """exactly the two connects: the successful one, then the refused one"""
    check([e["dport"] for e in evs] == [port, refused_port],
          "wanted the connect to %d then the refused one to %d" % (port, refused_port),
          describe(evs))
    ok, refused = evs
    check_process(ok, cpid, "socat", "connect")
    check_tuple(ok, version, ok["sport"], port, "connect")
    check(ok["sport"] > 0 and ok["error"] == 0, "sport/error of the connect", ok)
    check_process(refused, rpid, "socat", "refused connect")
    check_tuple(refused, version, refused["sport"], refused_port, "refused connect")
    check(refused["error"] == ECONNREFUSED, "error %r, wanted ECONNREFUSED (111)"
          % refused["error"], refused)
    for e in evs:
        check_host_namespaces(e, "connect")


def check_latency_sane(e):
    check(0 < e["latency"] < SECOND_NS, "latency %r ns: wanted > 0 and < 1 s on loopback"
          % e["latency"], e)


def test_tcpconnect_ipv4():
    """127.0.0.1: the connect and the refused one, exactly; latency 0
    without --latency"""
    evs, t, cpid, rpid, port, rport = traced(4)
    check_connects(4, evs, cpid, rpid, port, rport)
    check(all(e["latency"] == 0 for e in evs), "latency measured without --latency",
          describe(evs))


def test_tcpconnect_ipv6_latency():
    """::1 with --latency: IPv6 addresses as text, latency > 0 and < 1 s
    for the connect and for the refused one (SYN to RST)"""
    evs, t, cpid, rpid, port, rport = traced(6, "--latency")
    check_connects(6, evs, cpid, rpid, port, rport)
    for e in evs:
        check_latency_sane(e)


def test_tcpconnect_min_latency():
    """--min-latency 10s drops both loopback connects; --min-latency 1ns
    (any latency) keeps them and measures their latency"""
    evs, t, *_ = traced(4, "--min-latency", "10s")
    check(evs == [], "--min-latency 10s let loopback connects through", describe(evs))
    evs, t, cpid, rpid, port, rport = traced(4, "--min-latency", "1ns")
    check_connects(4, evs, cpid, rpid, port, rport)
    for e in evs:
        check_latency_sane(e)


def test_tcpconnect_columns():
    """columns: the latency as a duration (us/ms), ECONNREFUSED by name"""
    _, t, cpid, rpid, port, rport = traced(6, "--latency", fmt=None)
    lines = [l.split() for l in t.stdout.splitlines()]
    # the first column is the container's name, empty for host processes
    check(lines and lines[0][1:10] == ["PID", "COMM", "IPVERSION", "SADDR", "SPORT", "DADDR",
                                       "DPORT", "LATENCY", "ERROR"], "header", excerpt(t.stdout))
    rows = {int(l[6]): l for l in lines[1:] if len(l) == 9 and l[6].isdigit()}
    check(port in rows and rport in rows, "no rows for ports %d and %d" % (port, rport),
          excerpt(t.stdout))
    ok, refused = rows[port], rows[rport]
    check(ok[:3] == [str(cpid), "socat", "6"] and ok[3] == ok[5] == "::1" and ok[8] == "0",
          "the connect's row", ok)
    check(refused[0] == str(rpid) and refused[8] == "ECONNREFUSED", "the refused row", refused)
    for row in (ok, refused):
        check(row[7].endswith(("ns", "us", "ms")) and row[7][0].isdigit(),
              "latency %r is not a duration" % row[7], row)


def test_tcpconnect_bad_min_latency():
    """--min-latency 5parsecs: one error line, non-zero exit"""
    p = run_host("run", GADGET, "--host", "--min-latency", "5parsecs", "--timeout", "1")
    lines = p.stderr.strip().splitlines()
    check(p.returncode != 0 and len(lines) == 1 and "--min-latency" in lines[0]
          and "5parsecs" in lines[0] and "not a duration" in lines[0],
          "wanted one line saying 5parsecs is not a duration, and a failure", p.stderr)


def test_tcpconnect_in_container():
    """a socat client in a runc container (host network): its connect and a
    refused one by the container's init, latency measured, with the
    container's fields"""
    require_bpf()
    evs, t, name, pid, mntns, port, refused_port = connects_in_container(GADGET, "tcpc",
                                                                         "--latency")
    check([(e["dport"], e["error"]) for e in evs] == [(port, 0), (refused_port, ECONNREFUSED)],
          "wanted the container's connect and refused connect", describe(t.events()),
          "stderr: " + excerpt(t.stderr))
    for e in evs:
        check_container(e, name, mntns)
        check(e["comm"] == "socat" and e["netns"] == host_netns(), "comm/netns", e)
        check_tuple(e, 4, e["sport"], e["dport"], "connect")
        check_latency_sane(e)
    check(evs[0]["pid"] != pid and evs[1]["pid"] == pid,
          "the first socat is the shell's child, the second the init (exec)", evs)


def test_tcpconnect_beside_a_storm():
    """K clients, each to its own port whose first SYN is dropped, while an
    open tracer's programs run for a storm of opens (storm.py): exactly K
    connects, though each handshake ends in a timer's softirq, often inside
    the other tracer's program"""
    require_bpf()
    with Tracer(GADGET) as t:
        n, ports, _ = retried_connects("cm")
    t.check_clean_exit()
    evs = [e for e in t.events() if e["netns"] == n.a.inode and e["dport"] in ports]
    got = sorted((e["saddr"], e["daddr"], e["dport"], e["comm"], e["error"]) for e in evs)
    check(got == [(A_ADDR[4], B_ADDR[4], port, "socat", 0) for port in ports],
          "wanted one connect per client, got %d events" % len(evs),
          "stderr: " + excerpt(t.stderr), describe(evs))
    check_nothing_skipped(t)


if __name__ == "__main__":
    main([test_tcpconnect_ipv4, test_tcpconnect_ipv6_latency, test_tcpconnect_min_latency,
          test_tcpconnect_columns, test_tcpconnect_bad_min_latency, test_tcpconnect_in_container,
          test_tcpconnect_beside_a_storm])
