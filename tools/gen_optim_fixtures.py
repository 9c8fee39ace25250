#!/usr/bin/python3
"""Reference trajectories for nabla's optimizers, schedules and clipping.

Run from the repository root with /usr/bin/python3 (python3-torch):
    /usr/bin/python3 tools/gen_optim_fixtures.py
writes tests/fixtures/optim/:
  traj_<conv>_<problem>_<variant>_<dtype>.txt  a trajectory of 100 steps
      torch convention: torch.optim itself (f64 and f32);
      handout convention: `handout_step` below, an independent plain-Python
      implementation of the handout convention's formulas (nabla/optim.h) (f64; f32 runs are compared
      with it at a looser tolerance).
  schedules.txt  torch.optim.lr_scheduler values, epoch by epoch
  clip.txt       torch.nn.utils.clip_grad_norm_ / clip_grad_value_
The gradient of every problem is computed by formula, in the same order as the
C test does, so the optimizers alone are compared.

File format of a trajectory: 'key value...' header lines, then 'steps N', then
N+1 lines 'x_1 ... x_d' (%.17g; line 0 is x0)."""
import math
import os
import random

import torch

OUT = "tests/fixtures/optim"
STEPS = 100


# ---- problems: gradient by formula -----------------------------------------
def quad2_grad(x):
    a = (0.5, 3.0)
    return [2 * a[i] * x[i] for i in range(2)]


def rosen_grad(x):
    a, b = 1.0, 100.0
    r = x[1] - x[0] * x[0]
    return [-2 * (a - x[0]) - 4 * b * x[0] * r, 2 * b * r]


def make_quad10():
    rng = random.Random(1234)
    d = 10
    # A = Q diag(lam) Q^T with Q from Gram-Schmidt of a random matrix
    M = [[rng.gauss(0, 1) for _ in range(d)] for _ in range(d)]
    Q = []
    for v in M:
        for q in Q:
            dot = sum(v[k] * q[k] for k in range(d))
            v = [v[k] - dot * q[k] for k in range(d)]
        nv = math.sqrt(sum(t * t for t in v))
        Q.append([t / nv for t in v])
    lam = [0.5 + 4.5 * i / (d - 1) for i in range(d)]
    A = [[sum(Q[k][i] * lam[k] * Q[k][j] for k in range(d)) for j in range(d)] for i in range(d)]
    b = [rng.gauss(0, 1) for _ in range(d)]
    x0 = [rng.uniform(-2, 2) for _ in range(d)]
    return A, b, x0


A10, B10, X10 = make_quad10()


def quad10_grad(x):
    # g = A x - b, each row summed left to right (as the C test does)
    g = []
    for i in range(10):
        s = 0.0
        for j in range(10):
            s += A10[i][j] * x[j]
        g.append(s - B10[i])
    return g


PROBLEMS = {
    "quad2": (quad2_grad, [1.5, -2.0]),
    "rosen": (rosen_grad, [-1.2, 1.0]),
    "quad10": (quad10_grad, X10),
}

# learning rates per problem and optimizer: steady 100-step runs, |g| >> sqrt(eps)
LR = {
    "quad2": dict(gd=0.02, momentum=0.02, nesterov=0.02, rmsprop=0.01, adagrad=0.1, adam=0.01, adamw=0.01),
    "rosen": dict(gd=2e-4, momentum=1e-4, nesterov=1e-4, rmsprop=1e-3, adagrad=0.05, adam=0.01, adamw=0.01),
    "quad10": dict(gd=0.05, momentum=0.02, nesterov=0.02, rmsprop=0.01, adagrad=0.1, adam=0.01, adamw=0.01),
}

# variant name -> (kind, knobs); knobs use nabla's names
TORCH_VARIANTS = {
    "gd": ("gd", {}),
    "gd_wd_max": ("gd", dict(weight_decay=0.1, maximize=1)),
    "momentum": ("momentum", dict(momentum=0.9)),
    "momentum_damp": ("momentum", dict(momentum=0.9, dampening=0.3, weight_decay=0.01)),
    "nesterov": ("nesterov", dict(momentum=0.9)),
    "rmsprop": ("rmsprop", dict(beta=0.99, eps=1e-8)),
    "rmsprop_cm": ("rmsprop", dict(beta=0.99, eps=1e-8, centered=1, momentum=0.5, weight_decay=0.01)),
    "adagrad": ("adagrad", dict(eps=1e-10)),
    "adagrad_decay": ("adagrad", dict(eps=1e-10, lr_decay=0.05, initial_accumulator=0.1, weight_decay=0.01, maximize=1)),
    "adam": ("adam", dict(beta1=0.9, beta2=0.999, eps=1e-8)),
    "adam_ams_wd": ("adam", dict(beta1=0.8, beta2=0.99, eps=1e-8, amsgrad=1, weight_decay=0.05)),
    "adamw": ("adamw", dict(beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.01)),
    "adamw_ams": ("adamw", dict(beta1=0.9, beta2=0.95, eps=1e-8, weight_decay=0.1, amsgrad=1, maximize=1)),
}

