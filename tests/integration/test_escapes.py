#!/usr/bin/env python3
"""Text that traced processes, containers and clients choose never reaches
a terminal or a log raw (host/base/text.h), and the ready file is never
written through a symbolic link (host/base/write_file.h).  Each test is
a way in that worked before: a comm with an escape sequence and a bidi
override in the columns, JSON and YAML; a container's pod name in
list-containers; a function name in the CPU profile's report; an inline
gadget's name forging a line in the daemon's log; a --ready-file planted
as a link to a file root would truncate."""

import json
import os
import shutil
import subprocess
import tempfile

import containers
from gh import (GH_BIN, Tracer, check, excerpt, main, require_bpf, run_host, scaled, unique)
from ghdaemon import Daemon

ESC = "\x1b[31m"          # a terminal escape: red from here on
RLO = "\u202e"            # RIGHT-TO-LEFT OVERRIDE: what follows reads backwards
SHOWN_ESC = "\\x1b[31m"
SHOWN_RLO = "\\u202e"


def evil_program(tmp):
    """/bin/true under a name with an escape and a bidi override; its comm
    (15 bytes of the name) carries both"""
    name = "g" + ESC + RLO + "x"          # 1 + 5 + 3 + 1 = 10 bytes
    path = os.path.join(tmp, name)
    os.symlink("/bin/true", path)
    return path, name


def test_comm_in_every_format():
    """an exec of a program named with ESC and U+202E: columns show them
    escaped, one row a line; JSON carries \\u202e (the same string once
    parsed); YAML is ASCII (\\e and \\u202E escapes, read back the same)"""
    require_bpf()
    tmp = tempfile.mkdtemp(prefix="gh-esc-")
    try:
        path, name = evil_program(tmp)
        marker = unique("esc")
        for fmt in ("columns", "json", "yaml"):
            t = Tracer("trace/exec.lua", "--fields", "comm,args", fmt=fmt)
            with t:
                subprocess.run([path, marker], check=True)
            raw = t._out.data()
            lines = [l for l in raw.split(b"\n") if marker.encode() in l]
            check(lines, "%s: no row of the exec" % fmt, excerpt(t.stdout))
            check(b"\x1b" not in raw and RLO.encode() not in raw,
                  "%s: the escape or the override reached the output raw" % fmt,
                  repr(lines[0]))
            if fmt == "columns":
                check(lines[0].decode().startswith("g" + SHOWN_ESC + SHOWN_RLO + "x "),
                      "columns: the comm is not shown escaped", repr(lines[0]))
            elif fmt == "json":
                ev = json.loads(lines[0])
                check(ev["comm"] == name, "json: the comm does not read back as it was",
                      repr(ev["comm"]))
                check(b"\\u202e" in lines[0], "json: U+202E not written as \\u202e",
                      repr(lines[0]))
            else:
                check(raw.isascii(), "yaml: not ASCII", repr(raw[:300]))
                check(b"\\u202E" in raw and b"\\e" in raw, "yaml: not escaped", repr(lines))
    finally:
        shutil.rmtree(tmp)


def test_list_containers_pod_name():
    """a container whose pod name annotation holds an escape, a newline and
    an override: list-containers shows it escaped, on one line"""
    require_bpf()
    evil_pod = "pod" + ESC + "\nFORGED" + RLO
    with containers.Runc() as r:
        cid = unique("escc")
        b = r.bundle(cid, ["sleep", "60"], annotations={
            "io.kubernetes.pod.name": evil_pod, "io.kubernetes.pod.namespace": "ns",
            "io.kubernetes.container.name": "main"})
        r.run(cid, b)
        try:
            p = run_host("list-containers", "--runc-root", r.root)
            check(p.returncode == 0, "list-containers failed", p.stderr)
            rows = [l for l in p.stdout.splitlines() if cid[:12] in l]
            check(len(rows) == 1, "the container is not one row", p.stdout)
            check("pod" + SHOWN_ESC + "\\nFORGED" + SHOWN_RLO in rows[0],
                  "the pod name is not shown escaped", repr(rows[0]))
            check("\x1b" not in p.stdout and RLO not in p.stdout and
                  not any(l.startswith("FORGED") for l in p.stdout.splitlines()),
                  "raw escape, override or a forged line in list-containers", repr(p.stdout))
        finally:
            r.kill(cid)
            r.delete(cid)


