# Edge cases with defined behaviour (issue #8, "Bad input"; docs/labeling.md):
#  1. select --budget above the corpus: every trace is a representative, with
#     a warning and budget_requested in the report, for every method; the
#     pipeline after it labels every trace.
#  2. more ranks than traces (4 ranks, 3 traces; a rank's shard is empty):
#     synth, info, train, embed, select, label, propagate, rootcause, eval and
#     export all work, and give the same representatives and labels as 1 rank.
#  3. an empty corpus (synth --traces 0, or ingest --allow-drops of a
#     header-only CSV or an empty Jaeger file; without --allow-drops ingest
#     writes none and exits 10) at 1 and 3 ranks: info, embed, propagate, rootcause,
#     eval and export work on it (0 traces); train and select stop with an
#     error naming the corpus. (The parsers' empty inputs: unit_csv,
#     unit_labels.)
# Every command runs under `timeout` (a rank with nothing to do must not
# hang), and no command may print a sanitizer report (build-san, check.sh).
source "$(dirname "$0")/lib.bash"
cd "$WORK"
LIMIT=${LE_EDGE_TIMEOUT:-300}
# le NP ARGS...: labelease under mpiexec, stopped after $LIMIT s
le() { le_within "$LIMIT" "$@"; }
# ok NAME NP ARGS...: must succeed; report in NAME.txt, stderr in NAME.err
ok() {
    local name=$1 np=$2; shift 2
    le "$np" "$@" > "$name.txt" 2> "$name.err" || { cat "$name.err" >&2; fail "$name: labelease $* failed at $np ranks"; }
    clean "$name"
}
# refused NAME NP MESSAGE ARGS...: must fail with MESSAGE on stderr
refused() {
    local name=$1 np=$2 msg=$3; shift 3
    if le "$np" "$@" > "$name.txt" 2> "$name.err"; then fail "$name: labelease $* succeeded at $np ranks"; fi
    grep -qF -- "$msg" "$name.err" || { cat "$name.err" >&2; fail "$name: the error does not say '$msg'"; }
    clean "$name"
}
clean() {
    if grep -qE 'Sanitizer|runtime error:' "$1.err"; then cat "$1.err" >&2; fail "$1: sanitizer report"; fi
}

# ---- 1. a budget above the corpus ----------------------------------------------
ok s60 2 synth -o c60.h5 --traces 60 --seed 4
for m in kmeans random spectral; do
    ok "b_$m" 2 select c60.h5 - -o "r_$m.h5" --representation dev --method "$m" --budget 100 --no-page
    expect budget 60 "b_$m.txt"
    expect budget_requested 100 "b_$m.txt"
    expect representatives 60 "b_$m.txt"
    grep -q "warning: --budget 100 is more than the 60 traces of c60.h5: every trace is a representative" "b_$m.err" \
        || fail "b_$m: no warning: $(cat "b_$m.err")"
done
h5diff r_kmeans.h5 r_spectral.h5 /reps/trace_index || fail "the methods picked different traces from the whole corpus"
ok b_label 2 label r_kmeans.h5 --oracle c60.h5 -o l60.csv
expect labeled 60 b_label.txt
ok b_prop 2 propagate c60.h5 - l60.csv -o p60.h5 --representation dev
expect given 60 b_prop.txt
ok b_eval 2 eval c60.h5 p60.h5
expect labeled 60 b_eval.txt
expect fp 0 b_eval.txt
expect fn 0 b_eval.txt
# A budget equal to the corpus: the same, without a warning.
ok b_eq 1 select c60.h5 - -o r_eq.h5 --representation dev --budget 60 --no-page
expect representatives 60 b_eq.txt
! grep -q budget_requested b_eq.txt || fail "budget_requested reported for a budget equal to the corpus"
! grep -q warning b_eq.err || fail "a warning for a budget equal to the corpus: $(cat b_eq.err)"

# ---- 2. more ranks than traces ----------------------------------------------------
for np in 1 4; do
    ok "t_synth$np" "$np" synth -o "c3_$np.h5" --traces 3 --seed 1
    expect traces 3 "t_synth$np.txt"
