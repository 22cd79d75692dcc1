#!/usr/bin/env python3
"""cg_work.py: a stage's compute work from callgrind files, one per rank.

    cg_work.py STAGE FILE...          (STAGE: select or propagate)

Prints key: value lines: per rank the instructions (Ir) of the stage's
compute (the inclusive Ir of its compute functions, as the command's
seconds_vectors + seconds_select / seconds_propagate count them), the part
of it spent inside MPI calls (mostly waiting for the other ranks, which
Open MPI does by polling) and the embeddings file read (I/O, reported with
seconds_read); then the max and sum over ranks of compute without MPI.
With --functions, the inclusive Ir of each function of labelease that
costs at least 0.5% of the compute, summed over ranks and the largest
rank's share, to find replicated work (sum over ranks above the one-rank
figure) and imbalance (max above sum / ranks).
"""
import re
import sys
from collections import defaultdict

ROOTS = {
    "select": ["le_callpaths_build", "le_shard_vectors", "cluster_rows"],
    "propagate": ["le_callpaths_vocabulary", "le_shard_vectors", "le_labeled_load", "le_prop_label_rows"],
}
EMB_READ = ["le_emb_open", "le_emb_read_rows", "le_emb_close_reader"]
# called from compute and from outside it: their MPI wait is not the compute's
SHARED = {"le_agree"}


def parse(path):
    names, objs = {}, {}
    self_ir, edges, obj_of = defaultdict(int), defaultdict(int), {}
    fn = cfn = ob = cob = None
    pending = False

    def name(table, rest):
        m = re.match(r"\((\d+)\)(?: (.*))?", rest)
        if not m:
            return rest
        if m.group(2) is not None:
            table[m.group(1)] = m.group(2)
        return table[m.group(1)]

    with open(path) as f:
        for line in f:
            line = line.rstrip("\n")
            if not line:
                continue
            key, _, rest = line.partition("=")
            if key == "ob":
                ob = name(objs, rest)
            elif key == "cob":
                cob = name(objs, rest)
            elif key == "fn":
                fn = name(names, rest)
                obj_of.setdefault(fn, ob)
                cob = ob
            elif key == "cfn":
                cfn = name(names, rest)
                obj_of.setdefault(cfn, cob)
            elif key == "calls":
                pending = True
            elif line[0] in "0123456789+-*":
                parts = line.split()
                cost = int(parts[1]) if len(parts) > 1 else 0
                if pending:
                    edges[(fn, cfn)] += cost
                    pending = False
                else:
                    self_ir[fn] += cost
                cob = ob
    return self_ir, edges, obj_of


def analyse(stage, path):
    self_ir, edges, obj_of = parse(path)
    out = defaultdict(list)
    for (a, b), c in edges.items():
        if a != b:
            out[a].append((b, c))
    incl = lambda f: self_ir[f] + sum(c for _, c in out[f])
    roots = ROOTS[stage]
    compute = sum(incl(r) for r in roots)
    emb = sum(c for f in ("read_gat", "read_gat.isra.0") for b, c in out[f] if b in EMB_READ)
    # MPI calls made by functions the compute reaches (not through MPI itself)
    seen, todo, mpi = set(roots), list(roots), 0
    while todo:
        f = todo.pop()
        for b, c in out[f]:
            if b.startswith(("MPI_", "PMPI_")):
                mpi += c
            elif b not in seen and b not in SHARED and b not in EMB_READ:
                seen.add(b)
                todo.append(b)
    exe = obj_of.get(roots[0])
    funcs = {f: incl(f) for f in seen if obj_of.get(f) == exe or f.startswith(("cblas_", "sgemm"))}
    return compute, mpi, emb, funcs


def main():
    args = sys.argv[1:]
    show = "--functions" in args
    args = [a for a in args if a != "--functions"]
    stage, files = args[0], args[1:]
    res = [analyse(stage, p) for p in files]
    work = []
    for r, (compute, mpi, emb, _) in enumerate(res):
        print(f"ir.{stage}.rank{r}.compute: {compute}")
        print(f"ir.{stage}.rank{r}.mpi: {mpi}")
        print(f"ir.{stage}.rank{r}.read_embeddings: {emb}")
        work.append(compute - mpi - emb)
    print(f"ir.{stage}.work_max: {max(work)}")
    print(f"ir.{stage}.work_sum: {sum(work)}")
    if show:
        total = defaultdict(int)
        peak = defaultdict(int)
        for *_, funcs in res:
            for f, c in funcs.items():
                total[f] += c
                peak[f] = max(peak[f], c)
        for f in sorted(total, key=lambda f: -total[f]):
            if total[f] >= 0.005 * sum(work):
                print(f"ir.{stage}.fn.{f}: sum {total[f]} max {peak[f]}")


if __name__ == "__main__":
    main()
