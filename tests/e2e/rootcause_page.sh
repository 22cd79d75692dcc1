#!/usr/bin/env bash
# The root-cause page in headless Chromium (Debian's /usr/bin/chromium driven
# by playwright-core from npm, which never downloads a browser): a synthetic
# corpus, labels from its truth, rootcause.html opened from file://, periods
# selected, graph and ranking checked against the data, services picked,
# fault types chosen (one "other" with text), confirmed, reloaded, exported;
# the exported CSV checked row by row against rootcause.h5 and fed to
# `labelease export`; a page built from a corpus whose service names hold
# <script> and <img onerror> shows them as text and runs nothing.
# Screenshots for docs/rootcause.md: tests/browser/screenshots.sh.
source "$(dirname "$0")/lib.bash"
need_pages browser-cache-rootcause

cd "$WORK"
run_le 1 synth -o c.h5 --traces 5000 --seed 3 >/dev/null
$PY "$LE_SRC/bench/rootcause_truth_labels.py" c.h5 labels.h5 >/dev/null
run_le 2 rootcause c.h5 labels.h5 -o rc.h5 > rc.txt
expect page rc.html rc.txt
# The injection corpus: the same traces, two service names made of markup.
$PY - <<'PY'
import h5py, shutil, numpy as np
shutil.copy("c.h5", "evil.h5")
with h5py.File("evil.h5", "r+") as c:
    names = list(c["tables/services"][:])
    names[names.index(b"cartservice")] = b"</script><script>alert('svc')</script>"
    names[names.index(b"frontend")] = b"<img src=x onerror=alert('img')>"
    del c["tables/services"]
    c["tables/services"] = np.array(names, dtype="S%d" % (max(map(len, names)) + 1))  # NUL-terminated, as the C writers make them
PY
run_le 1 rootcause evil.h5 labels.h5 -o evil-rc.h5 --page evil.html >/dev/null
grep -qiE '(src|href)=|https?://[^w]' rc.html && fail "rc.html refers to a URL"
grep -qF "<img" evil.html && fail "evil.html holds a raw <img> from the data"
grep -qF "<script>alert" evil.html && fail "evil.html holds a raw <script> from the data"

mkdir -p out
timeout 300 node "$LE_SRC/tests/browser/rootcause.cjs" rc.html evil.html out || fail "browser checks failed"

# The export: periods 2 and 3 (indices 1 and 2) with the services clicked.
mapfile -t svc < out/want.txt
span() { $PY -c 'import h5py,sys; r=h5py.File("rc.h5"); p=int(sys.argv[1]); print("%d,%d" % (r["periods/start_us"][p], r["periods/end_us"][p]))' "$1"; }
cat > want.csv <<CSV
period,start_us,end_us,service,fault_type,note
1,$(span 1),${svc[0]},cpu,
2,$(span 2),${svc[1]},"other:disk, ""full""","seen twice, ""late"""
CSV
diff want.csv out/rootcause-labels.csv || fail "exported rootcause-labels.csv differs from the labels given"

# It is what export reads: two confirmed periods, the rest suggested.
run_le 2 export c.h5 labels.h5 rc.h5 out/rootcause-labels.csv -o ds > ex.txt
expect confirmed 2 ex.txt
$PY - "${svc[0]}" "${svc[1]}" <<'PY'
import csv, sys
rows = list(csv.DictReader(open("ds/periods.csv")))
want = {1: (sys.argv[1], "cpu", ""), 2: (sys.argv[2], 'other:disk, "full"', 'seen twice, "late"')}
for i, r in enumerate(rows):
    if i in want:
        assert r["source"] == "confirmed" and (r["service"], r["fault_type"], r["note"]) == want[i], (i, r)
    else:
        assert r["source"] == "suggested", (i, r)
PY
echo "rootcause page: all checks passed"
