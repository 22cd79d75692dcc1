# Helpers for e2e tests (sourced). Env from tests/CMakeLists.txt:
# LABELEASE, LE_SRC, LE_BUILD, LE_SHARED, LE_MPIEXEC.
set -euo pipefail
fail() { echo "FAIL: $*" >&2; exit 1; }
skip() { echo "SKIP: $*"; exit 77; }
# run_le NP ARGS...: labelease under mpiexec with NP ranks
run_le() { local np=$1; shift; $LE_MPIEXEC -np "$np" "$LABELEASE" "$@"; }
# le_within LIMIT NP ARGS...: run_le stopped after LIMIT s, which fails the
# test (a rank with nothing to do must not hang)
le_within() {
    local limit=$1 np=$2 rc=0; shift 2
    timeout -k 10 "$limit" $LE_MPIEXEC -np "$np" "$LABELEASE" "$@" || rc=$?
    [ $rc -ne 124 ] && [ $rc -ne 137 ] || fail "labelease $* at $np ranks did not finish in $limit s"
    return $rc
}
# value KEY FILE: the value of a "key: value" report line
value() { sed -n "s|^$1: ||p" "$2" | head -n1; }
expect() { # expect KEY WANT FILE
    local got; got=$(value "$1" "$3")
    [ "$got" = "$2" ] || fail "$1 is '$got', expected '$2' ($3)"
}
need_shared() { [ -d "$LE_SHARED/data" ] || skip "../shared/data is absent (a user's clone has none)"; }
WORK=$(mktemp -d "${TMPDIR:-/tmp}/le-e2e.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
# use_playwright CACHE_NAME: playwright-core from the committed lock of
# tests/browser, installed once into $LE_BUILD/CACHE_NAME (one cache per test,
# so tests filling theirs under ctest -j do not meet); exports LE_NODE_MODULES.
# Never lets Playwright download a browser: the tests use Debian's chromium.
use_playwright() {
    export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
    local cache=${LE_BROWSER_CACHE:-$LE_BUILD/$1}
    mkdir -p "$cache"
    if ! cmp -s "$LE_SRC/tests/browser/package-lock.json" "$cache/package-lock.json" || [ ! -d "$cache/node_modules/playwright-core" ]; then
        cp "$LE_SRC/tests/browser/package.json" "$LE_SRC/tests/browser/package-lock.json" "$cache/"
        (cd "$cache" && npm ci --no-audit --no-fund --loglevel=error) || fail "npm ci of tests/browser failed"
    fi
    export LE_NODE_MODULES=$cache/node_modules
}
# need_pages CACHE_NAME: what a page test needs (node, npm, Debian's
# chromium, h5py), skipping or failing with the reason; playwright-core into
# $LE_BUILD/CACHE_NAME; the committed page assets current. Sets PY.
need_pages() {
    command -v node >/dev/null || skip "node is absent"
    command -v npm >/dev/null || skip "npm is absent"
    [ -x /usr/bin/chromium ] || skip "/usr/bin/chromium is absent (apt-get install chromium)"
    PY=/usr/bin/python3
    $PY -c 'import h5py' 2>/dev/null || fail "python3-h5py is needed to write the page's input files"
    use_playwright "$1"
    $PY "$LE_SRC/io/page/embed.py" --check || fail "io/page_assets.c is stale: run python3 io/page/embed.py"
}
# page_fixtures: in the current directory, reps.html (12 representatives of
# a 3,000-trace synth corpus plus a 70-span trace, make_reps.py --wide 3) and
# rc.html (rootcause of a 5,000-trace synth corpus with labels from its
# truth; rc.h5, c3.h5 and labels3.h5 stay for checks). After need_pages.
page_fixtures() {
    run_le 1 synth -o c.h5 --traces 3000 --seed 1 >/dev/null
    $PY "$LE_SRC/tests/browser/make_reps.py" c.h5 reps.h5 --k 12 --wide 3
    run_le 1 label reps.h5 --page reps.html >/dev/null
    run_le 1 synth -o c3.h5 --traces 5000 --seed 3 >/dev/null
    $PY "$LE_SRC/bench/rootcause_truth_labels.py" c3.h5 labels3.h5 >/dev/null
    run_le 1 rootcause c3.h5 labels3.h5 -o rc.h5 --page rc.html >/dev/null
}
