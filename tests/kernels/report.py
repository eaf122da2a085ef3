#!/usr/bin/env python3
"""report.py - the per-gadget tables of VM runs (tests/kernels/run-vm.sh).

    report.py CONSOLE_LOG KERNEL SOURCE_DIR [TESTLOG]
    report.py --matrix SOURCE_DIR TESTLOG CONSOLE_LOG...

Reads the serial console of a VM run (the GHVM-* markers init.sh prints
around each test file, and the gh.py lines "ok - NAME", "not ok - NAME:
why", "skip - NAME: why" between them) and prints a Markdown table: one
row per test file, the gadget it tests (gadgets/CAT/NAME.lua for
test_NAME.py), PASS / FAIL / SKIP / KNOWN-FAIL, the counts, the time, and
the reason of every test function that did not pass.  A test file without
its GHVM-END line (the VM died or timed out) FAILs.  With TESTLOG
(build/meson-logs/testlog.json of the run on this machine's kernel), a
first table puts both kernels side by side, gadget by gadget.

--matrix: that first table alone, for several VM runs (CI: 6.12 and 6.1):
this machine's kernel, then one column per console, newest kernel first.
A run of another kind (a kernel without BTF) is one more console, one
more column.  Standard library only.
"""

import glob
import json
import os
import re
import sys


def gadget_of(src, test):
    """the gadgets a test file is for: those it names ("CAT/NAME.lua")"""
    try:
        text = open(os.path.join(src, "tests", "integration", test)).read()
    except OSError:
        text = ""
    found = sorted(os.path.relpath(p, os.path.join(src, "gadgets"))
                   for p in glob.glob(os.path.join(src, "gadgets", "*", "*.lua")))
    mine = [g for g in found if '"%s"' % g in text]
    name = test[len("test_"):-len(".py")]
    # test_exec.py names trace/exec.lua but test_errors.py names many: the
    # ones whose NAME or CAT the file is named after
    mine = [g for g in mine if name in (g.split("/")[1][:-4], g.split("/")[0])
            or name.startswith(g.split("/")[0] + "_")] or mine[:0]
    return ", ".join(mine) if mine else "(%s)" % name


def parse(lines):
    """[(test, rc or None, seconds, [(status, function, why)])], check lines"""
    runs, check, cur, in_check = [], [], None, False
    for line in lines:
        line = line.rstrip("\r\n")
        if line.startswith("GHVM-CHECK-BEGIN"):
            in_check = True
            continue
        if line.startswith("GHVM-CHECK-END"):
            in_check = False
            continue
        if in_check:
            check.append(line)
            continue
        m = re.match(r"GHVM-BEGIN (\S+)", line)
        if m:
            cur = [m.group(1), None, None, []]
            runs.append(cur)
            continue
        m = re.match(r"GHVM-END (\S+) rc=(\d+) seconds=(\d+)", line)
        if m and cur and cur[0] == m.group(1):
            cur[1], cur[2] = int(m.group(2)), int(m.group(3))
            cur = None
            continue
        if cur is None:
            continue
        m = re.match(r"(ok|not ok|skip) - (\w+)(?:: (.*))?", line)
        if m:
            cur[3].append((m.group(1), m.group(2), m.group(3) or ""))
    return runs, check


def verdict(rc, results):
    if rc is None:
        return "FAIL"
    if rc == 0 and any(s == "ok" for s, _, _ in results):
        return "PASS"
    if rc == 77:
        return "SKIP"
    if rc == 1 and any(s == "known" for s, _, _ in results) and \
            all(s in ("ok", "known") for s, _, _ in results):
        return "KNOWN-FAIL"
    return "FAIL"


def meson_results(testlog):
    """{test file: (verdict, ok, not ok, skipped)} from meson's testlog.json"""
    got = {}
    if not testlog or not os.path.exists(testlog):
        return got
    with open(testlog) as f:
        for line in f:
            try:
                r = json.loads(line)
            except ValueError:
                continue
            name = r.get("name", "").split(" / ")[-1]
            if not r.get("name", "").startswith("gadgethost:integration"):
                continue
            results = [(m.group(1), m.group(2), "") for m in
                       re.finditer(r"^(ok|not ok|skip) - (\w+)", r.get("stdout", ""), re.M)]
            rc = {"OK": 0, "SKIP": 77}.get(r.get("result"), 1)
            got["test_%s.py" % name] = (verdict(rc, results), results)
    return got


def cell(v, results):
    n = {s: sum(1 for r in results if r[0] == s) for s in ("ok", "not ok", "skip", "known")}
    return "%s (%d/%d)" % (v, n["ok"], len(results)) if results else v


