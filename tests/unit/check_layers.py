#!/usr/bin/env python3
"""check_layers.py HOST_DIR - the layering of host/, checked from the source.

Fails (exit 1, one line per finding) when
  - a file includes a header of a folder that is not below its own
    (host/layers.txt gives the order; folders on one line are peers and
    may not include each other),
  - a host header is included without its folder ("buf.h", not "base/buf.h"),
  - modules (a .c with its .h) include each other round a circle,
  - code outside host/cli writes to stdout or stderr itself (library code
    returns errors, err.h, or reports through log.h; only the CLI prints).
A finding listed in tests/unit/layers-pending.txt (the debt of the
reorganisation, to be paid, not added to) is reported but does not fail;
a listed finding that is gone fails too, so the list only shrinks.
Line numbers are left out of the comparison.
Standard library only.
"""
import os
import re
import sys

GENERATED = {"config.h", "syscall_table.h"}
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)
PRINTS = re.compile(r'\b(?:stderr|stdout|perror\s*\(|(?<![\w.])printf\s*\(|(?<![\w.])puts\s*\()')
COMMENT = re.compile(r'/\*.*?\*/|//[^\n]*', re.S)
STRING = re.compile(r'"(?:\\.|[^"\\\n])*"')


def read_layers(host):
    """folder -> its layer's number, lowest 0 (one line of layers.txt a layer)"""
    rank, level = {}, 0
    for line in open(os.path.join(host, "layers.txt")):
        words = line.split("#", 1)[0].split()
        if not words:
            continue
        for folder in words:
            rank[folder] = level
        level += 1
    return rank


def sources(host):
    for folder in sorted(os.listdir(host)):
        d = os.path.join(host, folder)
        if not os.path.isdir(d):
            continue
        for name in sorted(os.listdir(d)):
            if name.endswith((".c", ".h")):
                yield folder, name, os.path.join(d, name)


def find_cycle(graph):
    """one circle of the graph as a list of nodes, or None"""
    state = {}
    stack = []

    def visit(n):
        state[n] = 1
        stack.append(n)
        for m in sorted(graph.get(n, ())):
            if state.get(m) == 1:
                return stack[stack.index(m):] + [m]
            if m not in state:
                c = visit(m)
                if c:
                    return c
        stack.pop()
        state[n] = 2
        return None

    for n in sorted(graph):
        if n not in state:
            c = visit(n)
            if c:
                return c
    return None


def main():
    host = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(__file__), "..", "..", "host")
    rank = read_layers(host)
    problems = []
    headers = {}
    files = list(sources(host))
    for folder, name, path in files:
        if folder not in rank:
            problems.append("host/%s/: a folder that host/layers.txt does not place" % folder)
        if name.endswith(".h"):
            headers.setdefault(name, []).append(folder)
    graph = {}
    for folder, name, path in files:
        text = open(path, encoding="utf-8", errors="replace").read()
        mod = "%s/%s" % (folder, name.rsplit(".", 1)[0])
        where = "host/%s/%s" % (folder, name)
        for inc in INCLUDE.findall(text):
            if inc in GENERATED:
                continue
            if "/" not in inc:
                if inc in headers:
                    problems.append('%s: includes "%s" without its folder (%s/%s)'
                                    % (where, inc, headers[inc][0], inc))
                continue
            ifolder = inc.split("/", 1)[0]
            if ifolder not in rank:
                continue  # not a host header (gadget/..., bpf/...)
            if not os.path.exists(os.path.join(host, inc)):
                problems.append('%s: includes "%s", which does not exist' % (where, inc))
                continue
            imod = inc.rsplit(".", 1)[0]
            if imod != mod:
                graph.setdefault(mod, set()).add(imod)
            if ifolder == folder:
                continue
            if folder in rank and rank[ifolder] >= rank[folder]:
                problems.append('%s: includes "%s" from layer %s, not below %s'
                                % (where, inc, ifolder, folder))
        if folder != "cli" and name.endswith(".c"):
            code = STRING.sub('""', COMMENT.sub("", text))
            for n, line in enumerate(code.split("\n"), 1):
                if PRINTS.search(line):
                    problems.append("%s:%d: prints (only host/cli may; return the error "
                                    "or use base/log.h)" % (where, n))
    seen = set()
    while True:
        c = find_cycle(graph)
        if not c:
            break
        key = tuple(sorted(c[:-1]))
        if key in seen:
            break
        seen.add(key)
        graph[c[0]].discard(c[1])  # report each circle once, then look for more
        # said from its first module by name, whichever module the walk met first
        ring = c[:-1]
        first = ring.index(min(ring))
        ring = ring[first:] + ring[:first]
        problems.append("include circle: " + " -> ".join(ring + ring[:1]))
    pending_path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "layers-pending.txt")
    pending = set()
    if os.path.exists(pending_path):
        pending = {l.strip() for l in open(pending_path) if l.strip() and not l.startswith("#")}
    bad = 0
    found = set()
    for p in problems:
        key = re.sub(r":\d+:", ":", p)
        found.add(key)
        if key in pending:
            print("pending: " + p)
        else:
            print(p)
            bad += 1
    for key in sorted(pending - found):
        print("fixed, strike it from layers-pending.txt: " + key)
        bad += 1
    print("check_layers: %d files, %d findings (%d of them pending), %d failing" % (
        len(files), len(problems), len(found & pending), bad))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
