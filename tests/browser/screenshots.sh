#!/usr/bin/env bash
# Regenerate the pages' screenshots in docs/img (1440×900) from a fresh
# synthetic corpus, the same fixtures as tests/e2e/pages_workflow.sh:
#   tests/browser/screenshots.sh [BUILD_DIR]     (default: build)
set -euo pipefail
SRC=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=$(cd "${1:-$SRC/build}" && pwd)
export LE_SRC=$SRC LE_BUILD=$BUILD LABELEASE=$BUILD/labelease LE_MPIEXEC=${LE_MPIEXEC:-mpiexec}
source "$SRC/tests/e2e/lib.bash"
need_pages browser-cache-shots
cd "$WORK"
page_fixtures
mkdir -p "$SRC/docs/img"
node "$SRC/tests/browser/screenshots.cjs" reps.html rc.html "$SRC/docs/img"
echo "screenshots: $SRC/docs/img/{labeling-page,labeling-timeline,labeling-help,rootcause-page}.png"
