#!/usr/bin/env python3
"""trace/dns.lua: dig against a dnsmasq in a network namespace the test
creates; the exact rows of each exchange (both copies of each packet on
loopback: the sender's OUTGOING and the receiver's HOST), with the
process of the local socket, names, types, rcodes, answers, latency;
truncation, EDNS, DNS over TCP, an unanswered query; and in a runc
container."""

import os
import subprocess

from ctrace import traced_container
from gh import GH_BIN, Tracer, check, describe, excerpt, main, require_bpf, scaled
from netns_dns import DIG_TIMEOUT, MANY, Dnsmasq, Netns


def key(e):
    """what a row says, without times and ids"""
    return (e["pktType"], e["qr"], e["comm"], e["src"]["addr"], e["src"]["port"],
            e["dst"]["addr"], e["dst"]["port"], e["qtype"], e["name"], e.get("rcode"),
            e.get("numAnswers"), e.get("addresses"))


def exchange(evs, dig_pid):
    """the rows of one dig: its query's source port, and every row on it"""
    mine = [e for e in evs if e["pid"] == dig_pid and e["qr"] == "Q"
            and e["pktType"] == "OUTGOING"]
    check(mine, "no query from dig (pid %d)" % dig_pid, describe(evs))
    port = mine[0]["src"]["port"]
    return port, [e for e in evs if port in (e["src"]["port"], e["dst"]["port"])]


def expected(port, qtype, name, rcode, answers, addresses, server="127.0.0.1"):
    """the four rows of a UDP exchange on loopback"""
    q = ("127.0.0.1", port, server, 53, qtype, name)
    r = (server, 53, "127.0.0.1", port, qtype, name)
    return [("OUTGOING", "Q", "dig") + q + (None, None, None),
            ("HOST", "Q", "dnsmasq") + q + (None, None, None),
            ("OUTGOING", "R", "dnsmasq") + r + (rcode, answers, addresses),
            ("HOST", "R", "dig") + r + (rcode, answers, addresses)]


def check_exchange(evs, dig_pid, dnsmasq_pid, qtype, name, rcode, answers, addresses):
    port, rows = exchange(evs, dig_pid)
    want = expected(port, qtype, name, rcode, answers, addresses)
    check([key(e) for e in rows] == want, "%s %s: wanted exactly the 4 rows" % (qtype, name),
          describe(rows, 8), "wanted: %r" % want)
    for e, pid in zip(rows, [dig_pid, dnsmasq_pid, dnsmasq_pid, dig_pid]):
        check(e["pid"] == pid, "pid of the local socket's process", e)
        check(e["ppid"] == os.getpid(), "ppid of dig and dnsmasq: the test", e)
        check(e["proto"] == "UDP" and not e["tcp"], "UDP", e)
    check(rows[3]["latency"] > 0 and all(e["latency"] == 0 for e in rows[:3]),
          "latency only on the response that reached dig", describe(rows, 4))
    check(rows[0]["id"] == rows[3]["id"], "one DNS id for the query and its response", rows)
    return rows


def run_dig(ns, *args):
    pid, rc, out = ns.run("dig", "+tries=1", DIG_TIMEOUT, "@127.0.0.1", *args)
    return pid, out


def test_dns_udp():
    """A, AAAA, a CNAME chain, NXDOMAIN: the exact rows of each"""
    require_bpf()
    with Netns("dn") as ns:
        with Tracer("trace/dns.lua", "--netns", ns.path) as t:
            with Dnsmasq(ns) as d:
                a, _ = run_dig(ns, "a.test")
                six, _ = run_dig(ns, "six.test", "AAAA")
                alias, _ = run_dig(ns, "alias.test")
                nx, _ = run_dig(ns, "unknown.test")
        t.check_clean_exit()
    evs = t.events()
    check_exchange(evs, a, d.proc.pid, "A", "a.test", "NoError", 1, ["10.1.2.3"])
    check_exchange(evs, six, d.proc.pid, "AAAA", "six.test", "NoError", 1, ["fd00::6"])
    rows = check_exchange(evs, alias, d.proc.pid, "A", "alias.test", "NoError", 3, ["10.1.2.3"])
    check(rows[3]["answers"] == ["alias.test CNAME mid.test", "mid.test CNAME a.test",
                                 "a.test A 10.1.2.3"], "the CNAME chain, decoded", rows[3])
    check_exchange(evs, nx, d.proc.pid, "A", "unknown.test", "NXDomain", 0, [])
    check(all(e["netns"] == evs[0]["netns"] for e in evs), "one network namespace", describe(evs))


def test_dns_server_started_first():
    """dnsmasq waiting before the run: the first query that reaches it has
    its owner (pid, comm) from the sockets that existed at start"""
    require_bpf()
    with Netns("dw") as ns:
        with Dnsmasq(ns) as d:
            with Tracer("trace/dns.lua", "--netns", ns.path) as t:
                a, _ = run_dig(ns, "a.test")
            t.check_clean_exit()
    rows = check_exchange(t.events(), a, d.proc.pid, "A", "a.test", "NoError", 1, ["10.1.2.3"])
    check(rows[1]["comm"] == "dnsmasq", "the query reaching dnsmasq has no owner", rows[1])


