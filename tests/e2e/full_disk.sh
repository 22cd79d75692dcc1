# A full disk (issue 16, case 7): every stage writing into a full file system
# at 2 ranks ends within the time limit, with a non-zero status, the reason
# ("No space left on device") printed by every rank, no signal, no sanitizer
# report, and no output left (neither the output nor a .partial of it), its
# inputs intact. Once with a disk that fills half-way through a corpus (the
# write that fails on one rank only: it hung), once with a disk already
# full, and synth at 1 rank (closing the file failed, then MPI_Finalize
# crashed). Needs a small tmpfs: skipped where mounting is not allowed.
source "$(dirname "$0")/lib.bash"
FULL=$WORK/full
mkdir -p "$FULL"
mount -t tmpfs -o size=2m tmpfs "$FULL" 2> /dev/null || skip "cannot mount a tmpfs (needs root and a kernel that allows it)"
trap 'umount "$FULL" 2> /dev/null; rm -rf "$WORK"' EXIT
LIMIT=${LE_FULL_DISK_TIMEOUT:-120}

# full NP NAME ARGS...: the run fails cleanly and leaves $FULL as it was
full() {
    local np=$1 name=$2 rc=0 before; shift 2
    before=$(ls -A "$FULL")
    timeout -k 10 "$LIMIT" $LE_MPIEXEC -np "$np" "$LABELEASE" "$@" > "$WORK/$name.out" 2> "$WORK/$name.err" || rc=$?
    [ $rc -ne 124 ] && [ $rc -ne 137 ] || fail "$name: still running after $LIMIT s"
    [ $rc -ne 0 ] || fail "$name: exit status 0 on a full disk"
    [ $rc -lt 128 ] || { cat "$WORK/$name.err" >&2; fail "$name: killed by signal $((rc - 128))"; }
    if grep -qE 'Segmentation|signal|core dumped|Sanitizer|runtime error:|MPI_ABORT' "$WORK/$name.err"; then
        cat "$WORK/$name.err" >&2
        fail "$name: a crash, an abort or a sanitizer report"
    fi
    local r lines
    for ((r = 0; r < np; r++)); do
        # the failed rank says error, the others stopped, with its message (io/comm.h)
        if [ "$np" -gt 1 ]; then lines=$(grep -E "labelease: (error|stopped) \(rank $r\): " "$WORK/$name.err" || true); else
            lines=$(grep "labelease: error: " "$WORK/$name.err" || true); fi
        grep -q "No space left on device" <<< "$lines" \
            || { cat "$WORK/$name.err" >&2; fail "$name: rank $r did not say 'No space left on device'"; }
    done
    [ "$(ls -A "$FULL")" = "$before" ] || fail "$name: left $(ls -A "$FULL" | tr '\n' ' ') behind"
    echo "ok $name: $(grep -m1 'error' "$WORK/$name.err")"
}

# Under ASan every process costs ~1.5 s more (docs/sanitizers.md): there a
# writer of each kind runs (corpus at 2 and 1 ranks, model, checkpoint,
# representatives, vectors through the embeddings writer, a labels CSV), not
# every stage. LE_FULL_DISK_ALL=1 runs every stage anyway.
all=${LE_FULL_DISK_ALL:-1}
ldd "$LABELEASE" | grep -q libasan && all=${LE_FULL_DISK_ALL:-0}

# the inputs, on the normal disk
cd "$WORK"
run_le 1 synth -q -o c.h5 --traces 300 --seed 1 > /dev/null
run_le 1 select c.h5 - -o r.h5 --representation dev --budget 20 --rounds 1 --no-page > /dev/null
if [ "$all" = 1 ]; then
    run_le 1 train c.h5 -o m.h5 --steps 5 > /dev/null
    run_le 1 embed c.h5 m.h5 -o e.h5 > /dev/null
    run_le 1 label r.h5 --oracle c.h5 -o l.csv > /dev/null
    run_le 1 propagate c.h5 e.h5 l.csv -o p.h5 > /dev/null
    run_le 1 rootcause c.h5 p.h5 -o rc.h5 --no-page > /dev/null
    mkdir -p in
    printf 'TraceID,SpanID,ParentID,PodName,OperationName,StartTimeUnixNano,EndTimeUnixNano,Duration\n' > in/a.csv
    for t in $(seq 1 200); do
        printf 't%d,a,root,front-7d9f8b6c5d-abcde,GET /,%d000000000,%d000500000,500\n' "$t" "$t" "$t" >> in/a.csv
    done    # the same rows in 4 files, for ingest's spill (more than --max-rows 50 on a rank)
    mkdir -p in4
    awk 'NR == 1 { for (i = 0; i < 4; i++) print > ("in4/" i ".csv"); next } { print >> ("in4/" (NR % 4) ".csv") }' in/a.csv
fi
inputs=(c.h5 r.h5)
[ "$all" = 1 ] && inputs+=(m.h5 e.h5 l.csv p.h5 rc.h5 in/a.csv)
sums=$(md5sum "${inputs[@]}")

# a corpus that fills the disk half-way: the write fails on some ranks only
full 2 synth_half synth -q -o "$FULL/big.h5" --traces 20000 --seed 1
full 1 synth_half_np1 synth -q -o "$FULL/big.h5" --traces 20000 --seed 1

# room for the 1 MiB that every HDF5 writer sets aside for its close and
# 32 KiB more: the writers of larger files (80 KiB and up) fail at a write,
# the flush or the close (synth_half covers the corpus writer)
dd if=/dev/zero of="$FULL/fill" bs=1k count=$((1024 - 32)) 2> /dev/null
full 2 train_checkpoint train c.h5 -o m2.h5 --steps 5 --checkpoint "$FULL/t.ckpt" --checkpoint-every 2
[ ! -e m2.h5 ] || fail "train wrote its model although its checkpoints failed"
full 2 select select c.h5 - -o "$FULL/r.h5" --representation dev --budget 20 --rounds 1 --no-page
full 2 select_vectors select c.h5 - -o r3.h5 --representation dev --budget 20 --rounds 1 --no-page \
    --dump-vectors "$FULL/v.h5"
[ ! -e r3.h5 ] || fail "select wrote its representatives although --dump-vectors failed"
if [ "$all" = 1 ]; then
    full 2 train train c.h5 -o "$FULL/m.h5" --steps 5
    full 2 embed embed c.h5 m.h5 -o "$FULL/e.h5"
fi
# no room at all: the HDF5 writers refuse before writing anything (a disk
# that fills while HDF5 creates its datasets could still leave the ranks in
# different collectives inside HDF5); the text files fail at their write
dd if=/dev/zero of="$FULL/fill2" bs=4k 2> /dev/null || true
full 2 label_page label r.h5 --page "$FULL/r.html"
if [ "$all" = 1 ]; then
    full 2 ingest ingest --format nezha -o "$FULL/i.h5" in
    full 2 ingest_spill ingest --format nezha -o "$FULL/i2.h5" --max-rows 50 in4
    full 2 propagate propagate c.h5 e.h5 l.csv -o "$FULL/p.h5"
    # a few periods (the rate rule): a file that fits in 32 KiB, so here
    full 2 rootcause rootcause c.h5 p.h5 -o "$FULL/rc.h5" --no-page
    full 2 export export c.h5 p.h5 rc.h5 -o "$FULL/d"
    full 2 label label r.h5 --oracle c.h5 -o "$FULL/l.csv"
fi
[ "$(md5sum "${inputs[@]}")" = "$sums" ] || fail "an input changed"
echo "PASS full_disk"
