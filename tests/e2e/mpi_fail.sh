# An MPI failure is an error, not an abort (issue 15). tests/inject/mpi_fail.c,
# preloaded into labelease, makes the N-th call of one collective fail on
# every rank, raised through the communicator's error handler as MPI raises
# its own. Every such run must end on every rank within the time limit,
# with exit status 6 (LE_ERR_MPI), a message from every rank naming the
# stage and the call ("select: MPI_Allreduce(...) failed: MPI_ERR_OTHER:
# ..."), no output file when it failed before writing one, and no abort
# (MPI_ABORT, MPI_ERRORS_ARE_FATAL), signal, core dump or sanitizer report. The same command with the
# interposer loaded and no failure succeeds (and counts the calls).
source "$(dirname "$0")/lib.bash"
[ -f "${LE_MPI_FAIL_LIB:-}" ] || fail "LE_MPI_FAIL_LIB (the le_mpi_fail library of tests/CMakeLists.txt) is not set or not built"
cd "$WORK"
LIMIT=${LE_MPI_FAIL_TIMEOUT:-120}
# An ASan build wants its runtime first in the library list.
PRELOAD=$LE_MPI_FAIL_LIB
asan=$(ldd "$LABELEASE" | awk '/libasan/ {print $3}')
[ -z "$asan" ] || PRELOAD=$asan:$PRELOAD

# le_inject NP SPEC ARGS...: labelease with the interposer (only the ranks
# get it, not mpiexec), failing SPEC (NAME:N, or "" for none)
le_inject() {
    local np=$1 spec=$2 rc=0; shift 2
    timeout -k 10 "$LIMIT" $LE_MPIEXEC -np "$np" -x LD_PRELOAD="$PRELOAD" -x LE_MPI_FAIL="$spec" \
        -x LE_MPI_FAIL_COUNTS="$WORK/counts.txt" "$LABELEASE" "$@" || rc=$?
    [ $rc -ne 124 ] && [ $rc -ne 137 ] || fail "labelease $* with $spec at $np ranks: still running after $LIMIT s"
    return $rc
}
calls() { awk -v n="$1" '$1 == n {print $2}' "$WORK/ok_counts.txt"; } # the run without a failure
clean() {
    if grep -qE 'MPI_ABORT|MPI_ERRORS_ARE_FATAL|core dumped|Sanitizer|runtime error:' "$1"; then
        cat "$1" >&2
        fail "$1: an abort, a core dump or a sanitizer report"
    fi
    ! ls core* > /dev/null 2>&1 || fail "a core file after $1"
}
# failed NP STAGE NAME:N OUTPUT ARGS...: that call fails, every rank reports it
# and exits, and OUTPUT (- for none) is not written
failed() {
    local np=$1 stage=$2 spec=$3 out=$4 rc=0 name=${3/:/_}_np$1; shift 4
    le_inject "$np" "$spec" "$@" > "$name.out" 2> "$name.err" || rc=$?
    [ $rc -eq 6 ] || { cat "$name.err" >&2; fail "$name: exit status $rc, not 6 (LE_ERR_MPI)"; }
    for ((r = 0; r < np; r++)); do
        grep -qF "labelease: error (rank $r): $stage: ${spec%%:*}(" "$name.err" \
            || { cat "$name.err" >&2; fail "$name: rank $r did not report '$stage: ${spec%%:*}(...) failed'"; }
    done
    grep -q "failed: MPI_ERR_OTHER" "$name.err" || fail "$name: no MPI error string in $(cat "$name.err")"
    clean "$name.err"
    [ "$out" = - ] || [ ! -e "$out" ] || fail "$name: $out written by a failed run"
    echo "ok $name: $(grep -m1 'rank 0' "$name.err")"
}

run_le 2 synth -q -o c.h5 --traces 2000 --seed 5 > synth.txt
SELECT=(select c.h5 - --budget 20 --rounds 1 --no-page)
le_inject 2 "" "${SELECT[@]}" -o ok.h5 > ok.txt 2> ok.err || { cat ok.err >&2; fail "select with the interposer and no failure failed"; }
clean ok.err
expect representatives 20 ok.txt
[ -f ok.h5 ] || fail "select wrote no ok.h5"
mv counts.txt ok_counts.txt && cat ok_counts.txt
n=$(calls MPI_Allreduce)
[ "${n:-0}" -gt 10 ] || fail "only ${n:-no} Allreduce calls of select counted"
failed 2 select MPI_Allreduce:1 r.h5 "${SELECT[@]}" -o r.h5
failed 2 select "MPI_Allreduce:$((n / 2))" r.h5 "${SELECT[@]}" -o r.h5
# the last is the agreement after rank 0 wrote the (complete) output
failed 2 select "MPI_Allreduce:$n" - "${SELECT[@]}" -o r_last.h5
for c in MPI_Allgatherv MPI_Bcast; do
    [ "$(calls $c)" -gt 0 ] || fail "select made no $c call"
    failed 2 select "$c:1" r.h5 "${SELECT[@]}" -o r.h5
done
failed 4 select "MPI_Allreduce:$((n / 2))" r.h5 "${SELECT[@]}" -o r.h5
failed 2 synth MPI_Exscan:1 c2.h5 synth -q -o c2.h5 --traces 500 --seed 5
# run's plan of a finished run whose rounds stopped at select-3: a failed
# broadcast while it applies that stop (or decides again after it) stops
# run with the error on every rank; it was dropped, and the ranks could go
# on with different plans
printf '[synth]\ntraces = 500\nseed = 2\n[info]\nskip = true\n[select]\nfirst-round = 20\nround-picks = 8\nmax-labels = 28\n[label]\nmode = oracle\n' > r.ini
run_le 2 run r.ini --out o > /dev/null 2> o.err || { cat o.err >&2; fail "run failed"; }
le_inject 2 "" run r.ini --out o --dry-run > ok.txt 2> ok.err || { cat ok.err >&2; fail "run --dry-run with the interposer failed"; }
grep -q 'select-3: the labeling stops here' ok.txt || fail "the dry run does not apply select-3's stop: $(cat ok.txt)"
mv counts.txt ok_counts.txt
n=$(calls MPI_Bcast)
[ "${n:-0}" -ge 3 ] || fail "only ${n:-no} Bcast calls of run's plan counted"
for ((k = 1; k <= n; k++)); do failed 2 run "MPI_Bcast:$k" - run r.ini --out o --dry-run; done
echo "PASS mpi_fail"
