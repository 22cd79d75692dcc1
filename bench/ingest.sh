#!/usr/bin/env bash
# Ingest throughput: generated Nezha-layout CSV and Jaeger JSON of SIZE in
# total (split into FILES files so ranks share the work), ingested by
# `labelease ingest` at each rank count. Prints key: value lines; the figure
# that matters is parse_mb_per_s_per_rank (input MB per second per rank of
# the parse phase), plus end-to-end MB/s of the whole ingest (parse, join,
# order, write). The CSV is also ingested gzip-compressed (csvgz_*: the same
# files through gzip -6; bytes and MB/s count the uncompressed text, as
# bytes_read does, and csvgz_np*_compressed_bytes is what was on disk).
# The CSV is ingested once more through the spill (csvspill_*: --max-rows
# an eighth of a rank's rows, docs/ingest.md "Memory"): seconds and peak
# RSS a rank beside the in-memory join's, and whether the corpus is the
# same (h5diff). Last, the CSV as one file (csvone_*): in memory, then with
# --max-rows an eighth of its rows, where the file is read in parts.
#
#   bench/ingest.sh                 # 1 GiB of each, 1 and 2 ranks (~5 min here)
#   bench/ingest.sh --quick         # 16 MiB of each, for CI (tests/e2e/bench_ingest_quick.sh)
#   bench/ingest.sh --size 4G --np "1 2 4" --dir /scratch/le-bench
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
size=1G files=8 nps="1 2" dir=${TMPDIR:-/tmp}/labelease-bench
bin=${LABELEASE:-$here/../build/labelease}
py=/usr/bin/python3
while [ $# -gt 0 ]; do
    case $1 in
    --quick) size=16M files=2 ;;
    --size) size=$2; shift ;;
    --files) files=$2; shift ;;
    --np) nps=$2; shift ;;
    --dir) dir=$2; shift ;;
    -h|--help) sed -n '2,18p' "$0"; exit 0 ;;
    *) echo "bench/ingest.sh: unknown option $1" >&2; exit 2 ;;
    esac
    shift
done
[ -x "$bin" ] || { echo "bench/ingest.sh: $bin not built (run ./check.sh or cmake --build build)" >&2; exit 1; }
mpi=(mpiexec --oversubscribe)
[ "$(id -u)" = 0 ] && export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OPENBLAS_NUM_THREADS=1

bytes_of() { # 1G -> bytes (powers of 2, as the generators read it)
    local n=${1%[KMGkmg]} u=${1: -1}
    case $u in K|k) echo $((n << 10)) ;; M|m) echo $((n << 20)) ;; G|g) echo $((n << 30)) ;; *) echo "$1" ;; esac
}
per_file=$(( $(bytes_of "$size") / files ))

# make FORMAT GENERATOR EXT: cached by size so repeated runs skip generation
make_input() {
    local d=$dir/$1-$size-$files
    if [ ! -f "$d/.done" ]; then
        rm -rf "$d" && mkdir -p "$d"
        echo "generating $size of $1 in $files files under $d ..." >&2
        for i in $(seq 1 "$files"); do
            $py "$here/$2" --size "$per_file" --seed "$i" --out "$d/part-$i.$3" > /dev/null &
            [ $((i % 2)) = 0 ] && wait
        done
        wait
        touch "$d/.done"
    fi
    echo "$d"
}

