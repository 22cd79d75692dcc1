# Every MPI call in the C sources goes through the one check of io/comm.h,
# LE_MPI(...) or LE_MPI_RC(...): on communicators that return errors
# (MPI_ERRORS_RETURN) an unchecked call would let a failure pass unseen.
# Comments and strings are blanked first; left out are MPI_Wtime and
# MPI_Wtick (they return no error code), MPI_Error_string inside the check
# itself, and definitions of MPI functions (the PMPI interposers of
# bench/mpi_waits.c and tests/inject/). Prints the count of checked calls.
source "$(dirname "$0")/lib.bash"
python3 - "$LE_SRC" <<'EOF' || fail "MPI calls outside LE_MPI/LE_MPI_RC (above)"
import os, re, sys
root = sys.argv[1]
call = re.compile(r'\bMPI_[A-Z][a-z0-9]*(?:_[a-z0-9]+)*\s*\(')
token = re.compile(r'/\*.*?\*/|//[^\n]*|"(?:\\.|[^"\\\n])*"|\'(?:\\.|[^\'\\\n])*\'', re.S)
def blank(m):  # keep the line breaks, so line numbers stay right
    return re.sub(r'[^\n]', ' ', m.group(0))
checked, bad = 0, []
for top in ('algos', 'io', 'mpi', 'tui', 'cmd', 'tests', 'bench', 'fuzz'):
    for dirpath, _, files in os.walk(os.path.join(root, top)):
        for f in sorted(files):
            if not f.endswith(('.c', '.h')):
                continue
            path = os.path.join(dirpath, f)
            rel = os.path.relpath(path, root)
            src = token.sub(blank, open(path, encoding='utf-8', errors='replace').read())
            for m in call.finditer(src):
                name = m.group(0).rstrip('( \t\n')
                before = src[:m.start()].rstrip()
                if name in ('MPI_Wtime', 'MPI_Wtick') or (rel == 'io/comm.c' and name == 'MPI_Error_string'):
                    continue
                if re.search(r'\b(int|double)\s*$', before):  # a definition: an interposer
                    continue
                if re.search(r'\bLE_MPI(_RC)?\s*\($', before):
                    checked += 1
                else:
                    bad.append(f'{rel}:{src.count(chr(10), 0, m.start()) + 1}: {name}')
print('\n'.join(bad), file=sys.stderr)
print(f'mpi_calls_checked: {checked}')
print(f'mpi_calls_unchecked: {len(bad)}')
sys.exit(1 if bad else 0)
EOF
echo "PASS mpi_calls_checked"
