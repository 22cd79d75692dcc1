# Fuzz smoke run (issue #8, docs/fuzzing.md): builds fuzz/fuzz_*.c with clang
# and libFuzzer in $LE_BUILD/fuzz-build (-DLE_FUZZ=ON), replays the regression
# inputs of tests/fixtures/fuzz/NAME/, then fuzzes each target for
# LE_FUZZ_SECONDS (default 5) on a copy of its seeds. Fails on any crash,
# leak or UB report and prints the input that caused it. Skips without clang
# or libFuzzer's runtime (apt-get install clang libclang-rt-14-dev).
source "$(dirname "$0")/lib.bash"
SECS=${LE_FUZZ_SECONDS:-5}
command -v clang >/dev/null || skip "clang is not installed"
echo 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { return 0; }' > "$WORK/probe.c"
clang -fsanitize=fuzzer,address,undefined "$WORK/probe.c" -o "$WORK/probe" 2>/dev/null \
    || skip "clang cannot link -fsanitize=fuzzer (libclang-rt-14-dev missing?)"

FB=$LE_BUILD/fuzz-build
CC=clang cmake -S "$LE_SRC" -B "$FB" -DLE_FUZZ=ON -DBUILD_TESTING=OFF >"$WORK/configure.log" 2>&1 \
    || { cat "$WORK/configure.log"; fail "configuring $FB"; }
cmake --build "$FB" --target fuzz -j2 >"$WORK/build.log" 2>&1 || { tail -n 40 "$WORK/build.log"; fail "building the fuzz targets"; }

F=$LE_SRC/tests/fixtures
seeds() { # seed directories of a target (used read-only)
    case $1 in
        csv|labels) echo "$F/csv" ;;
        csv_map) echo "$F/csv $LE_SRC/configs/formats" ;;
        corpus) echo "$F/corpus_edits" ;; # edits of a corpus the target makes
        *) echo "$F/$1" ;;
    esac
}
targets=()
for src in "$LE_SRC"/fuzz/fuzz_*.c; do n=$(basename "$src" .c); targets+=("${n#fuzz_}"); done
[ ${#targets[@]} -gt 0 ] || fail "no fuzz/fuzz_*.c"

bad=0
for n in "${targets[@]}"; do
    bin=$FB/fuzz/fuzz_$n
    [ -x "$bin" ] || fail "$bin was not built"
    # 1. every input that once crashed a target stays fixed
    if [ -d "$F/fuzz/$n" ]; then
        for f in "$F/fuzz/$n"/*; do
            "$bin" "$f" >"$WORK/replay.log" 2>&1 || { tail -n 30 "$WORK/replay.log"; echo "FAIL: fuzz_$n crashes on regression input $f" >&2; bad=1; }
        done
    fi
    # 2. a bounded run; new inputs go to a scratch corpus, the seeds stay untouched
    mkdir -p "$WORK/corpus_$n" "$WORK/artifacts"
    # shellcheck disable=SC2046
    if "$bin" -max_total_time="$SECS" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
            -artifact_prefix="$WORK/artifacts/$n-" "$WORK/corpus_$n" $(seeds "$n") >"$WORK/$n.log" 2>&1; then
        echo "fuzz_$n: $(grep -o 'Done [0-9]* runs in [0-9]* second(s)' "$WORK/$n.log"), $(grep -o 'cov: [0-9]*' "$WORK/$n.log" | tail -n1)"
    else
        tail -n 40 "$WORK/$n.log"
        mkdir -p "$LE_BUILD/fuzz-crashes"
        for a in "$WORK/artifacts/$n-"*; do
            [ -e "$a" ] || continue
            cp "$a" "$LE_BUILD/fuzz-crashes/"
            echo "FAIL: fuzz_$n crashed; input kept as $LE_BUILD/fuzz-crashes/$(basename "$a")" >&2
        done
        bad=1
    fi
done
[ "$bad" = 0 ] || fail "fuzzing found crashes (see above); fix, then add the input under tests/fixtures/fuzz/NAME/"
echo "PASS: ${#targets[@]} fuzz targets, ${SECS}s each, no crash"
