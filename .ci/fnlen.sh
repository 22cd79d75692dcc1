#!/usr/bin/env bash
# fnlen.sh: list the functions of the command layer longer than MAX lines
# (issue 15: the commands stay thin — parse options, call, report — and a
# function that does not fit on a screen is usually doing two jobs).
#
#   .ci/fnlen.sh [--max N] [FILE...]
#
# Default files: cmd/*.c, the command layer (relative
# to the repository). A function counts from the first line of its signature
# to its closing brace. Prints one line per long function, longest first,
# "FILE:LINE: NAME N lines", and exits 1 when there is any (0 otherwise).
#
# awk, not a C parser: it relies on the house style that clang-format keeps —
# a function's signature starts in column 0, its body opens with "{" alone
# on a line and closes with "}" alone on a line (K&R for functions). One-line
# functions and everything else (structs, tables, macros) are not counted.
set -euo pipefail
max=80
if [ "${1:-}" = --max ]; then max=$2; shift 2; fi
cd "$(dirname "${BASH_SOURCE[0]}")/.."
if [ $# = 0 ]; then
    shopt -s nullglob
    set -- cmd/*.c
fi
awk -v max="$max" '
    FNR == 1 { head = 0; infn = 0 }
    # a signature: column 0, an identifier, an opening parenthesis, no ";"
    !infn && /^[A-Za-z_][A-Za-z0-9_ \t*]*\(/ && !/;[ \t]*$/ && !/^(typedef|extern)[ \t]/ {
        head = FNR
        sig = $0
        sub(/\(.*/, "", sig)
        n = split(sig, w, /[ \t*]+/)
        name = w[n]
        next
    }
    !infn && head && /^\{$/ { infn = 1; next }
    !infn && head && (/;[ \t]*$/ || /^$/) { head = 0 }
    infn && /^\}/ {
        len = FNR - head + 1
        if (len > max) printf "%d\t%s:%d: %s %d lines\n", len, FILENAME, head, name, len
        infn = 0
        head = 0
    }
' "$@" | sort -t "$(printf '\t')" -k1,1nr | cut -f2 | { found=0; while IFS= read -r l; do echo "$l"; found=1; done; exit $((found)); }
