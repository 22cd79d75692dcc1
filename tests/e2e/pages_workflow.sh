#!/usr/bin/env bash
# Issue 18: the labeling and root-cause pages as a person works with them,
# in headless Chromium (tests/browser/labeling_workflow.cjs and
# rootcause_workflow.cjs say what they check: one check per bug 1-5, the
# layout at 1024/1280/1440/1920, import, filters, next unlabeled, the
# partial-export warning, Tab reachability, a keyboard-only session and the
# contrast of the colours). The representatives include a trace of 70 spans
# (make_reps.py --wide 3). The root-cause export is checked against
# rootcause.h5 row by row and fed to `labelease export`.
source "$(dirname "$0")/lib.bash"
need_pages browser-cache-workflow

cd "$WORK"
page_fixtures

mkdir -p out
timeout 600 node "$LE_SRC/tests/browser/labeling_workflow.cjs" reps.html out || fail "labeling page workflow checks failed"
timeout 900 node "$LE_SRC/tests/browser/rootcause_workflow.cjs" rc.html out || fail "root-cause page workflow checks failed"

# The page's rows: the period column is the 0-based index of /periods in
# rootcause.h5 (the number the page shows), with that period's window.
$PY - <<'PY' || fail "the page's period column does not match rootcause.h5"
import csv, h5py
r = h5py.File("rc.h5")
rows = list(csv.DictReader(open("out/page-rows.csv")))
assert [int(x["period"]) for x in rows] == [1, 2, 3], rows
for x in rows:
    p = int(x["period"])
    assert (int(x["start_us"]), int(x["end_us"])) == (int(r["periods/start_us"][p]), int(r["periods/end_us"][p])), x
PY
run_le 2 export c3.h5 labels3.h5 rc.h5 out/page-rows.csv -o ds > ex.txt
expect confirmed 3 ex.txt
echo "pages workflow: all checks passed"
