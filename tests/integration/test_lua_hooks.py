#!/usr/bin/env python3
"""The general pieces under the advisors, driven through scripts of our
own: on_interval every --interval and on_stop at the end, gadget.map on
the loaded object's map (the kernel's real bitmaps), gadget.emit; and the
errors: bad script keys, a hook that raises, a document that cannot be
written."""

import json
import os
import re
import shutil
import subprocess
import tempfile

from gh import check, excerpt, main, require_bpf, run_host, scaled, write_gadget

HEADER = 'local gadget = require("gadget")\n'


def script(body):
    d = tempfile.mkdtemp(prefix="gh-hooks-")
    return d, write_gadget(d, "hooks.lua", HEADER + body)


def test_interval_stop_and_maps():
    """--host: every process's system calls; the host's own mount
    namespace's bitmap has openat (257) and the bit of every ticks"""
    require_bpf()
    host_mntns = os.stat("/proc/self/ns/mnt").st_ino
    d, path = script('''
local ticks = 0
local function count()
  local n, host = 0, nil
  for k, v in gadget.map("syscalls"):pairs() do
    n = n + 1
    if k == %d then host = v.bits end
  end
  return n, host
end
return {
  object = "advise/seccomp.bpf.o", documents_only = true,
  on_interval = function(ctx)
    ticks = ticks + 1
    ctx.emit({ tick = ctx.tick, final = ctx.final })
  end,
  on_stop = function(ctx)
    local n, host = count()
    gadget.emit(gadget.ordered({ final = ctx.final, ticks = ticks, entries = n,
      openat = host and (host[257 // 64 + 1] >> (257 %% 64)) & 1 or -1,
      name = gadget.syscall_name(257), empty = gadget.array({}), none = gadget.null },
      { "final", "ticks" }))
  end,
}
''' % host_mntns)
    seconds = scaled(1.45)  # at 0.3 s intervals: 4 ticks, 2 at least on a busy machine
    # a host process that opens files all along (the host leaves its own
    # calls out, and a quiet machine may make none in a second)
    opener = subprocess.Popen(["sh", "-c", "while :; do cat /etc/hostname; sleep 0.05; done"],
                              stdout=subprocess.DEVNULL)
    try:
        p = run_host("run", path, "--host", "-o", "json", "--interval", "0.3",
                     "--timeout", str(seconds))
    finally:
        opener.kill()
        opener.wait()
        shutil.rmtree(d, ignore_errors=True)
    check(p.returncode == 0, "exit status %d" % p.returncode, "stderr: " + excerpt(p.stderr))
    lines = p.stdout.splitlines()
    docs = [json.loads(l) for l in lines]
    ticks = [x.get("tick") for x in docs[:-1]]
    check(len(ticks) >= 2 and ticks == list(range(1, len(ticks) + 1)) and
          len(ticks) <= int(seconds / 0.3), "ticks 1, 2, ... every 0.3 s of %g s" % seconds,
          p.stdout)
    check(all(x["final"] is False for x in docs[:-1]), "final is false in on_interval", p.stdout)
    last = docs[-1]
    check(lines[-1].startswith('{"final":true,"ticks":%d,' % len(ticks)), "ordered keys first",
          lines[-1])
    check(last["entries"] >= 1 and last["openat"] == 1, "the host's bitmap has openat", last)
    check(last["name"] == "openat" and last["empty"] == [] and last["none"] is None,
          "syscall_name, an empty array, null", last)
    check(p.stdout.count("\n") == len(docs), "documents only: no header, no rows", p.stdout[:500])


def run_script(body, *args):
    d, path = script(body)
    try:
        return path, run_host("run", path, "--host", *args)
    finally:
        shutil.rmtree(d, ignore_errors=True)


def test_hook_errors():
    require_bpf()
    path, p = run_script('''return { object = "advise/seccomp.bpf.o", documents_only = true,
  on_stop = function(ctx)
    ctx.emit({ ok = 1 })
    ctx.emit({ spec = { rules = { { from = print } } } })
  end }''', "--timeout", "0.2")
    check(p.returncode == 1, "a hook that raised: exit 1, not %d" % p.returncode, p.stderr)
    check("%s:5: gadget.emit: document at spec.rules[1].from: a function cannot be written"
          % path in p.stderr and "(in on_stop)" in p.stderr, "the error, with file:line", p.stderr)
    check(p.stdout == '---\nok: 1\n', "the good document is printed, the bad one not at all",
          p.stdout)
    path, p = run_script('''return { object = "advise/seccomp.bpf.o", documents_only = true,
  on_stop = function() gadget.map("nope") end }''', "--timeout", "0.2")
    listed = re.search(r'no map "nope" in the gadget\'s object \(its maps: ([^)]*)\)', p.stderr)
    check(p.returncode == 1 and listed and "syscalls" in listed.group(1).split(", ") and
          "events" in listed.group(1).split(", "),
          "an unknown map names the maps there are", p.stderr)
    # the limits of filter and enrich hold in the lifecycle hooks too
    path, p = run_script('''return { object = "advise/seccomp.bpf.o", documents_only = true,
  on_interval = function() while true do end end }''', "--interval", "0.1",
                         "--timeout", str(scaled(5)), "--lua-instruction-limit", "1000000")
    check(p.returncode == 1 and "on_interval: instruction limit exceeded (1M instructions)"
          in p.stderr and path in p.stderr,
          "an endless on_interval: the instruction limit, file:line, exit 1", p.returncode,
          p.stderr)
    path, p = run_script('''return { object = "advise/seccomp.bpf.o", documents_only = true,
  on_stop = function() local t = {} for i = 1, 1e9 do t[i] = string.rep("x", 64) .. i end end }''',
                         "--timeout", "0.2", "--lua-memory-limit", "8M")
    check(p.returncode == 1 and "on_stop: memory limit exceeded (8 MiB" in p.stderr,
          "an unbounded on_stop: the memory limit, exit 1", p.returncode, p.stderr)


def test_bad_keys():
    for body, want in [
        ('return { object = "advise/seccomp.bpf.o", on_stop = 3 }',
         "'on_stop' must be a function, not a number"),
        ('return { object = "advise/seccomp.bpf.o", documents_only = "yes" }',
         "'documents_only' must be true or false"),
        ('return { object = "advise/seccomp.bpf.o", document_format = "xml" }',
         "'document_format' must be \"yaml\", \"json\" or \"jsonpretty\""),
    ]:
        path, p = run_script(body)
        check(p.returncode != 0 and "%s: %s" % (path, want) in p.stderr,
              "wanted: %s" % want, p.stderr)


if __name__ == "__main__":
    main([test_interval_stop_and_maps, test_hook_errors, test_bad_keys], bpf=False)
