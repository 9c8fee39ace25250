"""The alpha-beta model of bench/SCALING.md: fits t = alpha + bytes/beta to the
measured 2-rank exchange (bench/allreduce.c lines on stdin: "allreduce BYTES
ours_us mpi_us"), then predicts step time and efficiency of nabla's
data-parallel step at P = 2..64 over 1, 10 and 100 Gbit/s links.
Usage: mpirun -np 2 allreduce | python3 scaling.py"""
import sys

pts = [(float(w[1]), float(w[2])) for w in (l.split() for l in sys.stdin) if w and w[0] == 'allreduce']
pts = [(b, t) for b, t in pts if b <= 4 << 20]  # past 4 MB the VM pages (see SCALING.md)
# least squares in relative error (weights 1/t^2): small and large messages count alike
n = len(pts); w = [1 / t ** 2 for _, t in pts]
Sw = sum(w); Sx = sum(wi * b for wi, (b, _) in zip(w, pts)); Sy = sum(wi * t for wi, (_, t) in zip(w, pts))
Sxx = sum(wi * b * b for wi, (b, _) in zip(w, pts)); Sxy = sum(wi * b * t for wi, (b, t) in zip(w, pts))
slope = (Sw * Sxy - Sx * Sy) / (Sw * Sxx - Sx * Sx)
icpt = (Sy - slope * Sx) / Sw
# on 2 ranks the exchange is 2 rounds of one message of bytes/2 each way: t = 2 a + bytes / B
alpha_sw, bw_shm = max(icpt / 2, 0.1), 1 / slope  # us, bytes/us
print(f"fit over {n} sizes: alpha (software, per message) {alpha_sw:.2f} us, shared-memory bandwidth "
      f"{bw_shm / 1e3:.2f} GB/s")
for b, t in pts:
    print(f"  {int(b):>8} B: measured {t:8.1f} us, model {2 * alpha_sw + b / bw_shm:8.1f} us")

# the models: parameters, buckets, the last bucket the backward finishes, one-thread step (us, batch 128)
models = {
    'MLP 784-256-256-10': dict(params=269322, buckets=6, last=200960, step1=128 / 0.090),
    'CNN': dict(params=20490, buckets=6, last=160, step1=128 / 0.011),
}
links = {'1 Gbit/s': (50.0, 125.0), '10 Gbit/s': (10.0, 1250.0), '100 Gbit/s': (2.0, 12500.0)}  # latency us, bytes/us

def comm(P, nbytes, buckets, lat, bw):
    a = alpha_sw + lat
    return 2 * buckets * (P - 1) * a + 2 * (P - 1) / P * nbytes / min(bw, bw_shm)

print()
for name, m in models.items():
    print(f"### {name}: {m['params'] * 4 / 1e6:.3f} MB of gradient, one-thread step {m['step1'] / 1e3:.2f} ms (batch 128)\n")
    print("| P | " + " | ".join(f"{l}: step ms (eff.)" for l in links) + " |")
    print("|---:|" + "---:|" * len(links))
    for P in (2, 4, 8, 16, 32, 64):
        row = []
        for lat, bw in links.values():
            tc = m['step1'] / P
            full = comm(P, m['params'] * 4, m['buckets'], lat, bw)
            last = comm(P, m['last'] * 4, 1, lat, bw)
            exposed = max(last, full - 2 / 3 * tc)  # what the backward (2/3 of a step) cannot hide
            step = tc + exposed
            row.append(f"{step / 1e3:.3f} ({tc / step:.0%})")
        print(f"| {P} | " + " | ".join(row) + " |")
    print()
