# valgrind memcheck of a tiny pipeline at 1 rank (singleton MPI, no mpiexec):
# synth -> train -> embed -> select -> label --oracle -> propagate ->
# rootcause -> eval, each command under
#   valgrind --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite
# with Open MPI's suppressions and .ci/valgrind.supp (third-party code only).
# Any invalid read/write, use of uninitialised memory or definite leak in our
# code fails the test, with valgrind's report printed. Skips (77) without
# valgrind. Needs a build without ASan (valgrind and ASan do not mix).
# Env: LE_VALGRIND_TRACES (300), LE_VALGRIND_STEPS (3).
source "$(dirname "$0")/lib.bash"
command -v valgrind > /dev/null || skip "valgrind is not installed (.ci/deps.sh --tests installs it)"
if nm -an "$LABELEASE" 2>/dev/null | grep -q __asan_init; then
    skip "$LABELEASE is built with AddressSanitizer; valgrind needs a build without it"
fi
N=${LE_VALGRIND_TRACES:-300}
STEPS=${LE_VALGRIND_STEPS:-3}
SUPP=(--suppressions="$LE_SRC/.ci/valgrind.supp")
[ -f /usr/share/openmpi/openmpi-valgrind.supp ] && SUPP+=(--suppressions=/usr/share/openmpi/openmpi-valgrind.supp)
export OPENBLAS_NUM_THREADS=1
# hwloc's x86 backend prints a notice under valgrind; it changes nothing here.
export HWLOC_COMPONENTS=-x86

cd "$WORK"
# cpu: user + system seconds of the children so far (bash's times; not in a
# $(...) subshell, whose children are not ours)
cpu() { times > "$WORK/times"; awk 'NR == 2 { t = 0; for (i = 1; i <= 2; i++) { split($i, a, "m"); t += a[1] * 60 + a[2] } printf "%.1f", t }' "$WORK/times"; }
vg() { # vg NAME ARGS...: labelease ARGS under memcheck, report in NAME.txt
    local name=$1; shift
    local t0=$SECONDS c0; cpu > "$WORK/c0"; c0=$(cat "$WORK/c0")
    if ! valgrind -q --error-exitcode=99 --leak-check=full --show-leak-kinds=definite \
        --errors-for-leak-kinds=definite --track-origins=yes --num-callers=30 "${SUPP[@]}" \
        --log-file="$WORK/$name.vg" "$LABELEASE" "$@" > "$WORK/$name.txt" 2> "$WORK/$name.err"; then
        echo "--- labelease $* (stderr)"; cat "$WORK/$name.err"
        echo "--- valgrind"; cat "$WORK/$name.vg"
        fail "$name under valgrind"
    fi
    if [ -s "$WORK/$name.vg" ]; then cat "$WORK/$name.vg"; fail "$name: valgrind reported errors"; fi
    cpu > "$WORK/c1"
    echo "$name: clean ($((SECONDS - t0)) s, $(awk -v a="$c0" -v b="$(cat "$WORK/c1")" 'BEGIN { printf "%.1f", b - a }') s cpu)"
}
vg synth synth -o c.h5 --traces "$N" --seed 1
vg train train c.h5 -o m.h5 --steps "$STEPS" --batch 8 --micro 8 --window 128 --pool 2
vg embed embed c.h5 m.h5 -o e.h5
vg select select c.h5 e.h5 -o r.h5 --budget 12 --rounds 1
expect representatives 12 select.txt
vg label label r.h5 --oracle c.h5 -o l.csv
vg propagate propagate c.h5 e.h5 l.csv -o p.h5
vg rootcause rootcause c.h5 p.h5 -o rc.h5
vg eval eval c.h5 p.h5 rc.h5
expect labeled 12 eval.txt
echo "ok: the pipeline at $N traces is clean under valgrind memcheck"
