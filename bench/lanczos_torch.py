#!/usr/bin/python3
"""PyHessian's top-k eigenvalues (power iteration with deflation: maxIter 100,
tol 1e-3, Hessian-vector products by double backward through one retained
gradient graph) of a nabla MLP checkpoint's loss Hessian (mean cross-entropy,
f32) on its first N training samples, one thread -- the peer of
bench/lanczos_bench.c. usage: lanczos_torch.py CKPT DATA_DIR N. Prints the
time, the HVPs and the eigenvalues."""
import gzip
import json
import os
import struct
import sys
import time

import numpy as np
import torch

torch.set_num_threads(1)
ckpt, data, n = sys.argv[1], sys.argv[2], int(sys.argv[3])


def idx(name):
    p = os.path.join(data, name)
    b = open(p, "rb").read() if os.path.exists(p) else gzip.open(p + ".gz").read()
    dims = [struct.unpack(">I", b[4 + 4 * i:8 + 4 * i])[0] for i in range(b[3])]
    return np.frombuffer(b, np.uint8, offset=4 + 4 * b[3]).reshape(dims)


raw = open(ckpt, "rb").read()
hl = struct.unpack("<Q", raw[:8])[0]
head = json.loads(raw[8:8 + hl])
meta = head["__metadata__"]
assert meta["model"] == "mlp"


def tensor(name):
    e = head[name]
    a, b = e["data_offsets"]
    return torch.from_numpy(np.frombuffer(raw, np.float32, count=(b - a) // 4, offset=8 + hl + a).reshape(e["shape"]).copy())


layers = sorted({int(k.split(".")[0]) for k in head if k.endswith(".weight")})
params = [t.requires_grad_() for l in layers for t in (tensor("%d.weight" % l), tensor("%d.bias" % l))]
mean, std = float(meta["norm_mean"]), float(meta["norm_std"])
x = torch.from_numpy(((idx("train-images-idx3-ubyte")[:n].reshape(n, -1) / np.float32(255)) - mean) / std).float()
y = torch.from_numpy(idx("train-labels-idx1-ubyte")[:n].astype(np.int64))


def loss():
    h = x
    for i in range(0, len(params), 2):
        h = h @ params[i].t() + params[i + 1]
        if i + 2 < len(params):
            h = torch.relu(h)
    return torch.nn.functional.cross_entropy(h, y)


def dot(a, b):
    return sum((u * v).sum() for u, v in zip(a, b))


def normalise(v):
    s = dot(v, v).sqrt()
    return [u / (s + 1e-6) for u in v]


torch.manual_seed(0)
t0 = time.perf_counter()
grads = torch.autograd.grad(loss(), params, create_graph=True)
eigs, vecs, hvps = [], [], 0
for k in range(5):  # PyHessian hessian.eigenvalues(maxIter=100, tol=1e-3, top_n=5)
    v = normalise([torch.randn_like(p) for p in params])
    lam = None
    for it in range(100):
        for w in vecs:  # orthnormal(v, eigenvectors)
            c = dot(v, w)
            v = [a - c * b for a, b in zip(v, w)]
        v = normalise(v)
        hv = torch.autograd.grad(grads, params, grad_outputs=v, retain_graph=True)
        hvps += 1
        tmp = dot(hv, v).item()
        v = normalise([h.detach() for h in hv])
        if lam is not None and abs(lam - tmp) / (abs(lam) + 1e-6) < 1e-3:
            break
        lam = tmp
    eigs.append(lam)
    vecs.append(v)
print("seconds %.3f hvps %d eigs %s" % (time.perf_counter() - t0, hvps, " ".join("%.6g" % e for e in eigs)))
