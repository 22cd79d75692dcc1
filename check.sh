#!/usr/bin/env bash
# check.sh — what CI runs (.ci/run): install what is missing, build, test.
#
#   ./check.sh [-R REGEX] [-E REGEX] [--no-deps] [--no-sanitize] [--sanitize-all]
#
#   1. .ci/deps.sh --tests   Debian packages, with the test extras (torch, sklearn,
#                            faiss, Chromium, tmux, Slurm, valgrind)
#   2. cmake configure + build into build/ (RelWithDebInfo, -j$(nproc))
#      static checks: .ci/format.sh (clang-format), .ci/layers.py (the
#      layers of docs/architecture.md, no circle), .ci/fnlen.sh (command-layer
#      functions over 80 lines); a failure fails the run after the tests
#   3. ctest --output-on-failure, -j$(nproc), every test limited in time
#   4. sanitized phase (not with --no-sanitize): configure + build build-san/
#      with -DLE_SANITIZE=ON (ASan + UBSan, UB aborts) and run ctest there
#      with leak detection (.ci/lsan.supp: third-party leaks only): the unit
#      and MPI tests and the small end-to-end tests; the long end-to-end
#      tests (SAN_LONG below) only with --sanitize-all, the nightly-style
#      run (docs/sanitizers.md); SAN_EXCLUDE never
# Exits 0 only if every phase passed. -R/-E are passed to both ctest runs
# (e.g. ./check.sh -R e2e_). Environment: BUILD_DIR (default build),
# SAN_BUILD_DIR (default build-san), CTEST_TIMEOUT (seconds per test without
# its own TIMEOUT, default 600), CTEST_PARALLEL (default nproc).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

deps=1
sanitize=1
san_all=0
ctest_args=()
user_exclude=
while [ $# -gt 0 ]; do
    case "$1" in
        --no-deps) deps=0 ;;
        --no-sanitize) sanitize=0 ;;
        --sanitize-all) san_all=1 ;;
        -R) ctest_args+=("$1" "$2"); shift ;;
        -E) user_exclude=$2; shift ;;
        -h|--help) sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "check.sh: unknown option '$1' (--help)" >&2; exit 2 ;;
    esac
    shift
done

BUILD_DIR=${BUILD_DIR:-build}
JOBS=$(nproc 2>/dev/null || echo 2)
start=$(date +%s)
step() { printf '\n==> [%4ss] %s\n' "$(($(date +%s) - start))" "$*"; }

if [ $deps = 1 ]; then
    step "dependencies: .ci/deps.sh --tests"
    bash .ci/deps.sh --tests
fi

step "configure: cmake -S . -B $BUILD_DIR -DCMAKE_BUILD_TYPE=RelWithDebInfo"
cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo

step "build: cmake --build $BUILD_DIR -j$JOBS"
cmake --build "$BUILD_DIR" -j"$JOBS"

step "static checks: .ci/format.sh (clang-format), .ci/layers.py (docs/architecture.md), .ci/fnlen.sh"
static_rc=0
bash .ci/format.sh || static_rc=1
python3 .ci/layers.py "$BUILD_DIR" || static_rc=1
bash .ci/fnlen.sh || static_rc=1

step "test: ctest --output-on-failure -j${CTEST_PARALLEL:-$JOBS} --timeout ${CTEST_TIMEOUT:-600} ${ctest_args[*]}"
set +e
(cd "$BUILD_DIR" && ctest --output-on-failure --no-tests=error \
    -j"${CTEST_PARALLEL:-$JOBS}" --timeout "${CTEST_TIMEOUT:-600}" "${ctest_args[@]}" \
    ${user_exclude:+-E "$user_exclude"})
rc=$?
set -e
step "done: ctest exit status $rc"
if [ $static_rc != 0 ]; then
    echo "check.sh: the static checks failed (above)" >&2
    [ $rc = 0 ] && rc=1
fi
if [ $sanitize = 0 ]; then exit $rc; fi

