"""The trace encoder of labelease in PyTorch, from the same dump the C code
writes (tests/torch/gat_dump.h: gat_reference_dump, bench/gat_bench): weights by tensor
name, the batch as CSR in-neighbour lists, the operation map. Used by
tests/e2e/gat_torch.sh (float64, compare) and bench/gat_torch.py (float32, time).

Model (docs/model.md): X = [emb_op[vocab[op]] | mean emb_tok[tokens(op)] | time | onehot(status)];
three GAT layers (PyG GATConv semantics, heads concatenated, LeakyReLU 0.2,
self loops), tanh, LayerNorm; mean pool; tanh(P W1 + b1) W2 + b2; cosine
triplet loss with |x| = sqrt(x.x + 1e-12)."""
import h5py
import numpy as np
import torch
import torch.nn.functional as F


def load(path):
    f = h5py.File(path, "r")
    a = f.attrs
    cfg = {k: int(a[k]) for k in ("n_vocab", "d_op", "d_tok", "n_buckets", "layers", "heads", "hidden", "out_dim")}
    cfg["margin"] = float(a["margin"])
    w = f["weights"][:]
    names = [n.decode() if isinstance(n, bytes) else n for n in f["tensors/name"][:]]
    offs, shapes = f["tensors/offset"][:], f["tensors/shape"][:]
    tensors = {n: w[o:o + r * c].reshape(r, c) for n, o, (r, c) in zip(names, offs, shapes)}
    batch = {k: f["batch/" + k][:] for k in f["batch"]}
    out = {k: f["out/" + k][()] for k in f["out"]} if "out" in f else {}
    return cfg, names, offs, tensors, batch, out


class Batch:
    """Graph tensors for nodes [n0, n1) of the dump (graphs [g0, g1))."""

    def __init__(self, b, g0=0, g1=None, dtype=torch.float64):
        go = b["graph_off"]
        g1 = len(go) - 1 if g1 is None else g1
        n0, n1 = int(go[g0]), int(go[g1])
        e0, e1 = int(b["nbr_off"][n0]), int(b["nbr_off"][n1])
        deg = np.diff(b["nbr_off"][n0:n1 + 1])
        self.n, self.g = n1 - n0, g1 - g0
        self.dst = torch.from_numpy(np.repeat(np.arange(self.n), deg)).long()
        self.src = torch.from_numpy(b["nbr"][e0:e1].astype(np.int64) - n0)
        self.graph = torch.from_numpy(b["node_graph"][n0:n1].astype(np.int64) - g0)
        op = b["op"][n0:n1].astype(np.int64)
        self.vocab = torch.from_numpy(b["op_vocab"][op].astype(np.int64))
        # token mean as a sparse (node x bucket) matrix of 1/n_tokens
        to, tk = b["op_tok_off"], b["op_tok"]
        cnt = to[op + 1] - to[op]
        rows = np.repeat(np.arange(self.n), cnt)
        cols = np.concatenate([tk[to[o]:to[o + 1]] for o in op]) if self.n else np.zeros(0, np.int64)
        vals = np.repeat(1.0 / cnt, cnt)
        self.tokmean = (rows, cols, vals)
        self.time = torch.from_numpy(b["time"][n0:n1]).to(dtype)
        self.status = F.one_hot(torch.from_numpy(b["status"][n0:n1].astype(np.int64)), 3).to(dtype)
        self.count = torch.bincount(self.graph, minlength=self.g).to(dtype)
        self.dtype = dtype

    def tok_matrix(self, n_buckets):
        r, c, v = self.tokmean
        i = torch.from_numpy(np.stack([r, c]).astype(np.int64))
        return torch.sparse_coo_tensor(i, torch.from_numpy(v).to(self.dtype), (self.n, n_buckets)).coalesce()


def params_from(tensors, dtype=torch.float64, grad=True):
    return {n: torch.tensor(t, dtype=dtype, requires_grad=grad) for n, t in tensors.items()}


def gat_layer(p, l, X, bt, H, C):
    N = X.shape[0]
    Wh = (X @ p[f"gat{l}.W"]).view(N, H, C)
    s_src = (Wh * p[f"gat{l}.att_src"]).sum(-1)
    s_dst = (Wh * p[f"gat{l}.att_dst"]).sum(-1)
    e = F.leaky_relu(s_dst[bt.dst] + s_src[bt.src], 0.2)
    mx = torch.full((N, H), -torch.inf, dtype=X.dtype).scatter_reduce(0, bt.dst[:, None].expand(-1, H), e, "amax")
    ex = torch.exp(e - mx[bt.dst])
    den = torch.zeros(N, H, dtype=X.dtype).index_add(0, bt.dst, ex)
    alpha = ex / den[bt.dst]
    Z = torch.zeros(N, H, C, dtype=X.dtype).index_add(0, bt.dst, alpha[..., None] * Wh[bt.src]).reshape(N, H * C)
    A = torch.tanh(Z + p[f"gat{l}.bias"][0])
    return F.layer_norm(A, (H * C,), p[f"gat{l}.ln_g"][0], p[f"gat{l}.ln_b"][0], eps=1e-5)


def forward(p, cfg, bt, keep=None):
    tok = torch.sparse.mm(bt.tok_matrix(cfg["n_buckets"]), p["emb_tok"])
    X = torch.cat([p["emb_op"][bt.vocab], tok, bt.time, bt.status], 1)
    Y = X
    for l in range(cfg["layers"]):
        Y = gat_layer(p, l, Y, bt, cfg["heads"], cfg["hidden"])
        if keep is not None:
            keep.append(Y)
    P = torch.zeros(bt.g, Y.shape[1], dtype=Y.dtype).index_add(0, bt.graph, Y) / bt.count[:, None]
    H1 = torch.tanh(P @ p["mlp.W1"] + p["mlp.b1"][0])
    return H1 @ p["mlp.W2"] + p["mlp.b2"][0]


def triplet_loss(O, trip, margin, scale):
    trip = torch.as_tensor(trip, dtype=torch.long)
    a, pp, n = O[trip[:, 0]], O[trip[:, 1]], O[trip[:, 2]]

    def cos(x, y):
        return (x * y).sum(1) / (torch.sqrt((x * x).sum(1) + 1e-12) * torch.sqrt((y * y).sum(1) + 1e-12))

    d_ap, d_an = 1 - cos(a, pp), 1 - cos(a, n)
    return scale * torch.clamp(d_ap - d_an + margin, min=0).sum()
