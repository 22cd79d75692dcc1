# A careless user's command lines (issue #16), at 2 ranks:
#  1. an output that is one of the inputs (the same path, another spelling,
#     a hard link, the page beside it) is refused by every stage before
#     anything is written: the error names both, the input's checksum holds;
#  2. inputs spelled ./dir, ../dir and . are ingested (the hidden-file rule
#     looks at base names), also as a run config's inputs = ./traces;
#  4. a labels file with a header and no rows is an error naming it
#     (propagate, select --round 2, ingest --labels);
# 10. NaN, Inf and out-of-range option values are refused naming the option
#     (train --lr nan, --buckets 0, --epochs 0/-1, --margin -5, ...), and
#     embeddings with a NaN are refused naming the file and the trace;
# 13. a missing argument is named; 'select -' says what '-' is; when rank 0
#     fails alone the other rank gives rank 0's reason (never "unknown
#     error"); a failed create says why (errno); trace ids are taken without
#     surrounding blanks by ingest and by labels files alike.
# Every check runs; the failures are listed at the end. In a sanitized
# build (each process costs seconds more) one check of each kind runs, at
# 2 ranks where MPI is involved; `more` marks the others.
source "$(dirname "$0")/lib.bash"
cd "$WORK"
LIMIT=${LE_BAD_USAGE_TIMEOUT:-120}
FAILED=()
bad() { echo "FAIL: $*" >&2; FAILED+=("$*"); }
QUICK=0 # LE_BAD_USAGE_ALL=1: every check in a sanitized build too
[ -n "${LE_BAD_USAGE_ALL:-}" ] || ! ldd "$LABELEASE" | grep -q libasan || QUICK=1
more() { [ $QUICK = 1 ] || "$@"; }
# le NP ARGS...: labelease under mpiexec, stopped after $LIMIT s
le() { le_within "$LIMIT" "$@"; }
# ok NAME ARGS...: must succeed at 2 ranks; report in NAME.txt
ok() {
    local name=$1; shift
    le 2 "$@" > "$name.txt" 2> "$name.err" || { cat "$name.err" >&2; fail "$name: labelease $* failed"; }
}
# refused NP NAME MESSAGE ARGS...: must fail, each rank's error line saying
# MESSAGE, with no "unknown error" and no sanitizer report. NP 1 runs
# labelease without mpiexec (a singleton: the checks of the command line,
# the same on every rank, without the launch's cost); NP 2 under mpiexec.
refused() {
    local np=$1 name=$2 msg=$3 r rc=0; shift 3
    if [ "$np" = 1 ]; then
        timeout -k 10 "$LIMIT" "$LABELEASE" "$@" > "$name.txt" 2> "$name.err" || rc=$?
        [ $rc -ne 124 ] && [ $rc -ne 137 ] || fail "labelease $* did not finish in $LIMIT s"
    else
        le "$np" "$@" > "$name.txt" 2> "$name.err" || rc=$?
    fi
    [ $rc -ne 0 ] || { bad "$name: labelease $* succeeded"; return; }
    for ((r = 0; r < np; r++)); do
        local who="labelease: (error|stopped) \\(rank $r\\)"
        [ "$np" = 1 ] && who="labelease: error"
        grep -E "^$who: " "$name.err" | grep -qF -- "$msg" \
            || { cat "$name.err" >&2; bad "$name: rank $r does not say '$msg'"; return; }
    done
    ! grep -qE 'unknown error|Sanitizer|runtime error:' "$name.err" || { cat "$name.err" >&2; bad "$name: unknown error or sanitizer"; }
}
sum() { md5sum "$@" | awk '{print $1}'; }
# overwrite NP NAME INPUT ARGS...: refused naming INPUT, which is unchanged
overwrite() {
    local np=$1 name=$2 in=$3 before; shift 3
    before=$(sum "$in")
    refused "$np" "$name" "is the input" "$@"
    grep -qF -- "$in" "$name.err" || bad "$name: the error does not name $in: $(head -n1 "$name.err")"
    [ "$(sum "$in")" = "$before" ] || bad "$name: $in was changed"
}

# ---- a small pipeline to have every kind of file ----------------------------------
ok synth synth -o c.h5 --traces 120 --seed 3
# e.h5: vectors in the embeddings file's format, as embed writes them
ok select select c.h5 - -o r.h5 --representation dev --budget 12 --dump-vectors e.h5
ok label label r.h5 --oracle c.h5 -o l.csv
ok prop propagate c.h5 - l.csv -o p.h5 --representation dev
more ok rc rootcause c.h5 p.h5 -o rc.h5 --no-page
cp "$LE_SRC/tests/fixtures/csv/nezha.csv" in.csv

