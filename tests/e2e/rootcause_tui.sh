#!/usr/bin/env bash
# labelease label-rootcause driven under tmux as a person over SSH would:
# confirm two periods (a chosen suspect with a fault type; "other" with free
# text and a note holding commas and quotes), lose the session (kill it:
# SIGHUP, as a dropped connection), start again: it resumes at the first
# unlabelled period with both labels read. Then confirm, undo, confirm, a
# draft kept across periods, skip (unsure: no row), Enter, the filter, the
# help, quit; the CSV holds exactly the labels given, in the page's layout
# (docs/rootcause.md's header; "period N" on screen is the N of the file's
# period column), and `labelease export` takes them as confirmed root
# causes. The screen at 80x24 and 200x50: every service of an 11-service
# period reachable (#10, #11), the top suspect, the latency columns with
# the distance as σ (or "sd"), the key help. A service name with escape
# sequences reaches the screen as '?'.
# LE_SHOTS=1 keeps captures of the screen in docs/img/rootcause-tui*.txt.
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
trap '$T kill-server 2>/dev/null || true; rm -rf "$WORK"' EXIT
screen() { $T capture-pane -p -t rct; }
# wait_for TEXT: the screen shows TEXT within 10 s
wait_for() {
    for _ in $(seq 100); do screen | grep -qF -- "$1" && return 0; sleep 0.1; done
    screen >&2; fail "the screen never showed '$1'"
}
start() { # start FILE.h5 OUT.csv [COLS ROWS LANG]
    rm -f tui.rc
    $T new-session -d -s rct -x "${3:-160}" -y "${4:-45}" "cd '$WORK' && env LANG=${5:-C.UTF-8} LC_ALL= LC_CTYPE= '$LABELEASE' label-rootcause $1 -o $2 > tui.out 2> tui.err; echo \$? > tui.rc; sleep 60"
    wait_for "periods labelled"
}
quit() {
    $T send-keys -t rct q
    for _ in $(seq 100); do [ -s tui.rc ] && break; sleep 0.1; done
    [ "$(cat tui.rc 2>/dev/null)" = 0 ] || fail "label-rootcause did not exit 0 on q: $(cat tui.rc tui.err 2>/dev/null)"
    $T kill-session -t rct 2>/dev/null || true
}
current() { screen | grep -E '^>period' || true; }
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
current | grep -qF "period 0 " || fail "does not start at period 0"
wait_for "-- invocation edges:"
screen | grep -qE '^  .+ \([0-9.]+\) -> .+ \([0-9.]+\)  [0-9]+ calls' || fail "no caller -> callee line on screen"
# period 1: the 2nd suspect, cpu. Choosing is a draft: nothing saved yet.
$T send-keys -t rct 2 t t t
wait_for "[cpu]"
[ "$(rows)" -eq 0 ] || fail "choosing a service and a type wrote a label"
key 1 c
wait_for "saved: period 0 $(name 0 2) (cpu)"
current | grep -qF "period 1 " || fail "confirm did not move to period 1"
# period 2: the top suspect, other with free text and a note
$T send-keys -t rct o; wait_for "other fault type:"
type_text ' disk, "full"  '; $T send-keys -t rct Enter   # blanks at the ends go, as on the page
$T send-keys -t rct n; wait_for "note:"
type_text 'seen at 02:00, "twice"'; $T send-keys -t rct Enter
wait_for 'note: seen at 02:00, "twice"'
key 2 c
$T kill-session -t rct            # the connection drops
[ "$(rows)" -eq 2 ] || fail "rcl.csv lost rows when the session died"
ls rcl.csv.tmp* 2>/dev/null && fail "a temporary file was left behind"

start rc.h5 rcl.csv                # resume
wait_for "2 / $P periods labelled"
wait_for "2 labels read"
current | grep -qF "period 2 " || { screen >&2; fail "did not resume at the first unlabelled period (2)"; }
screen | grep -qF "ROOT CAUSE $(name 0 2) (cpu)" || fail "period 1's label is not shown after the restart"
$T send-keys -t rct c
wait_for "choose a fault type first"
[ "$(rows)" -eq 2 ] || fail "c without a fault type saved a label"
key 3 t t t t c                    # period 2: top suspect, delay
current | grep -qF "period 3 " || fail "confirm did not move to period 3"
key 2 u                            # undo it: back on period 2
wait_for "undone: period 2"
current | grep -qF "period 2 " || fail "undo did not go back to period 2"
key 3 l t c                        # period 2: the 2nd suspect, pod failure
# A pick left unconfirmed stays as a draft: period 3, #3 and memory, away and back
$T send-keys -t rct 3 t t
wait_for "pick (c confirms): #3 $(name 3 3)"
$T send-keys -t rct j k
wait_for "draft $(name 3 3) (memory)"
current | grep -qF "period 3 " || fail "j k did not come back to period 3"
wait_for "pick (c confirms): #3 $(name 3 3)  type: pod_failure [memory]"
[ "$(rows)" -eq 3 ] || fail "a draft wrote a label"
# s: unsure, no row, then the next unconfirmed; Enter moves on; f filters
$T send-keys -t rct s
wait_for "skipped: period 3 unsure"
current | grep -qF "period 4 " || fail "s did not move to the next unconfirmed period (4)"
$T send-keys -t rct Enter
current | grep -qF "period 5 " || { sleep 0.3; current | grep -qF "period 5 "; } || fail "Enter did not move to period 5"
[ "$(rows)" -eq 3 ] || fail "s or Enter wrote a label"
$T send-keys -t rct f; wait_for "filter: unconfirmed"
screen | grep -qF "ROOT CAUSE" && fail "the unconfirmed filter lists confirmed periods"
$T send-keys -t rct f; wait_for "filter: all"
$T send-keys -t rct '?'; wait_for "keys (the root-cause page's too)"
$T send-keys -t rct '?'; wait_for "c confirm"
quit
expect labelled 3 tui.out
expect periods "$P" tui.out