def test_dns_truncated_edns_tcp():
    """a truncated UDP answer (TC bit, no EDNS), EDNS's UDP size on the
    query, then the same question over TCP: whole, with every address"""
    require_bpf()
    with Netns("dt") as ns:
        with Tracer("trace/dns.lua", "--netns", ns.path) as t:
            with Dnsmasq(ns) as d:
                small, _ = run_dig(ns, "+noedns", "+ignore", "many.test")
                edns, _ = run_dig(ns, "+bufsize=1232", "a.test")
                tcp, out = run_dig(ns, "+tcp", "+short", "many.test")
        t.check_clean_exit()
    evs = t.events()
    _, rows = exchange(evs, small)
    check(len(rows) == 4 and all(e["name"] == "many.test" for e in rows), "4 rows", describe(rows))
    resp = rows[3]
    check(resp["truncated"] and resp["qr"] == "R" and resp["rcode"] == "NoError"
          and not resp["incomplete"] and resp["ednsUdpSize"] is None,
          "the TC bit of a whole (if short) message, no EDNS", resp)
    check(resp["dnsLen"] <= 512 and resp["numAnswers"] == len(resp["addresses"]) < MANY,
          "a truncated answer holds fewer than %d addresses" % MANY, resp)
    _, rows = exchange(evs, edns)
    check(rows[0]["ednsUdpSize"] == 1232, "EDNS UDP size of the query", rows[0])
    port, rows = exchange(evs, tcp)
    data = [e for e in rows if e["dnsLen"] > 0]
    want_addrs = sorted(out.split())
    check(len(want_addrs) == MANY, "dig +tcp got every address", out)
    check([(e["pktType"], e["qr"], e["comm"]) for e in data] ==
          [("OUTGOING", "Q", "dig"), ("HOST", "Q", "dnsmasq"), ("OUTGOING", "R", "dnsmasq"),
           ("HOST", "R", "dig")], "the TCP exchange's 4 rows", describe(data, 8))
    for e in data:
        check(e["tcp"] and e["proto"] == "TCP" and e["name"] == "many.test" and
              e["qtype"] == "A", "DNS over TCP, decoded after its length prefix", e)
    check(data[0]["pid"] == tcp and data[3]["pid"] == tcp, "dig's pid on its rows", data)
    r = data[3]
    check(r["numAnswers"] == MANY and not r["truncated"], "the whole answer over TCP", r)
    # 2 + 12 + 15 bytes of prefix, header, question, then 16 per answer:
    # 62 whole answers in the 1024 bytes captured
    check(r["dnsLen"] > 1024 and r["incomplete"] and len(r["addresses"]) == 62 and
          set(r["addresses"]) <= set(want_addrs),
          "a message longer than the capture: decoded as far as it goes, marked incomplete", r)
    check(r["latency"] > 0, "TCP response latency", r)


def test_dns_unanswered():
    """a query to an address where nothing listens: the query, then after
    --unanswered-timeout one row with rcode Timeout (the kernel's timer
    sends it: the test waits for that row)"""
    require_bpf()
    with Netns("du") as ns:
        with Tracer("trace/dns.lua", "--netns", ns.path, "--unanswered-timeout", "1") as t:
            # dig gives up after 1 s (its workload: nothing answers)
            pid, _, _ = ns.run("dig", "+tries=1", "+timeout=1", "@127.0.0.2", "lost.test")
            t.wait_for(lambda: [e for e in t.events_so_far() if e["pid"] == pid and
                                e["unanswered"]], "the unanswered query's row")
        t.check_clean_exit()
    evs = [e for e in t.events() if e["pid"] == pid]
    check([(e["pktType"], e["qr"], e["name"], e["rcode"], e["unanswered"]) for e in evs] ==
          [("OUTGOING", "Q", "lost.test", None, False),
           ("OUTGOING", "Q", "lost.test", "Timeout", True)],
          "the query, then its timeout", describe(evs))
    check(evs[1]["dst"] == {"addr": "127.0.0.2", "port": 53, "proto": 17} and
          evs[1]["comm"] == "dig" and 0.9e9 < evs[1]["latency"] < (1 + scaled(0.6)) * 1e9,
          "the timeout row: dig's query, waited about 1 s", evs[1])


def test_dns_in_container():
    """dig in a runc container joined to the test's netns, traced with -c:
    only its rows (dnsmasq is a host process), with the container's fields"""
    with Netns("dc") as ns, Dnsmasq(ns):
        run = traced_container("trace/dns.lua", None, network=ns.path,
                               argv=["/usr/bin/dig", "+tries=1", DIG_TIMEOUT, "@127.0.0.1",
                                     "a.test"])
    t, name, pid, mntns, evs = run.tracer, run.name, run.pid, run.mntns, run.events
    got = [(e["pktType"], e["qr"], e["pid"], e["comm"], e["name"], e.get("rcode"),
            e.get("addresses")) for e in evs]
    check(got == [("OUTGOING", "Q", pid, "dig", "a.test", None, None),
                  ("HOST", "R", pid, "dig", "a.test", "NoError", ["10.1.2.3"])],
          "wanted the container's query and the response it got", describe(evs),
          "stderr: " + excerpt(t.stderr))
    for e in evs:
        check(e["mountnsid"] == mntns, "the container's mount namespace", e)
        check(e["runtime"]["containerName"] == name, "the container's name", e)


def test_dns_bad_params():
    """bad --unanswered-timeout, --port and --netns: one line, non-zero"""
    for args, what in [(["--unanswered-timeout", "soon"], "soon"),
                       (["--port", "70000"], "70000"),
                       (["--netns", "/nonexistent/ns"], "/nonexistent/ns")]:
        res = subprocess.run([GH_BIN, "run", "trace/dns.lua", "--host", "--timeout", "1"] + args,
                             capture_output=True, text=True, timeout=scaled(30))
        rc, err = res.returncode, res.stderr
        check(rc != 0 and len(err.strip().splitlines()) == 1 and what in err,
              "%s: wanted one line naming it and a failure" % " ".join(args), rc, err)


if __name__ == "__main__":
    main([test_dns_udp, test_dns_server_started_first, test_dns_truncated_edns_tcp, test_dns_unanswered,
          test_dns_in_container, test_dns_bad_params])