# ---- 1. an output over an input ---------------------------------------------------
overwrite 2 o_ingest in.csv ingest --format nezha -o in.csv in.csv
more overwrite 1 o_ingest_spelt in.csv ingest --format nezha -o ./in.csv "$WORK/in.csv"
more overwrite 1 o_train c.h5 train c.h5 -o c.h5 --steps 2
more overwrite 1 o_ckpt c.h5 train c.h5 -o m2.h5 --steps 2 --checkpoint ./c.h5
more overwrite 1 o_embed r.h5 embed c.h5 r.h5 -o r.h5
more overwrite 1 o_select e.h5 select c.h5 e.h5 -o e.h5 --representation gat
ln c.h5 page.html # the page beside page.h5 is the corpus, under another name
more overwrite 1 o_select_page c.h5 select c.h5 - -o page.h5 --representation dev
more overwrite 1 o_select_dump c.h5 select c.h5 - -o r9.h5 --representation dev --dump-vectors c.h5
more overwrite 1 o_label r.h5 label r.h5 --oracle c.h5 -o r.h5
more overwrite 1 o_label_page r.h5 label r.h5 --page r.h5
overwrite 2 o_propagate l.csv propagate c.h5 - l.csv -o l.csv --representation dev
ln -s l.csv link.csv
more overwrite 1 o_propagate_link l.csv propagate c.h5 - l.csv -o link.csv --representation dev
more overwrite 1 o_rootcause p.h5 rootcause c.h5 p.h5 -o p.h5
more overwrite 2 o_rootcause_page c.h5 rootcause c.h5 p.h5 -o rc2.h5 --page c.h5
more overwrite 1 o_export c.h5 export c.h5 p.h5 -o c.h5
mkdir ds && ln p.h5 ds/dataset.h5
more overwrite 2 o_export_file p.h5 export c.h5 p.h5 -o ds
more overwrite 1 o_label_rootcause rc.h5 label-rootcause rc.h5 -o rc.h5
printf '[params]\n' > s.ini
more overwrite 1 o_synth s.ini synth -o s.ini --config s.ini --traces 10
[ ! -e c.h5.partial ] && [ ! -e l.csv.tmp ] || bad "a refused stage left a temporary"

# ---- 2. inputs starting with a dot ------------------------------------------------
mkdir -p top/sub top/sub2 top/.hidden && cp in.csv top/sub/a.csv && cp in.csv top/.hidden/h.csv
sed 's/^b0103bb0161ad7fa352fe1828eeb643a/another0000000000000000000000001/; s/^6d2e3f1a9b8c7d6e5f4a3b2c1d0e9f8a/another0000000000000000000000002/' \
    in.csv > top/sub2/b.csv
cp in.csv top/sub/.h.csv
# files INPUT... : the files ingest reads from INPUTs (singleton, in cwd)
files() { "$LABELEASE" ingest --format nezha -o "$WORK/d.h5" "$@" 2> "$WORK/d.err" | sed -n 's/^files: //p'; }
[ "$(cd top && files ./sub)" = 1 ] || bad "ingest ./sub: $(cat d.err)"
(cd top && le 2 ingest --format nezha -o ../d2.h5 ./sub sub2 > ../d2.txt 2> ../d2.err) || bad "ingest ./sub sub2: $(cat d2.err)"
[ "$(value files d2.txt)" = 2 ] || bad "ingest ./sub sub2: files $(value files d2.txt), not 2"
[ $QUICK = 1 ] || [ "$(cd top/sub2 && files ../sub)" = 1 ] || bad "ingest ../sub: $(cat d.err)"
[ $QUICK = 1 ] || [ "$(cd top && files .)" = 2 ] || bad "ingest . (hidden ones left out): $(cat d.err)"
mkdir -p rundir/traces && cp in.csv rundir/traces/
printf '[ingest]\ninputs = ./traces\nformat = nezha\n[info]\n' > rundir/dot.ini
run_dot() { (cd rundir && le 2 run dot.ini --out out > ../run.txt 2> ../run.err) || bad "run, inputs = ./traces: $(tail -n3 run.err)"; }
more run_dot

# ---- 4. a labels file without rows --------------------------------------------------
head -n1 l.csv > h.csv
refused 2 e_propagate "h.csv: no labels in it" propagate c.h5 - h.csv -o p2.h5 --representation dev
[ ! -e p2.h5 ] || bad "propagate wrote p2.h5 from a labels file without rows"
more refused 2 e_round2 "h.csv: no labels in it" select c.h5 - -o r2.h5 --representation dev --budget 12 --round 2 --labels h.csv
more refused 2 e_ingest "h.csv: no labels in it" ingest --format nezha --labels h.csv -o d5.h5 in.csv

