#!/usr/bin/env python3
"""The integration tests' rules on time (gh.py's docstring), checked on
their source: a test that sleeps for a while or sets a limit by hand
passes on a quiet machine and fails on a busy one.

  - time.sleep() only for a workload that must take time, or in a poll:
    its line says so in a comment ("workload" or "poll"); a wait for a
    condition is gh.wait_for() (or Tracer.wait_for), the one polling loop;
  - no deadline made by hand (time.time() or time.monotonic() plus
    something) that scaled() does not stretch;
  - no number of seconds given straight to the standard library as a
    limit (subprocess's timeout=, communicate, Popen.wait, Thread.join):
    scaled(N), or a helper of gh.py or containers.py that scales it.
    (Tracer.wait(N), on a tracer named t, scales N itself; a line that
    says "workload" in a comment is a pace, not a limit.)

The files of the test harness are checked: those that import gh (a
program a test runs, delay_line.py, keeps its own time).  Prints one line
per offence (file:line: what) and exits 1, else 0.  Standard library only;
needs no root."""

import ast
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
STDLIB_LIMITS = ("communicate", "wait", "join")


def number(node):
    return isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) \
        and not isinstance(node.value, bool)


def calls_scaled(node):
    """node holds a call of scaled() (gh.scaled())"""
    return any(isinstance(n, ast.Call) and (
        (isinstance(n.func, ast.Name) and n.func.id == "scaled") or
        (isinstance(n.func, ast.Attribute) and n.func.attr == "scaled")) for n in ast.walk(node))


def is_clock(node):
    """time.time() or time.monotonic()"""
    return (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and
            node.func.attr in ("time", "monotonic") and
            isinstance(node.func.value, ast.Name) and node.func.value.id == "time")


def docstring_lines(tree):
    """the lines of every docstring (prose, not code)"""
    lines = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef)) and node.body and \
                isinstance(node.body[0], ast.Expr) and \
                isinstance(node.body[0].value, ast.Constant) and \
                isinstance(node.body[0].value.value, str):
            lines.update(range(node.body[0].lineno, node.body[0].end_lineno + 1))
    return lines


def the_loop(path, tree):
    """the lines of gh.wait_for(), the one polling loop"""
    if os.path.basename(path) != "gh.py":
        return set()
    return {n for node in tree.body if isinstance(node, ast.FunctionDef) and
            node.name == "wait_for" for n in range(node.lineno, node.end_lineno + 1)}


def offences(path):
    with open(path) as f:
        text = f.read()
    tree = ast.parse(text, path)
    if not any(isinstance(n, (ast.Import, ast.ImportFrom)) and (
            getattr(n, "module", None) == "gh" or any(a.name == "gh" for a in n.names))
            for n in ast.walk(tree)):
        return []
    prose, loop = docstring_lines(tree), the_loop(path, tree)
    out = []
    said = set()  # the lines whose comment says why
    for n, line in enumerate(text.splitlines(), 1):
        comment = line.split("#", 1)[1] if "#" in line else ""
        if "workload" in comment or "poll" in comment:
            said.add(n)
        if "time.sleep(" in line and n not in prose:
            if n not in said:
                out.append((n, "time.sleep() without a comment saying why (workload, poll): "
                               "wait for a condition instead (gh.wait_for, Tracer.wait_for)"))
    for node in ast.walk(tree):
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add) and (
                is_clock(node.left) or is_clock(node.right)) and not calls_scaled(node) and \
                node.lineno not in loop:
            out.append((node.lineno, "a deadline that GH_TIME_SCALE does not stretch: "
                                     "gh.wait_for(), or scaled(N)"))
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
            continue
        func = node.func
        limits = [k.value for k in node.keywords if k.arg == "timeout"]
        if func.attr in ("wait", "join") and node.args:
            limits.append(node.args[0])
        stdlib = (isinstance(func.value, ast.Name) and func.value.id == "subprocess") or (
            func.attr in STDLIB_LIMITS and not (
                func.attr == "wait" and isinstance(func.value, ast.Name) and
                func.value.id == "t"))
        if stdlib and any(number(v) for v in limits) and node.lineno not in said:
            out.append((node.lineno, "%s() given a number of seconds as it is: scaled(N)"
                        % func.attr))
    return sorted(set(out))


def main():
    paths = sys.argv[1:] or sorted(os.path.join(HERE, f) for f in os.listdir(HERE)
                                   if f.endswith(".py") and f != os.path.basename(__file__))
    bad = 0
    for path in paths:
        for n, what in offences(path):
            print("%s:%d: %s" % (os.path.relpath(path, HERE), n, what))
            bad += 1
    print("%d file(s) read, %d offence(s)" % (len(paths), bad))
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
