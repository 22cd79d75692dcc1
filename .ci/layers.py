#!/usr/bin/env python3
"""layers.py — the layering of docs/architecture.md, checked.

    python3 .ci/layers.py [BUILD_DIR]

1. Includes: every #include "x.h" in a folder of the product resolves to a
   header of that folder or of a folder below it (the table LAYERS), and
   the layers that must not use MPI (algos/, tui/) include no <mpi.h>.
2. Circles: from the object files of BUILD_DIR (default build/), the
   symbols each product source file defines and uses give a graph of which
   file calls which; a circle (a calls into b, which calls back into a,
   perhaps through others) is reported with the files on it.
Exits 1 on any finding, listing each; 0 and a one-line summary otherwise.
"""
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# folder -> the folders its files may include, itself first (docs/architecture.md)
LAYERS = {
    "algos": ["algos"],
    "io": ["io", "algos"],
    "mpi": ["mpi", "io", "algos"],
    "tui": ["tui", "io", "algos"],
    "cmd": ["cmd", "tui", "mpi", "io", "algos"],
}
NO_MPI = {"algos", "tui"}
INCLUDE = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]', re.M)


def sources(folder):
    d = os.path.join(ROOT, folder)
    if not os.path.isdir(d):
        return []
    return sorted(f for f in os.listdir(d) if f.endswith((".c", ".h")))


def header_home():
    home = {}
    for folder in LAYERS:
        for f in sources(folder):
            if f.endswith(".h"):
                home.setdefault(f, []).append(folder)
    return home


def check_includes(problems):
    home = header_home()
    for h, where in home.items():
        if len(where) > 1:
            problems.append(f"{h} is in {' and '.join(where)}: one header name, one folder")
    n = 0
    for folder, allowed in LAYERS.items():
        for f in sources(folder):
            text = open(os.path.join(ROOT, folder, f), encoding="utf-8", errors="replace").read()
            for kind, name in INCLUDE.findall(text):
                n += 1
                if kind == "<":
                    if name == "mpi.h" and folder in NO_MPI:
                        problems.append(f"{folder}/{f} includes <mpi.h>: {folder}/ makes no MPI call")
                    continue
                where = home.get(os.path.basename(name))
                if not where:
                    continue  # a third-party header in quotes
                if where[0] not in allowed:
                    problems.append(f"{folder}/{f} includes {where[0]}/{name}: {folder}/ may include only "
                                    f"{', '.join(a + '/' for a in allowed)}")
    return n


def object_files(build):
    out = {}
    for dirpath, _, files in os.walk(build):
        # the product's targets only (a renamed target's stale objects aside)
        if not re.search(r"/CMakeFiles/(le_(algos|io|mpi|tui|cmd)|labelease)\.dir(/|$)", dirpath) or "fuzz-build" in dirpath:
            continue
        for f in files:
            m = re.match(r"(.+\.c)\.o$", f)
            if not m:
                continue
            rel = None
            for folder in LAYERS:
                if os.path.isfile(os.path.join(ROOT, folder, m.group(1))) and f"/{folder}/" in dirpath + "/":
                    rel = f"{folder}/{m.group(1)}"
            if rel:
                out[rel] = os.path.join(dirpath, f)
    return out


def symbols(path):
    text = subprocess.run(["nm", "-P", path], capture_output=True, text=True, check=True).stdout
    defined, used = set(), set()
    for line in text.splitlines():
        parts = line.split()
        if len(parts) < 2:
            continue
        name, kind = parts[0], parts[1]
        if kind == "U":
            used.add(name)
        elif kind in "TDBRC":
            defined.add(name)
    return defined, used


def strongly_connected(graph):
    index, low, stack, on, comps, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph[v]:
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
            comps.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for v in sorted(graph):
        if v not in index:
            visit(v)
    return comps


def check_circles(build, problems):
    objs = object_files(build)
    if not objs:
        problems.append(f"no object files of the product under {build}: build first (cmake --build {build})")
        return 0, 0
    owner, uses = {}, {}
    for src, o in objs.items():
        d, u = symbols(o)
        for s in d:
            owner[s] = src
        uses[src] = u
    graph = {src: sorted({owner[s] for s in u if s in owner and owner[s] != src}) for src, u in uses.items()}
    for comp in strongly_connected(graph):
        if len(comp) > 1:
            problems.append("circle of calls: " + " -> ".join(comp) + " -> " + comp[0])
    for src, deps in graph.items():
        mine = src.split("/")[0]
        for dep in deps:
            if dep.split("/")[0] not in LAYERS[mine]:
                problems.append(f"{src} calls into {dep}: {mine}/ may call only {', '.join(a + '/' for a in LAYERS[mine])}")
    return len(graph), sum(len(v) for v in graph.values())


def main():
    build = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build")
    problems = []
    n_inc = check_includes(problems)
    n_files, n_edges = check_circles(build, problems)
    for p in problems:
        print("layers:", p)
    if problems:
        print(f"layers: {len(problems)} problems (docs/architecture.md)")
        return 1
    print(f"layers: {n_inc} includes and {n_edges} calls between {n_files} files keep to the layers, no circle")
    return 0


if __name__ == "__main__":
    sys.exit(main())
