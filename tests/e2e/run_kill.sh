#!/usr/bin/env bash
# labelease run, restartable (docs/run.md), at 2 ranks on 4000 traces:
#  (a) an uninterrupted run gives the reference labels.h5;
#  (b) a re-run skips every stage; a changed [select] value redoes select and
#      the stages after it only; a half-written manifest.json.tmp is ignored;
#  (c) kill -9 of ONE rank at several moments (a stage has started, plus a
#      delay), mpirun aborts, a re-run completes: labels.h5 equals the
#      reference, no .partial file is left, and the stages finished before
#      the kill are skipped.
# Also: the config's key table matches each stage's --help, and config errors
# name CONFIG:LINE. Prints the kill points tried and where each landed.
source "$(dirname "$0")/lib.bash"
command -v h5diff >/dev/null || skip "h5diff (hdf5-tools) is needed"
cd "$WORK"
CFG=$LE_SRC/tests/fixtures/run/kill.ini
export OPENBLAS_NUM_THREADS=1
STAGES="synth info train embed select label propagate rootcause eval export"

# same_labels DIR: DIR/labels.h5 has the reference datasets (attributes hold paths)
same_labels() {
    local d
    for d in label confidence given; do
        h5diff -q ref.h5 "$1/labels.h5" /labels/$d /labels/$d >/dev/null 2>&1 || return 1
    done
}
count() { grep -cE "^  [a-z]+ +$1 " "$2" || true; }
no_partial() { ! find "$1" -name '*.partial' -o -name '*.tmp' -o -name '*.tmp[0-9]*' | grep -q .; }
# The moments a signal or a kill must land at exactly come from an LD_PRELOAD
# shim, tests/shim/run_hooks.c ($LE_RUN_HOOKS), given to the ranks only
# (mpiexec -x) with one of its variables: LE_HOOK_SIGNAL_AT=STAGE raises a
# real SIGUSR1 in rank 0 as STAGE starts; LE_HOOK_HOLD_MANIFEST=STAGE holds
# the manifest write that records STAGE completed for 60 s before its rename.
# An ASan build wants its runtime first in the preload list.
hooks_preload() {
    local asan; asan=$(ldd "$LABELEASE" | awk '/libasan/ { print $3; exit }')
    echo "${asan:+$asan:}$LE_RUN_HOOKS"
}
[ -f "$LE_RUN_HOOKS" ] || fail "no run_hooks shim at '$LE_RUN_HOOKS' (tests/CMakeLists.txt builds it)"

# ---- config checks ------------------------------------------------------
# (one process, no mpirun: quicker, and the errors are the same)
printf '[synth]\ntraces = 10\n\n[selct]\n' > bad1.ini
"$LABELEASE" run bad1.ini --out x >/dev/null 2>err.txt && fail "an unknown section was accepted"
grep -q 'bad1.ini:4: unknown section \[selct\]' err.txt || fail "unknown section: $(cat err.txt)"
for sec in synth ingest info train embed select propagate rootcause eval; do
    case $sec in
        synth) printf '[synth]\nno-such-key = 1\n' ;;
        ingest) printf '[ingest]\ninputs = x\nno-such-key = 1\n' ;;
        *) printf '[synth]\n[%s]\nno-such-key = 1\n' $sec ;;
    esac > bad2.ini
    "$LABELEASE" run bad2.ini --out x >/dev/null 2>err.txt && fail "[$sec] took an unknown key"
    grep -q "bad2.ini:[23]: unknown key 'no-such-key' in \[$sec\]" err.txt || fail "unknown key: $(cat err.txt)"
    # every key run passes on must be an option of the stage (the table in cmd/run_config.c)
    "$LABELEASE" "$sec" --help > help.txt
    for k in $(sed -n 's/.*(known: \([^;]*\);.*/\1/p' err.txt); do
        case "$k" in inputs|skip) continue ;; esac
        grep -qE -- "--$k( |,|$)" help.txt || fail "run passes --$k to $sec, which has no such option"
    done
done
[ -e x ] && fail "a config error created the --out directory"
for c in demo.ini example-ingest.ini; do
    "$LABELEASE" run "$LE_SRC/configs/$c" --out x --dry-run > dry.txt 2>err.txt || fail "configs/$c: $(cat err.txt)"
    grep -qE '^  export +run ' dry.txt || grep -q 'stops for labeling' dry.txt || fail "configs/$c dry run: $(cat dry.txt)"
done
[ -e x ] && fail "--dry-run created the --out directory"
"$LABELEASE" run --help > help.txt
grep -q 'example:' help.txt || fail "run --help has no example"

