#!/usr/bin/env python3
"""Integration tests of headless instances on the daemon (issue 18): run
--detach, instances list/attach/delete, the state file, restarts of the
daemon (SIGTERM and kill -9), bad requests; real execs by the workload."""

import json
import os
import shutil
import signal
import subprocess
import tempfile
import time

from gh import (GH_BIN, _Drain, check, excerpt, main, private_workload, require_bpf, run_host,
                scaled, unique, workload)
from ghdaemon import Daemon, bpf_ids, bpf_objects_of, free_port, wait_for
from ghtls import Pki


def instances(d):
    out = run_host("instances", "--remote", d.url, "list", "-o", "json")
    check(out.returncode == 0, "instances list failed", out.stderr)
    return {i["name"]: i for i in map(json.loads, out.stdout.splitlines())}


def metric(d, line_start):
    """the value of the one /metrics sample whose line starts so, or None"""
    status, body = d.get("/metrics")
    check(status == 200, "GET /metrics answered %d" % status, body)
    for line in body.decode().splitlines():
        if line.startswith(line_start + " "):
            return float(line.rsplit(" ", 1)[1])
    return None


def execs_counted(d, name, comm):
    """the execs by processes of comm (--comm is the caller's before the
    exec: the workload's; the label is the one after it: /bin/true's)"""
    return metric(d, 'gadgethost_event_execs_total{gadget_instance="%s",comm="true"}' % name)


def detach(d, name, *args):
    return run_host("run", "trace/exec.lua", "--detach", "--name", name, "--remote", d.url,
                    *args)


def start_two(d, comm):
    names = [unique("one"), unique("two")]
    for name in names:
        out = detach(d, name, "--host", "-F", "pcomm==" + comm, "--keep", "5",
                     "--metric", "execs=counter by comm")
        check(out.returncode == 0, "run --detach %s failed" % name, out.stderr, d.log)
        check(json.loads(out.stdout)["state"] == "running", "not running", out.stdout)
    return names


def count_execs(d, expect, wl, n, prefix):
    """n execs; each instance in expect (name -> its count so far) counts
    them: exactly so many"""
    workload("exec", n, prefix, binary=wl)
    for nm in expect:
        expect[nm] += n
        wait_for(lambda: execs_counted(d, nm, None) == expect[nm], 15,
                 "%s does not count %d execs" % (nm, expect[nm]),
                 lambda: execs_counted(d, nm, None), lambda: d.log)