done
h5diff c3_1.h5 c3_4.h5 || fail "3 traces at 1 and 4 ranks differ"
C=c3_1.h5
ok t_info 4 info "$C"
expect traces 3 t_info.txt
ok t_train 4 train "$C" -o m3.h5 --steps 3 --batch 8 --micro 2 --window 64 --pool 4
for np in 1 4; do
    ok "t_embed$np" "$np" embed "$C" m3.h5 -o "e3_$np.h5"
    expect traces 3 "t_embed$np.txt"
    for repr in gat hybrid-burst; do
        t=${repr}_$np
        ok "t_sel_$t" "$np" select "$C" "e3_$np.h5" -o "r3_$t.h5" --representation "$repr" --no-page
        expect representatives 3 "t_sel_$t.txt"
        ok "t_label_$t" "$np" label "r3_$t.h5" --oracle "$C" -o "l3_$t.csv"
        ok "t_prop_$t" "$np" propagate "$C" "e3_$np.h5" "l3_$t.csv" -o "p3_$t.h5" --representation "$repr"
        expect given 3 "t_prop_$t.txt"
    done
    ok "t_rc$np" "$np" rootcause "$C" "p3_gat_$np.h5" -o "rc3_$np.h5" --no-page
    ok "t_eval$np" "$np" eval "$C" "p3_gat_$np.h5" "rc3_$np.h5"
    expect labeled 3 "t_eval$np.txt"
    ok "t_export$np" "$np" export "$C" "p3_gat_$np.h5" "rc3_$np.h5" -o "ds3_$np"
    [ -s "ds3_$np/dataset.h5" ] || fail "export at $np ranks wrote no dataset.h5"
done
for repr in gat hybrid-burst; do
    h5diff "r3_${repr}_1.h5" "r3_${repr}_4.h5" /reps/trace_index || fail "$repr: representatives differ at 1 and 4 ranks"
    h5diff "p3_${repr}_1.h5" "p3_${repr}_4.h5" /labels/label || fail "$repr: labels differ at 1 and 4 ranks"
done
for k in periods; do expect $k "$(value $k t_rc1.txt)" t_rc4.txt; done

# ---- 3. an empty corpus -------------------------------------------------------------
printf '{"data":[]}\n' > empty.json
printf 'trace_id,label,note\n' > none.csv
for np in 1 3; do
    ok "z_synth$np" "$np" synth -o "z$np.h5" --traces 0
    expect traces 0 "z_synth$np.txt"
    # ingest with no trace left: exit status 10 and no corpus; --allow-drops writes it
    refused "z_ingest_csv$np" "$np" "no trace ingested" ingest --format nezha -o "zc$np.h5" "$LE_SRC/tests/fixtures/csv/header_only.csv"
    [ ! -e "zc$np.h5" ] || fail "an ingest with no trace left wrote zc$np.h5"
    ok "z_ingest_csv$np" "$np" ingest --format nezha --allow-drops -o "zc$np.h5" "$LE_SRC/tests/fixtures/csv/header_only.csv"
    expect traces 0 "z_ingest_csv$np.txt"
    refused "z_ingest_json$np" "$np" "no trace ingested" ingest --format jaeger -o "zj$np.h5" empty.json
    ok "z_ingest_json$np" "$np" ingest --format jaeger --allow-drops -o "zj$np.h5" empty.json
    expect traces 0 "z_ingest_json$np.txt"
    Z=z$np.h5
    ok "z_info$np" "$np" info "$Z"
    expect traces 0 "z_info$np.txt"
    refused "z_train$np" "$np" "$Z has no traces to train on" train "$Z" -o zm.h5 --steps 2
    ok "z_embed$np" "$np" embed "$Z" m3.h5 -o "ze$np.h5"
    expect traces 0 "z_embed$np.txt"
    refused "z_select$np" "$np" "$Z has no traces to select from" select "$Z" "ze$np.h5" -o zr.h5
    refused "z_select_dev$np" "$np" "$Z has no traces to select from" select "$Z" - -o zr.h5 --representation dev
    ok "z_prop$np" "$np" propagate "$Z" "ze$np.h5" none.csv -o "zp$np.h5"
    expect given 0 "z_prop$np.txt"
    ok "z_prop_stv$np" "$np" propagate "$Z" - none.csv -o "zps$np.h5" --representation stv
    ok "z_rc$np" "$np" rootcause "$Z" --from-truth -o "zrc$np.h5" --no-page
    expect periods 0 "z_rc$np.txt"
    ok "z_eval$np" "$np" eval "$Z" "zp$np.h5" "zrc$np.h5"
    expect traces 0 "z_eval$np.txt"
    expect labeled 0 "z_eval$np.txt"
    ok "z_export$np" "$np" export "$Z" "zp$np.h5" "zrc$np.h5" -o "zds$np"
    expect traces 0 "z_export$np.txt"
done
echo "ok: budget above the corpus, 4 ranks on 3 traces, empty corpora"