# ---- 10. option values --------------------------------------------------------------
T=(train c.h5 -o m3.h5 --steps 2 --batch 8 --micro 2 --window 32)
more refused 1 v_lr_nan "--lr: 'nan'" "${T[@]}" --lr nan
more refused 1 v_lr_inf "--lr: 'inf'" "${T[@]}" --lr inf
refused 1 v_buckets "--buckets: '0'" "${T[@]}" --buckets 0
more refused 1 v_epochs0 "--epochs: '0'" "${T[@]}" --epochs 0
more refused 1 v_epochs_neg "--epochs: '-1'" "${T[@]}" --epochs -1
more refused 1 v_margin "--margin: '-5'" "${T[@]}" --margin -5
more refused 1 v_hard "--hard: 'nan'" "${T[@]}" --hard nan
more refused 1 v_heads "--heads: '0'" "${T[@]}" --heads 0
[ ! -e m3.h5 ] || bad "a refused train wrote m3.h5"
more refused 1 v_sample "--sample: 'nan'" select c.h5 - -o r3.h5 --representation dev --sample nan
more refused 1 v_tol "--tol: 'inf'" select c.h5 - -o r3.h5 --representation dev --tol inf
more refused 1 v_tie "--tie: 'nan'" rootcause c.h5 p.h5 -o rc3.h5 --tie nan
more refused 1 v_window "--window: '0'" rootcause c.h5 p.h5 -o rc3.h5 --window 0
more refused 1 v_knn "--knn: '5e9'" propagate c.h5 - l.csv -o p3.h5 --representation dev --knn 5e9
printf "[corpus]\nhours = nan\n" > nan.ini
more refused 1 v_synth_nan "is not a finite number" synth -o s2.h5 --config nan.ini --traces 10
/usr/bin/python3 - <<'PY'
import h5py, numpy as np, shutil
shutil.copy("e.h5", "enan.h5")
with h5py.File("enan.h5", "r+") as f:
    x = f["embeddings"][()]
    x[77, 3] = np.nan
    f["embeddings"][...] = x
PY
refused 2 v_emb_nan "enan.h5: /embeddings row 77 (trace 77), column 3 is NaN" select c.h5 enan.h5 -o r4.h5 --representation gat
[ ! -e r4.h5 ] || bad "select wrote r4.h5 from NaN embeddings"

# ---- 13. messages -------------------------------------------------------------------
refused 1 m_select "select: missing -o REPS.h5" select c.h5
more refused 1 m_select_corpus "select: missing CORPUS.h5" select -o r5.h5
more refused 1 m_select_many "unexpected argument 'x.h5'" select c.h5 e.h5 x.h5 -o r5.h5
more refused 1 m_embed "embed: missing MODEL.h5" embed c.h5 -o e5.h5
more refused 1 m_propagate "propagate: missing LABELS.csv" propagate c.h5 -o p5.h5
more refused 1 m_export "export: missing -o DIR" export c.h5 p.h5
more refused 1 m_option "select: unknown option" select c.h5 -o r5.h5 --no-such-option
more refused 1 m_dash "'-' is not a corpus" select - -o r5.h5 --representation gat
[ $QUICK = 1 ] || grep -qF "EMBEDDINGS.h5" m_dash.err || bad "select - --representation gat does not mention EMBEDDINGS.h5"
# rank 0 fails alone (label's work is rank 0's): rank 1 gives its reason
refused 2 m_rank0 "No such file or directory" label r.h5 --oracle c.h5 -o no/such/dir/l.csv
grep -qF "labelease: stopped (rank 1): rank 0 failed: no/such/dir/l.csv" m_rank0.err || bad "rank 1 does not give rank 0's reason"
more refused 1 m_errno "cannot create the corpus file: No such file or directory" synth -o no/such/c.h5 --traces 10
# trace ids with blanks around them: ingest and the labels file take them alike
printf '%s\n' '{"data":[{"traceID":" tr1 ","spans":[{"traceID":" tr1 ","spanID":"s1","operationName":"GET /",' \
    '"references":[],"startTime":1674982376974000,"duration":1000,"processID":"p1","tags":[]}],' \
    '"processes":{"p1":{"serviceName":"front","tags":[]}}}]}' > blank.json
printf 'trace_id,label\n" tr1 ",abnormal\n' > blank.csv
ok m_blank ingest --format jaeger --labels blank.csv -o b.h5 blank.json
[ "$(value labels_unmatched m_blank.txt)" = 0 ] || bad "a labels file's ' tr1 ' does not match ingest's"
id=$(/usr/bin/python3 -c 'import h5py; f = h5py.File("b.h5"); o = f["traces/trace_id_offset"]; print(f["traces/trace_id_bytes"][o[0]:o[1]].tobytes().decode())')
[ "$id" = tr1 ] || bad "ingest kept blanks around the trace id: '$id'"

[ ${#FAILED[@]} -eq 0 ] || fail "${#FAILED[@]} checks failed (each FAIL above)"
echo "PASS bad_usage"
