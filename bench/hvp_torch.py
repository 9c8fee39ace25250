#!/usr/bin/python3
"""PyTorch's double-backward HVP of the MLP 784-128-10 (cross-entropy) on a
batch of 1,000, one thread, f32 -- the peer of bench/hvp_bench.c. Prints
the median gradient and HVP times in ms (after 5 warm-ups)."""
import sys
import time

import torch

torch.set_num_threads(1)
reps = int(sys.argv[1]) if len(sys.argv) > 1 else 30
g = torch.Generator().manual_seed(1)
x = torch.rand(1000, 784, generator=g)
y = torch.randint(0, 10, (1000,), generator=g)
p = [(torch.rand(784, 128, generator=g) - 0.5) * 0.07, (torch.rand(128, generator=g) - 0.5) * 0.07,
     (torch.rand(128, 10, generator=g) - 0.5) * 0.18, (torch.rand(10, generator=g) - 0.5) * 0.18]
p = [t.requires_grad_() for t in p]
v = [torch.randn(t.shape, generator=g) for t in p]


def loss():
    return torch.nn.functional.cross_entropy(torch.relu(x @ p[0] + p[1]) @ p[2] + p[3], y)


tg, th = [], []
for r in range(reps + 5):
    t0 = time.perf_counter()
    gr = torch.autograd.grad(loss(), p)
    t1 = time.perf_counter()
    gr = torch.autograd.grad(loss(), p, create_graph=True)
    hv = torch.autograd.grad(sum((a * b).sum() for a, b in zip(gr, v)), p)
    t2 = time.perf_counter()
    if r >= 5:
        tg.append(t1 - t0)
        th.append(t2 - t1)
tg.sort()
th.sort()
print("grad_ms %.3f hvp_ms %.3f" % (1e3 * tg[reps // 2], 1e3 * th[reps // 2]))
