#!/usr/bin/env python3
"""check_calls.py BUILD_HOST_DIR - no circle of calls between host/'s files.

The include check (check_layers.py) sees headers; this one sees what the
built objects define and use (nm on each layer's static library): a .c
that calls a function (or takes a table) that only another .c defines,
which in turn calls back into the first, directly or round a longer
circle, is a finding (one module that should be split, or a table of
functions that should be passed in).  Exit 1 with one line per circle.
Needs nm (binutils).  Standard library only.
"""
import glob
import os
import subprocess
import sys


def symbols(build_host):
    """module ("run/tracer_run") -> (defined, used) symbol sets"""
    mods = {}
    for lib in sorted(glob.glob(os.path.join(build_host, "*", "libgh_*.a"))):
        folder = os.path.basename(os.path.dirname(lib))
        out = subprocess.run(["nm", "-A", lib], stdout=subprocess.PIPE, text=True,
                             check=True).stdout
        for line in out.splitlines():
            where, _, rest = line.rpartition(":")
            obj = where.rsplit(":", 1)[-1]
            mod = "%s/%s" % (folder, os.path.basename(obj).rsplit(".c.o", 1)[0])
            parts = rest.split()
            d, u = mods.setdefault(mod, (set(), set()))
            if len(parts) == 3 and parts[1] in "TDRB":
                d.add(parts[2])
            elif len(parts) == 2 and parts[0] == "U":
                u.add(parts[1])
    return mods


def circles(graph):
    """the strongly connected components of more than one module"""
    index, low, stack, on, found = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def main():
    build_host = sys.argv[1]
    mods = symbols(build_host)
    owner = {}
    for mod, (d, _) in mods.items():
        for s in d:
            owner[s] = mod
    graph = {}
    for mod, (_, u) in mods.items():
        graph[mod] = {owner[s] for s in u if s in owner and owner[s] != mod}
    found = circles(graph)
    for c in found:
        print("call circle: " + " <-> ".join(c))
    print("check_calls: %d modules, %d circles" % (len(mods), len(found)))
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