def test_profile_symbol_names():
    """the CPU profile's report and folded stacks of a program whose hot
    function is named gh_spin_<ESC>[31m<U+202E>evil show it escaped"""
    require_bpf()
    built = os.environ.get("GH_SPIN_EVIL", "")
    check(os.access(built, os.X_OK), "the evil spinner is not built (GH_SPIN_EVIL)", built)
    tmp = tempfile.mkdtemp(prefix="gh-esc-")
    try:
        comm = unique("ev")[:15]
        path = os.path.join(tmp, comm)
        shutil.copy2(built, path)
        for fmt in (None, "folded"):
            # the spinner stays (paused, its workload) until the run has
            # printed its stacks: symbols are read from a live process's
            # maps, and the host's once-a-second look can miss a 0.5 s one
            p = None
            try:
                with Tracer("profile/cpu.lua", "--comm", comm, fmt=fmt) as t:
                    p = subprocess.Popen([path, "0.5", "pause"], stdout=subprocess.PIPE,
                                         text=True)
                    check(p.stdout.readline() == "spun\n", "the spinner did not spin")
            finally:
                if p:
                    p.kill()
                    p.wait(scaled(10))
            t.check_clean_exit()
            raw = t._out.data()
            check(b"\x1b" not in raw and RLO.encode() not in raw,
                  "profile (%s): the symbol reached the output raw" % (fmt or "report"),
                  repr(raw[:500]))
            check(("gh_spin_" + SHOWN_ESC + SHOWN_RLO + "evil") in t.stdout,
                  "profile (%s): the symbol is not shown escaped" % (fmt or "report"),
                  excerpt(t.stdout))
    finally:
        shutil.rmtree(tmp)


def test_daemon_log_lines():
    """an inline gadget named with a newline and an escape: the daemon's
    log shows it escaped on its own line; no line is forged"""
    require_bpf()
    tmp = tempfile.mkdtemp(prefix="gh-esc-")
    try:
        name = "x" + ESC + "\n2026-01-01T00:00:00Z gadgethost daemon: FORGED.lua"
        with Daemon("--allow-inline-lua") as d:
            body = json.dumps({"gadget": name, "script": "return {}", "timeout": 1})
            d.request(b"POST /v1/runs HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n%s"
                      % (len(body), body.encode()))
        log = d.log  # whole once the daemon has stopped (its stderr drained)
        check("\x1b" not in log, "a raw escape in the daemon's log", repr(log[-500:]))
        check(not any(l.startswith("2026-01-01T00:00:00Z") for l in log.splitlines()),
              "a forged line in the daemon's log", log)
        check("\\x1b[31m\\n2026-01-01" in log, "the name is not in the log, escaped", log)
    finally:
        shutil.rmtree(tmp)


def test_ready_file_symlink():
    """--ready-file planted as a link to a file root can write: the file is
    left as it was; the ready file is made in the link's place"""
    require_bpf()
    tmp = tempfile.mkdtemp(prefix="gh-esc-")
    try:
        precious = os.path.join(tmp, "precious")
        with open(precious, "w") as f:
            f.write("keep me\n")
        link = os.path.join(tmp, "ready")
        os.symlink(precious, link)
        p = run_host("run", "trace/exec.lua", "--host", "--ready-file", link, "--timeout", "0.5",
                     timeout=30)
        check(p.returncode == 0, "the run failed", excerpt(p.stderr))
        with open(precious) as f:
            check(f.read() == "keep me\n", "the link's target was written")
        check(not os.path.islink(link) and open(link).read() == "ready\n",
              "the ready file is not a new file in the link's place")
        check(sorted(os.listdir(tmp)) == ["precious", "ready"], "files left behind",
              os.listdir(tmp))
    finally:
        shutil.rmtree(tmp)


if __name__ == "__main__":
    main([test_comm_in_every_format, test_list_containers_pod_name, test_profile_symbol_names,
          test_daemon_log_lines, test_ready_file_symlink])