HANDOUT_VARIANTS = {
    "gd": ("gd", {}),
    "momentum": ("momentum", dict(momentum=0.9)),
    "momentum_damp": ("momentum", dict(momentum=0.8, dampening=0.3)),
    "nesterov": ("nesterov", dict(momentum=0.9)),
    "rmsprop": ("rmsprop", dict(beta=0.9, eps=1e-8)),
    "rmsprop_wd": ("rmsprop", dict(beta=0.5, eps=1e-6, weight_decay=0.05)),
    "adagrad": ("adagrad", dict(beta=1.0, eps=1e-8)),
    "adagrad_beta": ("adagrad", dict(beta=0.5, eps=1e-6)),
    "adam": ("adam", dict(beta1=0.9, beta2=0.999, eps=1e-8)),
    "adam_ams": ("adam", dict(beta1=0.9, beta2=0.99, eps=1e-8, amsgrad=1)),
    "adamw": ("adamw", dict(beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.01)),
}


# ---- torch convention: torch.optim -----------------------------------------
def torch_opt(kind, k, lr, params):
    wd = k.get("weight_decay", 0.0)
    mx = bool(k.get("maximize", 0))
    if kind == "gd":
        return torch.optim.SGD(params, lr=lr, weight_decay=wd, maximize=mx)
    if kind in ("momentum", "nesterov"):
        return torch.optim.SGD(params, lr=lr, momentum=k["momentum"], dampening=k.get("dampening", 0.0),
                               nesterov=kind == "nesterov", weight_decay=wd, maximize=mx)
    if kind == "rmsprop":
        return torch.optim.RMSprop(params, lr=lr, alpha=k["beta"], eps=k["eps"], weight_decay=wd,
                                   momentum=k.get("momentum", 0.0), centered=bool(k.get("centered", 0)), maximize=mx)
    if kind == "adagrad":
        return torch.optim.Adagrad(params, lr=lr, lr_decay=k.get("lr_decay", 0.0), weight_decay=wd,
                                   initial_accumulator_value=k.get("initial_accumulator", 0.0), eps=k["eps"], maximize=mx)
    cls = torch.optim.Adam if kind == "adam" else torch.optim.AdamW
    return cls(params, lr=lr, betas=(k["beta1"], k["beta2"]), eps=k["eps"], weight_decay=wd,
               amsgrad=bool(k.get("amsgrad", 0)), maximize=mx)


def run_torch(kind, k, lr, grad, x0, dtype, sign):
    x = torch.tensor(x0, dtype=dtype, requires_grad=True)
    opt = torch_opt(kind, k, lr, [x])
    traj = [x.detach().tolist()]
    for _ in range(STEPS):
        g = grad(x.detach().tolist()) if dtype == torch.float64 else None
        if g is None:  # f32: the gradient formula evaluated in f32, as the C test does
            g = grad_f32(grad, x.detach())
        x.grad = torch.tensor([sign * v for v in g], dtype=dtype)
        opt.step()
        traj.append(x.detach().tolist())
    return traj


def grad_f32(grad, x):
    # evaluate the same formulas elementwise in float32 with torch scalars
    xs = [x[i] for i in range(x.numel())]
    f = torch.float32
    if grad is quad2_grad:
        a = (torch.tensor(0.5, dtype=f), torch.tensor(3.0, dtype=f))
        return [float(torch.tensor(2.0, dtype=f) * a[i] * xs[i]) for i in range(2)]
    if grad is rosen_grad:
        one, b = torch.tensor(1.0, dtype=f), torch.tensor(100.0, dtype=f)
        r = xs[1] - xs[0] * xs[0]
        return [float(torch.tensor(-2.0, dtype=f) * (one - xs[0]) - torch.tensor(4.0, dtype=f) * b * xs[0] * r),
                float(torch.tensor(2.0, dtype=f) * b * r)]
    g = []
    for i in range(10):
        s = torch.tensor(0.0, dtype=f)
        for j in range(10):
            s = s + torch.tensor(A10[i][j], dtype=f) * xs[j]
        g.append(float(s - torch.tensor(B10[i], dtype=f)))
    return g


