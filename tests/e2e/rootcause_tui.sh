#!/usr/bin/env bash
# labelease label-rootcause driven under tmux as a person over SSH would:
# confirm two periods (a chosen suspect with a fault type; "other" with free
# text and a note holding commas and quotes), lose the session (kill it:
# SIGHUP, as a dropped connection), start again: it resumes at the first
# unlabelled period with both labels read. Then confirm, undo, confirm, quit;
# the CSV holds exactly the labels given, in the page's layout, and
# `labelease export` takes them as confirmed root causes. A service name
# with escape sequences reaches the screen as '?'.
# LE_SHOTS=1 keeps a capture of the screen in docs/img/rootcause-tui.txt.
source "$(dirname "$0")/lib.bash"
command -v tmux >/dev/null || skip "tmux is absent"
PY=/usr/bin/python3
$PY -c 'import h5py' 2>/dev/null || fail "python3-h5py is needed to write labels.h5"

cd "$WORK"
run_le 1 synth -o c.h5 --traces 5000 --seed 3 >/dev/null
$PY "$LE_SRC/bench/rootcause_truth_labels.py" c.h5 labels.h5 >/dev/null
run_le 1 rootcause c.h5 labels.h5 -o rc.h5 --no-page > rc.txt
P=$(value periods rc.txt)
[ "$P" -ge 3 ] || fail "only $P periods: the test needs 3"
# name P R: the service ranked R (1 = first) in period P (0-based)
name() { $PY -c 'import h5py,sys; r=h5py.File("rc.h5"); print(r["services/name"][r["rank/order"][int(sys.argv[1])][int(sys.argv[2])-1]].decode())' "$1" "$2"; }
span() { $PY -c 'import h5py,sys; r=h5py.File("rc.h5"); p=int(sys.argv[1]); print("%d,%d" % (r["periods/start_us"][p], r["periods/end_us"][p]))' "$1"; }

T="tmux -L le-rct-$$"
trap '$T kill-server 2>/dev/null; rm -rf "$WORK"' EXIT
screen() { $T capture-pane -p -t rct; }
# wait_for TEXT: the screen shows TEXT within 10 s
wait_for() {
    for _ in $(seq 100); do screen | grep -qF -- "$1" && return 0; sleep 0.1; done
    screen >&2; fail "the screen never showed '$1'"
}
start() { # start FILE.h5 OUT.csv
    rm -f tui.rc
    $T new-session -d -s rct -x 160 -y 45 "cd '$WORK' && '$LABELEASE' label-rootcause $1 -o $2 > tui.out 2> tui.err; echo \$? > tui.rc; sleep 60"
    wait_for "periods labelled"
}
rows() { [ -f rcl.csv ] && echo $(( $(wc -l < rcl.csv) - 1 )) || echo 0; }
# key ROWS KEYS...: send the keys, then wait until rcl.csv has ROWS rows
key() {
    local want=$1; shift
    $T send-keys -t rct "$@"
    for _ in $(seq 100); do [ "$(rows)" -eq "$want" ] && return 0; sleep 0.1; done
    screen >&2; fail "after keys $* rcl.csv has $(rows) rows, not $want"
}
type_text() { $T send-keys -t rct -l "$1"; }

start rc.h5 rcl.csv
wait_for "0 / $P periods labelled"
screen | grep -E '^>' | grep -qF "#1 " || fail "does not start at period 1"
wait_for "-- invocation edges:"
screen | grep -qE '^  .+ \([0-9.]+\) -> .+ \([0-9.]+\)  [0-9]+ calls' || fail "no caller -> callee line on screen"
# period 1: the 2nd suspect, cpu. Choosing is a draft: nothing saved yet.
$T send-keys -t rct 2 c
wait_for "[c cpu]"
[ "$(rows)" -eq 0 ] || fail "choosing a service and a type wrote a label"
key 1 Enter
wait_for "saved: period 1 $(name 0 2) (cpu)"
screen | grep -E '^>' | grep -qF "#2 " || fail "confirm did not move to period 2"
# period 2: the top suspect, other with free text and a note
$T send-keys -t rct o; wait_for "other fault type:"
type_text 'disk, "full"'; $T send-keys -t rct Enter
$T send-keys -t rct n; wait_for "note:"
type_text 'seen at 02:00, "twice"'; $T send-keys -t rct Enter
wait_for 'note: seen at 02:00, "twice"'
key 2 Enter
$T kill-session -t rct            # the connection drops
[ "$(rows)" -eq 2 ] || fail "rcl.csv lost rows when the session died"
ls rcl.csv.tmp* 2>/dev/null && fail "a temporary file was left behind"

