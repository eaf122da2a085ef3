#!/usr/bin/env python3
"""Integration tests of trace/tcp.lua: nc servers and socat clients on
127.0.0.1 and ::1 (ports picked free), a refused connect, the --*-only
params, a kernel filter, and a client in a runc container."""

from gh import Tracer, check, describe, excerpt, main, require_bpf, run_host
from netpair import A_ADDR, B_ADDR
from storm import check_nothing_skipped, retried_connects
from tcpwork import (ECONNREFUSED, Scene, check_container, check_host_namespaces,
                     check_process, check_tuple, connects_in_container, host_netns)

GADGET = "trace/tcp.lua"


def traced(version, *args, fmt="json"):
    require_bpf()
    s = Scene(version)
    with Tracer(GADGET, *args, fmt=fmt) as t:
        s.run()
    t.check_clean_exit()
    return s, t


def by_type(evs, kind):
    return [e for e in evs if e["type"] == kind]


def check_connection(s, evs):
    """the connect, the accept and both closes of s's connection, exactly"""
    connects = [e for e in by_type(evs, "connect") if e["dport"] == s.port]
    check(len(connects) == 1, "wanted one connect to port %d" % s.port, describe(evs))
    c = connects[0]
    cport = c["sport"]
    check(cport > 0 and cport != s.port, "the connect's source port", c)
    check_process(c, s.client_pid, "socat", "connect")
    check_tuple(c, s.version, cport, s.port, "connect")
    check(c["error"] == 0, "a successful connect has error 0", c)
    check_host_namespaces(c, "connect")

    accepts = by_type(evs, "accept")
    check(len(accepts) == 1, "wanted one accept", describe(evs))
    a = accepts[0]
    check_process(a, s.server_pid, "nc", "accept (the server, not the client)")
    check_tuple(a, s.version, s.port, cport, "accept")
    check(a["error"] == 0, "accept error", a)
    check_host_namespaces(a, "accept")

    closes = [e for e in by_type(evs, "close") if s.port in (e["sport"], e["dport"])]
    check(len(closes) == 2, "wanted two closes (client and server)", describe(evs))
    mine_c = [e for e in closes if e["pid"] == s.client_pid]
    mine_s = [e for e in closes if e["pid"] == s.server_pid]
    check(len(mine_c) == 1 and len(mine_s) == 1, "a close by each end", describe(closes))
    check_process(mine_c[0], s.client_pid, "socat", "client's close")
    check_tuple(mine_c[0], s.version, cport, s.port, "client's close")
    check_process(mine_s[0], s.server_pid, "nc", "server's close")
    check_tuple(mine_s[0], s.version, s.port, cport, "server's close")
    for e in closes:
        check(e["error"] == 0, "close error", e)
    check(evs.index(c) < evs.index(mine_c[0]) and evs.index(a) < evs.index(mine_s[0]),
          "a close came before its connect/accept", describe(evs))


def check_refused(s, evs):
    refused = [e for e in evs if s.refused_port in (e["sport"], e["dport"])]
    check(len(refused) == 1, "wanted exactly one event for the refused port %d" % s.refused_port,
          describe(evs))
    e = refused[0]
    check(e["type"] == "connect" and e["typeRaw"] == 0, "the refused connect's type", e)
    check_process(e, s.refused_pid, "socat", "refused connect")
    check(e["sport"] > 0, "a refused connect still had a source port", e)
    check_tuple(e, s.version, e["sport"], s.refused_port, "refused connect")
    check(e["error"] == ECONNREFUSED, "error %r, wanted ECONNREFUSED (111)" % e["error"], e)


def check_scene(version):
    """the connection's four events and the refused connect, nothing else
    on those ports"""
    s, t = traced(version)
    evs = s.events(t.events())
    check_connection(s, evs)
    check_refused(s, evs)
    check(len(evs) == 5, "wanted exactly 5 events on the test's ports", describe(evs))


def test_tcp_ipv4():
    """127.0.0.1: connect (client), accept (server's pid), both closes,
    and a refused connect with ECONNREFUSED; nothing else on those ports"""
    check_scene(4)


def test_tcp_ipv6():
    """::1: the same, with IPv6 addresses printed as text"""
    check_scene(6)


def test_tcp_columns():
    """columns: type by name, ::1 as text, ECONNREFUSED by name"""
    s, t = traced(6, fmt=None)
    lines = [l.split() for l in t.stdout.splitlines()]
    # the first column is the container's name, empty for host processes
    check(lines and lines[0][1:10] == ["TYPE", "PID", "COMM", "IPVERSION", "SADDR", "SPORT",
                                     "DADDR", "DPORT", "ERROR"],
          "header", excerpt(t.stdout))
    rows = [l for l in lines[1:] if str(s.refused_port) in l or str(s.port) in l]
    refused = [l for l in rows if str(s.refused_port) in l]
    check(len(refused) == 1 and refused[0][:4] == ["connect", str(s.refused_pid), "socat", "6"]
          and refused[0][4] == "::1" and refused[0][6] == "::1"
          and refused[0][-1] == "ECONNREFUSED",
          "the refused connect's row", excerpt(t.stdout))
    kinds = sorted(l[0] for l in rows if str(s.refused_port) not in l)
    check(kinds == ["accept", "close", "close", "connect"], "the connection's rows",
          excerpt(t.stdout))


