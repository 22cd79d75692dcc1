# bench/scaling_model.py: the three predictions docs/scaling.md shows are
# what the committed script prints (every line of each), and the claims the
# page makes of them hold: under 10 minutes at 256 nodes, no memory mark with
# ingest spilling (the default, as built), marks without it, the file system
# named as the limit, efficiency >= 0.8 up to 256 nodes on one that scales.
source "$(dirname "$0")/lib.bash"
M="/usr/bin/python3 $LE_SRC/bench/scaling_model.py"
DOC="$LE_SRC/docs/scaling.md"
$M --no-ingest-spill > "$WORK/m1.txt"
$M > "$WORK/m2.txt"
$M --fs-max 1e15 > "$WORK/m3.txt"
for f in m1 m2 m3; do
    while IFS= read -r line; do
        [ -z "$line" ] && continue
        grep -qxF -- "$line" "$DOC" || fail "docs/scaling.md lacks the line of $f: '$line' (re-run the model, update the page)"
    done < "$WORK/$f.txt"
done
grep -q "^memory marks: none" "$WORK/m2.txt" || fail "memory marks with the spill: $(grep marks "$WORK/m2.txt")"
grep -q "^memory marks: ingest at 1 node" "$WORK/m1.txt" || fail "no memory mark without the spill: $(grep marks "$WORK/m1.txt")"
awk '/^effic/ { for (i = 2; i <= 6; i++) if ($i + 0 < 0.8) exit 1 }' "$WORK/m3.txt" \
    || fail "efficiency under 0.8 up to 256 nodes on a file system that scales: $(grep effic "$WORK/m3.txt")"
grep -q "^limit at 256 nodes: ingest 'read'" "$WORK/m2.txt" || fail "the limit is no longer the file system: $(grep limit "$WORK/m2.txt")"
awk '/^total/ { if ($6 ~ /h$/ || ($6 ~ /m$/ && $6 + 0 >= 10)) exit 1 }' "$WORK/m2.txt" || fail "total at 256 nodes is 10 minutes or more"
echo "ok: the model's three predictions are those of docs/scaling.md"
