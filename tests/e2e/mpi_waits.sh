# bench/mpi_waits.sh: a 2-rank select under the PMPI shim prints, for each
# rank, its time and calls in Allreduce, and the time in Lloyd's allreduce
# of k·d + k + 2 doubles under its own size key.
source "$(dirname "$0")/lib.bash"
run_le 2 synth -q -o "$WORK/c.h5" --traces 3000 --seed 3 > /dev/null
K=12
LE_BUILD=$LE_BUILD bash "$LE_SRC/bench/mpi_waits.sh" 2 select "$WORK/c.h5" - -o "$WORK/r.h5" \
    --representation dev-burst --budget $K --rounds 1 --no-page > "$WORK/out.txt"
cat "$WORK/out.txt"
d=$(value dim "$WORK/out.txt")
[ -n "$d" ] || fail "select printed no dim"
num='^[0-9]+(\.[0-9]+)?$'
for r in 0 1; do
    for k in wait_s.allreduce.rank$r wait_s.allreduce_$((K * d + K + 2)).rank$r; do
        [[ $(value "$k" "$WORK/out.txt") =~ $num ]] || fail "no number for $k"
    done
    n=$(value calls.allreduce.rank$r "$WORK/out.txt")
    [ "${n:-0}" -gt 5 ] || fail "rank $r: ${n:-no} Allreduce calls counted"
done
echo "PASS mpi_waits"