def test_restart_and_kill():
    """two instances survive a SIGTERM of the daemon and a kill -9 (their
    children end with it and are started again from the state file), and
    keep counting; a deleted one's programs are gone from the kernel"""
    require_bpf()
    state = tempfile.mkdtemp(prefix="gh-state-")
    tmp = tempfile.mkdtemp(prefix="gh-inst-")
    try:
        wl, comm = private_workload(tmp)
        d = Daemon("--state-dir", state).start()
        names = start_two(d, comm)
        expect = {nm: 0 for nm in names}
        count_execs(d, expect, wl, 3, unique("a"))
        with open(os.path.join(state, "instances")) as f:
            saved = [json.loads(l)["name"] for l in f]
        check(sorted(saved) == sorted(names), "the state file does not hold both", saved)
        for how in ("SIGTERM", "kill -9"):
            old = {nm: i["pid"] for nm, i in instances(d).items()}
            if how == "SIGTERM":
                check(d.stop() == 0, "the daemon exited non-zero", excerpt(d.log))
            else:
                d.proc.kill()
                d.proc.wait()
                d.returncode = -9
                for pid in old.values():
                    wait_for(lambda: not os.path.exists("/proc/%d" % pid), 10,
                             "an instance's child outlived the killed daemon", pid)
            d2 = Daemon("--state-dir", state)
            shutil.rmtree(d2.dir, ignore_errors=True)
            d2.dir, d2.socket = d.dir, d.socket
            d = d2.start()
            wait_for(lambda: all(i["state"] == "running" for i in instances(d).values())
                     and len(instances(d)) == 2, 15,
                     "after %s the instances are not back" % how, lambda: instances(d), d.log)
            check(set(instances(d)) == set(names), "other instances came back",
                  instances(d))
            # a new child: counts from 0 again, and counts
            expect = {nm: 0 for nm in names}
            count_execs(d, expect, wl, 4, unique("b"))
        # attach: the last 5 rows kept (of 7), then the new ones
        kept = unique("k")
        count_execs(d, expect, wl, 7, kept)
        att = subprocess.Popen([GH_BIN, "instances", "--remote", d.url, "attach", names[0]],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        first = [json.loads(att.stdout.readline()) for _ in range(5)]
        check([r["args"] for r in first] == [["/bin/true", "%s-%d" % (kept, i)]
                                             for i in range(2, 7)],
              "attach did not replay the last 5 rows", first)
        marker = unique("live")
        count_execs(d, expect, wl, 1, marker)
        live = att.stdout.readline()
        check(marker in live, "attach does not stream the new row", live)
        att.send_signal(signal.SIGINT)
        check(att.wait(scaled(10)) == 0, "attach exited %s" % att.returncode, att.stderr.read())
        # delete one: its child and programs go, the other keeps counting
        pid = instances(d)[names[0]]["pid"]
        progs, _ = bpf_objects_of(pid)
        check(progs, "the instance's child holds no programs")
        out = run_host("instances", "--remote", d.url, "delete", names[0])
        check(out.returncode == 0, "delete failed", out.stderr)
        wait_for(lambda: not (progs & bpf_ids("prog")), 10,
                 "the deleted instance's programs are still loaded", progs)
        check(set(instances(d)) == {names[1]}, "list after delete", instances(d))
        count_execs(d, {names[1]: expect[names[1]]}, wl, 2, unique("c"))
        with open(os.path.join(state, "instances")) as f:
            saved = [json.loads(l)["name"] for l in f]
        check(saved == [names[1]], "the state file after delete", saved)
        d.check_clean_exit()
    finally:
        if d.returncode is None:
            d.proc.kill()
        shutil.rmtree(d.dir, ignore_errors=True)
        shutil.rmtree(state, ignore_errors=True)
        shutil.rmtree(tmp, ignore_errors=True)


def test_gadget_gone_is_listed():
    """an instance whose gadget no longer loads after a restart stays in
    the list with the reason, and is not dropped from the state file"""
    require_bpf()
    state = tempfile.mkdtemp(prefix="gh-state-")
    gdir = tempfile.mkdtemp(prefix="gh-gadgets-")
    try:
        src = os.path.join(os.environ["GH_SOURCE_DIR"], "gadgets", "trace", "exec.lua")
        os.makedirs(os.path.join(gdir, "mine"))
        mine = os.path.join(gdir, "mine", "execs.lua")
        shutil.copy(src, mine)
        env_path = gdir + ":" + os.environ.get("GADGETHOST_PATH", "")
        os.environ["GADGETHOST_PATH"] = env_path
        name = unique("gone")
        with Daemon("--state-dir", state) as d:
            out = run_host("run", "mine/execs.lua", "--detach", "--name", name, "--remote",
                           d.url, "--host")
            check(out.returncode == 0, "run --detach failed", out.stderr, d.log)
        with open(mine, "a") as f:
            f.write("\nthis is no Lua\n")
        with Daemon("--state-dir", state) as d:
            wait_for(lambda: instances(d).get(name, {}).get("reason"), 15,
                     "the broken instance has no reason", lambda: instances(d))
            i = instances(d)[name]
            check(i["state"] == "waiting" and "execs.lua" in i["reason"],
                  "the reason does not name the script", i)
            out = run_host("instances", "--remote", d.url, "list")
            check(name in out.stdout and "execs.lua" in out.stdout, "list's table", out.stdout)
        with open(os.path.join(state, "instances")) as f:
            check(name in f.read(), "the broken instance left the state file")
    finally:
        os.environ.pop("GADGETHOST_PATH", None)
        shutil.rmtree(state, ignore_errors=True)
        shutil.rmtree(gdir, ignore_errors=True)


def test_rotated_rows_file():
    """--rotate 4K,2: the rows also go to STATE/rows/NAME.jsonl, a new file
    past 4 KiB, two old ones kept: whole rows, the newest last, the oldest
    gone; a restarted daemon's attach replays the last --keep rows from
    them"""
    require_bpf()
    state = tempfile.mkdtemp(prefix="gh-state-")
    tmp = tempfile.mkdtemp(prefix="gh-inst-")
    keep = 30  # more than one 4 KiB file holds (about 17 rows)
    try:
        wl, comm = private_workload(tmp)
        with Daemon("--state-dir", state) as d:
            name = unique("rot")
            out = detach(d, name, "-F", "pcomm==" + comm, "--host", "--rotate", "4K,2",
                         "--metric", "execs=counter", "--keep", str(keep))
            check(out.returncode == 0, "run --detach --rotate failed", out.stderr)
            prefix = unique("r")
            n = 200
            workload("exec", n, prefix, binary=wl)
            wait_for(lambda: metric(d, 'gadgethost_event_execs_total{gadget_instance="%s"}'
                                    % name) == n, 15, "the %d execs are not counted" % n,
                     lambda: d.log)
            base = os.path.join(state, "rows", name + ".jsonl")
            # the rows are written as they come: the child reported them first
            wait_for(lambda: os.path.exists(base) and
                     ('"%s-%d"' % (prefix, n - 1)) in open(base).read(), 10,
                     "the last row is not in the file", lambda: os.listdir(os.path.dirname(base)))
            files = sorted(os.listdir(os.path.dirname(base)))
            check(files == [name + ".jsonl", name + ".jsonl.1", name + ".jsonl.2"],
                  "wanted the file and 2 old ones", files)
            args = []
            for f in (base + ".2", base + ".1", base):
                size = os.path.getsize(f)
                check(size <= 4096, "%s has %d bytes" % (f, size))
                with open(f) as fh:
                    args += [json.loads(l)["args"][1] for l in fh]
            first = int(args[0].rsplit("-", 1)[1])
            check(first > 0 and args == ["%s-%d" % (prefix, i) for i in range(first, n)],
                  "the files do not hold the newest rows in order", args[:3], args[-3:])
            check(len(args) > keep, "the files hold fewer rows than --keep", len(args))
            with open(base) as fh:
                check(len(fh.readlines()) < keep, "the newest file alone holds --keep rows")
        # a new daemon (new child, counters from 0): attach replays the
        # rows kept in the files, the newest --keep of them
        with Daemon("--state-dir", state) as d:
            wait_for(lambda: instances(d).get(name, {}).get("state") == "running", 15,
                     "the instance is not back", lambda: instances(d), lambda: d.log)
            att = subprocess.Popen([GH_BIN, "instances", "--remote", d.url, "attach", name],
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            out = _Drain(att.stdout)
            out.start()
            wait_for(lambda: out.data().count(b"\n") >= keep, 10,
                     "attach after the restart replays fewer than %d rows" % keep,
                     lambda: out.data()[-300:], lambda: d.log)
            att.send_signal(signal.SIGINT)
            check(att.wait(scaled(10)) == 0, "attach exited %s" % att.returncode,
                  att.stderr.read())
            out.join(scaled(10))
            replayed = [json.loads(l)["args"][1] for l in out.data().decode().splitlines()]
            check(replayed == args[-keep:],
                  "attach after the restart does not replay the last %d rows of the files"
                  % keep, replayed[:2], replayed[-2:], len(replayed))
    finally:
        shutil.rmtree(state, ignore_errors=True)
        shutil.rmtree(tmp, ignore_errors=True)


def test_daemon_as_pid_1():
    """a daemon that is pid 1 of its pid namespace (as in a container):
    its instances run and count (a child whose parent is pid 1 is not a
    child whose parent died)"""
    require_bpf()
    state = tempfile.mkdtemp(prefix="gh-state-")
    tmp = tempfile.mkdtemp(prefix="gh-inst-")
    d = Daemon("--state-dir", state, prefix=["unshare", "--pid", "--fork",
                                             "--kill-child=SIGTERM"])
    try:
        wl, comm = private_workload(tmp)
        d.start()
        name = unique("pid1")
        out = detach(d, name, "--host", "-F", "pcomm==" + comm, "--metric", "execs=counter by comm")
        check(out.returncode == 0, "run --detach failed", out.stderr, d.log)
        count_execs(d, {name: 0}, wl, 3, unique("p"))
        check(instances(d)[name]["restarts"] == 0, "the instance was restarted", d.log)
    finally:
        if d.proc and d.returncode is None:
            # the daemon is unshare's child: it gets the SIGTERM, unshare then ends
            u = d.proc.pid
            with open("/proc/%d/task/%d/children" % (u, u)) as f:
                kids = f.read().split()
            if kids:
                os.kill(int(kids[0]), signal.SIGTERM)
            d.returncode = d.proc.wait(scaled(20))
            check(d.returncode == 0 and "stopped;" in d.log, "the daemon did not stop cleanly",
                  d.returncode, d.log)
        shutil.rmtree(d.dir, ignore_errors=True)
        shutil.rmtree(state, ignore_errors=True)
        shutil.rmtree(tmp, ignore_errors=True)


def test_no_state_dir():
    """a --state-dir the daemon cannot make: it says so in its log, serves
    runs and /metrics, and answers 503 for instances; a deep one it makes"""
    require_bpf()
    tmp = tempfile.mkdtemp(prefix="gh-nostate-")
    try:
        blocker = os.path.join(tmp, "file")
        open(blocker, "w").close()
        with Daemon("--state-dir", os.path.join(blocker, "state")) as d:
            status, body = d.get("/v1/instances")
            check(status == 503 and b"no state dir" in body, "GET /v1/instances: %d" % status,
                  body)
            check("--state-dir %s/state: Not a directory: no instances" % blocker in d.log,
                  "the log does not say why", d.log)
            status, body = d.get("/metrics")
            check(status == 200 and b"gadgethost_daemon_instances 0" in body, "/metrics", body)
        deep = os.path.join(tmp, "a", "b", "state")
        with Daemon("--state-dir", deep) as d:
            check(d.get("/v1/instances")[0] == 200, "the deep state dir was not made", d.log)
        check(oct(os.stat(deep).st_mode & 0o777) == "0o700", "the state dir is not 0700")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def test_killed_child_restarts():
    """an instance's child killed from outside (kill -9): the instance
    says why, starts it again after a second and counts on; a child that
    does not end on SIGTERM (stopped) is killed 5 s after a delete"""
    require_bpf()
    state = tempfile.mkdtemp(prefix="gh-state-")
    tmp = tempfile.mkdtemp(prefix="gh-inst-")
    pid = None
    try:
        wl, comm = private_workload(tmp)
        with Daemon("--state-dir", state) as d:
            name = unique("kid")
            out = detach(d, name, "--host", "-F", "pcomm==" + comm,
                         "--metric", "execs=counter by comm")
            check(out.returncode == 0, "run --detach failed", out.stderr, d.log)
            count_execs(d, {name: 0}, wl, 2, unique("k"))
            first = instances(d)[name]["pid"]
            os.kill(first, signal.SIGKILL)
            d.wait_log("instance %s: ended on signal 9; starting it again in 1 s" % name,
                       "the log does not say the killed child is started again")
            wait_for(lambda: instances(d)[name]["state"] == "running", 15,
                     "the instance does not run again", lambda: instances(d), lambda: d.log)
            again = instances(d)[name]
            check(again["restarts"] == 1 and again["pid"] not in (0, first),
                  "not one restart with a new child", again)
            count_execs(d, {name: 0}, wl, 3, unique("k"))  # a new child: counts anew
            pid = again["pid"]
            os.kill(pid, signal.SIGSTOP)  # SIGTERM waits; SIGKILL does not
            asked = time.monotonic()
            out = run_host("instances", "--remote", d.url, "delete", name)
            check(out.returncode == 0, "instances delete failed", out.stderr)
            wait_for(lambda: not os.path.exists("/proc/%d" % pid), 15,
                     "the stopped child of a deleted instance is still there", lambda: d.log)
            waited = time.monotonic() - asked
            check(waited >= 4.5, "the child ended %.1f s after its SIGTERM: not killed 5 s on"
                  % waited, d.log)
            check(instances(d) == {}, "the deleted instance is listed", instances(d))
    finally:
        if pid and os.path.exists("/proc/%d" % pid):
            os.kill(pid, signal.SIGKILL)
        shutil.rmtree(state, ignore_errors=True)
        shutil.rmtree(tmp, ignore_errors=True)


def test_over_tls():
    """gadgethost --remote tls://... --ca ... run --detach, instances list and
    delete: an instance from another machine's client, through TLS"""
    require_bpf()
    state = tempfile.mkdtemp(prefix="gh-state-")
    try:
        with Pki() as pki, Daemon("--state-dir", state, listen="127.0.0.1:%d" % free_port(),
                                  pki=pki) as d:
            base = ["--remote", d.tcp_url] + pki.client_args() + ["--token-file", d.token_file]
            name = unique("tls")
            out = run_host(*base, "run", "trace/exec.lua", "--host", "--detach", "--name", name)
            check(out.returncode == 0 and json.loads(out.stdout)["name"] == name,
                  "run --detach over TLS failed", out.stdout, out.stderr)
            out = run_host(*base, "instances", "list", "-o", "json")
            check(out.returncode == 0 and [json.loads(l)["name"] for l in
                                           out.stdout.splitlines()] == [name],
                  "instances list over TLS", out.stdout, out.stderr)
            out = run_host(*base, "instances", "delete", name)
            check(out.returncode == 0, "instances delete over TLS", out.stderr)
            check(instances(d) == {}, "the instance is still listed", instances(d))
    finally:
        shutil.rmtree(state, ignore_errors=True)


def test_bad_requests():
    """duplicate name, gadget not installed, a bad name, an option a remote
    client may not pass, too many instances: one clear line each"""
    require_bpf()
    state = tempfile.mkdtemp(prefix="gh-state-")
    try:
        with Daemon("--state-dir", state, "--max-instances", "1") as d:
            name = unique("dup")
            out = detach(d, name, "--host")
            check(out.returncode == 0, "run --detach failed", out.stderr)
            cases = [
                (detach(d, name, "--host"),
                 'gadgethost: an instance named "%s" exists already (gadgethost instances '
                 'list; delete it first)' % name),
                (run_host("run", "nosuch/gadget.lua", "--detach", "--name", "x1", "--remote",
                          d.url),
                 'gadgethost: gadget "nosuch/gadget.lua" is not installed on this node (remote '
                 'runs take gadget names from the search path: gadgethost list)'),
                (detach(d, "bad/name"),
                 'gadgethost: "name": an instance needs a name of letters, digits, \'_\', '
                 '\'.\' and \'-\' (up to 63, not starting with \'.\', \'-\' or \'_\')'),
                (detach(d, "x" * 64),
                 'gadgethost: "name": an instance needs a name of letters, digits, \'_\', '
                 '\'.\' and \'-\' (up to 63, not starting with \'.\', \'-\' or \'_\')'),
                (detach(d, "x2", "--runc-root", "/tmp"),
                 'gadgethost: --runc-root is not allowed in a remote run: it names a file on '
                 'the node'),
                (detach(d, "x3", "--host"),
                 'gadgethost: 1 instances already (the daemon\'s --max-instances)'),
                (run_host("run", "trace/exec.lua", "--detach", "--remote", d.url),
                 "gadgethost: --detach needs --name NAME: the instance's name on the daemon"),
                (run_host("run", "trace/exec.lua", "--name", "x"),
                 "gadgethost: --name: only with --detach"),
                (detach(d, "x4", "--rotate", "1K"),
                 'gadgethost: rotate: "1K" is not SIZE[,COUNT] (a size of at least 4K, with K, '
                 'M or G; 0 to 100 old files; e.g. 10M,5)'),
                (run_host("instances", "--remote", d.url, "delete", "nosuch"),
                 'gadgethost: no instance named "nosuch" (gadgethost instances list)'),
            ]
            for out, want in cases:
                check(out.returncode == 1 and out.stderr.strip() == want, "wanted one line",
                      want, out.stderr, out.stdout)
            check(list(instances(d)) == [name], "a refused instance is listed", instances(d))
    finally:
        shutil.rmtree(state, ignore_errors=True)


if __name__ == "__main__":
    main([test_restart_and_kill, test_gadget_gone_is_listed, test_rotated_rows_file,
          test_daemon_as_pid_1, test_no_state_dir, test_killed_child_restarts, test_over_tls,
          test_bad_requests])
