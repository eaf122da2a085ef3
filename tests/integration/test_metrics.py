#!/usr/bin/env python3
"""Integration tests of the daemon's Prometheus metrics (issue 18): a real
Prometheus server (Debian's `prometheus`), started on loopback with a
scrape config pointing at the daemon's --metrics-listen port, queried
through its HTTP API after real execs in a named runc container."""

import json
import os
import shutil
import subprocess
import tempfile
import time
import urllib.parse
import urllib.request

import containers
from gh import (GH_BIN, Failure, Tracer, check, excerpt, main, private_workload, require_bpf,
                run_host, scaled, unique, workload)
from ghdaemon import Daemon, RemoteTracer, free_port, wait_for

PROMETHEUS = shutil.which("prometheus") or "/usr/bin/prometheus"


def http_get(url, timeout=5):
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return r.status, r.headers.get("Content-Type", ""), r.read().decode()


class Prometheus:
    """prometheus scraping targets every 500 ms, its data in a temp dir"""

    def __init__(self, targets):
        self.dir = tempfile.mkdtemp(prefix="gh-prom-")
        self.port = free_port()
        cfg = os.path.join(self.dir, "prometheus.yml")
        with open(cfg, "w") as f:
            f.write("global:\n  scrape_interval: 500ms\n  scrape_timeout: 400ms\n"
                    "scrape_configs:\n  - job_name: gadgethost\n    static_configs:\n"
                    "      - targets: [%s]\n" % ", ".join("'%s'" % t for t in targets))
        self.cmd = [PROMETHEUS, "--config.file=" + cfg,
                    "--storage.tsdb.path=" + os.path.join(self.dir, "data"),
                    "--web.listen-address=127.0.0.1:%d" % self.port]
        self.proc = None

    def __enter__(self):
        self.log = open(os.path.join(self.dir, "log"), "w+")
        self.proc = subprocess.Popen(self.cmd, stdout=self.log, stderr=self.log)
        wait_for(self.ready, 30, "prometheus is not ready within 30 s", self.logtext)
        return self

    def logtext(self):
        self.log.seek(0)
        return excerpt(self.log.read())

    def ready(self):
        check(self.proc.poll() is None, "prometheus exited %s" % self.proc.returncode,
              self.logtext())
        try:
            return http_get("http://127.0.0.1:%d/-/ready" % self.port)[0] == 200
        except OSError:
            return False

    def query(self, promql):
        """the instant vector's samples: [(labels, float value)]"""
        url = "http://127.0.0.1:%d/api/v1/query?%s" % (
            self.port, urllib.parse.urlencode({"query": promql}))
        status, _, body = http_get(url)
        data = json.loads(body)
        check(status == 200 and data["status"] == "success", "query %s failed" % promql, body)
        return [(r["metric"], float(r["value"][1])) for r in data["data"]["result"]]

    def value(self, promql):
        """the one sample's value, or None when there is none"""
        res = self.query(promql)
        check(len(res) <= 1, "query %s: more than one sample" % promql, res)
        return res[0][1] if res else None

    def __exit__(self, *exc):
        self.proc.terminate()
        try:
            self.proc.wait(scaled(20))
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)
        return False


def create_instance(d, body):
    status, _, answer = d.request(b"POST /v1/instances HTTP/1.1\r\nHost: x\r\n"
                                  b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n"
                                  % len(body) + body.encode())
    return status, answer.decode()


def exposition(port):
    status, ctype, text = http_get("http://127.0.0.1:%d/metrics" % port)
    check(status == 200 and ctype.startswith("text/plain; version=0.0.4"),
          "GET /metrics answered %d %s" % (status, ctype), text)
    return text


