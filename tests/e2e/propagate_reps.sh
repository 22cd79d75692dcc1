#!/bin/bash
# propagate --reps REPS.h5: the representation (and, for a model one, the
# embeddings file) come from what select recorded in REPS.h5, so they need
# not be repeated, and what contradicts it is refused, naming both:
#   - no --representation: the recorded one (stv, gat), labels identical to
#     a propagate given that --representation by hand
#   - gat without EMBEDDINGS.h5: the embeddings file select recorded
#   - --representation that differs, another embeddings file, a corpus of
#     another size: status 3 and a message naming what the reps file holds
#   - --vectors of select --dump-vectors with --reps: the same labels
#   - gat read in chunks of 256 traces (--chunk): the same labels as in one
# At 2 ranks.
source "$(dirname "$0")/lib.bash"
command -v h5diff > /dev/null || skip "h5diff is absent (apt-get install hdf5-tools)"
cd "$WORK"
run_le 2 synth -o c.h5 --traces 3000 --seed 4 > /dev/null
run_le 2 train c.h5 -o m.h5 --steps 5 --window 512 -q > /dev/null
run_le 2 embed c.h5 m.h5 -o emb.h5 > /dev/null
same_labels() { h5diff -q "$1" "$2" || fail "$3: $1 and $2 differ"; }

# stv, recorded by select, taken by propagate without the option
run_le 2 select c.h5 -o reps-stv.h5 --representation stv --budget 30 --rounds 1 --no-page --dump-vectors vec-stv.h5 > /dev/null
run_le 1 label reps-stv.h5 --oracle c.h5 -o stv.csv > /dev/null
run_le 2 propagate c.h5 stv.csv -o by-hand.h5 --representation stv > /dev/null
run_le 2 propagate c.h5 stv.csv -o from-reps.h5 --reps reps-stv.h5 > from-reps.txt || fail "propagate --reps failed"
expect representation stv from-reps.txt
expect reps reps-stv.h5 from-reps.txt
same_labels by-hand.h5 from-reps.h5 "stv from --reps"
run_le 2 propagate c.h5 stv.csv -o agree.h5 --reps reps-stv.h5 --representation stv > /dev/null || fail "an agreeing --representation was refused"
run_le 2 propagate c.h5 stv.csv -o vec.h5 --reps reps-stv.h5 --vectors vec-stv.h5 > /dev/null || fail "--reps with --vectors failed"
same_labels by-hand.h5 vec.h5 "--reps with --vectors"

# a mismatch is refused, naming both
rc=0; run_le 2 propagate c.h5 stv.csv -o bad.h5 --reps reps-stv.h5 --representation tail > /dev/null 2> bad.err || rc=$?
[ "$rc" = 3 ] || fail "--representation tail against a reps file of stv: status $rc, expected 3"
grep -q "propagate: --representation tail but reps-stv.h5 was selected with stv; drop the option or re-run select" bad.err \
    || fail "the refusal does not name both representations: $(cat bad.err)"
[ ! -e bad.h5 ] || fail "a refused propagate wrote labels"

# gat: the embeddings file comes from the reps file too
run_le 2 select c.h5 emb.h5 -o reps-gat.h5 --representation gat --budget 30 --rounds 1 --no-page > /dev/null
run_le 1 label reps-gat.h5 --oracle c.h5 -o gat.csv > /dev/null
run_le 2 propagate c.h5 emb.h5 gat.csv -o gat-by-hand.h5 --representation gat > /dev/null
# gat rows are read and scaled to unit length a chunk at a time: the same labels in chunks of 256
run_le 2 propagate c.h5 emb.h5 gat.csv -o gat-chunks.h5 --representation gat --chunk 256 > /dev/null
same_labels gat-by-hand.h5 gat-chunks.h5 "gat in chunks of 256"
run_le 2 propagate c.h5 gat.csv -o gat-from-reps.h5 --reps reps-gat.h5 > gat.txt || fail "gat from --reps without EMBEDDINGS.h5 failed"
expect representation gat gat.txt
same_labels gat-by-hand.h5 gat-from-reps.h5 "gat from --reps"
cp emb.h5 emb-copy.h5
rc=0; run_le 2 propagate c.h5 emb-copy.h5 gat.csv -o bad.h5 --reps reps-gat.h5 > /dev/null 2> bad2.err || rc=$?
[ "$rc" = 3 ] && grep -q "EMBEDDINGS.h5 is emb-copy.h5 but reps-gat.h5 was selected on emb.h5" bad2.err \
    || fail "another embeddings file: status $rc, $(cat bad2.err)"

# a reps file of another corpus
run_le 1 synth -o small.h5 --traces 200 --seed 4 > /dev/null
rc=0; run_le 2 propagate small.h5 stv.csv -o bad.h5 --reps reps-stv.h5 > /dev/null 2> bad3.err || rc=$?
[ "$rc" = 3 ] && grep -q "reps-stv.h5 was selected on a corpus of 3000 traces (c.h5), small.h5 has 200" bad3.err \
    || fail "a reps file of another corpus: status $rc, $(cat bad3.err)"
echo "PASS: propagate takes the representation and embeddings select recorded, and refuses what contradicts them"
