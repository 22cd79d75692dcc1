# bench/experiments.sh --quick end to end: every RQ's CSV has rows whose
# precision/recall/F1/hit-rate columns are numbers in [0, 1], every plot is a
# PNG, README.md was generated from them, and the output went to a new
# temporary directory (quick mode never writes results/).
# With ../shared the real-data rows must be there; without it, the skip lines.
source "$(dirname "$0")/lib.bash"
command -v gnuplot > /dev/null || skip "gnuplot is missing (.ci/deps.sh --tests installs gnuplot-nox)"
TMPDIR=$WORK LE_SHARED=$LE_SHARED bash "$LE_SRC/bench/experiments.sh" --quick --build "$LE_BUILD" \
    > "$WORK/run.txt" 2> "$WORK/run.err" || { tail -n 30 "$WORK/run.err" >&2; fail "bench/experiments.sh --quick failed"; }
OUT=$(sed -n 's/.*done: \(.*\) ([0-9]* s)$/\1/p' "$WORK/run.err")
case $OUT in "$WORK"/le-experiments.*) ;; *) fail "--quick wrote to '$OUT', not a new directory under TMPDIR=$WORK" ;; esac
expect mode quick "$OUT/rq-run.txt"

# check_csv FILE MIN_ROWS: same field count on every line, at least MIN_ROWS
# rows, the share columns numbers in [0, 1], labels a positive integer
check_csv() {
    [ -s "$1" ] || fail "$1 is missing or empty"
    awk -F, -v min="$2" -v f="$1" '
        NR == 1 { n = NF; for (i = 1; i <= NF; i++) col[i] = $i; next }
        NF != n { print f ":" NR ": " NF " fields, header has " n; bad = 1 }
        {
            for (i = 1; i <= NF; i++) {
                share = col[i] ~ /^(precision|recall|f1|rounds_f1|larger_k_f1|period_precision|period_recall|hr@[0-9]+)$/
                if (share && !($i ~ /^[0-9.eE+-]+$/ && $i + 0 >= 0 && $i + 0 <= 1)) {
                    print f ":" NR ": " col[i] " = \"" $i "\" is not a number in [0, 1]"; bad = 1 }
                if (col[i] == "labels" && !($i ~ /^[0-9]+$/)) { print f ":" NR ": labels = \"" $i "\""; bad = 1 }
            }
        }
        END { if (NR - 1 < min) { print f ": " NR - 1 " rows, expected at least " min; bad = 1 } exit bad }
    ' "$1" || fail "$1 is malformed (above)"
}
real=0
[ -d "$LE_SHARED/data/real" ] && real=1
check_csv "$OUT/rq1-baselines.csv" $((4 + real * 6))
check_csv "$OUT/rq2-representation.csv" $((3 + real * 3))
check_csv "$OUT/rq3-selection.csv" $((3 + real * 3))
check_csv "$OUT/rq4-labels.csv" $((2 + real))
check_csv "$OUT/rq4-rounds.csv" 2
check_csv "$OUT/rq5-rootcause.csv" $((2 + real * 2))

# The figures mean something even on the small corpus: LabelEase beats 0.5 F1
# on it, and labels the DeepTraLog traces almost perfectly at 52 labels.
f1_of() { awk -F, -v c="$1" -v a="$2" '$1 ~ c && $4 ~ a { print $8; exit }' "$OUT/rq1-baselines.csv"; }
f1=$(f1_of '^synth' '^LabelEase')
awk -v f="$f1" 'BEGIN { exit !(f >= 0.5) }' || fail "LabelEase F1 on the quick corpus is '$f1' (< 0.5)"
if [ $real = 1 ]; then
    f1=$(f1_of '^deeptralog[(]5263' '^LabelEase')
    awk -v f="$f1" 'BEGIN { exit !(f >= 0.95) }' || fail "LabelEase F1 on DeepTraLog is '$f1' (< 0.95)"
    grep -q '^trainticket' "$OUT/rq5-rootcause.csv" || fail "no TrainTicket row in rq5-rootcause.csv"
else
    grep -q '^skip: .*DeepTraLog' "$WORK/run.err" || fail "no skip line for the absent DeepTraLog data"
fi

for n in 1 2 3 4 5; do
    png=$OUT/rq$n.png
    [ -s "$png" ] || fail "$png is missing"
    [ "$(head -c 8 "$png" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] || fail "$png is not a PNG"
    grep -q "(rq$n.png)" "$OUT/README.md" || fail "README.md does not show rq$n.png"
    grep -q "^## RQ$n " "$OUT/README.md" || fail "README.md has no RQ$n section"
done
# README's RQ1 table carries the CSV's LabelEase F1 (generated, not written by hand)
f1=$(awk -F, '$4 ~ /^LabelEase/ { printf "%.3f", $8; exit }' "$OUT/rq1-baselines.csv")
grep -q "| $f1 |" "$OUT/README.md" || fail "README.md lacks the LabelEase F1 $f1 of rq1-baselines.csv"
grep -q '| 0.99 | 6.53 |' "$OUT/README.md" || fail "README.md lacks the paper's Table I (LabelEase D1 F1 0.99, 6.53 s)"
echo "experiments quick: OK ($(value seconds "$OUT/rq-run.txt") s)"
