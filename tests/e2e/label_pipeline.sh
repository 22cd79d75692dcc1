# synth -> train -> embed -> select -> label --oracle -> propagate -> eval at
# 1 and 2 ranks: the same representatives, labels and scores at both (GAT and
# STV, the dev and hybrid vectors, and both with the burst part: its counts
# per time bin are summed over ranks; and dev-burst-count, whose call-count
# norms and burst counts are too: its --dump-vectors equal bit for bit);
# --vectors reads them back for round 2 and propagate with the same results;
# unknown and duplicate trace ids in the labels CSV are listed errors;
# round 2 adds new traces only. The default representation (tail: per
# operation quantile thresholds, structure counts and burst counts summed over
# ranks) dumps the same vectors at 1, 2 and 4 ranks; the default two rounds
# split the budget 60/40, label --keep carries round 1 into round 2's file.
source "$(dirname "$0")/lib.bash"
C=$WORK/c.h5
run_le 2 synth -o "$C" --traces 20000 --seed 3 > /dev/null
run_le 2 train "$C" -o "$WORK/m.h5" --steps 150 > /dev/null
run_le 2 embed "$C" "$WORK/m.h5" -o "$WORK/e.h5" > /dev/null

# The oracle: labelease label --oracle, the labels of /ground_truth.
oracle() { run_le 1 label "$1" --oracle "$C" -o "$2" > /dev/null; } # oracle REPS CSV
# select at 1 and 2 ranks must pick the same representatives; the person
# labels them once (l_REPR.csv) and propagate at 1 and 2 ranks must give the
# same labels from it (one label and one eval fewer per representation: every
# process costs ~1.5 s under the sanitizers)
for repr in tail gat stv dev hybrid dev-burst hybrid-burst dev-burst-count; do
    for np in 1 2; do
        run_le $np select "$C" "$WORK/e.h5" -o "$WORK/r_${repr}_$np.h5" --representation $repr --budget 40 --rounds 1 \
            > "$WORK/sel_${repr}_$np.txt"
        expect representatives 40 "$WORK/sel_${repr}_$np.txt"
    done
    h5diff "$WORK/r_${repr}_1.h5" "$WORK/r_${repr}_2.h5" /reps/trace_index || fail "$repr: representatives differ at 1 and 2 ranks"
    oracle "$WORK/r_${repr}_1.h5" "$WORK/l_$repr.csv"
    for np in 1 2; do
        run_le $np propagate "$C" "$WORK/e.h5" "$WORK/l_$repr.csv" -o "$WORK/p_${repr}_$np.h5" --representation $repr > /dev/null
    done
    h5diff "$WORK/p_${repr}_1.h5" "$WORK/p_${repr}_2.h5" /labels/label || fail "$repr: labels differ at 1 and 2 ranks"
    run_le 2 eval "$C" "$WORK/p_${repr}_2.h5" > "$WORK/eval_$repr.txt"
    expect labeled 40 "$WORK/eval_$repr.txt"
    f1=$(value f1 "$WORK/eval_$repr.txt")
    echo "$repr: f1 $f1 with 40 labels"
    awk -v f="$f1" 'BEGIN { exit !(f > 0.6) }' || fail "$repr: f1 $f1 is below 0.6"
done
# eval scores the same at 1 and 2 ranks
run_le 1 eval "$C" "$WORK/p_tail_2.h5" > "$WORK/eval_tail_1.txt"
for k in precision recall f1 tp fp; do expect $k "$(value $k "$WORK/eval_tail.txt")" "$WORK/eval_tail_1.txt"; done
[ -s "$WORK/r_gat_1.html" ] || fail "select wrote no labeling page"
for np in 1 2; do
    run_le $np select "$C" - -o "$WORK/rv_$np.h5" --representation dev-burst-count --budget 40 --rounds 1 --no-page \
        --dump-vectors "$WORK/v_$np.h5" > /dev/null
done
h5diff "$WORK/v_1.h5" "$WORK/v_2.h5" /embeddings || fail "dev-burst-count: vectors differ at 1 and 2 ranks"
for np in 1 2 4; do
    run_le $np select "$C" -o "$WORK/rt_$np.h5" --budget 40 --no-page --dump-vectors "$WORK/vt_$np.h5" > "$WORK/rt_$np.txt"
    expect representation tail "$WORK/rt_$np.txt"
    expect representatives 24 "$WORK/rt_$np.txt"   # 60% of 40: round 1 of the default 2
    expect next_round_picks 16 "$WORK/rt_$np.txt"
done
for np in 2 4; do
    h5diff "$WORK/vt_1.h5" "$WORK/vt_$np.h5" /embeddings || fail "tail: vectors differ at 1 and $np ranks"
    h5diff "$WORK/rt_1.h5" "$WORK/rt_$np.h5" /reps/trace_index || fail "tail: representatives differ at 1 and $np ranks"
