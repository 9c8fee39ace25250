"""Times `nabla biasvar` (the whole process) against NumPy's compute alone on
the same Monte Carlo: fixed X (n=100, d=20), 200 test inputs, 5 ridge
penalties, 20,000 trials of fresh noise per penalty, refit, predict, bias^2
and variance per test input. Peers: NumPy vectorised (all trials at once, one
noise draw for every penalty, default_rng, BLAS on as many threads as nabla)
and the NumPy loop of ../shared/peers/np_ridge.py (one trial at a time).
Also the machine limit: the GEMM flops at `nabla bench gemm`'s f64 rate plus
the normal draws at `nabla bench normals`' rate, over nabla's time.
Usage: /usr/bin/python3 bench/biasvar.py NABLA [--reps 11]"""
import argparse, os, re, statistics, subprocess, sys, tempfile, time

p = argparse.ArgumentParser()
p.add_argument("nabla")
p.add_argument("--reps", type=int, default=11)
a = p.parse_args()

n, d, K, T, sigma = 100, 20, 200, 20000, 1.0
lams = [0.0, 0.1, 1.0, 10.0, 100.0]
threads = os.cpu_count() or 1
os.environ.setdefault("OPENBLAS_NUM_THREADS", str(threads))
import numpy as np  # after the thread count is set

out = os.path.join(tempfile.mkdtemp(), "bv.csv")
argv = [a.nabla, "biasvar", "--n", str(n), "--d", str(d), "--ntest", str(K), "--noise", str(sigma),
        "--lambda", ",".join(str(l) for l in lams), "--trials", str(T), "--seed", "1", "--csv", out]


def run_nabla():
    t0 = time.perf_counter()
    pid = os.posix_spawn(a.nabla, argv, os.environ)
    _, st = os.waitpid(pid, 0)
    t = time.perf_counter() - t0
    if os.waitstatus_to_exitcode(st) != 0:
        sys.exit(f"bench/biasvar.py: {' '.join(argv)} failed")
    return t


rng = np.random.default_rng(0)
X = rng.standard_normal((n, d)); wt = rng.standard_normal(d); Xtest = rng.standard_normal((K, d)); ftrue = Xtest @ wt


def run_vectorised():
    t0 = time.perf_counter()
    r = np.random.default_rng(1)
    Y = (X @ wt)[:, None] + sigma * r.standard_normal((n, T))
    res = []
    for lam in lams:
        M = np.linalg.solve(X.T @ X + lam * np.eye(d), X.T)
        P = Xtest @ (M @ Y)
        res.append((((P.mean(1) - ftrue) ** 2).mean(), P.var(1, ddof=1).mean()))
    return time.perf_counter() - t0, res


def run_loop():
    t0 = time.perf_counter()
    r = np.random.default_rng(1); res = []
    for lam in lams:
        preds = np.empty((T, K))
        for t in range(T):
            y = X @ wt + sigma * r.standard_normal(n)
            w = np.linalg.solve(X.T @ X + lam * np.eye(d), X.T @ y)
            preds[t] = Xtest @ w
        res.append((((preds.mean(0) - ftrue) ** 2).mean(), preds.var(0).mean()))
    return time.perf_counter() - t0, res


def best_rate(cmd, pattern):
    txt = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    return max(float(v) for v in re.findall(pattern, txt))


run_nabla(); run_vectorised()  # warm caches and the page cache
tn, tv = [], []
for _ in range(a.reps):  # interleaved, so that a busy moment hits both
    tn.append(run_nabla())
    t, _ = run_vectorised()
    tv.append(t)
tl = [run_loop()[0] for _ in range(max(1, a.reps // 4))]
mn, mv, ml = (1e3 * statistics.median(x) for x in (tn, tv, tl))

# the machine limit: fits 2 d n T and predictions 2 K d T flops per penalty, n T normals in all
fit = best_rate([a.nabla, "bench", "gemm", "--dtype", "f64", "--m", str(d), "--n", "4096", "--k", str(n)], r"best ([0-9.]+) GFLOP/s")
pred = best_rate([a.nabla, "bench", "gemm", "--dtype", "f64", "--m", str(K), "--n", "4096", "--k", str(d)], r"best ([0-9.]+) GFLOP/s")
draws = best_rate([a.nabla, "bench", "normals", "--n", "20000000"], r"nb_rng_normals8 \(8 streams\) threads=\d+ +([0-9.]+) M")
nl = len(lams)
limit = 1e3 * (2 * d * n * T * nl / (fit * 1e9) + 2 * K * d * T * nl / (pred * 1e9) + n * T / (draws * 1e6))

rows = open(out).read().splitlines()[1:]
r1 = rows[2].split(",")
print(f"nabla biasvar (whole process): median {mn:.1f} ms, min {1e3 * min(tn):.1f} ms of {a.reps}; lambda=1: bias2 {float(r1[1]):.4f} "
      f"(exact {float(r1[5]):.4f}, SE {float(r1[8]):.1e}) variance {float(r1[2]):.4f} (exact {float(r1[6]):.4f}, SE {float(r1[9]):.1e})")
print(f"numpy vectorised (in process, OPENBLAS_NUM_THREADS={os.environ['OPENBLAS_NUM_THREADS']}): median {mv:.1f} ms, min {1e3 * min(tv):.1f} ms")
print(f"numpy loop (in process): median {ml:.0f} ms of {len(tl)}")
print(f"machine limit: fits at {fit:.1f} GFLOP/s, predictions at {pred:.1f} GFLOP/s (nb_gemm f64), {draws:.0f} M normals/s: {limit:.1f} ms")
name = f"biasvar Monte Carlo {nl} lambdas x {T} trials n={n} d={d} K={K}"
print(f"BENCH|{name} vs vectorised NumPy (ms, median; nabla whole process)|{mn:.1f}|{mv:.1f}|{mv / mn:.1f}|>=5|ms")
print(f"BENCH|{name} vs the NumPy loop (ms, median; nabla whole process)|{mn:.1f}|{ml:.0f}|{ml / mn:.0f}|>=50|ms")
print(f"BENCH|{name}: the machine limit (GEMM at bench gemm's rate + normals) over nabla's time|{mn:.1f}|{limit:.1f}|{limit / mn:.2f}|-|ms")
