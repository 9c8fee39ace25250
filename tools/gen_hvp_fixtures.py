#!/usr/bin/python3
"""Writes tests/fixtures/hvp/{mlp,cnn}.txt: Hessian-vector products of a
small MLP's and a small CNN's loss by PyTorch's double backward, and the
logits' JVP by PyTorch's forward-mode AD (torch.autograd.forward_ad).

Run with Debian's python3-torch:  /usr/bin/python3 tools/gen_hvp_fixtures.py
The fixtures are committed, so the tests need no PyTorch.

The models are nabla's (src/nn/model.c): the MLP is relu(x W + b) layers
then x W + b (W stored (in, out), as nabla's linear takes it); the CNN is
relu(maxpool2(conv3x3 pad 1)) twice, flatten, linear. The loss is mean
softmax cross-entropy. Lines, as in the op fixtures:

    tensor <name> <ndim> <dims...> <values...>    w0 b0 w1 b1 ..., x, v0 ..., hv0 ..., jv
    ints labels <n> <v...>
    kind mlp|cnn
"""
import os

import numpy as np
import torch
import torch.autograd.forward_ad as fwAD

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "hvp")
torch.set_default_dtype(torch.float64)
F = torch.nn.functional


def tensor_line(name, a):
    a = np.asarray(a, dtype=np.float64)
    dims = " ".join(str(d) for d in a.shape)
    return "tensor %s %d %s %s\n" % (name, a.ndim, dims, " ".join(repr(float(v)) for v in a.reshape(-1)))


def mlp(params, x):
    h = x
    for i in range(0, len(params) - 2, 2):
        h = torch.relu(h @ params[i] + params[i + 1])
    return h @ params[-2] + params[-1]


def cnn(params, x):
    h = torch.relu(F.max_pool2d(F.conv2d(x, params[0], params[1], padding=1), 2))
    h = torch.relu(F.max_pool2d(F.conv2d(h, params[2], params[3], padding=1), 2))
    return h.reshape(h.shape[0], -1) @ params[4] + params[5]


def write(kind, fn, shapes, x, labels, rng):
    params = [torch.tensor(rng.standard_normal(s) * (0.5 if len(s) > 1 else 0.1), requires_grad=True) for s in shapes]
    v = [torch.tensor(rng.standard_normal(s)) for s in shapes]
    xt, yt = torch.tensor(x), torch.tensor(labels)
    loss = F.cross_entropy(fn(params, xt), yt)
    g = torch.autograd.grad(loss, params, create_graph=True)
    hv = torch.autograd.grad(sum((gi * vi).sum() for gi, vi in zip(g, v)), params)
    with fwAD.dual_level():
        duals = [fwAD.make_dual(p.detach(), vi) for p, vi in zip(params, v)]
        jv = fwAD.unpack_dual(fn(duals, xt)).tangent
    lines = ["kind %s\n" % kind, "ints labels %d %s\n" % (len(labels), " ".join(str(int(l)) for l in labels))]
    lines.append(tensor_line("x", x))
    for i, p in enumerate(params):
        lines.append(tensor_line("p%d" % i, p.detach().numpy()))
        lines.append(tensor_line("v%d" % i, v[i].numpy()))
        lines.append(tensor_line("hv%d" % i, hv[i].numpy()))
    lines.append(tensor_line("jv", jv.numpy()))
    lines.append(tensor_line("loss", loss.detach().numpy()))
    with open(os.path.join(OUT, kind + ".txt"), "w") as fh:
        fh.write("".join(lines))


def main():
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.default_rng(20261130)
    # MLP 12-7-5-3 on 6 samples
    write("mlp", mlp, [(12, 7), (7,), (7, 5), (5,), (5, 3), (3,)], rng.standard_normal((6, 12)),
          rng.integers(0, 3, 6), rng)
    # CNN on 1x8x8 inputs: conv 1->16, conv 16->32, linear 32*2*2 -> 10, 3 samples
    write("cnn", cnn, [(16, 1, 3, 3), (16,), (32, 16, 3, 3), (32,), (128, 10), (10,)],
          rng.standard_normal((3, 1, 8, 8)), rng.integers(0, 10, 3), rng)
    print("wrote", os.path.normpath(OUT))


if __name__ == "__main__":
    main()
