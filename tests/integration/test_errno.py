#!/usr/bin/env python3
"""One errno convention in every gadget (issue 22 item 1): a failed call's
errno is a positive number in JSON, its name in columns, and -F takes
either.  Each case makes one real call fail in a child process and looks for
that child's event."""

import errno
import subprocess
import sys

from gh import Tracer, check, describe, excerpt, main, run_host, scaled

# gadget, errno field, extra args, the failing call (python3 source), errno
# (the child's python3 fails other opens at start: -F picks this one)
CASES = [
    ("trace/exec.lua", "ret", [],
     "import os\ntry: os.execv('/nonexistent/errno-test', ['x'])\nexcept OSError: pass",
     errno.ENOENT),
    ("trace/open.lua", "err", ["-F", "path==/nonexistent/errno-test"],
     "try: open('/nonexistent/errno-test')\nexcept OSError: pass", errno.ENOENT),
    ("trace/signal.lua", "ret", ["--failed-only"],
     "import os\ntry: os.kill(4194303, 15)\nexcept OSError: pass", errno.ESRCH),
    ("trace/bind.lua", "error", ["--ignore-errors=false"],
     "import socket\na = socket.socket(); a.bind(('127.0.0.1', 0))\n"
     "b = socket.socket()\ntry: b.bind(a.getsockname())\nexcept OSError: pass",
     errno.EADDRINUSE),
    ("trace/mount.lua", "ret", [],
     "import ctypes\nlibc = ctypes.CDLL(None, use_errno=True)\n"
     "libc.mount(b'/nonexistent/errno-test', b'/tmp', None, 4096, None)", errno.ENOENT),
    ("trace/tcp.lua", "error", ["--failure-only"],
     "import socket\na = socket.socket(); a.bind(('127.0.0.1', 0))\n"
     "s = socket.socket()\ntry: s.connect(a.getsockname())\nexcept OSError: pass",
     errno.ECONNREFUSED),
]


def failing_call(code):
    """runs code in a child python3: its pid"""
    p = subprocess.Popen([sys.executable, "-c", code])
    check(p.wait(timeout=scaled(30)) == 0, "the failing call's script failed", code)
    return p.pid


def test_json_positive_and_number_filter():
    """-F field==<number>: the child's event, its errno a positive number"""
    for gadget, field, args, code, num in CASES:
        with Tracer(gadget, "-F", "%s==%d" % (field, num), *args) as t:
            pid = failing_call(code)
        t.check_clean_exit()
        evs = [e for e in t.events() if e.get("pid") == pid]
        check(len(evs) == 1 and evs[0][field] == num,
              "%s: wanted the child's one event with %s == %d" % (gadget, field, num),
              describe(t.events()), "stderr: " + excerpt(t.stderr))


def test_columns_name_and_name_filter():
    """-F field==<name>: the child's row, its errno printed by name"""
    for gadget, field, args, code, num in CASES:
        name = errno.errorcode[num]
        with Tracer(gadget, "-F", "%s==%s" % (field, name), "--fields", "pid," + field,
                    *args, fmt="columns") as t:
            pid = failing_call(code)
        t.check_clean_exit()
        rows = [l.split() for l in t.stdout.splitlines()[1:]]
        mine = [r for r in rows if r and r[0] == str(pid)]
        check(mine == [[str(pid), name]],
              "%s: wanted the child's one row \"%d %s\"" % (gadget, pid, name), t.stdout,
              "stderr: " + excerpt(t.stderr))


def test_negative_refused():
    """-F ret==-2 is refused in one line naming the field"""
    r = run_host("run", "trace/exec.lua", "--host", "--timeout", "5", "-F", "ret==-2")
    check(r.returncode != 0, "-F ret==-2 was accepted", r.stderr)
    check('filter "ret==-2": ret is an errno: a positive number or a name (2 or ENOENT), '
          'not "-2"' in r.stderr, "the refusal's line", r.stderr)


if __name__ == "__main__":
    main([test_json_positive_and_number_filter, test_columns_name_and_name_filter,
          test_negative_refused])