# ---- handout convention (nabla/optim.h), written out plainly ----------------
def handout_run(kind, k, lr, grad, x0, sign):
    d = len(x0)
    x = list(x0)
    m = k.get("momentum", 0.0)
    tau = k.get("dampening", 0.0)
    beta = k.get("beta", 0.0)
    b1, b2 = k.get("beta1", 0.9), k.get("beta2", 0.999)
    eps = k.get("eps", 1e-8)
    wd = k.get("weight_decay", 0.0)
    ams = bool(k.get("amsgrad", 0))
    v = [0.0] * d      # momentum buffer / Adam's first moment
    s = [0.0] * d      # second moment / accumulated squares
    smax = [0.0] * d
    traj = [list(x)]
    for t in range(1, STEPS + 1):
        g = [sign * gi for gi in grad(x)]
        if kind == "adamw":
            x = [xi * (1 - lr * wd) for xi in x]          # decoupled: shrink before the step
        elif wd:
            g = [g[i] + wd * x[i] for i in range(d)]      # coupled L2
        for i in range(d):
            if kind == "gd":
                x[i] -= lr * g[i]
            elif kind == "momentum":
                v[i] = m * v[i] + (1 - tau) * g[i]
                x[i] -= lr * v[i]
            elif kind == "nesterov":
                v[i] = m * v[i] + g[i]
                x[i] -= lr * (g[i] + m * v[i])
            elif kind == "rmsprop":
                s[i] = beta * s[i] + (1 - beta) * g[i] ** 2
                x[i] -= lr * g[i] / math.sqrt(s[i] + eps)
            elif kind == "adagrad":
                s[i] = s[i] + beta * g[i] ** 2
                x[i] -= lr * g[i] / math.sqrt(s[i] + eps)
            else:
                v[i] = b1 * v[i] + (1 - b1) * g[i]
                s[i] = b2 * s[i] + (1 - b2) * g[i] ** 2
                smax[i] = max(smax[i], s[i])
                mhat = v[i] / (1 - b1 ** t)
                vhat = (smax[i] if ams else s[i]) / (1 - b2 ** t)
                x[i] -= lr * mhat / math.sqrt(vhat + eps)
        traj.append(list(x))
    return traj


def write_traj(path, conv, problem, kind, k, lr, dtype, sign, traj):
    with open(path, "w") as f:
        f.write(f"convention {conv}\nproblem {problem}\nkind {kind}\ndtype {dtype}\nlr {lr!r}\n")
        f.write(f"gradsign {sign}\n")
        for key in sorted(k):
            f.write(f"{key} {k[key]!r}\n")
        f.write(f"steps {STEPS}\n")
        for row in traj:
            f.write(" ".join("%.17g" % v for v in row) + "\n")


def rel_err(a, b):
    return max(abs(p - q) / (abs(q) + 1e-12) for ra, rb in zip(a, b) for p, q in zip(ra, rb))