def test_prometheus_counts_container_execs():
    """N execs of /bin/true in a named runc container: PromQL on the
    counter by container name and comm returns exactly N; the instance's
    self-metrics say no event was lost and its programs ran for a while"""
    require_bpf()
    n = 7
    name = unique("prom")
    mport = free_port()
    state = tempfile.mkdtemp(prefix="gh-state-")
    try:
        with containers.Runc() as r, \
                Daemon("--state-dir", state, "--metrics-listen", "127.0.0.1:%d" % mport,
                       "--runc-root", r.root) as d, \
                Prometheus(["127.0.0.1:%d" % mport]) as p:
            body = json.dumps({"name": name, "gadget": "trace/exec.lua",
                               "options": {"containername": [name],
                                           "metric": ["execs=counter by "
                                                      "runtime.containerName,comm"]}})
            status, answer = create_instance(d, body)
            check(status == 201, "POST /v1/instances answered %d" % status, answer, d.log)
            wait_for(lambda: p.value('up{job="gadgethost"}') == 1, 20,
                     "prometheus does not scrape the daemon", p.logtext)
            script = "for i in $(seq %d); do /bin/true; done; exec sleep 60" % n
            r.run(name, r.bundle(name, ["sh", "-c", script]))
            q = 'gadgethost_event_execs_total{gadget_instance="%s",' \
                'runtime_containerName="%s",comm="true"}' % (name, name)
            wait_for(lambda: p.value(q) == n, 30,
                     "PromQL does not return %d execs" % n, lambda: p.query(q),
                     lambda: excerpt(exposition(mport)), lambda: d.log)
            # no more than n: the count stays n a few scrapes on
            seen = p.value('max_over_time(%s[5s])' % q)
            check(seen == n, "the counter went past %d" % n, seen)
            lost = p.value('gadgethost_events_lost_total{gadget_instance="%s"}' % name)
            check(lost == 0, "the instance lost events", lost)
            qt = 'sum(gadgethost_program_run_seconds_total{gadget_instance="%s"})' % name
            wait_for(lambda: (p.value(qt) or 0) > 0, 10,
                     "no program run time counted (BPF statistics)", lambda: p.query(qt))
            runs = p.value('sum(gadgethost_program_runs_total{gadget_instance="%s",'
                           'program="exit_execve"})' % name)
            check(runs is not None and runs >= n, "exit_execve ran fewer than %d times" % n, runs)
            for metric in ("gadgethost_resident_memory_bytes", "gadgethost_rows_written_total",
                           "gadgethost_events_read_total"):
                v = p.value('%s{gadget_instance="%s"}' % (metric, name))
                check(v is not None and v > 0, "%s of the instance is %r" % (metric, v))
            # in clock ticks, as Prometheus' own process collector reads it:
            # 0 for a child that used less than one (10 ms)
            v = p.value('gadgethost_cpu_seconds_total{gadget_instance="%s"}' % name)
            check(v is not None and v >= 0, "gadgethost_cpu_seconds_total of the instance is %r"
                  % v)
            check(p.value('gadgethost_instance_up{gadget_instance="%s"}' % name) == 1,
                  "the instance is not up")
            r.kill(name)
    finally:
        shutil.rmtree(state, ignore_errors=True)


