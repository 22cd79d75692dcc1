#!/usr/bin/env bash
# labelease label --tui driven under tmux as a person over SSH would: label a
# few, lose the session mid-way (kill it: SIGHUP, as a dropped connection),
# start again: it resumes at the first unlabeled trace and the CSV holds the
# label of every key pressed. Then undo, quit, and check the file again.
# LE_SHOTS=1 keeps a capture of the screen in docs/img/label-tui.txt.
source "$(dirname "$0")/lib.bash"
command -v tmux >/dev/null || skip "tmux is absent"
PY=/usr/bin/python3
$PY -c 'import h5py' 2>/dev/null || fail "python3-h5py is needed to write the representatives file"

cd "$WORK"
run_le 1 synth -o c.h5 --traces 3000 --seed 1 >/dev/null
$PY "$LE_SRC/tests/browser/make_reps.py" c.h5 reps.h5 --k 12
ids=$($PY -c 'import h5py; [print(x.decode()) for x in h5py.File("reps.h5")["reps/trace_id"][:]]')
id() { sed -n "$(( $1 + 1 ))p" <<<"$ids"; }

T="tmux -L le-tui-$$"
trap '$T kill-server 2>/dev/null; rm -rf "$WORK"' EXIT
screen() { $T capture-pane -p -t tui; }
# wait_for TEXT: the screen shows TEXT within 10 s
wait_for() {
    for _ in $(seq 100); do screen | grep -qF -- "$1" && return 0; sleep 0.1; done
    screen >&2; fail "the screen never showed '$1'"
}
start() {
    $T new-session -d -s tui -x 150 -y 40 "cd '$WORK' && '$LABELEASE' label reps.h5 --tui -o labels.csv > tui.out; echo \$? > tui.rc; sleep 60"
    wait_for "labelled"
}
# key K ROWS: press K, then wait until labels.csv has ROWS label rows
key() {
    $T send-keys -t tui "$1"
    for _ in $(seq 100); do
        [ -f labels.csv ] && [ $(( $(wc -l < labels.csv) - 1 )) -eq "$2" ] && return 0
        sleep 0.1
    done
    fail "after key $1 labels.csv does not have $2 rows"
}
row() { grep -F "$(id "$1")," labels.csv || true; }

start
wait_for "0 / 12 labelled"
key n 1      # 1st normal
key a 2      # 2nd abnormal
key j 2      # skip the 3rd
key n 3      # 4th normal
[ "$(row 0)" = "$(id 0),normal," ] || fail "row of the 1st: '$(row 0)'"
[ "$(row 1)" = "$(id 1),abnormal," ] || fail "row of the 2nd: '$(row 1)'"
[ "$(row 3)" = "$(id 3),normal," ] || fail "row of the 4th: '$(row 3)'"
[ -z "$(row 2)" ] || fail "the skipped 3rd has a label"
$T kill-session -t tui       # the connection drops
[ "$(wc -l < labels.csv)" -eq 4 ] || fail "labels.csv lost rows when the session died"
ls labels.csv.tmp* 2>/dev/null && fail "a temporary file was left behind"

start                          # resume
wait_for "3 / 12 labelled (1 abnormal)"
screen | grep -E '^>' | grep -qF "$(id 2)" || { screen >&2; fail "did not resume at the first unlabeled trace (the 3rd)"; }
[ "${LE_SHOTS:-0}" = 1 ] && mkdir -p "$LE_SRC/docs/img" && screen > "$LE_SRC/docs/img/label-tui.txt"
key a 4      # 3rd abnormal
key u 3      # undo it
key n 4      # 3rd normal
$T send-keys -t tui q
for _ in $(seq 100); do [ -s tui.rc ] && break; sleep 0.1; done
[ "$(cat tui.rc 2>/dev/null)" = 0 ] || fail "--tui did not exit 0 on q: $(cat tui.rc 2>/dev/null) $(cat tui.out)"
expect labeled 4 tui.out
expect abnormal 1 tui.out
[ "$(row 2)" = "$(id 2),normal," ] || fail "row of the 3rd after undo: '$(row 2)'"

# Without a terminal it refuses instead of drawing into a pipe.
run_le 1 label reps.h5 --tui -o x.csv < /dev/null > /dev/null 2> err.txt && fail "--tui ran without a terminal"
grep -q "needs a terminal" err.txt || fail "no terminal: unexpected message $(cat err.txt)"
echo "label --tui: all checks passed"