# ---- (a) reference -------------------------------------------------------
t0=$(date +%s)
run_le 2 run "$CFG" --out ref > a.out 2> a.err || { cat a.err >&2; fail "run failed"; }
[ "$(count ran a.out)" = 10 ] || fail "(a) not every stage ran: $(cat a.out)"
cp ref/labels.h5 ref.h5
for f in corpus.h5 model.h5 embeddings.h5 reps.h5 labels.csv labels.h5 rootcause.h5 dataset/dataset.h5 manifest.json; do
    [ -s ref/$f ] || fail "ref/$f missing"
done
for s in $STAGES; do [ -f ref/$s.txt ] || fail "no report ref/$s.txt"; done
grep -q '^  f1: ' a.out || fail "no eval figures at the end: $(cat a.out)"
no_partial ref || fail "partial files left: $(ls ref)"
echo "(a) reference run: $(($(date +%s) - t0)) s"

# ---- (b) re-run, changed config -------------------------------------------
run_le 2 run "$CFG" --out ref > b1.out 2> b1.err || fail "re-run failed"
[ "$(count skipped b1.out)" = 10 ] || fail "(b) re-run did not skip every stage: $(cat b1.out)"
sed 's/^\[select\]$/[select]\nbudget = 12/' "$CFG" > changed.ini
run_le 2 run changed.ini --out ref > b2.out 2> b2.err || fail "changed run failed"
for s in synth info train embed; do grep -qE "^  $s +skipped" b2.out || fail "(b) $s not skipped: $(cat b2.out)"; done
for s in select label propagate rootcause eval export; do grep -qE "^  $s +ran" b2.out || fail "(b) $s not redone: $(cat b2.out)"; done
grep -q 'run: select will run: config section \[select\] changed' b2.err || fail "(b) no reason logged: $(cat b2.err)"
# back to the original: select again, and the same labels as the reference
head -c 300 ref/manifest.json > ref/manifest.json.tmp   # what a kill during a manifest write leaves
run_le 2 run "$CFG" --out ref > b3.out 2> b3.err || fail "run back failed"
[ "$(count ran b3.out)" = 6 ] || fail "(b) going back redid $(count ran b3.out) stages"
same_labels ref || fail "(b) labels differ from the first run after going back"
echo stale > ref/train.ckpt.h5   # a checkpoint of another training must not be resumed
run_le 2 run "$CFG" --out ref --force > b4.out 2>b4.err || fail "--force failed"
[ -e ref/train.ckpt.h5 ] && fail "a stale train checkpoint was kept"
grep -q 'removed ref/train.ckpt.h5' b4.err || fail "no log line for the removed checkpoint"
[ "$(count ran b4.out)" = 10 ] || fail "(b) --force did not redo everything"
same_labels ref || fail "(b) --force gave other labels"
touch ref/embeddings.h5
run_le 2 run "$CFG" --out ref > b5.out 2> b5.err || fail "run after touch failed"
grep -qE '^  embed +ran' b5.out && grep -qE '^  train +skipped' b5.out || fail "(b) touching embeddings.h5 did not redo embed only onwards: $(cat b5.out)"
# the human-labeling stop: [label] without mode or labels stops after select
sed '/^mode = oracle$/d' "$CFG" > nolabel.ini
run_le 2 run nolabel.ini --out ref > b6.out 2> b6.err || fail "the labeling stop is not exit 0"
grep -q 'stopped for labeling' b6.out && grep -q 'labelease label ref/reps.h5 --tui -o LABELS.csv' b6.out \
    || fail "no labeling message: $(cat b6.out)"
grep -qE '^  (label|propagate) ' b6.out && fail "ran past select: $(cat b6.out)"
cp ref/labels.csv person.csv    # as if a person had given the oracle's labels
sed 's|^mode = oracle$|labels = person.csv|' "$CFG" > person.ini
run_le 2 run person.ini --out ref > b7.out 2> b7.err || fail "run with labels = FILE failed: $(cat b7.err)"
grep -qE '^  select +skipped' b7.out && grep -qE '^  label +ran' b7.out || fail "labels = FILE: $(cat b7.out)"
same_labels ref || fail "labels = FILE gave other labels than the oracle's run"
# SIGUSR1 (what Slurm's --signal sends before the time limit), raised for real
# in rank 0 as a stage starts (the shim's LE_HOOK_SIGNAL_AT): in train, training
# stops after its first step with a checkpoint and run stops with 75 (manifest:
# interrupted); the next run resumes train from the checkpoint.
touch ref/model.h5
rc=0; $LE_MPIEXEC -np 2 -x LD_PRELOAD="$(hooks_preload)" -x LE_HOOK_SIGNAL_AT=train "$LABELEASE" run "$CFG" --out ref \
    > b8.out 2> b8.err || rc=$?
