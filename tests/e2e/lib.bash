# Helpers for e2e tests (sourced). Env from tests/CMakeLists.txt:
# LABELEASE, LE_SRC, LE_BUILD, LE_SHARED, LE_MPIEXEC.
set -euo pipefail
fail() { echo "FAIL: $*" >&2; exit 1; }
skip() { echo "SKIP: $*"; exit 77; }
# run_le NP ARGS...: labelease under mpiexec with NP ranks
run_le() { local np=$1; shift; $LE_MPIEXEC -np "$np" "$LABELEASE" "$@"; }
# value KEY FILE: the value of a "key: value" report line
value() { sed -n "s|^$1: ||p" "$2" | head -n1; }
expect() { # expect KEY WANT FILE
    local got; got=$(value "$1" "$3")
    [ "$got" = "$2" ] || fail "$1 is '$got', expected '$2' ($3)"
}
need_shared() { [ -d "$LE_SHARED/data" ] || skip "../shared/data is absent (a user's clone has none)"; }
WORK=$(mktemp -d "${TMPDIR:-/tmp}/le-e2e.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
