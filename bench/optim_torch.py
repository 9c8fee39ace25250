"""torch.optim's step on 2^20 float32 parameters (the peer of bench/optim_bench.c's 'big' case).
Usage: /usr/bin/python3 bench/optim_torch.py [--threads 2]; prints 'big NAME MS_PER_STEP', best of 7x10 steps."""
import argparse, time
import torch

p = argparse.ArgumentParser()
p.add_argument("--threads", type=int, default=2)
a = p.parse_args()
torch.set_num_threads(a.threads)
torch.manual_seed(1)
n = 1 << 20
for name, mk in [("sgd", lambda q: torch.optim.SGD(q, lr=1e-4)),
                 ("momentum", lambda q: torch.optim.SGD(q, lr=1e-4, momentum=0.9)),
                 ("rmsprop", lambda q: torch.optim.RMSprop(q, lr=1e-4)),
                 ("adagrad", lambda q: torch.optim.Adagrad(q, lr=1e-4)),
                 ("adam", lambda q: torch.optim.Adam(q, lr=1e-4)),
                 ("adamw", lambda q: torch.optim.AdamW(q, lr=1e-4)),
                 ("nesterov", lambda q: torch.optim.SGD(q, lr=1e-4, momentum=0.9, nesterov=True))]:
    x = torch.randn(n, requires_grad=True)
    x.grad = torch.randn(n)
    opt = mk([x])
    for _ in range(3):
        opt.step()
    best = 1e30
    for _ in range(7):
        t0 = time.perf_counter()
        for _ in range(10):
            opt.step()
        best = min(best, (time.perf_counter() - t0) / 10)
    print(f"big {name} {best * 1e3:.4f}", flush=True)
