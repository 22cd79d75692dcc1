# Per-rank timings: synth --json at 2 ranks reports seconds_min <= seconds_mean
# <= seconds_max, with seconds (the slowest rank) equal to seconds_max.
source "$(dirname "$0")/lib.bash"
run_le 2 synth --json -q -o "$WORK/c.h5" --traces 600 --seed 5 > "$WORK/s.json"
/usr/bin/python3 - "$WORK/s.json" <<'PY' || fail "per-rank seconds: $(cat "$WORK/s.json")"
import json, sys
d = json.load(open(sys.argv[1]))
lo, mean, hi = d["seconds_min"], d["seconds_mean"], d["seconds_max"]
assert 0 <= lo <= mean <= hi, (lo, mean, hi)
assert abs(hi - d["seconds"]) <= 1e-5 * max(1.0, hi), (hi, d["seconds"])
PY
echo "PASS timings"