class LoopbackDnsmasq:
    """dnsmasq on 127.0.0.1:PORT of the host's network namespace, answering
    NAME.test with 10.1.2.3"""

    def __init__(self, port):
        self.port = port

    def __enter__(self):
        self.proc = subprocess.Popen(
            ["dnsmasq", "--no-daemon", "--conf-file=/dev/null", "--port", str(self.port),
             "--listen-address", "127.0.0.1", "--bind-interfaces", "--no-resolv", "--no-hosts",
             "--address=/test/10.1.2.3", "--log-facility=-", "--cache-size=0",
             "--user=root"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for(lambda: self.dig("up.test") == "10.1.2.3", 10,
                 "dnsmasq does not answer on port %d" % self.port)
        return self

    def dig(self, name):
        out = subprocess.run(["dig", "+short", "+tries=1", "+timeout=1", "-p", str(self.port),
                              "@127.0.0.1", name], stdout=subprocess.PIPE, text=True)
        return out.stdout.strip()

    def __exit__(self, *exc):
        self.proc.terminate()
        self.proc.wait(scaled(10))
        return False


def test_prometheus_counts_dns_queries():
    """M DNS queries to a dnsmasq on loopback, traced by an instance of
    trace/dns.lua: PromQL returns exactly M queries and M responses, and a
    latency histogram of them (a query's latency is 0, a response's more
    than 1 ns)"""
    require_bpf()
    m = 5
    mport, dport = free_port(), free_port()
    tag = unique("q")
    state = tempfile.mkdtemp(prefix="gh-state-")
    try:
        with LoopbackDnsmasq(dport) as dns, \
                Daemon("--state-dir", state, "--metrics-listen", "127.0.0.1:%d" % mport) as d, \
                Prometheus(["127.0.0.1:%d" % mport]) as p:
            body = json.dumps({"name": tag, "gadget": "trace/dns.lua",
                               "options": {"host": True,
                                           "metric": ["dns=counter by qr,qtype",
                                                      "lat=histogram(latency)"]},
                               "params": {"port": str(dport)},
                               # loopback: each packet is seen leaving and arriving
                               "filters": ["name~^%s" % tag, "pktType==HOST"]})
            status, answer = create_instance(d, body)
            check(status == 201, "POST /v1/instances answered %d" % status, answer, d.log)
            for i in range(m):
                check(dns.dig("%s-%d.test" % (tag, i)) == "10.1.2.3", "dig got no answer")
            for qr in ("Q", "R"):
                q = 'gadgethost_event_dns_total{gadget_instance="%s",qr="%s",qtype="A"}' % (tag, qr)
                wait_for(lambda: p.value(q) == m, 30,
                         "PromQL does not return %d of %s" % (m, qr), lambda: p.query(q),
                         lambda: excerpt(exposition(mport)), lambda: d.log)
            q = 'gadgethost_event_lat_count{gadget_instance="%s"}' % tag
            wait_for(lambda: p.value(q) == 2 * m, 15,
                     "the latency histogram has not %d" % (2 * m), lambda: p.query(q))
            for le, want in (("1", m), ("+Inf", 2 * m)):
                got = p.value('gadgethost_event_lat_bucket{gadget_instance="%s",le="%s"}'
                              % (tag, le))
                check(got == want, "bucket le=%s: %s, not %d" % (le, got, want))
            check(p.value('gadgethost_events_lost_total{gadget_instance="%s"}' % tag) == 0,
                  "the instance lost events")
    finally:
        shutil.rmtree(state, ignore_errors=True)


def last_report(text):
    """the last whole block a run wrote to its --report-fd"""
    blocks = text.split("# EOF\n")
    check(len(blocks) >= 2 and blocks[-1] == "", "no whole report", excerpt(text))
    return blocks[-2]


def test_kernel_histogram_export():
    """profile/block-io's histogram, aggregated in the kernel, exported as a
    Prometheus histogram: the run's last report holds exactly the buckets
    its own JSON prints; an instance of it is scraped by Prometheus and
    histogram_quantile answers"""
    require_bpf()
    tmp = tempfile.mkdtemp(prefix="gh-khist-")
    state = tempfile.mkdtemp(prefix="gh-state-")
    mport = free_port()
    try:
        target = os.path.join(tmp, "f")

        def io():
            subprocess.run(["dd", "if=/dev/zero", "of=" + target, "bs=4k", "count=64",
                            "oflag=direct"], stderr=subprocess.DEVNULL, check=True)
        rfd, wfd = os.pipe()
        run = subprocess.Popen([GH_BIN, "run", "profile/block-io.lua", "--host", "-o", "json",
                                "--report-fd", str(wfd), "--timeout", str(scaled(3))],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               pass_fds=(wfd,))
        os.close(wfd)
        with os.fdopen(rfd) as r:
            first = r.read(1)  # the first report: attached
            io()
            text = first + r.read()
        out, err = run.communicate(timeout=scaled(20))
        check(run.returncode == 0, "block-io exited %d" % run.returncode, err)
        hist = json.loads(out.splitlines()[-1])
        report = last_report(text)
        got, want, cum = {}, {}, 0
        for b in hist["buckets"]:
            cum += b["count"]
            want[str(b["end"])] = cum
        want["+Inf"] = cum
        for line in report.splitlines():
            if line.startswith("gadgethost_kernel_histogram_bucket{"):
                le = line.split('le="')[1].split('"')[0]
                got[le] = int(line.rsplit(" ", 1)[1])
        check(cum >= 64, "fewer than 64 block I/Os counted", hist)
        check(got == want, "the exported buckets differ from the run's own", got, want)
        check('gadgethost_kernel_histogram_count{histogram="blockio",unit="usecs"} %d' % cum
              in report, "the count", excerpt(report))
        with Daemon("--state-dir", state, "--metrics-listen", "127.0.0.1:%d" % mport) as d, \
                Prometheus(["127.0.0.1:%d" % mport]) as p:
            name = unique("bio")
            status, answer = create_instance(d, json.dumps(
                {"name": name, "gadget": "profile/block-io.lua", "options": {"host": True}}))
            check(status == 201, "POST /v1/instances answered %d" % status, answer, d.log)
            io()
            q = 'histogram_quantile(0.5, gadgethost_kernel_histogram_bucket{gadget_instance="%s"})' \
                % name
            wait_for(lambda: (p.value(q) or 0) > 0, 20,
                     "histogram_quantile on the kernel's histogram", lambda: p.query(q),
                     lambda: excerpt(exposition(mport)))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        shutil.rmtree(state, ignore_errors=True)


def test_metrics_endpoints():
    """/metrics on the daemon's socket too; the scrape port serves nothing
    else and takes no body; the BPF statistics are on only while children
    run"""
    require_bpf()
    mport = free_port()
    state = tempfile.mkdtemp(prefix="gh-state-")
    try:
        with Daemon("--state-dir", state, "--metrics-listen", "127.0.0.1:%d" % mport) as d:
            status, body = d.get("/metrics")
            check(status == 200 and b"gadgethost_daemon_instances 0" in body,
                  "GET /metrics on the socket", body)
            check(b"gadgethost_daemon_bpf_stats_enabled 0" in body,
                  "the BPF statistics are on with no child", body)
            for path in ("/v1/ping", "/v1/instances", "/metrics/x"):
                try:
                    http_get("http://127.0.0.1:%d%s" % (mport, path))
                    raise Failure("the scrape port answered %s" % path)
                except urllib.error.HTTPError as e:
                    check(e.code == 404, "%s on the scrape port: %d" % (path, e.code))
            req = urllib.request.Request("http://127.0.0.1:%d/metrics" % mport, data=b"x" * 10,
                                         method="POST")
            try:
                urllib.request.urlopen(req, timeout=5)
                raise Failure("the scrape port took a POST")
            except urllib.error.HTTPError as e:
                check(e.code in (405, 413), "POST /metrics: %d" % e.code)
            name = unique("m")
            status, answer = create_instance(d, json.dumps(
                {"name": name, "gadget": "trace/exec.lua", "options": {"host": True}}))
            check(status == 201, "POST /v1/instances answered %d" % status, answer)
            text = exposition(mport)
            check("gadgethost_daemon_bpf_stats_enabled 1" in text,
                  "the BPF statistics are off while an instance runs", excerpt(text))
            status, _, _ = d.request(b"DELETE /v1/instances/%s HTTP/1.1\r\nHost: x\r\n\r\n"
                                     % name.encode())
            check(status == 204, "DELETE answered %d" % status)
            wait_for(lambda: "gadgethost_daemon_bpf_stats_enabled 0" in exposition(mport),
                     15, "the BPF statistics stay on with no child",
                     lambda: excerpt(exposition(mport)))
    finally:
        shutil.rmtree(state, ignore_errors=True)


def test_run_self_metrics():
    """a client's run (POST /v1/runs) shows its counters too: N execs of
    a private workload kept, by run id"""
    require_bpf()
    n = 6
    state = tempfile.mkdtemp(prefix="gh-state-")
    tmp = tempfile.mkdtemp(prefix="gh-runm-")
    try:
        wl, comm = private_workload(tmp)
        with Daemon("--state-dir", state) as d:
            with RemoteTracer(d.url, "trace/exec.lua", "-F", "pcomm==" + comm,
                              "--metric", "execs=counter by comm") as t:
                workload("exec", n, unique("r"), binary=wl)
                run_id = d.runs()[0]["id"]

                def sample(name):
                    status, body = d.get("/metrics")
                    for line in body.decode().splitlines():
                        if line.startswith(name + "{run=\"%d\"" % run_id):
                            return float(line.rsplit(" ", 1)[1])
                    return None
                wait_for(lambda: sample("gadgethost_rows_written_total") == n, 15,
                         "the run's rows are not counted", lambda: d.get("/metrics")[1])
                check(sample("gadgethost_event_execs_total") == n, "the run's metric",
                      sample("gadgethost_event_execs_total"))
                check(sample("gadgethost_events_lost_total") == 0, "the run lost events")
                cpu = sample("gadgethost_cpu_seconds_total")
                # present; 0 for a run that used under a clock tick
                check(cpu is not None and cpu >= 0, "the run's CPU", cpu)
            t.check_clean_exit()
    finally:
        shutil.rmtree(state, ignore_errors=True)
        shutil.rmtree(tmp, ignore_errors=True)


def test_metric_spec_errors():
    """bad metric specs: one clear line each, locally and through the
    daemon, and a non-zero exit"""
    require_bpf()
    cases = [
        (["--metric", "x=counter by nosuch"],
         'gadgethost: --metric "x=counter by nosuch": the gadget has no field "nosuch" '
         '(gadgethost info GADGET lists them)'),
        (["--metric", "x=histogram(comm)"],
         'gadgethost: --metric "x=histogram(comm)": a histogram needs a number, and "comm" '
         'is a string field'),
        (["--metric", "x=gauge"],
         'gadgethost: --metric "x=gauge": gauge(FIELD) expected'),
        (["--metric", "9x=counter"],
         'gadgethost: --metric "9x=counter": the name "9x" is not letters, digits and \'_\' '
         '(not starting with a digit)'),
    ]
    state = tempfile.mkdtemp(prefix="gh-state-")
    try:
        with Daemon("--state-dir", state) as d:
            for args, want in cases:
                local = run_host("run", "trace/exec.lua", "--host", "--timeout", "5", *args)
                check(local.returncode != 0 and local.stderr.strip() == want,
                      "run %s: wanted one line" % args, want, local.stderr)
                remote = run_host("run", "trace/exec.lua", "--detach", "--name", unique("bad"),
                                  "--remote", d.url, *args)
                check(remote.returncode == 1 and remote.stderr.strip() == want,
                      "run --detach %s: wanted one line" % args, want, remote.stderr)
    finally:
        shutil.rmtree(state, ignore_errors=True)


def test_gadget_default_metrics():
    """a gadget's .lua declares metrics = {...}: an instance of it exports
    them with no --metric; a bad one is an error naming the script"""
    require_bpf()
    state = tempfile.mkdtemp(prefix="gh-state-")
    gdir = tempfile.mkdtemp(prefix="gh-gadgets-")
    mport = free_port()
    try:
        with open(os.path.join(os.environ["GH_SOURCE_DIR"], "gadgets", "trace",
                               "exec.lua")) as f:
            text = f.read()
        check("\n  columns = {" in text, "exec.lua's columns line moved")
        os.makedirs(os.path.join(gdir, "mine"))
        good = os.path.join(gdir, "mine", "execs.lua")
        bad = os.path.join(gdir, "mine", "bad.lua")
        for path, spec in ((good, "execs=counter by comm"), (bad, "execs=gauge(comm)")):
            with open(path, "w") as f:
                f.write(text.replace("\n  columns = {",
                                     '\n  metrics = { "%s" },\n  columns = {' % spec, 1))
        os.environ["GADGETHOST_PATH"] = gdir
        out = run_host("run", "mine/bad.lua", "--host", "--timeout", "5")
        want = ('gadgethost: %s: metrics: "execs=gauge(comm)": a gauge needs a number, and '
                '"comm" is a string field' % bad)
        check(out.returncode == 1 and out.stderr.strip() == want, "wanted one line", want,
              out.stderr)
        tmp_comm = "ghd" + unique("")[-8:]
        exe = os.path.join(gdir, tmp_comm)
        shutil.copy("/bin/true", exe)
        with Daemon("--state-dir", state, "--metrics-listen", "127.0.0.1:%d" % mport) as d:
            name = unique("def")
            status, answer = create_instance(d, json.dumps(
                {"name": name, "gadget": "mine/execs.lua", "options": {"host": True}}))
            check(status == 201, "POST /v1/instances answered %d" % status, answer, d.log)
            for _ in range(3):
                subprocess.run([exe])
            line = 'gadgethost_event_execs_total{gadget_instance="%s",comm="%s"} 3' % (
                name, tmp_comm)
            wait_for(lambda: line in exposition(mport), 15,
                     "the gadget's own metric does not count 3", lambda: excerpt(
                         exposition(mport)))
    finally:
        os.environ.pop("GADGETHOST_PATH", None)
        shutil.rmtree(state, ignore_errors=True)
        shutil.rmtree(gdir, ignore_errors=True)


def test_cardinality_limit():
    """--metrics-max-series 2: a third comm is not a series, it is counted
    as dropped"""
    require_bpf()
    state = tempfile.mkdtemp(prefix="gh-state-")
    mport = free_port()
    tmp = tempfile.mkdtemp(prefix="gh-card-")
    try:
        comms = []
        for k in range(4):
            comm = "ghc%d%s" % (k, unique("")[-6:])
            path = os.path.join(tmp, comm)
            shutil.copy("/bin/true", path)
            comms.append(path)
        with Daemon("--state-dir", state, "--metrics-listen", "127.0.0.1:%d" % mport) as d:
            name = unique("card")
            status, answer = create_instance(d, json.dumps(
                {"name": name, "gadget": "trace/exec.lua",
                 "options": {"host": True, "metric": ["e=counter by comm"],
                             "metrics-max-series": 2},
                 "filters": ["comm~ghc[0-9]"]}))
            check(status == 201, "POST /v1/instances answered %d" % status, answer)
            for c in comms:
                subprocess.run([c])

            def series():
                text = exposition(mport)
                lines = [l for l in text.splitlines()
                         if l.startswith('gadgethost_event_e_total{gadget_instance="%s"' % name)]
                dropped = [l for l in text.splitlines()
                           if l.startswith('gadgethost_event_series_dropped_total{gadget_'
                                           'instance="%s"' % name)]
                return lines, dropped
            wait_for(lambda: series()[1] and series()[1][0].endswith(" 2"), 15,
                     "the 2 execs past the limit are not counted as dropped", series)
            lines, _ = series()
            check(len(lines) == 2 and all(l.endswith(" 1") for l in lines),
                  "wanted 2 series of 1 exec", lines)
    finally:
        shutil.rmtree(state, ignore_errors=True)
        shutil.rmtree(tmp, ignore_errors=True)


def metric_blocks(text):
    """the blocks of Prometheus text a run without a daemon printed: each
    {sample (name and labels): value}, in order; a block starts with the
    first --metric's TYPE line"""
    blocks = []
    for line in text.splitlines():
        if line == "# TYPE gadgethost_event_execs_total counter":
            blocks.append({})
        elif blocks and line.startswith("gadgethost_"):
            name, value = line.rsplit(" ", 1)
            blocks[-1][name] = float(value)
    return blocks


def test_local_run_prints_metrics():
    """a run without a daemon prints its --metric's as Prometheus text:
    every --interval (what was counted so far) and at the end, after the
    rows; with -o json beside the stream (stderr), which stays JSON"""
    require_bpf()
    tmp = tempfile.mkdtemp(prefix="gh-localm-")
    try:
        wl, comm = private_workload(tmp)
        args = ["-F", "pcomm==" + comm, "--metric", "execs=counter by comm",
                "--metric", "pids=histogram(pid)"]
        execs = 'gadgethost_event_execs_total{comm="true"}'
        with Tracer("trace/exec.lua", *args, "--interval", "1", fmt="columns") as t:
            first = unique("m")
            workload("exec", 5, first, binary=wl)
            t.wait_for(lambda: any(b.get(execs) == 5 for b in metric_blocks(t.stdout)),
                       "a block counting 5 execs")
            workload("exec", 3, unique("n"), binary=wl)
            t.wait_for(lambda: any(b.get(execs) == 8 for b in metric_blocks(t.stdout)),
                       "a block counting 8 execs")
        t.check_clean_exit()
        blocks = metric_blocks(t.stdout)
        check(len(blocks) >= 3, "wanted a block per interval and one at the end", t.stdout)
        counts = [b.get(execs, 0) for b in blocks]
        check(counts == sorted(counts) and 5 in counts and counts[-1] == 8,
              "the blocks do not count up to 5, then 8", counts)
        last = blocks[-1]
        check(last["gadgethost_event_pids_count"] == 8 and
              last['gadgethost_event_pids_bucket{le="+Inf"}'] == 8 and
              last['gadgethost_event_series_dropped_total{metric="execs"}'] == 0,
              "the last block's histogram and drops", last)
        text = t.stdout
        rows = [l for l in text.splitlines() if " /bin/true " in l]
        check(len(rows) == 8, "wanted 8 rows", text)
        check(text.rfind(rows[-1]) < text.rfind("# TYPE gadgethost_event_execs_total"),
              "the last block is not after the last row", text)

        with Tracer("trace/exec.lua", *args) as t:
            workload("exec", 4, unique("j"), binary=wl)
            t.wait_for(lambda: len(t.events_so_far()) == 4, "4 rows")
        t.check_clean_exit()
        check(len(t.events()) == 4, "-o json: stdout is not the 4 rows alone", t.stdout)
        blocks = metric_blocks(t.stderr)
        check(len(blocks) == 1 and blocks[0].get(execs) == 4,
              "-o json: wanted one block on stderr counting 4", t.stderr)

        out = run_host("run", "trace/exec.lua", "--host", "--interval", "1", "--timeout", "5")
        check(out.returncode == 1 and "nor --metric to print" in out.stderr,
              "--interval on a tracer with nothing to do each interval is not refused",
              out.stderr)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main([test_prometheus_counts_container_execs, test_prometheus_counts_dns_queries,
          test_kernel_histogram_export,
          test_metrics_endpoints, test_run_self_metrics,
          test_metric_spec_errors, test_gadget_default_metrics, test_cardinality_limit,
          test_local_run_prints_metrics])
