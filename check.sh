#!/usr/bin/env bash
# check.sh — what CI runs (.ci/run): install what is missing, build, test.
#
#   ./check.sh [-R REGEX] [-E REGEX] [--no-deps]
#
#   1. .ci/deps.sh --tests   Debian packages, with the test extras (torch, sklearn,
#                            faiss, Chromium, tmux, Slurm)
#   2. cmake configure + build into build/ (RelWithDebInfo, -j$(nproc))
#   3. ctest --output-on-failure, -j$(nproc), every test limited in time
# Exits with ctest's status. -R/-E are passed to ctest (e.g. ./check.sh -R e2e_).
# Environment: BUILD_DIR (default build), CTEST_TIMEOUT (seconds per test
# without its own TIMEOUT, default 600), CTEST_PARALLEL (default nproc).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

deps=1
ctest_args=()
while [ $# -gt 0 ]; do
    case "$1" in
        --no-deps) deps=0 ;;
        -R|-E) ctest_args+=("$1" "$2"); shift ;;
        -h|--help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
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

step "test: ctest --output-on-failure -j${CTEST_PARALLEL:-$JOBS} --timeout ${CTEST_TIMEOUT:-600} ${ctest_args[*]}"
set +e
(cd "$BUILD_DIR" && ctest --output-on-failure --no-tests=error \
    -j"${CTEST_PARALLEL:-$JOBS}" --timeout "${CTEST_TIMEOUT:-600}" "${ctest_args[@]}")
rc=$?
set -e
step "done: ctest exit status $rc"
exit $rc
