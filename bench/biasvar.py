"""Times `nabla biasvar` (the whole process) against the numpy loop a user would
write for the same Monte Carlo (../shared/peers/np_ridge.py's mc_numpy: fixed X,
n=100, d=20, 200 test inputs, ridge lambda=1, 1000 trials of fresh noise, refit,
predict, bias^2 and variance). Both measured now, median of --reps runs.
Usage: /usr/bin/python3 bench/biasvar.py NABLA [--reps 15]"""
import argparse, os, statistics, sys, tempfile, time

import numpy as np

p = argparse.ArgumentParser()
p.add_argument("nabla")
p.add_argument("--reps", type=int, default=15)
a = p.parse_args()

n, d, K, T, sigma, lam = 100, 20, 200, 1000, 1.0, 1.0
out = os.path.join(tempfile.mkdtemp(), "bv.csv")
argv = [a.nabla, "biasvar", "--n", str(n), "--d", str(d), "--ntest", str(K), "--noise", str(sigma),
        "--lambda", str(lam), "--trials", str(T), "--seed", "1", "--csv", out]


def run_nabla():
    # posix_spawn + waitpid: the lightest way to start a process from here
    t0 = time.perf_counter()
    pid = os.posix_spawn(a.nabla, argv, os.environ)
    _, st = os.waitpid(pid, 0)
    t = time.perf_counter() - t0
    if os.waitstatus_to_exitcode(st) != 0:
        sys.exit(f"bench/biasvar.py: {' '.join(argv)} failed")
    return t


rng = np.random.default_rng(0)
X = rng.standard_normal((n, d)); wt = rng.standard_normal(d); Xtest = rng.standard_normal((K, d)); ftrue = Xtest @ wt


def run_numpy():
    t0 = time.perf_counter()
    r = np.random.default_rng(1); preds = np.empty((T, K))
    for t in range(T):
        y = X @ wt + sigma * r.standard_normal(n)
        w = np.linalg.solve(X.T @ X + lam * np.eye(d), X.T @ y)
        preds[t] = Xtest @ w
    mean = preds.mean(0)
    b2, v = ((mean - ftrue) ** 2).mean(), preds.var(0).mean()
    return time.perf_counter() - t0, b2, v


run_nabla(); run_numpy()  # warm caches and the page cache
tn, tp = [], []
for _ in range(a.reps):  # interleaved, so that a busy moment hits both
    tn.append(run_nabla())
    t, b2, v = run_numpy()
    tp.append(t)
mn, mp = 1e3 * statistics.median(tn), 1e3 * statistics.median(tp)
row = open(out).read().splitlines()[1].split(",")
print(f"nabla biasvar (whole process): median {mn:.3f} ms, min {1e3 * min(tn):.3f} ms of {a.reps}; "
      f"bias2 {float(row[1]):.4f} (exact {float(row[5]):.4f}) variance {float(row[2]):.4f} (exact {float(row[6]):.4f})")
print(f"numpy loop (in process):        median {mp:.3f} ms, min {1e3 * min(tp):.3f} ms of {a.reps}; bias2 {b2:.4f} variance {v:.4f}")
print(f"BENCH|biasvar Monte Carlo 1000 trials n=100 d=20 (ms, median; nabla whole process)|{mn:.3f}|{mp:.3f}|{mp / mn:.1f}|>=20|ms")