done
# the default's second round: the rest of the budget where round 1 is least
# certain; its labels file keeps round 1's; propagate with every default
oracle "$WORK/rt_1.h5" "$WORK/lt1.csv"
run_le 2 select "$C" -o "$WORK/rt2.h5" --budget 40 --round 2 --labels "$WORK/lt1.csv" --no-page > "$WORK/rt2.txt"
expect representatives 16 "$WORK/rt2.txt"
expect labels_before 24 "$WORK/rt2.txt"
run_le 1 label "$WORK/rt2.h5" --oracle "$C" --keep "$WORK/lt1.csv" -o "$WORK/lt2.csv" > "$WORK/lt2.txt"
[ "$(tail -n +2 "$WORK/lt2.csv" | wc -l)" = 40 ] || fail "round 2's labels file does not hold both rounds: $(wc -l < "$WORK/lt2.csv") lines"
run_le 2 select "$C" -o "$WORK/x.h5" --budget 40 --round 3 --labels "$WORK/lt2.csv" --no-page 2> "$WORK/err.txt" \
    && fail "a third round past the budget was accepted"
grep -q "the budget of 40 labels is spent (.*lt2.csv holds 40)" "$WORK/err.txt" || fail "spent budget: $(cat "$WORK/err.txt")"
run_le 2 propagate "$C" "$WORK/lt2.csv" -o "$WORK/pt.h5" > "$WORK/pt.txt"
expect representation tail "$WORK/pt.txt"
run_le 2 eval "$C" "$WORK/pt.h5" > "$WORK/evt.txt"
expect labeled 40 "$WORK/evt.txt"
echo "default (tail, 24 + 16 in two rounds): f1 $(value f1 "$WORK/evt.txt")"

# Each representative in reps.h5 is its trace in the corpus, span for span
# (rank 0 gathers them from the shards that hold them: 4 ranks here).
run_le 4 select "$C" - -o "$WORK/rv_4.h5" --representation dev-burst-count --budget 40 --rounds 1 --no-page > /dev/null
/usr/bin/python3 - "$WORK/rv_4.h5" "$C" <<'PY' || fail "reps.h5 traces are not the corpus's"
import sys, h5py, numpy as np
def trace_ids(f):  # corpus schema 2: offsets + bytes (docs/corpus.md)
    off, b = f["traces/trace_id_offset"][:], f["traces/trace_id_bytes"][:].tobytes()
    return [b[off[i]:off[i + 1]].decode() for i in range(len(off) - 1)]
r, c = h5py.File(sys.argv[1]), h5py.File(sys.argv[2])
ro, co = r["reps/span_offset"][:], c["traces/span_offset"][:]
idx = r["reps/trace_index"][:]
assert len(idx) == 40 and (np.diff(idx) > 0).all()
ids = trace_ids(c)
assert [x.decode() for x in r["reps/trace_id"][:]] == [ids[i] for i in idx]
assert (r["reps/trace_start_us"][:] == c["traces/start_us"][:][idx]).all()
for f in ("parent", "service", "operation", "start_us", "duration_us", "status_code", "error"):
    a, b = r["reps/spans/" + f][:], c["spans/" + f][:]
    for k, t in enumerate(idx):
        assert (a[ro[k]:ro[k + 1]] == b[co[t]:co[t + 1]]).all(), (f, t)
PY

# Vectors read back (--vectors) are the vectors built: round 2 and propagate
# write the same files, whichever rank count dumped or reads them.
oracle "$WORK/rv_1.h5" "$WORK/lv.csv"
dbc=(--representation dev-burst-count)
r2=(--round 2 --labels "$WORK/lv.csv" --picks 20 --no-page)
run_le 2 select "$C" - -o "$WORK/rv2_built.h5" "${dbc[@]}" "${r2[@]}" > /dev/null
for np in 2 4; do
    run_le $np select "$C" - -o "$WORK/rv2_read$np.h5" "${dbc[@]}" "${r2[@]}" --vectors "$WORK/v_1.h5" > "$WORK/rv2_$np.txt"
    expect vectors "$WORK/v_1.h5" "$WORK/rv2_$np.txt"
done
h5diff "$WORK/rv2_built.h5" "$WORK/rv2_read2.h5" || fail "round 2 from --vectors differs from round 2 that built them"
h5diff "$WORK/rv2_built.h5" "$WORK/rv2_read4.h5" /reps/trace_index || fail "round 2 from --vectors differs at 4 ranks"
run_le 2 propagate "$C" - "$WORK/lv.csv" -o "$WORK/pv_built.h5" "${dbc[@]}" > /dev/null
run_le 2 propagate "$C" - "$WORK/lv.csv" -o "$WORK/pv_read.h5" "${dbc[@]}" --vectors "$WORK/v_2.h5" > /dev/null
h5diff "$WORK/pv_built.h5" "$WORK/pv_read.h5" || fail "propagate from --vectors differs from propagate that built them"
# Vectors of another representation or corpus are refused, naming the file.
run_le 2 propagate "$C" - "$WORK/lv.csv" -o "$WORK/x.h5" --representation dev-burst --vectors "$WORK/v_1.h5" \
    2> "$WORK/err.txt" && fail "vectors of another representation accepted"
