# Issue 16 case 3: files made from one corpus are refused with another of the
# same trace count (synth ids repeat across seeds, so only the corpus
# fingerprint tells them apart), naming both files; files without a
# fingerprint (older labelease, hand-made) are still accepted. At 2 ranks.
source "$(dirname "$0")/lib.bash"
cd "$WORK"
R=dev-burst-count
# Setup at 1 rank (quicker); every refusal below runs at 2.
run_le 1 synth -o c1.h5 --traces 300 --seed 1 > /dev/null
run_le 1 synth -o c2.h5 --traces 300 --seed 2 > /dev/null
run_le 1 info c1.h5 > i1.txt
run_le 1 info c2.h5 > i2.txt
fp1=$(value fingerprint i1.txt) fp2=$(value fingerprint i2.txt)
[[ $fp1 =~ ^[0-9a-f]{16}$ ]] && [ "$fp1" != "$fp2" ] || fail "fingerprints '$fp1' '$fp2'"

# Everything made from c1, as a person would.
run_le 1 select c1.h5 -o r1.h5 --budget 30 --rounds 1 --no-page --representation $R --dump-vectors v1.h5 > /dev/null
run_le 1 label r1.h5 --oracle c1.h5 -o l1.csv > /dev/null
head -n1 l1.csv | grep -qx 'trace_id,label,note,corpus_fingerprint' || fail "labels header: $(head -n1 l1.csv)"
grep -q ",$fp1\$" l1.csv || fail "l1.csv rows lack the fingerprint $fp1"
run_le 1 propagate c1.h5 l1.csv -o p1.h5 --vectors v1.h5 --representation $R > /dev/null
run_le 1 rootcause c1.h5 p1.h5 -o rc1.h5 --no-page > /dev/null
run_le 1 eval c1.h5 p1.h5 > /dev/null
run_le 1 export c1.h5 p1.h5 rc1.h5 -o d1 > /dev/null
/usr/bin/python3 - "$fp1" <<'PY' || fail "corpus_fingerprint attributes"
import sys, h5py
for f in ["v1.h5", "r1.h5", "p1.h5", "rc1.h5", "d1/dataset.h5"]:
    assert h5py.File(f).attrs["corpus_fingerprint"].decode() == sys.argv[1], f
PY

# refused NAME ARGS...: fails, and says which file was made from which corpus
refused() {
    local what=$1; shift
    if run_le 2 "$@" > out.txt 2> err.txt; then fail "$what: accepted with another corpus"; fi
    grep -q "$what was made from .*$fp1)\?, not c2.h5 (fingerprint $fp2)" err.txt \
        || fail "$what: $(cat err.txt)"
}
# c2's labels as a person might write them (no fingerprint column): accepted.
run_le 1 select c2.h5 -o r2.h5 --budget 30 --rounds 1 --no-page --representation $R > /dev/null
run_le 1 label r2.h5 --oracle c2.h5 -o l2.csv > /dev/null
cut -d, -f1-3 l2.csv > hand.csv
run_le 2 propagate c2.h5 hand.csv -o p2.h5 --representation $R > /dev/null || fail "a labels CSV without fingerprints refused"
refused v1.h5 select c2.h5 -o x.h5 --rounds 1 --no-page --representation $R --vectors v1.h5
refused p1.h5 eval c2.h5 p1.h5
refused rc1.h5 eval c2.h5 p2.h5 rc1.h5
refused rc1.h5 export c2.h5 p2.h5 rc1.h5 -o x
refused l1.csv propagate c2.h5 l1.csv -o x.h5 --representation $R
refused r1.h5 propagate c2.h5 l1.csv -o x.h5 --reps r1.h5
refused r1.h5 label r1.h5 --oracle c2.h5 -o x.csv
refused p1.h5 rootcause c2.h5 p1.h5 -o x.h5 --no-page
refused p1.h5 export c2.h5 p1.h5 -o x
[ ! -e x.h5 ] && [ ! -e x ] && [ ! -e x.csv ] || fail "a refused command left an output"

# A corpus written again under the same name: the message says so.
run_le 1 synth -o c1.h5 --traces 300 --seed 3 > /dev/null
run_le 2 eval c1.h5 p1.h5 > /dev/null 2> err.txt && fail "p1.h5 accepted with a rewritten c1.h5"
grep -q "p1.h5 was made from corpus c1.h5 (fingerprint $fp1), not c1.h5 as it is now" err.txt || fail "$(cat err.txt)"

# Without a fingerprint (a file of an older labelease; a hand-made labels
# CSV) nothing is checked, and -v says so.
/usr/bin/python3 -c 'import h5py; del h5py.File("p1.h5", "r+").attrs["corpus_fingerprint"]'
run_le 2 eval c2.h5 p1.h5 -v > /dev/null 2> err.txt || fail "p1.h5 without a fingerprint refused: $(cat err.txt)"
grep -q "p1.h5 has no corpus fingerprint" err.txt || fail "-v does not say p1.h5 was not checked: $(cat err.txt)"
echo "fingerprints OK"