start rc.h5 rcl.csv                # resume
wait_for "2 / $P periods labelled"
wait_for "2 labels read"
screen | grep -E '^>' | grep -qF "#3 " || { screen >&2; fail "did not resume at the first unlabelled period (3)"; }
screen | grep -qF "ROOT CAUSE $(name 0 2) (cpu)" || fail "period 1's label is not shown after the restart"
[ "${LE_SHOTS:-0}" = 1 ] && mkdir -p "$LE_SRC/docs/img" && screen > "$LE_SRC/docs/img/rootcause-tui.txt"
$T send-keys -t rct Enter
wait_for "choose a fault type first"
[ "$(rows)" -eq 2 ] || fail "Enter without a fault type saved a label"
key 3 d Enter                      # period 3: top suspect, delay
key 2 u                            # undo it
wait_for "undone: period 3"
key 3 Down p Enter                 # period 3: the 2nd suspect, pod failure
$T send-keys -t rct q
for _ in $(seq 100); do [ -s tui.rc ] && break; sleep 0.1; done
[ "$(cat tui.rc 2>/dev/null)" = 0 ] || fail "label-rootcause did not exit 0 on q: $(cat tui.rc tui.err 2>/dev/null)"
expect labelled 3 tui.out
expect periods "$P" tui.out

cat > want.csv <<CSV
period,start_us,end_us,service,fault_type,note
0,$(span 0),$(name 0 2),cpu,
1,$(span 1),$(name 1 1),"other:disk, ""full""","seen at 02:00, ""twice"""
2,$(span 2),$(name 2 2),pod_failure,
CSV
diff want.csv rcl.csv || fail "rcl.csv differs from the labels given"

# The CSV is what export reads: three confirmed periods, the rest suggested.
run_le 2 export c.h5 labels.h5 rc.h5 rcl.csv -o ds > ex.txt
expect confirmed 3 ex.txt
expect periods "$P" ex.txt
$PY - "$(name 0 2)" "$(name 1 1)" "$(name 2 2)" <<'PY'
import csv, sys
rows = list(csv.DictReader(open("ds/periods.csv")))
want = {0: (sys.argv[1], "cpu", ""), 1: (sys.argv[2], 'other:disk, "full"', 'seen at 02:00, "twice"'), 2: (sys.argv[3], "pod_failure", "")}
for i, r in enumerate(rows):
    if i in want:
        got = (r["service"], r["fault_type"], r["note"])
        assert r["source"] == "confirmed" and got == want[i], (i, r)
    else:
        assert r["source"] == "suggested", (i, r)
PY

# A labels file of another run is refused before the screen opens.
printf 'period,start_us,end_us,service,fault_type,note\n0,1,2,x,cpu,\n' > other.csv
run_le 1 label-rootcause rc.h5 -o other.csv < /dev/null > /dev/null 2> err.txt && fail "a labels file of another run was accepted"
grep -q "is not a period" err.txt || fail "another run's file: unexpected message $(cat err.txt)"
# Without a terminal it refuses instead of drawing into a pipe.
run_le 1 label-rootcause rc.h5 -o x.csv < /dev/null > /dev/null 2> err.txt && fail "label-rootcause ran without a terminal"
grep -q "needs a terminal" err.txt || fail "no terminal: unexpected message $(cat err.txt)"

# Untrusted names: escape sequences in a service name become '?'.
$PY - <<'PY'
import h5py, shutil, numpy as np
shutil.copy("rc.h5", "evil.h5")
r = h5py.File("evil.h5", "r+")
names = list(r["services/name"][:])
names[r["rank/order"][0][0]] = b"evil\x1b[2J\x1b]0;pwn\x07<b>"
del r["services/name"]
r["services/name"] = np.array(names, dtype="S%d" % (max(map(len, names)) + 1))  # NUL-terminated, as the C writers make them
PY
$T kill-session -t rct 2>/dev/null || true  # may be gone already: its "sleep 60" ends first on a slow (e.g. sanitized) run
start evil.h5 evil.csv
wait_for 'evil?[2J?]0;pwn?<b>'
$T send-keys -t rct q
for _ in $(seq 100); do [ -s tui.rc ] && break; sleep 0.1; done
[ "$(cat tui.rc 2>/dev/null)" = 0 ] || fail "label-rootcause on evil.h5 did not exit 0"
echo "label-rootcause: all checks passed"