echo "machine: $(nproc) cores, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1)"
echo "size: $size"
echo "files: $files"
# gzip_copy DIR: DIR's files gzip-compressed, cached beside it
gzip_copy() {
    local d=$1-gz
    if [ ! -f "$d/.done" ]; then
        rm -rf "$d" && mkdir -p "$d"
        echo "compressing $1 with gzip -6 ..." >&2
        for f in "$1"/*.csv; do gzip -6 -c "$f" > "$d/$(basename "$f").gz"; done
        touch "$d/.done"
    fi
    echo "$d"
}

for fmt in nezha:gen_nezha_csv.py:csv:csv nezha:gen_nezha_csv.py:csv:csvgz jaeger:gen_jaeger_json.py:json:json; do
    IFS=: read -r name gen ext tag <<<"$fmt"
    in=$(make_input "$name" "$gen" "$ext")
    [ "$tag" != csvgz ] || in=$(gzip_copy "$in")
    for np in $nps; do
        out=$dir/out-$tag-np$np.h5
        rep=$dir/report-$tag-np$np.txt
        "${mpi[@]}" -np "$np" "$bin" ingest -q --format "$name" -o "$out" "$in" > "$rep"
        v() { sed -n "s/^$1: //p" "$rep"; }
        echo "${tag}_np${np}_bytes: $(v bytes_read)"
        [ "$tag" != csvgz ] || echo "${tag}_np${np}_compressed_bytes: $(cat "$in"/*.gz | wc -c)"
        echo "${tag}_np${np}_spans: $(v spans)"
        echo "${tag}_np${np}_parse_mb_per_s_per_rank: $(v parse_mb_per_s_per_rank)"
        echo "${tag}_np${np}_seconds: $(v seconds)"
        echo "${tag}_np${np}_end_to_end_mb_per_s: $(awk -v b="$(v bytes_read)" -v s="$(v seconds)" 'BEGIN{printf "%.1f", b/1e6/s}')"
        echo "${tag}_np${np}_peak_rss_mib_max: $(v peak_rss_mib_max)"
        if [ "$tag" = csv ]; then
            rows=$(( $(v rows_read) / np / 8 + 1 ))
            "${mpi[@]}" -np "$np" "$bin" ingest -q --format "$name" -o "$out.spill.h5" --max-rows "$rows" "$in" > "$rep.spill"
            w() { sed -n "s/^$1: //p" "$rep.spill"; }
            echo "csvspill_np${np}_max_rows: $rows"
            echo "csvspill_np${np}_buckets_steps: $(w spill_buckets) $(w spill_steps)"
            echo "csvspill_np${np}_seconds: $(w seconds)"
            echo "csvspill_np${np}_parse_mb_per_s_per_rank: $(w parse_mb_per_s_per_rank)"
            echo "csvspill_np${np}_peak_rss_mib_max: $(w peak_rss_mib_max)"
            echo "csvspill_np${np}_same_corpus: $(h5diff -q "$out" "$out.spill.h5" > /dev/null 2>&1 && echo yes || echo no)"
            rm -f "$out.spill.h5"
        fi
        rm -f "$out"
    done
done

# one_file DIR: DIR's CSV files as one file (a header, then every row), cached
one_file() {
    local d=$1-one
    if [ ! -f "$d/.done" ]; then
        rm -rf "$d" && mkdir -p "$d"
        local f=("$1"/*.csv)
        { head -n 1 "${f[0]}"; tail -q -n +2 "${f[@]}"; } > "$d/all.csv"
        touch "$d/.done"
    fi
    echo "$d/all.csv"
}
one=$(one_file "$(make_input nezha gen_nezha_csv.py csv)")
for np in $nps; do
    out=$dir/out-one-np$np.h5 rep=$dir/report-one-np$np.txt
    "${mpi[@]}" -np "$np" "$bin" ingest -q --format nezha -o "$out" "$one" > "$rep"
    v() { sed -n "s/^$1: //p" "$rep"; }
    rows=$(( $(v rows_read) / 8 + 1 )) # one rank reads the file
    "${mpi[@]}" -np "$np" "$bin" ingest -q --format nezha -o "$out.spill.h5" --max-rows "$rows" "$one" > "$rep.spill"
    w() { sed -n "s/^$1: //p" "$rep.spill"; }
    echo "csvone_np${np}_seconds_in_memory: $(v seconds)"
    echo "csvone_np${np}_peak_rss_mib_max_in_memory: $(v peak_rss_mib_max)"
    echo "csvone_np${np}_max_rows: $rows"
    echo "csvone_np${np}_spilled: $(w spilled)"
    echo "csvone_np${np}_seconds: $(w seconds)"
    echo "csvone_np${np}_parse_mb_per_s_per_rank: $(w parse_mb_per_s_per_rank)"
    echo "csvone_np${np}_peak_rss_mib_max: $(w peak_rss_mib_max)"
    echo "csvone_np${np}_same_corpus: $(h5diff -q "$out" "$out.spill.h5" > /dev/null 2>&1 && echo yes || echo no)"
    rm -f "$out" "$out.spill.h5"
done