grep -q 'run_hooks: SIGUSR1 as train starts' b8.err || fail "the shim sent no signal as train started: $(tail -n 5 b8.err)"
[ $rc = 75 ] || fail "SIGUSR1 in train gave exit $rc, not 75: $(tail -n 5 b8.err)"
grep -q '"name": "train", "status": "interrupted", "exit": 75' ref/manifest.json || fail "manifest: $(cat ref/manifest.json)"
[ -f ref/train.ckpt.h5 ] || fail "train stopped without ref/train.ckpt.h5"
grep -qE '^  embed ' b8.out && fail "ran on after the interrupted train: $(cat b8.out)"
run_le 2 run "$CFG" --out ref > b9.out 2> b9.err || fail "resume after 75 failed"
[ "$(count skipped b9.out)" = 2 ] || fail "resume after 75 did not start at train: $(cat b9.out)"
grep -q 'resuming from .*train.ckpt.h5 at step 2/' b9.err || fail "train did not resume from its checkpoint: $(grep -i checkpoint b9.err)"
same_labels ref || fail "labels after the resumed train differ"
# ... in a stage without checks (embed): it finishes, run stops after it with 75
touch ref/embeddings.h5
rc=0; $LE_MPIEXEC -np 2 -x LD_PRELOAD="$(hooks_preload)" -x LE_HOOK_SIGNAL_AT=embed "$LABELEASE" run "$CFG" --out ref \
    > b10.out 2> b10.err || rc=$?
grep -q 'run_hooks: SIGUSR1 as embed starts' b10.err || fail "the shim sent no signal as embed started: $(tail -n 5 b10.err)"
[ $rc = 75 ] || fail "SIGUSR1 in embed gave exit $rc, not 75"
grep -q '"name": "embed", "status": "completed"' ref/manifest.json || fail "embed not completed: $(cat ref/manifest.json)"
grep -qE '^  select ' b10.out && fail "ran on after the signal: $(cat b10.out)"
run_le 2 run "$CFG" --out ref > b11.out 2> b11.err || fail "continuing after 75 failed"
[ "$(count skipped b11.out)" = 4 ] || fail "continuing after 75 did not start at select: $(cat b11.out)"
same_labels ref || fail "labels after the 75 stop between stages differ"
echo "(b) re-run skips all 10; [select] budget change redoes select..export; going back, --force, touch, labeling stop, labels = FILE, SIGUSR1 in train (checkpoint, 75, resume) and in embed (stop after it, 75, continue): ok"

