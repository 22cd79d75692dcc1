#!/usr/bin/env python3
"""costs.py — the test costs that order a fresh ctest run, and what they buy.

    python3 .ci/costs.py LOG            rewrite tests/costs.txt from LOG
    python3 .ci/costs.py LOG --simulate print the phases' times as ctest -j2
                                        would schedule LOG's tests (below)

LOG is the output of ./check.sh (or .ci/run): its two ctest runs give each
test's seconds in the normal and the sanitized phase. tests/CMakeLists.txt
gives every test its figure as its COST, so that a fresh clone (no
Testing/Temporary/CTestCostData.txt yet) starts the longest tests first
instead of in name order, where a 100 s test started last kept one core
busy alone at the end. The figures only order the tests: a stale table
costs time, never a result. Refresh it after a CI proof:

    ./check.sh 2>&1 | tee /tmp/ci.log; python3 .ci/costs.py /tmp/ci.log

--simulate replays ctest's scheduler (-j2: the first pending test in COST
order that fits the free processors; RUN_SERIAL runs alone; a RESOURCE_LOCK
is held by one test at a time) with the durations of LOG, under the
properties LOG's run had and under those of tests/CMakeLists.txt now, to
show what an ordering or a PROCESSORS change saves before a full CI run.
Durations are taken as they were: a test moved next to another may run
slower than LOG says.
"""
import heapq
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TABLE = os.path.join(ROOT, "tests", "costs.txt")
HEADER = """\
# Seconds each test took in the last CI proof (./check.sh on the 2-core
# machine): NAME NORMAL SANITIZED, - where the phase does not run it.
# tests/CMakeLists.txt sets them as COST so that a fresh ctest starts the
# longest first. Written by: python3 .ci/costs.py CHECK_LOG (.ci/costs.py).
"""
TEST = re.compile(r"Test +#(\d+): (\S+) \.+[^\d]*?([\d.]+) sec")
SLURM = ("e2e_slurm", "e2e_slurm_requeue")


def phases(log):
    """{"normal"|"sanitized": {name: (index, seconds)}} from a check.sh log."""
    text = open(log, errors="replace").read()
    out = {}
    for part in re.split(r"==> \[ *\d+s\] ", text):
        phase = "sanitized" if part.startswith("sanitized test:") else "normal" if part.startswith("test:") else None
        if phase:
            out[phase] = {m.group(2): (int(m.group(1)), float(m.group(3))) for m in TEST.finditer(part)}
    if "normal" not in out:
        sys.exit(f"costs.py: {log} holds no ctest run of check.sh ('==> [ Ns] test: ...')")
    return out


def write_table(ph):
    names = sorted(set(ph["normal"]) | set(ph.get("sanitized", {})))
    fmt = lambda p, n: "%.0f" % ph[p][n][1] if n in ph.get(p, {}) else "-"
    with open(TABLE, "w") as f:
        f.write(HEADER)
        for n in names:
            f.write("%s %s %s\n" % (n, fmt("normal", n), fmt("sanitized", n)))
    print("costs.py: wrote %s (%d tests)" % (os.path.relpath(TABLE), len(names)))


def simulate(tests, jobs=2):
    """Wall seconds of a ctest -jJOBS run of tests (dicts: name, seconds,
    procs, serial, lock, cost, index)."""
    pending = sorted(tests, key=lambda t: (-t["cost"], t["index"]))
    now, free, running, locks, serial = 0.0, jobs, [], set(), False
    while pending or running:
        started = True
        while started and not serial:
            started = False
            for t in pending:
                procs = min(t["procs"], jobs)
                if (t["serial"] and running) or procs > free or (t["lock"] and t["lock"] in locks):
                    continue
                pending.remove(t)
                free -= procs
                locks.add(t["lock"])
                serial = t["serial"]
                heapq.heappush(running, (now + t["seconds"], t["name"], procs, t["lock"], t["serial"]))
                started = True
                break
        now, _, procs, lock, was_serial = heapq.heappop(running)
        free += procs
        locks.discard(lock)
        serial = serial and not was_serial
    return now


def ranks(name):
    m = re.search(r"_np(\d+)$", name)
    return int(m.group(1)) if m else 1


def as_logged(durations):
    """The properties of the run before tests/costs.txt: no COST, PROCESSORS
    = ranks, the Slurm tests RUN_SERIAL."""
    return [dict(name=n, seconds=s, procs=ranks(n), serial=n in SLURM, lock=None, cost=0, index=i)
            for n, (i, s) in durations.items()]


def as_now(durations):
    """The properties tests/CMakeLists.txt sets now: COST = the logged
    seconds, PROCESSORS = ranks, the Slurm tests under one RESOURCE_LOCK."""
    return [dict(name=n, seconds=s, procs=ranks(n), serial=False,
                 lock="slurm" if n in SLURM else None, cost=s, index=i)
            for n, (i, s) in durations.items()]


def main():
    if len(sys.argv) < 2 or sys.argv[1] in ("-h", "--help"):
        print(__doc__)
        return 0 if len(sys.argv) > 1 else 2
    ph = phases(sys.argv[1])
    if "--simulate" not in sys.argv[2:]:
        write_table(ph)
        return 0
    for p, d in ph.items():
        total = sum(s for _, s in d.values())
        print("%-9s %3d tests, %6.0f s of tests: ctest -j2 %5.0f s as logged, %5.0f s with the properties of now"
              % (p, len(d), total, simulate(as_logged(d)), simulate(as_now(d))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
