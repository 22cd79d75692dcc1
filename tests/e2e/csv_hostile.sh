# CSV in and out (issue 16, cases 5 and 6). Trace ids with a line break, a
# CR, a comma, a quote, leading = + - @, a leading ', inner blanks (ingest
# trims them at the ends, docs/formats.md; the notes keep a leading TAB) go
# through ingest -> select -> label --import -> propagate -> export at 2
# ranks and come back exact: the labels CSV and traces.csv parse (Python's
# csv) to exactly one row per trace, no field starts a spreadsheet formula,
# and undoing the writer's ' guard (docs/formats.md) gives the ids back.
# Then an unterminated quote in an ingest CSV: the lines it swallowed are
# named and counted, one malformed row each.
source "$(dirname "$0")/lib.bash"
cd "$WORK"
PY=/usr/bin/python3
$PY - <<'PY'
import csv
ids = ["a\nb", "c\rd", "e,f", 'g"h', '=HYPERLINK("http://x.example","y")', "+1", "-2", "@SUM(A1)", "T\tab",
       "'=quoted", "'plain", "in ner", "in\t ner", "x\r\ny", "''@z", "ok1", "ok2"]
with open("ids.txt", "w", newline="") as f:
    csv.writer(f).writerow(ids)
with open("in.csv", "w", newline="") as f:
    w = csv.writer(f, quoting=csv.QUOTE_ALL)  # quoted: libcsv keeps the spaces
    w.writerow("TraceID,SpanID,ParentID,PodName,OperationName,StartTimeUnixNano,EndTimeUnixNano,Duration".split(","))
    for t, i in enumerate(ids):
        s = (1700000000 + 60 * t) * 10**9
        w.writerow([i, "r", "root", "front-7d9f8b6c5d-abcde", "GET /", s, s + 5 * 10**8, 500])
        w.writerow([i, "c", "r", "cart-5c7b9d8f6-x1y2z", "GetCart", s + 10**8, s + 2 * 10**8, 100 + t])
PY
run_le 2 ingest --format nezha -o c.h5 in.csv > ingest.txt
expect traces 17 ingest.txt
expect dropped_rows 0 ingest.txt
run_le 2 select c.h5 - -o r.h5 --representation dev --budget 17 --rounds 1 --no-page > select.txt
expect representatives 17 select.txt
# a person's labels (as the page exports them: guarded like io/csvout.c)
$PY - <<'PY'
import csv, re
ids = next(csv.reader(open("ids.txt", newline="")))
guard = lambda s: "'" + s if re.match(r"'*[=+\-@\t\r]", s) else s
with open("import.csv", "w", newline="") as f:
    w = csv.writer(f, quoting=csv.QUOTE_ALL)  # the page quotes " lead" too: libcsv trims unquoted spaces
    w.writerow(["trace_id", "label", "note"])
    for k, i in enumerate(ids):
        w.writerow([guard(i), "abnormal" if k % 3 == 0 else "normal", guard(("\t" if k % 2 else "=") + "note " + i)])
PY
run_le 1 label r.h5 --import import.csv -o l.csv > label.txt
run_le 2 propagate c.h5 - l.csv -o p.h5 --representation dev > propagate.txt
run_le 2 export c.h5 p.h5 -o d > export.txt
$PY - <<'PY' || fail "CSV round trip (above)"
import csv, re, h5py
ids = next(csv.reader(open("ids.txt", newline="")))
unguard = lambda s: s[1:] if re.match(r"''*[=+\-@\t\r]", s) else s
def rows(path, text):  # text: the columns of text (numbers may start with -)
    r = list(csv.reader(open(path, newline="")))
    for row in r[1:]:
        for v in (row[c] for c in text):
            assert not re.match(r"[=+\-@\t\r]", v), f"{path}: field {v!r} starts a formula"
    return r[0], r[1:]
f = h5py.File("c.h5", "r")  # corpus schema 2: ids as offsets + bytes (docs/corpus.md)
off, b = f["traces/trace_id_offset"][:], f["traces/trace_id_bytes"][:].tobytes()
stored = [b[off[i]:off[i + 1]].decode() for i in range(len(off) - 1)]
assert sorted(stored) == sorted(ids), f"ingest changed ids: {stored!r}"
head, lab = rows("l.csv", (0, 1, 2))
assert head == ["trace_id", "label", "note", "corpus_fingerprint"], head
got = {unguard(r[0]): (r[1], unguard(r[2])) for r in lab}
assert len(lab) == 17 and sorted(got) == sorted(ids), f"labels CSV ids: {sorted(got)!r}"
for k, i in enumerate(ids):
    assert got[i] == ("abnormal" if k % 3 == 0 else "normal", ("\t" if k % 2 else "=") + "note " + i), (i, got[i])
head, tr = rows("d/traces.csv", (0, 2))
assert head[0] == "trace_id", head
assert len(tr) == 17, f"traces.csv parses as {len(tr)} rows, not 17"
assert [unguard(r[0]) for r in tr] == stored, "traces.csv ids differ from the corpus"
for r in tr:
    k = ids.index(unguard(r[0]))
    assert r[2] == ("abnormal" if k % 3 == 0 else "normal") and r[4] == "1", r
print("round trip: 17 ids exact")
PY

# An unterminated quote (case 6): line 120 of b.csv opens a quote that the
# quoted field on line 4119 breaks: lines 120-4119 are 4000 malformed rows
# (not one), named in the summary; reading resumes on line 4120. a.csv is
# clean, so that both ranks parse a file.
mkdir -p uq
$PY - <<'PY'
h = "TraceID,SpanID,ParentID,PodName,OperationName,StartTimeUnixNano,EndTimeUnixNano,Duration\n"
def row(t, op="GET /"):
    s = (1700000000 + t) * 10**9
    return f"u{t},r,root,front-7d9f8b6c5d-abcde,{op},{s},{s + 5 * 10**8},500\n"
open("uq/a.csv", "w").write(h + "".join(row(t) for t in range(5000, 5100)))
lines = [row(t) for t in range(2, 4201)]  # lines 2..4200
lines[120 - 2] = lines[120 - 2].replace("front-", '"front-', 1)
lines[4119 - 2] = row(4119, '"GET, /x"')
open("uq/b.csv", "w").write(h + "".join(lines))
PY
run_le 2 ingest --format nezha --allow-drops -o uq.h5 uq > uq.txt # 4000 of 4299 rows dropped: status 11 without
expect rows_read 4299 uq.txt
expect spans 299 uq.txt
expect dropped.malformed_rows 4000 uq.txt
grep -q '^dropped.malformed_rows.longest_run: .*uq/b.csv:120: a quoted field opened here is not closed; lines 120-4119 (4000 lines) dropped$' uq.txt \
    || fail "the summary does not name the swallowed lines: $(grep malformed uq.txt)"
echo "PASS csv_hostile"
