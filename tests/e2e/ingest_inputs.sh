# Inputs as real exports come (issue 17; docs/ingest.md, "Inputs"): gzip and
# zstd files, standard input, --keep-going over unreadable or foreign files,
# and the exit status of an ingest that ends empty (10) or lost most of its
# rows (11). At 1 and 2 ranks:
#  1. a gzip and a zstd copy of each format's fixture (and, at 2 ranks too,
#     of a 6 MB generated Jaeger file: several read blocks) ingest to the same corpus
#     as the plain file (h5diff); their row, span and trace counts are
#     checked against a count Python makes from the plain file;
#  2. concatenated gzip members and zstd frames read as one file; a directory
#     search finds *.json.gz / *.json.zst / *.csv.gz;
#  3. `cat FILE | labelease ingest ... -` gives the corpus of FILE; '-' twice
#     is refused;
#  4. a directory with good files, a truncated gzip, a foreign file and a
#     dangling link: without --keep-going an error naming the file and no
#     corpus; with it the corpus of the good files alone, the skipped files
#     named in warnings and in the summary;
#  5. no trace: exit 10, a warning, no corpus; more than half the rows
#     dropped: exit 11, a warning, the corpus written; --allow-drops: 0.
source "$(dirname "$0")/lib.bash"
FX=$LE_SRC/tests/fixtures
PY=/usr/bin/python3
command -v zstd > /dev/null || fail "the zstd command is missing (.ci/deps.sh --tests installs it)"
cd "$WORK"

# ingest_ok NAME NP ARGS...: must exit 0; report in NAME.txt, stderr in NAME.err
ingest_ok() {
    local name=$1 np=$2; shift 2
    run_le "$np" ingest "$@" > "$name.txt" 2> "$name.err" || fail "$name: ingest $* at $np ranks failed: $(cat "$name.err")"
}
# ingest_status NAME NP WANT ARGS...: must exit with status WANT
ingest_status() {
    local name=$1 np=$2 want=$3 rc=0; shift 3
    run_le "$np" ingest "$@" > "$name.txt" 2> "$name.err" || rc=$?
    [ "$rc" = "$want" ] || fail "$name: ingest $* at $np ranks exited $rc, not $want: $(cat "$name.err")"
}

# Independent count of a plain fixture's rows (span objects, CSV rows), its
# distinct spans and its traces. Zipkin's fixture reports one span in two
# fragments and aiops2022's has spans whose parents are not in the file
# (dropped as orphans): their spans and traces are left to the h5diff with
# the plain file's corpus.
count() { # FORMAT FILE -> "ROWS SPANS TRACES"
    $PY - "$1" "$2" <<'PY'
import csv, json, sys
fmt, path = sys.argv[1], sys.argv[2]
spans = []  # (trace id, span id)
if fmt == "jaeger":
    for t in json.load(open(path))["data"]:
        spans += [(s["traceID"], s["spanID"]) for s in t["spans"]]
elif fmt == "zipkin":
    spans = [(s["traceId"], s["id"]) for s in json.load(open(path))]
elif fmt == "otlp":
    for line in open(path):
        for rs in json.loads(line)["resourceSpans"]:
            for ss in rs.get("scopeSpans", []) + rs.get("instrumentationLibrarySpans", []):
                spans += [(s["traceId"], s["spanId"]) for s in ss["spans"]]
elif fmt == "nezha":
    spans = [(r["TraceID"], r["SpanID"]) for r in csv.DictReader(open(path))]
elif fmt == "aiops2022":
    spans = [(r["trace_id"], r["span_id"]) for r in csv.DictReader(open(path))]
print(len(spans), len(set(spans)), len({t for t, _ in spans}))
PY
}

