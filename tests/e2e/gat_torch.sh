#!/bin/bash
# The C encoder against the PyTorch reference (tests/torch/gat_reference.py):
# gat_reference_dump (tests/torch/gat_reference_dump.c, built with the tests)
# dumps a fixed random batch, weights, outputs, loss and gradients;
# torch recomputes them in float64 and every tensor must agree to 1e-4
# relative (max |c - torch| <= 1e-4 * max |torch| per tensor).
source "$(dirname "$0")/lib.bash"
/usr/bin/python3 -c "import torch, h5py" 2>/dev/null || skip "/usr/bin/python3 cannot import torch (apt-get install python3-torch)"
[ -x "${LE_GAT_REFERENCE_DUMP:-}" ] || fail "no gat_reference_dump (LE_GAT_REFERENCE_DUMP='${LE_GAT_REFERENCE_DUMP:-}'): build the tests"
"$LE_GAT_REFERENCE_DUMP" "$WORK/ref.h5" --seed 3 || fail "dump failed"
# the product command no longer has the option, and says where it went
rc=0; "$LABELEASE" train --dump-reference "$WORK/x.h5" > /dev/null 2> "$WORK/moved.err" || rc=$?
[ "$rc" = 3 ] && grep -q "moved out of labelease to build/tests/gat_reference_dump" "$WORK/moved.err" \
    || fail "train --dump-reference: status $rc, not the message pointing at the new tool: $(cat "$WORK/moved.err")"
PYTHONPATH="$LE_SRC/tests/torch" /usr/bin/python3 - "$WORK/ref.h5" <<'PY' || fail "C and torch disagree"
import sys
import numpy as np
import torch
import gat_reference as ref

cfg, names, offs, tensors, batch, out = ref.load(sys.argv[1])
p = ref.params_from(tensors)
bt = ref.Batch(batch)
keep = []
O = ref.forward(p, cfg, bt, keep)
trip = batch["trip"]
loss = ref.triplet_loss(O, trip, cfg["margin"], 1.0 / len(trip))
loss.backward()
bad = 0

def check(name, c, t, tol=1e-4):
    global bad
    c, t = np.asarray(c, np.float64), np.asarray(t, np.float64)
    err = np.abs(c - t).max() / max(np.abs(t).max(), 1e-30)
    ok = err <= tol
    bad += not ok
    print(f"{'ok ' if ok else 'BAD'} {name:14s} rel {err:.2e}")

for l, Y in enumerate(keep):
    check(f"Y{l}", out[f"Y{l}"], Y.detach().numpy())
check("O", out["O"], O.detach().numpy())
check("loss", [out["loss"]], [loss.item()])
assert loss.item() > 0, "the fixed batch must have active triplets"
grad = out["grad"]
for n, o in zip(names, offs):
    t = p[n].grad.numpy()
    check("grad " + n, grad[o:o + t.size].reshape(t.shape), t)
sys.exit(1 if bad else 0)
PY
echo "PASS: C forward, loss and every gradient match torch to 1e-4"