# The page's file: the header docs/rootcause.md documents, 0-based periods.
doc_header=$(grep -m1 '^period,start_us,end_us' "$LE_SRC/docs/rootcause.md")
[ "$(head -n1 rcl.csv)" = "$doc_header" ] || fail "rcl.csv header '$(head -n1 rcl.csv)' is not the documented '$doc_header'"
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

# The screen at 80x24 and 200x50 on a period with 11 services.
big=$($PY -c 'import h5py; r=h5py.File("rc.h5"); n=((r["rank/ef"][:]+r["rank/ep"][:])>0).sum(1); print([p for p in range(len(n)) if n[p]>=11][0])')
check_screen() { # check_screen COLS ROWS LANG SIGMA
    rm -f big.csv
    start rc.h5 big.csv "$1" "$2" "$3"
    for _ in $(seq "$big"); do $T send-keys -t rct j; done
    wait_for ">period $big "
    local s; s=$(screen)
    grep -qF -- "-- period $big (of 0-$((P - 1))): top suspect $(name "$big" 1) " <<<"$s" || { echo "$s" >&2; fail "$1x$2: no top suspect"; }
    local ms='[0-9.]+ (us|ms|s)( +(±|\+-) +[0-9.]+ (us|ms|s))?' # a mean, its std where there is room
    grep -qE "^[> ] +1 .*$ms +$ms +[-+][0-9.]+$4( |\$)" <<<"$s" || { echo "$s" >&2; fail "$1x$2: no period and corpus latency with the distance in $4"; }
    grep -qF "? help" <<<"$s" && grep -qF "q quit" <<<"$s" || { echo "$s" >&2; fail "$1x$2: the key help is not all on screen"; }
    [ "$(LC_ALL=C.UTF-8 wc -L <<<"$s")" -le "$1" ] || fail "$1x$2: a line is wider than the terminal"
    $T send-keys -t rct 9 l
    wait_for "pick (c confirms): #10 $(name "$big" 10)"
    screen | grep -qE "^> +10 " || { screen >&2; fail "$1x$2: #10 is not on screen"; }
    $T send-keys -t rct l
    wait_for "pick (c confirms): #11 $(name "$big" 11)"
    screen | grep -qE "^> +11 " || { screen >&2; fail "$1x$2: #11 is not on screen"; }
    $T send-keys -t rct Right
    sleep 0.2
    screen | grep -qE "^> +11 " || fail "$1x$2: the pick moved past the last service"
    $T send-keys -t rct h h h h h h h h h h
    wait_for "pick (c confirms): #1 $(name "$big" 1)"
    screen | grep -qE "^> +1 " || { screen >&2; fail "$1x$2: #1 is not on screen after moving back"; }
    $T send-keys -t rct l l l l l l l l l l
    wait_for "pick (c confirms): #11 "
    screen
}
s80=$(check_screen 80 24 C.UTF-8 σ)
[ "${LE_SHOTS:-0}" = 1 ] && mkdir -p "$LE_SRC/docs/img" && echo "$s80" > "$LE_SRC/docs/img/rootcause-tui-80x24.txt"
quit
check_screen 80 24 C sd > /dev/null
quit
s200=$(check_screen 200 50 C.UTF-8 σ)
grep -qE 'period mean +corpus mean +distance evidence' <<<"$s200" || { echo "$s200" >&2; fail "200x50: the std and evidence columns are missing"; }
[ "${LE_SHOTS:-0}" = 1 ] && echo "$s200" > "$LE_SRC/docs/img/rootcause-tui.txt"
quit
# Shorter than the ranking: it scrolls to the pick and says which it shows.
s18=$(check_screen 80 18 C.UTF-8 σ)
grep -qE '^ +# service #[0-9]+-11 of 11 ' <<<"$s18" || { echo "$s18" >&2; fail "80x18: the ranking does not say which services it shows"; }
grep -qE '^ +1 ' <<<"$s18" && { echo "$s18" >&2; fail "80x18: the ranking did not scroll"; }
quit

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
quit
echo "label-rootcause: all checks passed"