# ---- 1. gzip and zstd copies ingest to the plain file's corpus ---------------------
$PY "$LE_SRC/bench/gen_jaeger_json.py" --size 6M --seed 3 --out big.json
for case in jaeger:jaeger/api_traces.json zipkin:zipkin/spans.json otlp:otlp/file_exporter.jsonl \
    nezha:csv/nezha.csv aiops2022:csv/aiops2022.csv jaeger:big; do
    fmt=${case%%:*} rel=${case#*:}
    if [ "$rel" = big ]; then src=$WORK/big.json; else src=$FX/$rel; fi
    base=$(basename "$src")
    gzip -c "$src" > "$base.gz"
    zstd -q -c "$src" > "$base.zst"
    read -r want_rows want_spans want_traces <<< "$(count "$fmt" "$src")"
    nps=1
    [ "$rel" != big ] || nps="1 2" # the fixtures are a few KB: one rank reads them all anyway
    for np in $nps; do
        ingest_ok "p_$base$np" $np --format "$fmt" -o "p_$base$np.h5" "$src"
        for z in gz zst; do
            ingest_ok "${z}_$base$np" $np --format "$fmt" -o "${z}_$base$np.h5" "$base.$z"
            h5diff "p_$base$np.h5" "${z}_$base$np.h5" || fail "$base.$z at $np ranks: not the plain file's corpus"
            expect rows_read "$want_rows" "${z}_$base$np.txt"
            if [ "$fmt" != zipkin ] && [ "$fmt" != aiops2022 ]; then
                expect spans "$want_spans" "${z}_$base$np.txt"
                expect traces "$want_traces" "${z}_$base$np.txt"
                expect dropped_rows 0 "${z}_$base$np.txt"
            fi
            for k in spans traces dropped_rows; do expect $k "$(value $k "p_$base$np.txt")" "${z}_$base$np.txt"; done
            # bytes_read counts the uncompressed text
            expect bytes_read "$(stat -c %s "$src")" "${z}_$base$np.txt"
        done
    done
done

# ---- 2. several gzip members / zstd frames; directory search --------------------
cat "$FX/jaeger/split_part1.json" > a.json && cat "$FX/jaeger/split_part2.json" > b.json
ingest_ok two 1 --format jaeger -o two.h5 a.json b.json
mkdir -p dir/sub
gzip -c a.json > dir/a.json.gz
zstd -q -c b.json > dir/sub/b.json.zst
echo 'not an input' > dir/notes.txt.gz
for np in 1 2; do
    ingest_ok dir$np $np --format jaeger -o dir$np.h5 dir
    expect files 2 dir$np.txt
    h5diff two.h5 dir$np.h5 || fail "the directory of a .json.gz and a .json.zst at $np ranks differs from the plain files"
done
# one JSON document split in two, compressed apart and concatenated: one
# stream (gzip -d and zstd -d give the same)
$PY - "$FX/jaeger/api_traces.json" <<'PY'
import sys
b = open(sys.argv[1], "rb").read()
open("half1", "wb").write(b[:len(b) // 2]); open("half2", "wb").write(b[len(b) // 2:])
PY
{ gzip -c half1; gzip -c half2; } > members.json.gz
{ zstd -q -c half1; zstd -q -c half2; } > frames.json.zst
ingest_ok plain1 1 --format jaeger -o plain.h5 "$FX/jaeger/api_traces.json"
for f in members.json.gz frames.json.zst; do
    ingest_ok "$f" 2 --format jaeger -o "$f.h5" "$f"
    h5diff plain.h5 "$f.h5" || fail "$f: concatenated members are not read as one stream"
done
gzip -c "$FX/csv/nezha.csv" > nezha.csv.gz
mkdir -p cdir && cp nezha.csv.gz cdir/ && zstd -q -c "$FX/csv/nezha.csv" > cdir/n2.csv.zst
ingest_ok cdir 2 --format nezha -o cdir.h5 cdir
expect files 2 cdir.txt

# ---- 3. standard input ----------------------------------------------------------
for np in 1 2; do
    cat "$FX/jaeger/api_traces.json" | run_le $np ingest --format jaeger -o s$np.h5 - > s$np.txt 2> s$np.err \
        || fail "stdin at $np ranks: $(cat s$np.err)"
    h5diff plain.h5 s$np.h5 || fail "stdin at $np ranks: not the file's corpus"
    # compressed on stdin, beside a file: the two joined
    gzip -c b.json | run_le $np ingest --format jaeger -o sm$np.h5 a.json - > sm$np.txt 2> sm$np.err \
        || fail "gzip on stdin with a file at $np ranks: $(cat sm$np.err)"
    h5diff two.h5 sm$np.h5 || fail "stdin + file at $np ranks: not the two files' corpus"
done
ingest_status twice 1 3 --format jaeger -o t.h5 - - < /dev/null
grep -q "'-' (standard input) given twice" twice.err || fail "'-' twice: $(cat twice.err)"

# ---- 4. --keep-going ---------------------------------------------------------------
mkdir -p mixed
cp "$FX/jaeger/api_traces.json" "$FX/jaeger/old_array.json" mixed/
gzip -c "$FX/jaeger/split_part1.json" | head -c 300 > mixed/cut.json.gz # truncated gzip
cp "$FX/jaeger/not_json.txt" mixed/foreign.json                         # CSV under a .json name
ln -s "$WORK/no-such-file.json" mixed/dangling.json
ln -s "$WORK/no-such-file.txt" mixed/dangling.txt # not an input name: not listed, no error
ingest_ok good 1 --format jaeger -o good.h5 mixed/api_traces.json mixed/old_array.json
for np in 1 2; do
    # without --keep-going: the first bad file met stops the job, named
    ingest_status nokeep$np $np 1 --format jaeger -o nokeep.h5 mixed
    grep -q "mixed/dangling.json: no such file or directory" nokeep$np.err || fail "no file named: $(cat nokeep$np.err)"
    [ ! -e nokeep.h5 ] || fail "a corpus was written without --keep-going"
    rm mixed/dangling.json
    ingest_status nokeepcut$np $np 2 --format jaeger -o nokeep.h5 mixed
    grep -qE "mixed/(cut.json.gz: uncompressed byte [0-9]+: the gzip data ends early|foreign.json: byte 0: not valid Jaeger JSON).*--keep-going skips such a file" \
        nokeepcut$np.err || fail "no file named: $(cat nokeepcut$np.err)"
    [ ! -e nokeep.h5 ] || fail "a corpus was written without --keep-going"
    ln -s "$WORK/no-such-file.json" mixed/dangling.json

    ingest_ok keep$np $np --format jaeger --keep-going -o keep$np.h5 mixed
    # (the root's attribute "source" counts the files listed: 5, not 2)
    h5diff --exclude-attribute / good.h5 keep$np.h5 || fail "--keep-going at $np ranks: not the corpus of the good files"
    expect files 5 keep$np.txt
    expect files_skipped 3 keep$np.txt
    expect skipped_files "mixed/cut.json.gz, mixed/dangling.json, mixed/foreign.json" keep$np.txt
    expect rows_read "$(value spans keep$np.txt)" keep$np.txt
    for f in "cut.json.gz: uncompressed byte [0-9]+: the gzip data ends early" \
        "dangling.json: cannot open: No such file or directory" "foreign.json: byte 0: not valid Jaeger JSON"; do
        grep -qE "warning: --keep-going: skipped mixed/$f" keep$np.err || fail "no warning '$f': $(cat keep$np.err)"
    done
done
# nothing left once every file is skipped: exit 10
ingest_status allskipped 2 10 --format jaeger --keep-going -o none.h5 mixed/cut.json.gz mixed/foreign.json
grep -q "files_skipped: 2" allskipped.txt || fail "$(cat allskipped.txt)"
[ ! -e none.h5 ] || fail "a corpus was written with every file skipped"

# ---- 5. empty and mostly dropped ---------------------------------------------------
printf '{"data":[]}\n' > empty.json
# t1: 1 good span; t2: 3 rows with no duration, dropped: 3 of 4 rows
H=TraceID,SpanID,ParentID,PodName,OperationName,StartTimeUnixNano,EndTimeUnixNano,Duration
printf '%s\n' "$H" "t1,a,root,front-0,GET /,1674981768697000000,1674981768698000000,1000" \
    "t2,b,root,front-0,GET /,1674981768697000000,1674981768698000000,x" \
    "t2,c,b,front-0,GET /,1674981768697000000,1674981768698000000,x" \
    "t2,d,b,front-0,GET /,1674981768697000000,1674981768698000000,x" > mostly.csv
# exactly half dropped is no warning
printf '%s\n' "$H" "t1,a,root,front-0,GET /,1674981768697000000,1674981768698000000,1000" \
    "t2,b,root,front-0,GET /,1674981768697000000,1674981768698000000,x" > half.csv
for np in 1 2; do
    ingest_status empty$np $np 10 --format jaeger -o empty$np.h5 empty.json
    grep -q "warning: no trace ingested (0 rows read, 0 dropped): no corpus written" empty$np.err || fail "$(cat empty$np.err)"
    expect corpus_written no empty$np.txt
    [ ! -e empty$np.h5 ] || fail "an empty ingest wrote a corpus"
    ingest_status hdr$np $np 10 --format nezha -o hdr$np.h5 "$FX/csv/header_only.csv"
    [ ! -e hdr$np.h5 ] || fail "a header-only CSV wrote a corpus"
    ingest_ok emptyok$np $np --format jaeger --allow-drops -o emptyok$np.h5 empty.json
    expect traces 0 emptyok$np.txt
    [ -e emptyok$np.h5 ] || fail "--allow-drops wrote no empty corpus"

    ingest_status mostly$np $np 11 --format nezha -o mostly$np.h5 mostly.csv
    grep -q "warning: 3 of 4 rows (75.0%) were dropped, most as unparsable_fields (3): the corpus mostly$np.h5 is written" \
        mostly$np.err || fail "no warning: $(cat mostly$np.err)"
    grep -q "more than half of the rows were dropped (exit status 11; --allow-drops accepts it)" mostly$np.err \
        || fail "$(cat mostly$np.err)"
    expect traces 1 mostly$np.txt
    run_le 1 info mostly$np.h5 > /dev/null || fail "the corpus written with status 11 does not open"
    ingest_ok mostlyok$np $np --format nezha --allow-drops -o mostlyok$np.h5 mostly.csv
    h5diff mostly$np.h5 mostlyok$np.h5 || fail "--allow-drops changed the corpus"
    grep -q "warning: 3 of 4 rows" mostlyok$np.err || fail "--allow-drops hid the warning"
    ingest_ok half$np $np --format nezha -o half$np.h5 half.csv
    if grep -q "were dropped" half$np.err; then fail "half the rows dropped was warned about"; fi
done
echo "ingest_inputs: all checks passed"
