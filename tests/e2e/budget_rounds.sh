#!/usr/bin/env bash
# The labeling budget (docs/labeling.md "Budget and stopping rule"), 2 ranks:
#  - the default budget does not grow with N: round 1 picks 100 of 500 and of
#    1,000 traces;
#  - a later round measures what the previous round's labels did (--previous;
#    the same counts at 1 and 2 ranks) and stops, picking nothing, when they are stable and the last
#    round's picks were mostly labelled as suggested (stop: stable) or at
#    --max-labels (stop: max-labels), saying why;
#  - the fixed budgets still work: --budget 20 (12 then 8), --budget-share;
#    mixing the two kinds is refused;
#  - labelease run ends its rounds where a select stops: propagate reads the
#    last labelled round, a re-run skips every stage, and old keys
#    (budget =) still give two rounds (e2e_run_rounds); bench/run_sizes.py tables the run.
source "$(dirname "$0")/lib.bash"
cd "$WORK"
export OPENBLAS_NUM_THREADS=1
run_le 2 synth -o c1.h5 --traces 500 --seed 2 > /dev/null
run_le 2 synth -o c2.h5 --traces 1000 --seed 2 > /dev/null
for n in 1 2; do
    run_le 2 select c$n.h5 -o r$n.h5 --no-page > s$n.txt
    expect representatives 100 s$n.txt
    expect budget_kind until-stable s$n.txt
    expect next_round_picks 30 s$n.txt
done

# rounds 2 and 3 on the small corpus, smaller rounds to keep it quick
S=(--first-round 20 --round-picks 8)
run_le 2 select c1.h5 -o a1.h5 "${S[@]}" --no-page > a1.txt
run_le 1 label a1.h5 --oracle c1.h5 -o l1.csv > /dev/null
run_le 2 select c1.h5 -o a2.h5 "${S[@]}" --round 2 --labels l1.csv --previous a1.h5 --no-page 2> e.txt \
    && fail "--previous accepted in round 2"
grep -q "previous is round N-1's representatives for round N >= 3" e.txt || fail "--previous in round 2: $(cat e.txt)"
run_le 2 select c1.h5 -o a2.h5 "${S[@]}" --round 2 --labels l1.csv --no-page > a2.txt
expect representatives 8 a2.txt
expect stop no a2.txt
run_le 1 label a2.h5 --oracle c1.h5 --keep l1.csv -o l2.csv > /dev/null
run_le 2 select c1.h5 -o a3.h5 "${S[@]}" --round 3 --labels l2.csv --previous a2.h5 --no-page > a3.txt
expect previous_picks 8 a3.txt
[ -n "$(value changed_share a3.txt)" ] || fail "round 3 does not measure round 2's change: $(cat a3.txt)"
share=$(value changed_share a3.txt)
# the rule's counts are sums of integers over ranks: the same at 1 rank
run_le 1 select c1.h5 -o a3_1.h5 "${S[@]}" --round 3 --labels l2.csv --previous a2.h5 --no-page > a3_1.txt
for k in changed_traces abnormal_sampled previous_disagreed representatives stop; do
    expect $k "$(value $k a3.txt)" a3_1.txt
done
# stable needs both: round 2's change under --stable and its corrected picks
# under --disagree; exactly at the corrected share it goes on
above=$(awk -v s="$share" 'BEGIN { print s + 0.01 }')
at=$(awk -v d="$(value previous_disagreed a3.txt)" 'BEGIN { print d / 8 }')
run_le 2 select c1.h5 -o a3d.h5 "${S[@]}" --stable "$above" --disagree "$at" --round 3 --labels l2.csv --previous a2.h5 \
    --no-page > a3d.txt
expect stop no a3d.txt
run_le 2 select c1.h5 -o a3s.h5 "${S[@]}" --stable "$above" --disagree 1 --round 3 --labels l2.csv --previous a2.h5 --no-page \
    > a3s.txt 2> a3s.err
expect stop stable a3s.txt
expect disagreed_below 1 a3s.txt
expect representatives 0 a3s.txt
grep -q "stop_reason: round 2's labels moved .* under $above" a3s.txt || fail "no reason: $(cat a3s.txt)"
grep -q "stopped before round 3's picks" a3s.err || fail "no stop line on stderr: $(cat a3s.err)"
grep -q next_round_picks a3s.txt && fail "a stopped round announces another"
run_le 2 select c1.h5 -o a3m.h5 "${S[@]}" --max-labels 28 --round 3 --labels l2.csv --no-page > a3m.txt
expect stop max-labels a3m.txt
expect representatives 0 a3m.txt