# ---- sanitized phase ---------------------------------------------------------
# Tests that do not run in build-san, one reason each (everything else does):
SAN_EXCLUDE=(
    # builds its own clang ASan+UBSan+libFuzzer targets in $LE_BUILD/fuzz-build:
    # already sanitized, and a second copy would only add ~2.5 min
    e2e_fuzz_smoke
    # starts munge/slurmctld/slurmd and launches through srun + PMIx; it tests
    # the launch, the same labelease commands run sanitized in the other tests
    e2e_slurm
    # asserts that peak RSS does not grow with the traces; ASan's shadow memory
    # and its quarantine of freed blocks (up to 256 MB) make RSS meaningless.
    # synth at 1-4 ranks runs sanitized in e2e_edge_cases and the pipelines
    e2e_synth_ranks
    # valgrind cannot run an ASan binary (it skips itself there anyway)
    e2e_valgrind
    # the experiment runner: the same synth/train/embed/select/label/propagate/
    # rootcause commands that e2e_label_pipeline, e2e_label_oracle and
    # e2e_rootcause run sanitized, plus Python baselines; 5.4 min under ASan,
    # which kept the whole CI run near its 30-minute limit
    e2e_experiments_quick
    # preloads a PMPI shim built without ASan; an ASan binary wants its
    # runtime first in the library list and aborts otherwise
    e2e_mpi_waits
)
# Long end-to-end tests: sanitized only with --sanitize-all (each process
# costs ~1.5 s more under ASan + LSan, so these take 2-7 min each and the
# sanitized phase over 25 min). The code they drive runs sanitized in CI
# through the unit and MPI tests and the small pipelines left in:
# e2e_run_rounds (labelease run, every stage, default labeling, 2 ranks),
# e2e_label_oracle, e2e_rootcause, e2e_ingest_messy (bad input, errors);
# the corpus checks in mpi_corpus_check (1, 2, 4 ranks) and fuzz_corpus
# (e2e_corpus_checks drives them through five commands), the fingerprints in
# mpi_corpus_io and unit_labels (e2e_fingerprint: ten commands refusing);
# e2e_bad_usage (227 s sanitized: ~150 short processes, most refused before
# a stage allocates; the stages' error paths run sanitized in
# e2e_ingest_messy and e2e_full_disk), and propagate's search over reps
# (e2e_propagate_reps, 108 s; propagate runs in e2e_run_rounds and
# e2e_label_oracle); e2e_ingest_inputs (~60 short ingests: compressed input, stdin,
# --keep-going, exit status 10/11; io/infile runs sanitized in unit_infile,
# the all-or-nothing rollback in unit_csv and unit_json).
# The readers of the real formats (e2e_ingest_zipkin_trees: a multi-root
# corpus through every stage; e2e_ingest_jaeger_otlp_variants,
# e2e_ingest_csv_maps: dozens of ingests each) run sanitized through
# unit_json, unit_cellpath, unit_infile and the fuzz targets, the join's tree
# rules through e2e_ingest_messy. e2e_select_suggest (50 s sanitized): the
# suggestions of round 2 are computed in every select --round 2, which
# e2e_run_rounds runs sanitized. e2e_long_ids and e2e_csv_hostile (30 s
# each sanitized): the id datasets run sanitized in mpi_corpus_io, the CSV
# field writer and readers in unit_csv, unit_labels and unit_period_labels.
# e2e_rootcause_noise: its rootcause code (the normal share, the support
# rule, the order) runs sanitized in e2e_rootcause. e2e_ingest_spill_parts
# (14 spilled ingests, ~100 s sanitized): files read in parts and a
# truncated split file skipped run sanitized in e2e_ingest_spill, the
# reader's parts in unit_csv.
SAN_LONG=(
    e2e_bad_usage e2e_bench_all_quick e2e_bench_ingest_quick e2e_corpus_checks e2e_edge_cases e2e_fingerprint e2e_gat_torch
    e2e_info_kinds e2e_ingest_formats e2e_ingest_real e2e_label_pipeline
    e2e_label_tui e2e_labeling_page e2e_pages_workflow e2e_propagate_reps e2e_rootcause_page e2e_rootcause_tui
    e2e_run_kill e2e_slurm_requeue e2e_timings e2e_train_checkpoint
    e2e_train_embed e2e_ingest_inputs e2e_select_suggest e2e_long_ids e2e_csv_hostile e2e_ingest_zipkin_trees e2e_ingest_jaeger_otlp_variants e2e_ingest_csv_maps
    e2e_rootcause_noise e2e_ingest_spill_parts
)
[ $san_all = 1 ] || SAN_EXCLUDE+=("${SAN_LONG[@]}")
SAN_BUILD_DIR=${SAN_BUILD_DIR:-build-san}
san_regex="^($(IFS='|'; echo "${SAN_EXCLUDE[*]}"))\$"
[ -n "$user_exclude" ] && san_regex="($san_regex)|($user_exclude)"

step "sanitized configure: cmake -S . -B $SAN_BUILD_DIR -DLE_SANITIZE=ON"
cmake -S . -B "$SAN_BUILD_DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLE_SANITIZE=ON

step "sanitized build: cmake --build $SAN_BUILD_DIR -j$JOBS"
cmake --build "$SAN_BUILD_DIR" -j"$JOBS"

# halt_on_error: the first ASan report ends the process (a test fails);
# UB aborts already (-fno-sanitize-recover=undefined). Leaks end every process
# with exit 23 (a test fails) unless .ci/lsan.supp matches a frame of the
# allocation stack; fast_unwind_on_malloc=0 so that frames inside Open MPI
# (built without frame pointers) are seen and can match.
export ASAN_OPTIONS=detect_leaks=1:halt_on_error=1:check_initialization_order=1:strict_init_order=1:fast_unwind_on_malloc=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export LSAN_OPTIONS=suppressions=$PWD/.ci/lsan.supp:print_suppressions=0:fast_unwind_on_malloc=0
# Smaller sizes where a test reads them (the same code paths, less time).
export LE_TRAIN_EMBED_TRACES=${LE_TRAIN_EMBED_TRACES:-2000} LE_TRAIN_EMBED_STEPS=${LE_TRAIN_EMBED_STEPS:-30}

step "sanitized test: ctest -E '$san_regex' ${ctest_args[*]}"
set +e
(cd "$SAN_BUILD_DIR" && ctest --output-on-failure --no-tests=error \
    -j"${CTEST_PARALLEL:-$JOBS}" --timeout "${CTEST_TIMEOUT:-600}" "${ctest_args[@]}" -E "$san_regex")
san_rc=$?
set -e
step "done: ctest exit status $rc (build), $san_rc (sanitized, $SAN_BUILD_DIR)"
[ $rc = 0 ] && [ $san_rc = 0 ]