def side_by_side(src, here, vms):
    """here: meson_results(); vms: [(kernel, runs)], one column each"""
    print("| gadget | %s (here) | %s |" % (os.uname().release,
                                          " | ".join("%s (qemu)" % k for k, _ in vms)))
    print("|---|---|%s" % ("---|" * len(vms)))
    tests = []
    for _, runs in vms:
        tests += [r[0] for r in runs if r[0] not in tests]
    for test in tests:
        h = here.get(test)
        cells = [cell(*h) if h else "not run"]
        for _, runs in vms:
            r = next((r for r in runs if r[0] == test), None)
            cells.append(cell(verdict(r[1], r[3]), r[3]) if r else "not run")
        print("| %s | %s |" % (gadget_of(src, test), " | ".join(cells)))
    print()


def known_failures(kernel):
    """{(test file, function): reason} for this kernel (known-failures.txt)"""
    known = {}
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "known-failures.txt")
    with open(path) as f:
        for line in f:
            if not line.strip() or line.startswith("#"):
                continue
            prefix, test, fn, why = line.split(None, 3)
            # 6.1 is 6.1.0-57-amd64, not 6.12.118+deb12-amd64
            if kernel == prefix or (kernel.startswith(prefix) and
                                    kernel[len(prefix)] in ".-+"):
                known[(test, fn)] = why.strip()
    return known


def apply_known(runs, known):
    """a FAIL whose every failure is known becomes KNOWN-FAIL; a known one
    that passed is noted FIXED"""
    out = []
    for test, rc, secs, results in runs:
        marked = []
        for s, fn, why in results:
            if s in ("not ok", "skip") and (test, fn) in known:
                marked.append(("known", fn, "known on this kernel: " + known[(test, fn)]))
            elif s == "ok" and (test, fn) in known:
                marked.append(("ok", fn, "FIXED: listed in known-failures.txt"))
            else:
                marked.append((s, fn, why))
        out.append((test, rc, secs, marked))
    return out


def load(console, kernel=None):
    """(kernel, runs with the known failures marked, check lines) of a
    console; the kernel from its GHVM-KERNEL line unless given"""
    with open(console, errors="replace") as f:
        lines = f.readlines()
    if kernel is None:
        m = next((m for m in (re.match(r"GHVM-KERNEL (\S+)", l) for l in lines) if m), None)
        kernel = m.group(1) if m else re.sub(r"^console-|\.log$", "", os.path.basename(console))
    runs, check = parse(lines)
    return kernel, apply_known(runs, known_failures(kernel)), check


def version(kernel):
    return [int(n) for n in re.findall(r"\d+", kernel.split("+")[0].split("-")[0])]


def matrix(src, testlog, consoles):
    vms = sorted((load(c)[:2] for c in consoles), key=lambda v: version(v[0]), reverse=True)
    print("### Every gadget's test, per kernel (ok test functions / all)\n")
    side_by_side(src, meson_results(testlog), vms)


def main():
    if sys.argv[1:2] == ["--matrix"] and len(sys.argv) >= 5:
        matrix(sys.argv[2], sys.argv[3], sys.argv[4:])
        return
    if len(sys.argv) < 4:
        sys.exit(__doc__.strip())
    console, kernel, src = sys.argv[1:4]
    testlog = sys.argv[4] if len(sys.argv) > 4 else None
    kernel, runs, check = load(console, kernel)
    here = meson_results(testlog)
    if here:
        print("### Every gadget's test, per kernel (ok test functions / all)\n")
        side_by_side(src, here, [(kernel, runs)])
    print("### Kernel %s\n" % kernel)
    print("| gadget | test | result | ok / not ok / skipped | seconds | notes |")
    print("|---|---|---|---|---|---|")
    for test, rc, secs, results in runs:
        n = {s: sum(1 for r in results if r[0] == s) for s in ("ok", "not ok", "skip", "known")}
        n["not ok"] += n["known"]
        notes = ["%s %s: %s" % (s, fn, why[:160].replace("|", "/"))
                 for s, fn, why in results if s != "ok" or why.startswith("FIXED")]
        if rc is None:
            notes.insert(0, "no end: the VM stopped or the test hung")
        elif rc not in (0, 1, 77):
            notes.insert(0, "exit status %d" % rc)
        print("| %s | %s | %s | %d / %d / %d | %s | %s |"
              % (gadget_of(src, test), test, verdict(rc, results), n["ok"], n["not ok"],
                 n["skip"], secs if secs is not None else "-", "; ".join(notes)))
    if check:
        print("\n`gadgethost check` on %s:\n" % kernel)
        print("```")
        for line in check:
            print(line)
        print("```")


if __name__ == "__main__":
    main()