grep -q "v_1.h5 holds vectors of 'dev-burst-count'" "$WORK/err.txt" || fail "wrong representation: $(cat "$WORK/err.txt")"
run_le 1 synth -o "$WORK/small.h5" --traces 300 --seed 3 > /dev/null
run_le 2 select "$WORK/small.h5" - -o "$WORK/x.h5" "${dbc[@]}" --budget 10 --rounds 1 --vectors "$WORK/v_1.h5" 2> "$WORK/err.txt" \
    && fail "vectors of another corpus accepted"
grep -q "v_1.h5: 20000 embeddings for a corpus of 300 traces" "$WORK/err.txt" || fail "wrong corpus: $(cat "$WORK/err.txt")"
run_le 1 select "$C" - -o "$WORK/x.h5" "${dbc[@]}" --vectors "$WORK/v_1.h5" --dump-vectors "$WORK/x_v.h5" 2> "$WORK/err.txt" \
    && fail "--vectors with --dump-vectors accepted"
grep -q -- "--vectors and --dump-vectors" "$WORK/err.txt" || fail "--vectors with --dump-vectors: $(cat "$WORK/err.txt")"

# The person's labels survive propagation; confidence is a margin >= 0.
/usr/bin/python3 - "$WORK/p_gat_2.h5" "$WORK/l_gat.csv" "$C" <<'PY' || fail "labels.h5 contents"
import sys, csv, h5py, numpy as np
def trace_ids(f):  # corpus schema 2: offsets + bytes (docs/corpus.md)
    off, b = f["traces/trace_id_offset"][:], f["traces/trace_id_bytes"][:].tobytes()
    return [b[off[i]:off[i + 1]].decode() for i in range(len(off) - 1)]
p, l, c = h5py.File(sys.argv[1]), list(csv.DictReader(open(sys.argv[2]))), h5py.File(sys.argv[3])
ids = {t: i for i, t in enumerate(trace_ids(c))}
lab, given, conf = p["labels/label"][:], p["labels/given"][:], p["labels/confidence"][:]
assert given.sum() == len(l) == 40
for row in l:
    i = ids[row["trace_id"]]
    assert given[i] == 1 and lab[i] == (row["label"] == "abnormal"), row
assert (conf[given == 0] >= 0).all() and np.isinf(conf[given == 1]).all()
PY

# Unknown ids, and ids labelled twice with different labels, are errors
# naming them (io/labels.c merges a repeat of the same label).
{ cat "$WORK/l_gat.csv"; echo "no-such-trace,normal,"; } > "$WORK/bad.csv"
run_le 2 propagate "$C" "$WORK/e.h5" "$WORK/bad.csv" -o "$WORK/x.h5" 2> "$WORK/err.txt" && fail "unknown id accepted"
grep -q "no-such-trace" "$WORK/err.txt" || fail "unknown id not listed: $(cat "$WORK/err.txt")"
{ cat "$WORK/l_gat.csv"; sed -n 2p "$WORK/l_gat.csv" | sed 's/,normal,/,ABNORMAL,/; t; s/,abnormal,/,normal,/'; } > "$WORK/dup.csv"
dup=$(sed -n 2p "$WORK/l_gat.csv" | cut -d, -f1)
run_le 2 propagate "$C" "$WORK/e.h5" "$WORK/dup.csv" -o "$WORK/x.h5" 2> "$WORK/err.txt" && fail "duplicate id accepted"
grep -q "$dup" "$WORK/err.txt" || fail "duplicate id not listed: $(cat "$WORK/err.txt")"

# Round 2 picks traces nobody labelled yet, the same at 1 and 2 ranks.
for np in 1 2; do
    run_le $np select "$C" "$WORK/e.h5" -o "$WORK/r2_$np.h5" --round 2 --labels "$WORK/l_gat.csv" --picks 20 --no-page > "$WORK/r2_$np.txt"
    expect method uncertainty "$WORK/r2_$np.txt"
done
h5diff "$WORK/r2_1.h5" "$WORK/r2_2.h5" /reps/trace_index || fail "round 2 differs at 1 and 2 ranks"
/usr/bin/python3 -c "
import h5py,sys
a=set(h5py.File('$WORK/r_gat_1.h5')['reps/trace_index'][:]); b=set(h5py.File('$WORK/r2_1.h5')['reps/trace_index'][:])
sys.exit(0 if len(b)==20 and not (a & b) else 1)" || fail "round 2 picked labelled traces again"
echo "PASS"