def test_tcp_connect_only():
    """--connect-only: the connect and the refused connect, nothing else"""
    s, t = traced(4, "--connect-only")
    evs = s.events(t.events())
    check(sorted((e["type"], e["dport"], e["error"]) for e in evs) ==
          sorted([("connect", s.port, 0), ("connect", s.refused_port, ECONNREFUSED)]),
          "wanted the two connects only", describe(evs))
    check_refused(s, evs)


def test_tcp_accept_only():
    """--accept-only: the server's accept, nothing else"""
    s, t = traced(6, "--accept-only")
    evs = s.events(t.events())
    check(len(evs) == 1 and evs[0]["type"] == "accept", "wanted the accept only", describe(evs))
    check_process(evs[0], s.server_pid, "nc", "accept")
    check_tuple(evs[0], 6, s.port, evs[0]["dport"], "accept")


def test_tcp_failure_only():
    """--failure-only: the refused connect, nothing else"""
    s, t = traced(4, "--failure-only")
    evs = s.events(t.events())
    check_refused(s, evs)
    check(len(evs) == 1, "wanted the failed connect only", describe(evs))


def test_tcp_comm_filter():
    """--comm nc (in the kernel): the server's accept and close, though the
    close ran in softirq: attributed to the socket's owner, not current"""
    s, t = traced(4, "--comm", "nc")
    evs = s.events(t.events())
    check(sorted(e["type"] for e in evs) == ["accept", "close"], "wanted nc's accept and close",
          describe(evs))
    for e in evs:
        check_process(e, s.server_pid, "nc", e["type"])
        check_tuple(e, 4, s.port, evs[0]["dport"], e["type"])


def test_tcp_bad_param():
    """a value that is no boolean: one line, non-zero exit"""
    p = run_host("run", GADGET, "--host", "--accept-only=perhaps", "--timeout", "1")
    check(p.returncode != 0, "exit status 0 for --accept-only=perhaps", p.stderr)
    lines = p.stderr.strip().splitlines()
    check(len(lines) == 1 and "perhaps" in lines[0], "wanted one error line naming the value",
          p.stderr)


def test_tcp_in_container():
    """a socat client in a runc container (host network): its connect and
    close, and a refused connect by the container's init, with the
    container's fields; the host's nc server is not traced with -c"""
    require_bpf()
    evs, t, name, pid, mntns, port, refused_port = connects_in_container(GADGET, "tcp")
    got = [(e["type"], e["dport"], e["error"]) for e in evs]
    check(got == [("connect", port, 0), ("close", port, 0),
                  ("connect", refused_port, ECONNREFUSED)],
          "wanted the container's connect, close and refused connect", describe(t.events()),
          "stderr: " + excerpt(t.stderr))
    for e in evs:
        check_container(e, name, mntns)
        check(e["comm"] == "socat" and e["netns"] == host_netns(), "comm/netns", e)
        check_tuple(e, 4, evs[0]["sport"] if e is not evs[2] else e["sport"], e["dport"],
                    e["type"])
    check(evs[0]["pid"] == evs[1]["pid"] != pid, "the first socat is the shell's child", evs)
    check(evs[2]["pid"] == pid, "the refused connect is by the container's init (exec)", evs[2])


def test_tcp_beside_a_storm():
    """K clients, each to its own port whose first SYN is dropped, while an
    open tracer's programs run for a storm of opens (storm.py): exactly K
    connects, though each handshake ends in a timer's softirq, often inside
    the other tracer's program"""
    require_bpf()
    with Tracer(GADGET, "--connect-only") as t:
        n, ports, _ = retried_connects("tm")
    t.check_clean_exit()
    evs = [e for e in t.events() if e["netns"] == n.a.inode and e["dport"] in ports]
    got = sorted((e["type"], e["saddr"], e["daddr"], e["dport"], e["comm"], e["error"])
                 for e in evs)
    check(got == [("connect", A_ADDR[4], B_ADDR[4], port, "socat", 0) for port in ports],
          "wanted one connect per client, got %d events" % len(evs),
          "stderr: " + excerpt(t.stderr), describe(evs))
    check_nothing_skipped(t)


if __name__ == "__main__":
    main([test_tcp_ipv4, test_tcp_ipv6, test_tcp_columns, test_tcp_connect_only,
          test_tcp_accept_only, test_tcp_failure_only, test_tcp_comm_filter, test_tcp_bad_param,
          test_tcp_in_container, test_tcp_beside_a_storm])
