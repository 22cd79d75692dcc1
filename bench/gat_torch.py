"""PyTorch side of bench/gat.sh: the same model (tests/torch/gat_reference.py),
the same weights and featurised traces (the dump of build/bench/gat_bench),
one thread, float32. Prints torch_embed_traces_per_s and torch_train_step_ms."""
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "torch"))
import torch  # noqa: E402

import gat_reference as ref  # noqa: E402

torch.set_num_threads(1)
dump, batch = sys.argv[1], int(sys.argv[2])
cfg, names, offs, tensors, b, _ = ref.load(dump)
G = len(b["graph_off"]) - 1
p = ref.params_from(tensors, torch.float32, grad=False)
batches = [ref.Batch(b, g, min(g + batch, G), torch.float32) for g in range(0, G, batch)]

reps, t0 = 0, time.perf_counter()
with torch.no_grad():
    while True:
        for bt in batches:
            ref.forward(p, cfg, bt)
        reps += 1
        if time.perf_counter() - t0 >= 2.0:
            break
rate = G * reps / (time.perf_counter() - t0)

trip = b["trip"]
pt = ref.params_from(tensors, torch.float32, grad=True)
opt = torch.optim.Adam(pt.values(), lr=1e-4)
bt = ref.Batch(b, 0, 3 * len(trip), torch.float32)
steps, t0 = 0, time.perf_counter()
while time.perf_counter() - t0 < 2.0:
    opt.zero_grad()
    loss = ref.triplet_loss(ref.forward(pt, cfg, bt), trip, cfg["margin"], 1.0 / len(trip))
    loss.backward()
    opt.step()
    steps += 1
print(f"torch_version: {torch.__version__}")
print(f"torch_embed_traces_per_s: {rate:.0f}")
print(f"torch_train_step_ms: {(time.perf_counter() - t0) / steps * 1e3:.3f}")