def main():
    os.makedirs(OUT, exist_ok=True)
    for old in os.listdir(OUT):
        if old.startswith("traj_"):
            os.remove(os.path.join(OUT, old))
    with open(os.path.join(OUT, "quad10.txt"), "w") as f:
        f.write("# A (10x10, row-major), b, x0 of the random 10-D quadratic f = x'Ax/2 - b'x\n")
        for row in A10:
            f.write(" ".join("%.17g" % v for v in row) + "\n")
        f.write(" ".join("%.17g" % v for v in B10) + "\n")
        f.write(" ".join("%.17g" % v for v in X10) + "\n")
    count = 0
    for pname, (grad, x0) in PROBLEMS.items():
        for vname, (kind, k) in TORCH_VARIANTS.items():
            lr = LR[pname][kind]
            # maximize: hand the optimizer -grad, so it still descends f
            sign = -1 if k.get("maximize") else 1
            for dt, dname in ((torch.float64, "f64"), (torch.float32, "f32")):
                traj = run_torch(kind, k, lr, grad, x0, dt, sign)
                write_traj(f"{OUT}/traj_torch_{pname}_{vname}_{dname}.txt", "torch", pname, kind, k, lr, dname, sign, traj)
                count += 1
        for vname, (kind, k) in HANDOUT_VARIANTS.items():
            lr = LR[pname][kind]
            traj = handout_run(kind, k, lr, grad, x0, 1)
            write_traj(f"{OUT}/traj_handout_{pname}_{vname}_f64.txt", "handout", pname, kind, k, lr, "f64", 1, traj)
            count += 1
        # self-check: the plain-Python rules agree with torch where the conventions meet
        # (gd; momentum/nesterov without dampening, whose first step is v = g either way)
        for vname in ("gd", "momentum", "nesterov"):
            kind, k = TORCH_VARIANTS[vname]
            lr = LR[pname][kind]
            a = handout_run(kind, k, lr, grad, x0, 1)
            b = run_torch(kind, k, lr, grad, x0, torch.float64, 1)
            assert rel_err(a, b) < 1e-10, (pname, vname, rel_err(a, b))

    # ---- schedules: torch's own stepping, epoch by epoch --------------------
    N = 40
    scheds = [
        ("step", dict(gamma=0.5, step_size=7), lambda o: torch.optim.lr_scheduler.StepLR(o, step_size=7, gamma=0.5)),
        ("multistep", dict(gamma=0.3, milestones=[3, 10, 10, 25]),
         lambda o: torch.optim.lr_scheduler.MultiStepLR(o, milestones=[3, 10, 10, 25], gamma=0.3)),
        ("exponential", dict(gamma=0.93), lambda o: torch.optim.lr_scheduler.ExponentialLR(o, gamma=0.93)),
        ("linear", dict(start=1 / 3, end=1.0, total=5), lambda o: torch.optim.lr_scheduler.LinearLR(o)),
        ("linear", dict(start=0.1, end=0.5, total=12),
         lambda o: torch.optim.lr_scheduler.LinearLR(o, start_factor=0.1, end_factor=0.5, total_iters=12)),
        ("cosine", dict(total=15, eta_min=0.001),
         lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=15, eta_min=0.001)),
        ("cosine", dict(total=40, eta_min=0.0), lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=40)),
    ]
    with open(os.path.join(OUT, "schedules.txt"), "w") as f:
        f.write("# kind gamma step_size start end total eta_min nmilestones milestones... base n : lr(0) ... lr(n-1)\n")
        for kind, kw, mk in scheds:
            base = 0.1
            p = torch.zeros(1, requires_grad=True)
            o = torch.optim.SGD([p], lr=base)
            s = mk(o)
            vals = []
            for _ in range(N):
                vals.append(o.param_groups[0]["lr"])
                o.step()
                s.step()
            ms = kw.get("milestones", [])
            f.write("%s %.17g %d %.17g %.17g %d %.17g %d %s %.17g %d : %s\n" % (
                kind, kw.get("gamma", 0), kw.get("step_size", 0), kw.get("start", 0), kw.get("end", 0),
                kw.get("total", 0), kw.get("eta_min", 0), len(ms), " ".join(str(m) for m in ms) if ms else "-",
                base, N, " ".join("%.17g" % v for v in vals)))

    # ---- clipping ------------------------------------------------------------
    g0 = torch.Generator().manual_seed(7)
    with open(os.path.join(OUT, "clip.txt"), "w") as f:
        f.write("# mode(norm2|norminf|value) dtype threshold n : g... : total : clipped...\n")
        for mode, thr in (("norm2", 0.5), ("norm2", 1e3), ("norminf", 0.25), ("value", 0.3)):
            for dt, dname in ((torch.float64, "f64"), (torch.float32, "f32")):
                g = torch.randn(37, generator=g0, dtype=torch.float64).to(dt)
                p = torch.zeros(37, dtype=dt, requires_grad=True)
                p.grad = g.clone()
                total = 0.0
                if mode == "value":
                    torch.nn.utils.clip_grad_value_([p], thr)
                else:
                    total = float(torch.nn.utils.clip_grad_norm_([p], thr, norm_type=2.0 if mode == "norm2" else math.inf))
                f.write("%s %s %.17g %d : %s : %.17g : %s\n" % (
                    mode, dname, thr, g.numel(), " ".join("%.17g" % v for v in g.tolist()), total,
                    " ".join("%.17g" % v for v in p.grad.tolist())))
    print(f"wrote {count} trajectories, schedules.txt, clip.txt into {OUT}")


if __name__ == "__main__":
    main()
