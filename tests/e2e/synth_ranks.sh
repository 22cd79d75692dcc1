# labelease synth: the same seed gives the same file at 1, 2 and 4 ranks and
# at any chunk size (data and root attributes); the shipped config equals the
# built-in defaults; info agrees with the report; bad config keys are named;
# memory per rank does not grow with the number of traces; --days D covers D
# days at the default's 18 faults a day, identically at 1 and 2 ranks.
source "$(dirname "$0")/lib.bash"
N=20000

# h5dump of the root attributes without the file name line
attrs() { h5dump -A -g / "$1" | sed 1d; }
same_corpus() { # same_corpus A B WHAT
    h5diff "$1" "$2" || fail "$3: h5diff reports differences"
    [ "$(attrs "$1")" = "$(attrs "$2")" ] || fail "$3: root attributes differ"
}

for np in 1 2 4; do
    run_le $np synth -o "$WORK/c$np.h5" --traces $N --seed 7 --chunk 3000 > "$WORK/c$np.txt"
    expect traces $N "$WORK/c$np.txt"
    expect faults 36 "$WORK/c$np.txt"
    expect ranks $np "$WORK/c$np.txt"
done
for np in 2 4; do
    same_corpus "$WORK/c1.h5" "$WORK/c$np.h5" "seed 7 at $np ranks vs 1 rank"
    for k in spans abnormal_traces; do
        expect $k "$(value $k "$WORK/c1.txt")" "$WORK/c$np.txt"
    done
done

# The chunk size is not part of the result (uneven chunks, 3 ranks).
run_le 3 synth -o "$WORK/k.h5" --traces $N --seed 7 --chunk 777 > "$WORK/k.txt"
same_corpus "$WORK/c1.h5" "$WORK/k.h5" "--chunk 777 at 3 ranks vs --chunk 3000"

# Another seed is another corpus.
run_le 2 synth -o "$WORK/s8.h5" --traces $N --seed 8 > "$WORK/s8.txt"
if h5diff -q "$WORK/c1.h5" "$WORK/s8.h5" >/dev/null 2>&1; then fail "seeds 7 and 8 gave the same corpus"; fi

# The shipped config file holds the defaults: same data (the source attribute names the file).
run_le 2 synth -o "$WORK/cfg.h5" --traces $N --seed 7 --config "$LE_SRC/configs/synth/online-boutique.ini" > "$WORK/cfg.txt"
for g in /traces /spans /tables /ground_truth; do
    h5diff "$WORK/c1.h5" "$WORK/cfg.h5" $g $g || fail "--config online-boutique.ini differs from the defaults in $g"
done

# The abnormal share is D1's, and info reads the same file back.
share=$(value abnormal_share "$WORK/c1.txt")
awk -v s="$share" 'BEGIN { exit !(s > 0.15 && s < 0.27) }' || fail "abnormal_share $share outside 0.15..0.27"
run_le 2 info "$WORK/c1.h5" > "$WORK/info.txt"
expect traces $N "$WORK/info.txt"
expect spans "$(value spans "$WORK/c1.txt")" "$WORK/info.txt"
expect abnormal_traces "$(value abnormal_traces "$WORK/c1.txt")" "$WORK/info.txt"

# --days 2 is the default corpus (48 hours, 36 faults); --days 3 is 54 faults,
# 18 in each day, none overlapping, the same at 1 and 2 ranks.
run_le 2 synth -o "$WORK/d2.h5" --days 2 --traces $N --seed 7 > "$WORK/d2.txt"
expect faults 36 "$WORK/d2.txt"
for g in /traces /spans /tables /ground_truth; do
    h5diff "$WORK/c1.h5" "$WORK/d2.h5" $g $g || fail "--days 2 differs from the default 48 hours in $g"
done
for np in 1 2; do
    run_le $np synth -o "$WORK/d3_$np.h5" --days 3 --traces 6000 --seed 7 --chunk 1000 > "$WORK/d3_$np.txt"
    expect faults 54 "$WORK/d3_$np.txt"
    expect hours 72 "$WORK/d3_$np.txt"
done
same_corpus "$WORK/d3_1.h5" "$WORK/d3_2.h5" "--days 3 at 2 ranks vs 1 rank"
/usr/bin/python3 - "$WORK/d3_1.h5" <<'PY' || fail "--days 3: the faults do not span the 3 days evenly"
import sys, h5py, numpy as np
f = h5py.File(sys.argv[1], "r")
g, t = f["ground_truth/faults"], f["traces/start_us"][:]
s, e = g["start_us"][:], g["end_us"][:]
day = (s - 1710892800 * 10**6) // (86400 * 10**6)
assert np.bincount(day, minlength=3).tolist() == [18, 18, 18], np.bincount(day)
assert (s[1:] >= e[:-1]).all(), "overlapping faults"
assert t.max() - t.min() > 71 * 3600e6, "traces do not span 72 hours"
PY
printf '[faults]\ncount = 5\n' > "$WORK/five.ini"
if run_le 1 synth -o "$WORK/bad.h5" --days 3 --config "$WORK/five.ini" 2> "$WORK/days.err"; then fail "7.5 faults were accepted"; fi
grep -q "gives 7.5 faults, not a whole number" "$WORK/days.err" || fail "the --days conflict is not named: $(cat "$WORK/days.err")"

# Config errors name the file, the line and the key.
printf '[faults]\ncuont = 3\n' > "$WORK/bad.ini"
if run_le 1 synth -o "$WORK/bad.h5" --config "$WORK/bad.ini" 2> "$WORK/bad.err"; then fail "a misspelt key was accepted"; fi
grep -q "bad.ini:2: unknown key 'faults:cuont'" "$WORK/bad.err" || fail "the error does not name the line and key: $(cat "$WORK/bad.err")"
printf '[load]\namplitude = 2\n' > "$WORK/bad2.ini"
if run_le 1 synth -o "$WORK/bad.h5" --config "$WORK/bad2.ini" 2> "$WORK/bad2.err"; then fail "amplitude 2 was accepted"; fi
grep -q "load.amplitude" "$WORK/bad2.err" || fail "the error does not name load.amplitude: $(cat "$WORK/bad2.err")"
if run_le 1 synth --traces 10 2> "$WORK/noout.err"; then fail "synth without -o succeeded"; fi
run_le 1 synth --help > "$WORK/help.txt" # not piped to grep -q: its early exit SIGPIPEs mpiexec (pipefail)
grep -q -- "--chunk" "$WORK/help.txt" || fail "--help does not describe --chunk"

# Memory per rank: 10x the traces, (nearly) the same peak RSS at a fixed chunk.
rss() { /usr/bin/time -f %M "$LABELEASE" synth -o "$WORK/m.h5" --traces "$1" --chunk 4096 2>&1 >/dev/null | tail -n1; }
small=$(rss 20000) big=$(rss 200000)
awk -v a="$small" -v b="$big" 'BEGIN { exit !(b < a * 1.3 + 8192) }' \
    || fail "peak RSS grew from ${small} kB (20k traces) to ${big} kB (200k traces)"
echo "ok: identical at 1/2/4 ranks and any chunk; rss ${small} kB vs ${big} kB"
