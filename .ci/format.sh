#!/usr/bin/env bash
# format.sh — every C file of the code, tests, benchmarks and fuzz targets in
# the house style of .clang-format (clang-format 14, Debian's).
#
#   .ci/format.sh          list the files clang-format would change; exit 1 if any
#   .ci/format.sh --fix    reformat them in place
#
# check.sh runs it after the build. CLANG_FORMAT names another binary.
# Generated files are left as their generator writes them (io/page_assets.[ch]:
# io/page/embed.py, whose output e2e_labeling_page checks).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
CF=${CLANG_FORMAT:-$(command -v clang-format-14 || command -v clang-format || true)}
if [ -z "$CF" ]; then
    echo "format.sh: clang-format not found (apt-get install clang-format; .ci/deps.sh --tests installs it)" >&2
    exit 2
fi
generated='^io/page_assets\.[ch]$'
if git rev-parse --is-inside-work-tree > /dev/null 2>&1; then
    mapfile -t files < <(git ls-files -- '*.c' '*.h' | grep -E '^(algos|io|mpi|tui|cmd|tests|bench|fuzz)/' | grep -v "$generated")
else
    mapfile -t files < <(find algos io mpi tui cmd tests bench fuzz -name '*.[ch]' | grep -v "$generated" | sort)
fi
if [ "${1:-}" = --fix ]; then
    "$CF" -i --style=file "${files[@]}"
    exit 0
fi
# one clang-format for every file (a process a file took 25 s in CI); it
# names each file that differs in its "code should be clang-formatted" lines
mapfile -t bad < <("$CF" --style=file --dry-run --Werror "${files[@]}" 2>&1 |
    sed -n 's/^\([^:]*\):[0-9]*:[0-9]*: error: code should be clang-formatted.*/\1/p' | sort -u)
for f in "${bad[@]}"; do echo "format: $f differs from .clang-format (.ci/format.sh --fix)"; done
if [ ${#bad[@]} -gt 0 ]; then
    echo "format: ${#bad[@]} of ${#files[@]} files"
    exit 1
fi
echo "format: ${#files[@]} files in the style of .clang-format"