# ---- (c) kill -9 of one rank ------------------------------------------------
# kill_at NAME PATTERN DELAY FROM: start a run, wait for PATTERN in its
# stderr+stdout, sleep DELAY, kill -9 one rank, then re-run to completion and
# check. FROM "fresh" starts in an empty DIR; FROM FILE starts from a copy of
# the finished reference (cp -a keeps the mtimes) without FILE, so the run
# skips the stages before the one that writes FILE (quicker than from scratch).
# KILL_HOOK=VAR=STAGE runs the first run with the shim and that variable, and
# KILL_CHECK names a function that checks DIR after the kill, before the re-run.
RESULTS=()
kill_at() {
    local name=$1 pat=$2 delay=$3 from=$4 d=k_$1_$3 i rank_pids victim landed rc t1=$(date +%s)
    rm -rf "$d"
    if [ "$from" != fresh ]; then cp -a ref "$d" && rm -rf "${d:?}/$from"; fi
    local hook=()
    [ -n "${KILL_HOOK:-}" ] && hook=(-x LD_PRELOAD="$(hooks_preload)" -x "$KILL_HOOK")
    $LE_MPIEXEC -np 2 "${hook[@]}" "$LABELEASE" run "$CFG" --out "$d" > "$d.out" 2> "$d.err" &
    local mpid=$!
    for ((i = 0; i < 3000; i++)); do
        grep -qE -- "$pat" "$d.err" "$d.out" 2>/dev/null && break
        kill -0 $mpid 2>/dev/null || break
        sleep 0.01
    done
    sleep "$delay"
    rank_pids=$(pgrep -P $mpid -f "$LABELEASE" || true)
    victim=$(echo "$rank_pids" | tail -n 1)
    if [ -n "${KILL_RANK0:-}" ]; then   # the rank that writes the manifest
        for i in $rank_pids; do
            tr '\0' '\n' < /proc/$i/environ 2>/dev/null | grep -qx 'OMPI_COMM_WORLD_RANK=0' && victim=$i
        done
    fi
    # the rank may end between pgrep and kill (a short stage): then run ended by itself
    if [ -n "$victim" ] && ! kill -9 "$victim" 2> /dev/null; then victim=; fi
    rc=0; wait $mpid || rc=$?
    # where it landed: the stage the manifest says was running
    landed=$(grep -oE '"name": "[a-z]+", "status": "running"' "$d/manifest.json" 2>/dev/null | sed 's/"name": "\([a-z]*\)".*/\1/' || true)
    [ -n "$landed" ] || landed="between stages (no stage running in the manifest)"
    [ -z "$victim" ] && landed="too late: run had ended (exit $rc)"
    local partials; partials=$(cd "$d" 2>/dev/null && find . -name '*.partial' -o -name '*.tmp*' | tr '\n' ' ')
    local completed; completed=$(grep -c '"status": "completed"' "$d/manifest.json" 2>/dev/null || true)
    if [ -n "${KILL_CHECK:-}" ]; then "$KILL_CHECK" "$d"; fi
    # re-run to completion
    $LE_MPIEXEC -np 2 "$LABELEASE" run "$CFG" --out "$d" > "$d.re.out" 2> "$d.re.err" \
        || { cat "$d.re.err" >&2; fail "re-run after the kill at $name failed"; }
    same_labels "$d" || fail "labels.h5 after the kill at $name+$delay differ from the reference"
    no_partial "$d" || fail "partial files left after the kill at $name: $(ls "$d")"
    local skipped; skipped=$(count skipped "$d.re.out")
    [ "$skipped" = "${completed:-0}" ] || fail "kill at $name: ${completed:-0} stages were completed, the re-run skipped $skipped"
    RESULTS+=("$(printf '%-18s %-14s landed in: %-10s exit %-3s left: %-28s re-run skipped %s, labels.h5 identical (%s s)' \
        "$name +${delay}s" "(${from})" "$landed" "$rc" "${partials:-nothing partial}" "$skipped" $(($(date +%s) - t1)))")
    rm -rf "$d"
}
kill_at synth     'run: synth: starting'     0   fresh
kill_at train     'run: train: starting'     0.3 fresh
kill_at train     'run: train: starting'     0.8 model.h5
kill_at embed     'run: embed: starting'     0   embeddings.h5
kill_at select    'run: select: starting'    0   reps.h5
kill_at label     'run: label: starting'     0   labels.csv
kill_at propagate 'run: propagate: starting' 0   labels.h5
kill_at rootcause 'run: rootcause: starting' 0   rootcause.h5
kill_at export    'run: export: starting'    0   dataset
kill_at after-select '^  select +ran'        0   reps.h5   # the manifest writes after select
# inside the manifest write that records select completed: manifest.json.tmp is
# complete, the rename not done (held there by the shim's LE_HOOK_HOLD_MANIFEST),
# and rank 0, the writer, is killed: the old manifest stands, select runs again
held_before_rename() {
    grep -q 'run_hooks: holding .*manifest.json.tmp (select completed) before its rename' "$1.err" \
        || fail "the manifest write after select was not held before its rename: $(tail -n 3 "$1.err")"
    grep -q '"name": "select", "status": "completed"' "$1/manifest.json.tmp" \
        || fail "the kill did not land inside the write: manifest.json.tmp does not record select completed"
    grep -q '"name": "select", "status": "running"' "$1/manifest.json" \
        || fail "manifest.json is not the one from before the write: $(grep -o '"name": "select", "status": "[a-z ]*"' "$1/manifest.json")"
}
KILL_HOOK=LE_HOOK_HOLD_MANIFEST=select KILL_CHECK=held_before_rename KILL_RANK0=1 \
kill_at manifest-write 'run_hooks: holding .*manifest.json.tmp' 0 reps.h5
# a restart at another rank count: the skip decision ignores the ranks; the
# labels are the same, the confidences within float rounding
cp -a ref k_np1 && rm k_np1/labels.h5
run_le 1 run "$CFG" --out k_np1 > np1.out 2> np1.err || fail "re-run at 1 rank failed: $(cat np1.err)"
[ "$(count skipped np1.out)" = 6 ] || fail "re-run at 1 rank: $(cat np1.out)"
for d in label given; do h5diff -q ref.h5 k_np1/labels.h5 /labels/$d /labels/$d || fail "labels at 1 rank differ"; done
h5diff -q -d 1e-4 ref.h5 k_np1/labels.h5 /labels/confidence /labels/confidence || fail "confidence at 1 rank differs"
echo "(c) re-run at 1 rank after 2: propagate onwards redone, labels identical"
echo "(c) kill -9 of one rank, then a re-run:"
for r in "${RESULTS[@]}"; do echo "  $r"; done
echo "run_kill: ok in $(($(date +%s) - t0)) s"
