#!/usr/bin/env bash
# labelease label --tui driven under tmux as a person over SSH would: label a
# few, lose the session mid-way (kill it: SIGHUP, as a dropped connection),
# start again: it resumes at the first unlabeled trace and the CSV holds the
# label of every key pressed. Then undo, skip (unsure: no row), Enter, the
# filters, the help, quit, and check the file again: the rows are the ones
# the page exports (docs/labeling-ui.md's header and rows). Then the screen
# at 80x24 and 200x50, UTF-8 and not: operation names, durations with
# units, the distance as σ (or "sd", never a bare "s"), the key help; and a
# timeline bar, not blank columns, at 200x50.
# LE_SHOTS=1 keeps captures of the screen in docs/img/label-tui*.txt.
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
trap '$T kill-server 2>/dev/null || true; rm -rf "$WORK"' EXIT
screen() { $T capture-pane -p -t tui; }
# wait_for TEXT: the screen shows TEXT within 10 s
wait_for() {
    for _ in $(seq 100); do screen | grep -qF -- "$1" && return 0; sleep 0.1; done
    screen >&2; fail "the screen never showed '$1'"
}
start() { # start [COLS ROWS LANG]
    rm -f tui.rc
    $T new-session -d -s tui -x "${1:-150}" -y "${2:-40}" "cd '$WORK' && env LANG=${3:-C.UTF-8} LC_ALL= LC_CTYPE= '$LABELEASE' label ${REPS:-reps.h5} --tui -o ${OUT:-labels.csv} > tui.out; echo \$? > tui.rc; sleep 60"
    wait_for "labelled"
}
quit() {
    $T send-keys -t tui q
    for _ in $(seq 100); do [ -s tui.rc ] && break; sleep 0.1; done
    [ "$(cat tui.rc 2>/dev/null)" = 0 ] || fail "--tui did not exit 0 on q: $(cat tui.rc 2>/dev/null) $(cat tui.out)"
    $T kill-session -t tui 2>/dev/null || true
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
wait_for "3 / 12 labelled (1 abnormal"
screen | grep -E '^>' | grep -qF "$(id 2)" || { screen >&2; fail "did not resume at the first unlabeled trace (the 3rd)"; }
key a 4      # 3rd abnormal: then the next unlabeled, the 5th (the 4th has a label)
screen | grep -E '^>' | grep -qF "$(id 4)" || { screen >&2; fail "a label did not move to the next unlabeled trace (the 5th)"; }
key u 3      # undo it: back on the 3rd
screen | grep -E '^>' | grep -qF "$(id 2)" || { screen >&2; fail "undo did not go back to the 3rd"; }
key n 4      # 3rd normal
# s: unsure, no row, then the next unlabeled; Enter moves on without labeling
$T send-keys -t tui s
wait_for "skipped: #5 unsure"
wait_for "(1 abnormal, 1 unsure)"
[ -z "$(row 4)" ] || fail "the unsure 5th has a row: $(row 4)"
screen | grep -E '^>' | grep -qF "$(id 5)" || { screen >&2; fail "s did not move to the next unlabeled (the 6th)"; }
$T send-keys -t tui Enter
wait_for ">   7 "
[ "$(wc -l < labels.csv)" -eq 5 ] || fail "Enter wrote a label"
# f: all -> unlabeled -> errors -> slow -> all; each list holds only its traces
$T send-keys -t tui f; wait_for "filter: unlabeled"
screen | grep -E '^[ >] +[0-9]+  (normal|ABNORMAL|unsure) ' && fail "the unlabeled filter lists labelled traces"
$T send-keys -t tui f; wait_for "filter: errors"
screen | sed -n '2,4p' | grep -qE ' err ' || { screen >&2; fail "the errors filter shows no erroneous trace"; }
$T send-keys -t tui f; wait_for "filter: slow"
$T send-keys -t tui f; wait_for "filter: all"
$T send-keys -t tui '?'; wait_for "keys (the labeling page's too)"
$T send-keys -t tui '?'; wait_for "Enter next unlabeled"
quit
expect labeled 4 tui.out
expect abnormal 1 tui.out
[ "$(row 2)" = "$(id 2),normal," ] || fail "row of the 3rd after undo: '$(row 2)'"
# The file is the page's: the header docs/labeling-ui.md shows, one row per
# label in the order of the representatives.
doc_header=$(grep -m1 -A1 '^```$' <(sed -n '/Every front end writes the same labels file/,$p' "$LE_SRC/docs/labeling-ui.md") | tail -n1)
[ "$(head -n1 labels.csv)" = "$doc_header" ] || fail "labels.csv header '$(head -n1 labels.csv)' is not the documented '$doc_header'"
printf '%s\n' "trace_id,label,note" "$(id 0),normal," "$(id 1),abnormal," "$(id 2),normal," "$(id 3),normal," > want.csv
diff want.csv labels.csv || fail "labels.csv differs from the labels given"

# The screen at 80x24 and 200x50: span rows keep the operation, the duration
# with its unit and the distance; the key help is on screen.
check_screen() { # check_screen COLS ROWS LANG SIGMA
    start "$1" "$2" "$3"
    $T send-keys -t tui Enter   # the 7th: 24 spans, more than 80x24 shows
    sleep 0.3
    local s; s=$(screen)
    grep -qF "? help" <<<"$s" || { echo "$s" >&2; fail "$1x$2: no key help"; }
    grep -qF "q quit" <<<"$s" || { echo "$s" >&2; fail "$1x$2: the key help is cut"; }
    grep -qE 'GetCart +[0-9.]+ (us|ms|s) ' <<<"$s" || { echo "$s" >&2; fail "$1x$2: no operation name with its duration"; }
    grep -qE ' [-+][0-9]+\.[0-9]'"$4"' ' <<<"$s" || { echo "$s" >&2; fail "$1x$2: no distance written as $4"; }
    [ "$4" = sd ] && grep -qE '[0-9]s( |$)' <<<"$s" && { echo "$s" >&2; fail "$1x$2: a bare s after a number"; }
    [ "$(LC_ALL=C.UTF-8 wc -L <<<"$s")" -le "$1" ] || fail "$1x$2: a line is wider than the terminal"
    [ "$(wc -l <<<"$s")" -le "$2" ] || fail "$1x$2: more lines than the terminal"
    grep -qE '~abn|~nrm|sugg' <<<"$s" && { echo "$s" >&2; fail "$1x$2: round 1 shows a suggestion"; }
    echo "$s"
}
s80=$(check_screen 80 24 C.UTF-8 σ)
grep -qE 'ref +[0-9.]+ (us|ms|s)' <<<"$s80" || fail "80x24: the reference mean was dropped"
grep -qF '…' <<<"$s80" || fail "80x24: long names are not shortened with a mark"
[ "${LE_SHOTS:-0}" = 1 ] && mkdir -p "$LE_SRC/docs/img" && echo "$s80" > "$LE_SRC/docs/img/label-tui-80x24.txt"
quit
check_screen 80 24 C sd > /dev/null
quit
s200=$(check_screen 200 50 en_US.UTF-8 σ)
grep -qE 'GetCart +[0-9.]+ (us|ms|s) .*n=[0-9]+ +█' <<<"$s200" || { echo "$s200" >&2; fail "200x50: no count and timeline bar on a span row"; }
# the name column is as wide as the longest name, not the rest of the width
grep -qE 'recommendationservice hipstershop.RecommendationService/ListRecommendations {1,4}[0-9]' <<<"$s200" || { echo "$s200" >&2; fail "200x50: blank columns between the longest name and its numbers"; }
grep -qF 'hipstershop.RecommendationService/ListRecommendations' <<<"$s200" || fail "200x50: a long name is shortened though there is room"
[ "${LE_SHOTS:-0}" = 1 ] && echo "$s200" > "$LE_SRC/docs/img/label-tui.txt"
quit

# Continue where the page (or a colleague) stopped: its export as --keep
# starts a new file, and the terminal opens at the first trace it leaves.
printf '%s\n' "trace_id,label,note" "$(id 0),abnormal,from the page" "$(id 1),normal," > page.csv
$T new-session -d -s tui -x 80 -y 24 "cd '$WORK' && '$LABELEASE' label reps.h5 --tui --keep page.csv -o cont.csv > tui.out; echo \$? > tui.rc; sleep 60"
wait_for "2 / 12 labelled (1 abnormal"
screen | grep -qE '^> +3  - ' || { screen >&2; fail "--keep: did not start at the first trace the page left (the 3rd)"; }
$T send-keys -t tui n
for _ in $(seq 100); do [ -f cont.csv ] && [ "$(wc -l < cont.csv)" -eq 4 ] && break; sleep 0.1; done
printf '%s\n' "trace_id,label,note" "$(id 0),abnormal,from the page" "$(id 1),normal," "$(id 2),normal," > want.csv
diff want.csv cont.csv || fail "--keep: cont.csv is not the page's rows and the new one"
rm -f tui.rc
quit

# Round 2 (make_reps.py --suggest): each representative's suggestion in the
# list (~abn / ~nrm) and the trace line, short under 100 columns; #3 has
# none (-1), #4 a margin of +inf. A hint: it never becomes a row.
$PY "$LE_SRC/tests/browser/make_reps.py" c.h5 sugg.h5 --k 12 --suggest
read -r -a sl <<<"$($PY -c 'import h5py; print(*h5py.File("sugg.h5")["reps/suggested_label"][:])')"
nm() { [ "${sl[$1]}" = 1 ] && echo abnormal || echo normal; }
ab() { [ "${sl[$1]}" = 1 ] && echo '~abn' || echo '~nrm'; }
for size in "80 24" "200 50"; do
    read -r cols rows <<<"$size"
    REPS=sugg.h5 OUT=sugg.csv start "$cols" "$rows"
    s=$(screen)
    if [ "$cols" = 80 ]; then want="-- #1 [-] sugg $(nm 0) m=0.05, "; else want="-- #1 [-] suggested $(nm 0), margin 0.05, "; fi
    grep -qF -- "$want" <<<"$s" || { echo "$s" >&2; fail "${size/ /x}: the trace line has no '$want'"; }
    grep -E '^> +1 ' <<<"$s" | grep -qF " $(ab 0) " || { echo "$s" >&2; fail "${size/ /x}: the list row of #1 has no $(ab 0)"; }
    grep -E '^ +2 ' <<<"$s" | grep -qF " $(ab 1) " || { echo "$s" >&2; fail "${size/ /x}: the list row of #2 has no $(ab 1)"; }
    grep -E '^ +3 ' <<<"$s" | grep -qE '~abn|~nrm' && { echo "$s" >&2; fail "${size/ /x}: #3 (none in reps.h5) shows a suggestion"; }
    [ "$(LC_ALL=C.UTF-8 wc -L <<<"$s")" -le "$cols" ] || fail "${size/ /x}: a line is wider than the terminal"
    $T send-keys -t tui j j j
    if [ "$cols" = 80 ]; then want="-- #4 [-] sugg $(nm 3) m=inf, "; else want="-- #4 [-] suggested $(nm 3), margin inf, "; fi
    wait_for "$want"
    quit
    [ ! -f sugg.csv ] || [ "$(wc -l < sugg.csv)" -le 1 ] || fail "${size/ /x}: a suggestion was written as a label: $(cat sugg.csv)"
done

# Without a terminal it refuses instead of drawing into a pipe.
run_le 1 label reps.h5 --tui -o x.csv < /dev/null > /dev/null 2> err.txt && fail "--tui ran without a terminal"
grep -q "needs a terminal" err.txt || fail "no terminal: unexpected message $(cat err.txt)"
echo "label --tui: all checks passed"
