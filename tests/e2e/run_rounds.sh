#!/usr/bin/env bash
# labelease run with the default labeling (docs/run.md "Rounds"): no model
# (train and embed left out), two rounds, at 2 ranks on 3000 traces:
#  - oracle labels: select, label, select-2, label-2, propagate ... in one
#    run; labels-2.csv holds both rounds, propagate reads it;
#  - a person's labels file: run stops after select; with round 1 labelled
#    it runs on to label-2 and stops there (WAITING, exit 0) naming reps-2;
#    with round 2 labelled too it ends with the oracle run's labels.h5;
#  - a person's file that is one of run's own outputs is refused.
source "$(dirname "$0")/lib.bash"
command -v h5diff >/dev/null || skip "h5diff (hdf5-tools) is needed"
cd "$WORK"
export OPENBLAS_NUM_THREADS=1
printf '[synth]\ntraces = 3000\nseed = 2\n[select]\nbudget = 20\n[label]\nmode = oracle\n' > oracle.ini
run_le 2 run oracle.ini --out o > o.out 2> o.err || { cat o.err >&2; fail "oracle run failed"; }
for s in synth info select label select-2 label-2 propagate rootcause eval export; do
    grep -qE "^  $s +ran" o.out || fail "stage $s did not run: $(cat o.out)"
done
grep -qE '^  (train|embed) ' o.out && fail "train/embed ran for a model-free representation: $(cat o.out)"
expect representatives 12 o/select.txt
expect representatives 8 o/select-2.txt
expect representation tail o/select.txt
[ "$(tail -n +2 o/labels-2.csv | wc -l)" = 20 ] || fail "labels-2.csv does not hold both rounds"
expect labeled 20 o/eval.txt
grep -q "labels-2.csv" o/manifest.json || fail "the manifest does not record round 2"
# the vector statistics are fitted once (round 1's select) and read by
# select-2 and propagate, with the labels a propagate that fits them gives,
# bit for bit; no file of vectors
expect save_vector_stats o/vector-stats.bin o/select.txt
expect vector_stats o/vector-stats.bin o/select-2.txt
expect vector_stats o/vector-stats.bin o/propagate.txt
[ ! -e o/vectors.h5 ] || fail "run wrote vectors.h5 for the default representation"
run_le 2 propagate o/corpus.h5 o/labels-2.csv -o built.h5 > built.txt
h5diff o/labels.h5 built.h5 /labels/label /labels/label || fail "propagate from vector-stats.bin labels otherwise than fitting"
h5diff o/labels.h5 built.h5 /labels/confidence /labels/confidence || fail "propagate from vector-stats.bin has other margins"
# an ablation representation still writes its vectors once
printf '[synth]\ntraces = 3000\nseed = 2\n[select]\nbudget = 20\nrepresentation = dev\n[label]\nmode = oracle\n' > dev.ini
run_le 2 run dev.ini --out d > d.out 2> d.err || { cat d.err >&2; fail "dev run failed"; }
expect dump_vectors d/vectors.h5 d/select.txt
expect vectors d/vectors.h5 d/propagate.txt
run_le 2 run oracle.ini --out o > o2.out 2> o2.err || fail "re-run failed"
[ "$(grep -cE '^  [a-z0-9-]+ +skipped' o2.out)" = 10 ] || fail "a re-run did not skip every stage: $(cat o2.out)"

# a person: no labels yet -> stop after select
sed 's/^mode = oracle$//' oracle.ini > person.ini
run_le 2 run person.ini --out p > p1.out 2> p1.err || fail "the labeling stop is not exit 0"
grep -q 'stopped for labeling' p1.out || fail "no labeling stop: $(cat p1.out)"
# round 1 labelled (as the oracle would): runs to label-2 and waits there
run_le 1 label p/reps.h5 --oracle p/corpus.h5 -o mine.csv > /dev/null
printf '[synth]\ntraces = 3000\nseed = 2\n[select]\nbudget = 20\n[label]\nlabels = mine.csv\n' > person.ini
run_le 2 run person.ini --out p > p2.out 2> p2.err || fail "run waiting for round 2 is not exit 0: $(cat p2.err)"
grep -qE '^  label-2 +WAITING' p2.out || fail "label-2 does not wait: $(cat p2.out)"
grep -q 'labels none of the representatives in p/reps-2.h5' p2.out || fail "no round-2 instructions: $(cat p2.out)"
grep -q 'labelease label p/reps-2.h5 --tui -o mine.csv' p2.out || fail "no terminal command for round 2: $(cat p2.out)"
grep -qE '^  propagate ' p2.out && fail "ran past the waiting round: $(cat p2.out)"
grep -q '"name": "label-2", "status": "waiting for labels"' p/manifest.json || fail "manifest: $(cat p/manifest.json)"
# round 2 labelled into the same file (the terminal keeps its rows): completes
run_le 1 label p/reps-2.h5 --oracle p/corpus.h5 --keep mine.csv -o mine.csv > /dev/null
run_le 2 run person.ini --out p > p3.out 2> p3.err || fail "run with both rounds labelled failed: $(cat p3.err)"
grep -qE '^  select +skipped' p3.out || fail "select was redone: $(cat p3.out)"
for d in label given; do
    h5diff -q o/labels.h5 p/labels.h5 /labels/$d /labels/$d || fail "a person's two rounds give other labels than the oracle's"
done
# the person's file may not be one run writes
printf '[synth]\ntraces = 3000\nseed = 2\n[select]\nbudget = 20\n[label]\nlabels = p/labels.csv\n' > bad.ini
run_le 2 run bad.ini --out p > bad.out 2> bad.err && fail "labels = DIR/labels.csv accepted with two rounds"
grep -q "is what run writes for stage label" bad.err || fail "own output: $(cat bad.err)"
echo "run_rounds: oracle and person flows of two rounds agree: ok"