# fixed budgets as before
run_le 2 select c1.h5 -o f1.h5 --budget 20 --no-page > f1.txt
expect representatives 12 f1.txt
expect next_round_picks 8 f1.txt
expect budget_kind fixed f1.txt
run_le 2 select c2.h5 -o f2.h5 --budget-share 0.014 --no-page > f2.txt
expect budget 14 f2.txt
expect representatives 8 f2.txt
run_le 2 select c1.h5 -o x.h5 --budget 20 --max-labels 30 --no-page 2> e.txt && fail "--budget with --max-labels accepted"
grep -q -- "--max-labels belongs to the default budget" e.txt || fail "mixed budgets: $(cat e.txt)"

# run: the rounds end where select-3 stops (max-labels 28 = 20 + 8)
printf '[synth]\ntraces = 500\nseed = 2\n[info]\nskip = true\n[select]\nfirst-round = 20\nround-picks = 8\nmax-labels = 28\n[label]\nmode = oracle\n' > r.ini
run_le 2 run r.ini --out o > o.out 2> o.err || { cat o.err >&2; fail "run failed"; }
grep -qE '^  select-3 +ran' o.out || fail "select-3 did not run: $(cat o.out)"
grep -q 'select-3: the labeling stops here: the labels so far reach --max-labels 28' o.out || fail "no stop line: $(cat o.out)"
grep -qE '^  (label-3|select-4) ' o.out && fail "a round ran past the stop: $(cat o.out)"
grep -q 'propagate o/corpus.h5 o/labels-2.csv' o.err || fail "propagate does not read round 2's labels: $(grep propagate o.err)"
expect labeled 28 o/eval.txt
for st in eval export; do grep -q '^peak_rss_mib_max: ' o/$st.txt || fail "$st reports no peak RSS: $(cat o/$st.txt)"; done
# bench/run_sizes.py tables the run: every stage, the later rounds summed, the total without synth
python3 "$LE_SRC/bench/run_sizes.py" --csv rs.csv --png rs.png small=o > /dev/null || fail "run_sizes failed"
awk -F, '$5 == "select-R" && $8 == 28 && $6 > 0 { ok++ } $5 == "total" && $6 > 0 && $7 > 0 { ok++ } END { exit ok != 2 }' rs.csv \
    || fail "run_sizes rows: $(cat rs.csv)"
[ "$(grep -c '^small,500,2,2,' rs.csv)" = "$(( $(grep -c '"name"' o/manifest.json) + 2 ))" ] || fail "run_sizes: a stage missing: $(cat rs.csv)"
run_le 2 run r.ini --out o > o2.out 2> o2.err || fail "re-run failed"
[ "$(grep -cE '^  [a-z0-9-]+ +skipped' o2.out)" = 10 ] || fail "a re-run did not skip every stage: $(cat o2.out)"
grep -q 'select-3: the labeling stops here: the labels so far reach --max-labels 28' o2.out || fail "re-run: no stop line: $(cat o2.out)"
# --dry-run of the finished run ends its rounds where select-3 stopped them
run_le 2 run r.ini --out o --dry-run > dry.out 2> dry.err || fail "--dry-run failed: $(cat dry.err)"
grep -qE '^  (label-3|select-4) ' dry.out && fail "--dry-run lists rounds past the stop: $(cat dry.out)"
grep -q 'labelease propagate o/corpus.h5 o/labels-2.csv' dry.out || fail "--dry-run: propagate not on round 2's labels: $(cat dry.out)"
grep -q '(select-3: the labeling stops here: ' dry.out || fail "--dry-run: no stop line: $(cat dry.out)"
grep -qE '^  [a-z0-9-]+ +run ' dry.out && fail "--dry-run of a finished run would run a stage: $(cat dry.out)"
printf '[synth]\ntraces = 1000\n[select]\nbudget = 20\nmax-labels = 30\n[label]\nmode = oracle\n' > bad.ini
run_le 2 run bad.ini --out b 2> bad.err && fail "budget with max-labels accepted"
grep -q 'bad.ini:3: \[select\] max-labels belongs to the default budget' bad.err || fail "bad config: $(cat bad.err)"
echo "budget_rounds: default budget flat in N, stop by stability and by the cap with reasons, fixed budgets, run's rounds: ok"
