#!/usr/bin/python3
"""Writes tests/fixtures/ops/*.txt: every nabla op run through PyTorch.

Run with Debian's python3-torch:  /usr/bin/python3 tools/gen_op_fixtures.py
The fixtures are committed, so the tests need no PyTorch.

Each case is one text file, one item per line:

    nabla-op-fixture 1
    op <name>                      the op's registry name (nb__all_ops)
    dtype f32|f64                  the dtype the nabla op runs in
    attr <name> <v> ...            integer or real attributes (maybe none)
    ints <name> <n> <v> ...        integer arrays (class labels)
    tensor <name> <ndim> <dims...> <values...>

Tensors: in0, in1, ... (the op's inputs; those of the case's dtype are
exactly representable in it), up (the upstream gradient, random and
non-uniform), out (the forward value) and grad0, grad1, ... (the gradient of
each input, absent when that input is not differentiated). Values are
shortest round-trip decimal strings of doubles. out and the grads are always
computed by torch in float64 from the case's inputs (for f32 cases, from
their float32-rounded values), so the reference is accurate to f64 and the
per-op tolerances in tests/test_fixtures.c measure nabla's error alone.

Inputs stay away from kinks: relu/abs inputs have |x| >= 0.1, max and
max_pool2d inputs have no near-ties, linear_relu pre-activations are not
near 0, log/sqrt/div/pow operands are bounded away from 0.
"""
import os
import sys

import numpy as np
import torch

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "ops")

torch.set_default_dtype(torch.float64)


class Case:
    def __init__(self, name, op, dtype="f64"):
        self.name, self.op, self.dtype = name, op, dtype
        self.attrs, self.ints, self.inputs, self.diff = [], [], [], []

    def attr(self, name, *vals):
        self.attrs.append((name, vals))
        return self

    def input(self, arr, diff=True):
        a = np.asarray(arr, dtype=np.float64)
        if self.dtype == "f32":
            a = a.astype(np.float32).astype(np.float64)
        self.inputs.append(a)
        self.diff.append(diff)
        return self


def fmt(v):
    return repr(float(v))


def tensor_line(name, a):
    a = np.asarray(a, dtype=np.float64)
    dims = " ".join(str(d) for d in a.shape)
    vals = " ".join(fmt(v) for v in a.reshape(-1))
    head = "tensor %s %d" % (name, a.ndim) + (" " + dims if dims else "")
    return head + (" " + vals if vals else "") + "\n"


CASES = []


def emit(case, fn, rng):
    """fn(list of torch f64 tensors) -> torch output; runs forward + VJP."""
    ts = [torch.tensor(a, dtype=torch.float64, requires_grad=d) for a, d in zip(case.inputs, case.diff)]
    out = fn(ts)
    up = rng.standard_normal(tuple(out.shape))
    up = up + 0.5 * np.sign(up)  # non-uniform, never near 0
    if case.dtype == "f32":
        up = up.astype(np.float32).astype(np.float64)
    grads = torch.autograd.grad(out, [t for t, d in zip(ts, case.diff) if d],
                                grad_outputs=torch.tensor(up), allow_unused=False)
    lines = ["nabla-op-fixture 1\n", "op %s\n" % case.op, "dtype %s\n" % case.dtype]
    for name, vals in case.attrs:
        lines.append(" ".join(["attr", name] + [fmt(v) if isinstance(v, float) else str(int(v)) for v in vals]) + "\n")
    for name, vals in case.ints:
        lines.append("ints %s %d %s\n" % (name, len(vals), " ".join(str(int(v)) for v in vals)))
    for i, a in enumerate(case.inputs):
        lines.append(tensor_line("in%d" % i, a))
    lines.append(tensor_line("up", up))
    lines.append(tensor_line("out", out.detach().numpy()))
    gi = iter(grads)
    for i, d in enumerate(case.diff):
        if d:
            lines.append(tensor_line("grad%d" % i, next(gi).numpy()))
    CASES.append((case.name, "".join(lines)))


# ---- input makers -----------------------------------------------------------

def normal(rng, shape, scale=1.0):
    return rng.standard_normal(shape) * scale


def away_from_zero(rng, shape, lo=0.1, hi=2.0):
    mag = rng.uniform(lo, hi, size=shape)
    sign = np.where(rng.uniform(size=shape) < 0.5, -1.0, 1.0)
    return mag * sign


def positive(rng, shape, lo=0.5, hi=3.0):
    return rng.uniform(lo, hi, size=shape)


def distinct(rng, shape, gap=0.05):
    """Values with pairwise gaps >= gap (no near-ties), in random order."""
    n = int(np.prod(shape)) if len(shape) else 1
    v = (np.arange(n) - n / 2.0) * gap * 2 + rng.uniform(-gap / 2, gap / 2, size=n)
    rng.shuffle(v)
    return v.reshape(shape)


# ---- the cases --------------------------------------------------------------

def gen():
    rng = np.random.default_rng(20261126)

    def case(name, op, dtype="f64"):
        return Case(name, op, dtype)

    # elementwise binary, broadcasting and size-1 dims
    bshapes = [
        ("same", (3, 4), (3, 4)),
        ("row", (3, 4), (4,)),
        ("col", (3, 4), (3, 1)),
        ("outer", (5, 1), (1, 6)),
        ("3d", (2, 1, 4), (3, 1)),
        ("scalar", (), (2, 3)),
        ("size1", (1,), (3,)),
        ("lead1", (1, 3, 1), (2, 1, 4)),
    ]
    binops = {
        "add": lambda t: t[0] + t[1],
        "sub": lambda t: t[0] - t[1],
        "mul": lambda t: t[0] * t[1],
        "div": lambda t: t[0] / t[1],
    }
    for op, fn in binops.items():
        for tag, sa, sb in bshapes:
            c = case("%s_%s_f64" % (op, tag), op)
            c.input(normal(rng, sa))
            c.input(away_from_zero(rng, sb, 0.5, 2.0) if op == "div" else normal(rng, sb))
            emit(c, fn, rng)
        c = case("%s_row_f32" % op, op, "f32")
        c.input(normal(rng, (4, 5)))
        c.input(away_from_zero(rng, (5,), 0.5, 2.0) if op == "div" else normal(rng, (5,)))
        emit(c, fn, rng)

    # elementwise unary
    unary = [
        ("neg", lambda t: -t[0], normal),
        ("exp", lambda t: torch.exp(t[0]), normal),
        ("log", lambda t: torch.log(t[0]), positive),
        ("sqrt", lambda t: torch.sqrt(t[0]), positive),
        ("tanh", lambda t: torch.tanh(t[0]), lambda r, s: normal(r, s, 1.5)),
        ("sigmoid", lambda t: torch.sigmoid(t[0]), lambda r, s: normal(r, s, 2.0)),
        ("relu", lambda t: torch.relu(t[0]), away_from_zero),
        ("abs", lambda t: torch.abs(t[0]), away_from_zero),
    ]
    for op, fn, mk in unary:
        for tag, shape, dt in [("2d", (3, 5), "f64"), ("3d", (2, 3, 4), "f64"), ("0d", (), "f64"),
                               ("2d", (4, 6), "f32")]:
            c = case("%s_%s_%s" % (op, tag, dt), op, dt)
            c.input(mk(rng, shape))
            emit(c, fn, rng)

    # pow with a scalar exponent: signed bases for integer p, positive otherwise
    for tag, p, mk in [("sq", 2.0, normal), ("cube", 3.0, normal), ("half", 0.5, positive),
                       ("neg1_5", -1.5, positive), ("one", 1.0, normal), ("zero", 0.0, normal),
                       ("2_7", 2.7, positive)]:
        c = case("pow_%s_f64" % tag, "pow")
        c.attr("p", float(p))
        c.input(mk(rng, (3, 4)))
        emit(c, lambda t, p=p: torch.pow(t[0], p), rng)
    c = case("pow_cube_f32", "pow", "f32").attr("p", 3.0)
    c.input(normal(rng, (4, 5)))
    emit(c, lambda t: torch.pow(t[0], 3.0), rng)

    for tag, s in [("pos", 2.5), ("neg", -0.3), ("zero", 0.0)]:
        c = case("scale_%s_f64" % tag, "scale").attr("s", s)
        c.input(normal(rng, (3, 4)))
        emit(c, lambda t, s=s: t[0] * s, rng)
    c = case("scale_pos_f32", "scale", "f32").attr("s", 1.7)
    c.input(normal(rng, (4, 5)))
    emit(c, lambda t: t[0] * 1.7, rng)

    # reductions
    for op in ["sum", "mean"]:
        tf = torch.sum if op == "sum" else torch.mean
        for tag, shape, axes, keep, dt in [
            ("all", (3, 4), [], 0, "f64"),
            ("all_keep", (2, 3, 4), [], 1, "f64"),
            ("ax0", (3, 4), [0], 0, "f64"),
            ("ax1_keep", (3, 4), [1], 1, "f64"),
            ("axneg1", (2, 3, 4), [-1], 0, "f64"),
            ("ax02", (2, 3, 4), [0, 2], 0, "f64"),
            ("ax02_keep", (2, 3, 4), [0, 2], 1, "f64"),
            ("size1", (3, 1, 2), [1], 0, "f64"),
            ("1d", (7,), [0], 0, "f64"),
            ("long", (4, 300), [1], 0, "f64"),
            ("ax1", (5, 6), [1], 0, "f32"),
            ("all", (8, 50), [], 0, "f32"),
        ]:
            c = case("%s_%s_%s" % (op, tag, dt), op, dt)
            c.attr("axes", *axes) if axes else c.attr("axes")
            c.attr("keepdim", keep)
            c.input(normal(rng, shape))
            if axes:
                fn = lambda t, a=axes, k=keep, tf=tf: tf(t[0], dim=tuple(a), keepdim=bool(k))
            elif keep:
                fn = lambda t, tf=tf: tf(t[0], dim=tuple(range(t[0].dim())), keepdim=True)
            else:
                fn = lambda t, tf=tf: tf(t[0])
            emit(c, fn, rng)

    for tag, shape, axis, keep, dt in [("ax0", (4, 5), 0, 0, "f64"), ("ax1_keep", (4, 5), 1, 1, "f64"),
                                       ("axneg1", (2, 3, 4), -1, 0, "f64"), ("ax1_3d", (2, 3, 4), 1, 1, "f64"),
                                       ("1d", (6,), 0, 0, "f64"), ("ax1", (5, 7), 1, 0, "f32")]:
        c = case("max_%s_%s" % (tag, dt), "max", dt).attr("axis", axis).attr("keepdim", keep)
        c.input(distinct(rng, shape))
        emit(c, lambda t, a=axis, k=keep: torch.max(t[0], dim=a, keepdim=bool(k))[0], rng)

    # matmul: 2-D, batched with broadcast batch dims, 1-D operands
    for tag, sa, sb, dt in [("2d", (3, 4), (4, 5), "f64"),
                            ("2d_big", (17, 33), (33, 9), "f64"),
                            ("batch", (2, 3, 4), (2, 4, 5), "f64"),
                            ("batch_bcast", (2, 3, 4), (4, 5), "f64"),
                            ("batch_bcast_left", (3, 4), (2, 4, 5), "f64"),
                            ("batch_bcast_4d", (2, 1, 3, 4), (3, 4, 2), "f64"),
                            ("vec_mat", (4,), (4, 5), "f64"),
                            ("mat_vec", (3, 4), (4,), "f64"),
                            ("vec_vec", (4,), (4,), "f64"),
                            ("batch_vec", (2, 3, 4), (4,), "f64"),
                            ("vec_batch", (4,), (2, 4, 3), "f64"),
                            ("size1", (1, 4), (4, 1), "f64"),
                            ("2d", (8, 16), (16, 12), "f32"),
                            ("batch_bcast", (3, 5, 6), (6, 4), "f32")]:
        c = case("matmul_%s_%s" % (tag, dt), "matmul", dt)
        c.input(normal(rng, sa))
        c.input(normal(rng, sb))
        emit(c, lambda t: torch.matmul(t[0], t[1]), rng)

    # shape ops
    for tag, shape, new, dt in [("2d", (2, 3, 4), (6, 4), "f64"), ("infer", (2, 6), (3, -1, 2), "f64"),
                                ("flat", (2, 3, 4), (-1,), "f64"), ("to0d", (1, 1), (), "f64"),
                                ("2d", (4, 6), (8, 3), "f32")]:
        c = case("reshape_%s_%s" % (tag, dt), "reshape", dt)
        c.attr("shape", *new) if new else c.attr("shape")
        c.input(normal(rng, shape))
        emit(c, lambda t, n=new: t[0].reshape(n), rng)
    for tag, shape, perm, dt in [("3d", (2, 3, 4), (2, 0, 1), "f64"), ("4d", (2, 3, 4, 5), (0, 2, 3, 1), "f64"),
                                 ("2d", (3, 5), (1, 0), "f64"), ("id", (2, 3), (0, 1), "f64"),
                                 ("3d", (3, 4, 5), (1, 2, 0), "f32")]:
        c = case("permute_%s_%s" % (tag, dt), "permute", dt).attr("perm", *perm)
        c.input(normal(rng, shape))
        emit(c, lambda t, p=perm: t[0].permute(*p), rng)
    for tag, shape, dt in [("2d", (3, 4), "f64"), ("3d", (2, 3, 4), "f64"), ("2d", (5, 3), "f32")]:
        c = case("transpose_%s_%s" % (tag, dt), "transpose", dt)
        c.input(normal(rng, shape))
        emit(c, lambda t: t[0].transpose(-1, -2), rng)
    for tag, shape, dt in [("4d", (2, 3, 4, 5), "f64"), ("2d", (4, 3), "f64"), ("3d", (3, 2, 2), "f32")]:
        c = case("flatten_%s_%s" % (tag, dt), "flatten", dt)
        c.input(normal(rng, shape))
        emit(c, lambda t: torch.flatten(t[0], 1), rng)

    # softmax family
    for op, tf in [("softmax", torch.softmax), ("log_softmax", torch.log_softmax)]:
        for tag, shape, axis, dt, sc in [("last", (3, 5), -1, "f64", 1.0), ("ax1_3d", (2, 3, 4), 1, "f64", 1.0),
                                         ("ax0", (4, 3), 0, "f64", 1.0), ("large", (3, 6), 1, "f64", 3.0),
                                         ("last", (6, 10), -1, "f32", 2.0)]:
            c = case("%s_%s_%s" % (op, tag, dt), op, dt).attr("axis", axis)
            # "large": exp would overflow without the max subtracted first
            c.input(normal(rng, shape, sc) + (800.0 if tag == "large" else 0.0))
            emit(c, lambda t, a=axis, tf=tf: tf(t[0], dim=a), rng)

    for tag, n, k, dt, sc in [("small", 4, 5, "f64", 1.0), ("mid", 8, 10, "f64", 3.0),
                              ("one", 1, 3, "f64", 1.0), ("large", 5, 4, "f64", 3.0),
                              ("mid", 16, 10, "f32", 2.0)]:
        c = case("softmax_cross_entropy_%s_%s" % (tag, dt), "softmax_cross_entropy", dt)
        labels = rng.integers(0, k, size=n)
        c.ints.append(("labels", list(labels)))
        c.input(normal(rng, (n, k), sc) + (800.0 if tag == "large" else 0.0))
        emit(c, lambda t, l=labels: torch.nn.functional.cross_entropy(t[0], torch.tensor(l)), rng)

    for tag, shape, dt in [("2d", (3, 4), "f64"), ("1d", (7,), "f64"), ("0d", (), "f64"), ("2d", (8, 10), "f32")]:
        c = case("mse_%s_%s" % (tag, dt), "mse", dt)
        c.input(normal(rng, shape))
        c.input(normal(rng, shape))
        emit(c, lambda t: torch.mean((t[0] - t[1]) ** 2), rng)

    # conv2d: x (N,C,H,W), w (F,C,KH,KW), b (F) or none
    for tag, xs, ws, bias, stride, pad, dt in [
        ("s1p0_b", (2, 3, 7, 7), (4, 3, 3, 3), True, 1, 0, "f64"),
        ("s1p1_b", (2, 3, 6, 5), (4, 3, 3, 3), True, 1, 1, "f64"),
        ("s2p1_nob", (2, 3, 7, 8), (5, 3, 3, 3), False, 2, 1, "f64"),
        ("s2p0_b", (3, 2, 8, 8), (3, 2, 3, 3), True, 2, 0, "f64"),
        ("s1p0_nob", (1, 2, 5, 5), (3, 2, 2, 2), False, 1, 0, "f64"),
        ("rect_k", (2, 2, 6, 7), (3, 2, 3, 2), True, 1, 1, "f64"),
        ("1x1", (2, 4, 5, 5), (3, 4, 1, 1), True, 1, 0, "f64"),
        ("pad2", (1, 1, 4, 4), (2, 1, 3, 3), True, 1, 2, "f64"),
        ("k_eq_in", (2, 3, 3, 3), (4, 3, 3, 3), True, 1, 0, "f64"),
        ("cnn1", (2, 1, 8, 8), (4, 1, 3, 3), True, 1, 1, "f64"),
        ("s1p1_b", (2, 3, 8, 8), (6, 3, 3, 3), True, 1, 1, "f32"),
        ("s2p1_nob", (2, 4, 7, 7), (3, 4, 3, 3), False, 2, 1, "f32"),
    ]:
        c = case("conv2d_%s_%s" % (tag, dt), "conv2d", dt).attr("stride", stride).attr("pad", pad)
        c.input(normal(rng, xs))
        c.input(normal(rng, ws, 0.5))
        if bias:
            c.input(normal(rng, (ws[0],)))
            fn = lambda t, s=stride, p=pad: torch.nn.functional.conv2d(t[0], t[1], t[2], stride=s, padding=p)
        else:
            fn = lambda t, s=stride, p=pad: torch.nn.functional.conv2d(t[0], t[1], None, stride=s, padding=p)
        emit(c, fn, rng)
    # The CNN's first layer: more filters than columns K+1, so nabla takes
    # dW through its transposed product. A generator of its own, so adding
    # it left every other case's data as it was.
    rng_wide = np.random.default_rng(20261127)
    for dt in ("f32", "f64"):
        c = case("conv2d_cnn1_wide_%s" % dt, "conv2d", dt).attr("stride", 1).attr("pad", 1)
        c.input(normal(rng_wide, (2, 1, 8, 8)))
        c.input(normal(rng_wide, (16, 1, 3, 3), 0.5))
        c.input(normal(rng_wide, (16,)))
        emit(c, lambda t: torch.nn.functional.conv2d(t[0], t[1], t[2], stride=1, padding=1), rng_wide)
    # KW*C >= 16 (the CNN's second layer): dW from channels-last columns
    for tag, xs, ws, stride, pad, dt in [("hwc", (2, 8, 6, 6), (4, 8, 3, 3), 1, 1, "f32"),
                                         ("hwc_s2", (2, 6, 7, 6), (3, 6, 3, 3), 2, 1, "f64")]:
        c = case("conv2d_%s_%s" % (tag, dt), "conv2d", dt).attr("stride", stride).attr("pad", pad)
        c.input(normal(rng_wide, xs))
        c.input(normal(rng_wide, ws, 0.5))
        c.input(normal(rng_wide, (ws[0],)))
        emit(c, lambda t, s=stride, p=pad: torch.nn.functional.conv2d(t[0], t[1], t[2], stride=s, padding=p),
             rng_wide)

    # conv2d_relu_pool: relu(max_pool2d(conv2d(x, w, b), 2)), a generator of its own
    rng_crp = np.random.default_rng(20261128)
    for tag, xs, ws, bias, stride, pad, dt in [
        ("cnn1", (2, 1, 8, 8), (16, 1, 3, 3), True, 1, 1, "f32"),
        ("cnn2", (2, 16, 6, 6), (8, 16, 3, 3), True, 1, 1, "f32"),
        ("odd_s2", (2, 3, 9, 11), (4, 3, 3, 3), True, 2, 1, "f64"),
        ("nob", (1, 2, 7, 6), (3, 2, 2, 2), False, 1, 0, "f64"),
    ]:
        c = case("conv2d_relu_pool_%s_%s" % (tag, dt), "conv2d_relu_pool", dt).attr("stride", stride).attr("pad", pad)
        c.input(normal(rng_crp, xs))
        c.input(normal(rng_crp, ws, 0.5))
        if bias:
            c.input(normal(rng_crp, (ws[0],)))
        fn = lambda t, s=stride, p=pad, bias=bias: torch.relu(torch.nn.functional.max_pool2d(
            torch.nn.functional.conv2d(t[0], t[1], t[2] if bias else None, stride=s, padding=p), 2))
        emit(c, fn, rng_crp)

    for tag, xs, k, dt in [("k2", (2, 3, 6, 6), 2, "f64"), ("k2_odd", (2, 2, 7, 5), 2, "f64"),
                           ("k3", (1, 2, 7, 9), 3, "f64"), ("k1", (1, 2, 3, 3), 1, "f64"),
                           ("k2", (2, 4, 8, 8), 2, "f32")]:
        c = case("max_pool2d_%s_%s" % (tag, dt), "max_pool2d", dt).attr("k", k)
        c.input(distinct(rng, xs, 0.02))
        emit(c, lambda t, k=k: torch.nn.functional.max_pool2d(t[0], k), rng)

    # linear / linear_relu: x (N,K), w (K,M), b (M)
    for op in ["linear", "linear_relu"]:
        for tag, n, k, m, dt in [("small", 5, 4, 3, "f64"), ("mid", 9, 20, 7, "f64"), ("one", 1, 3, 2, "f64"),
                                 ("mid", 16, 24, 10, "f32")]:
            for attempt in range(100):
                x, w, b = normal(rng, (n, k)), normal(rng, (k, m), 0.5), normal(rng, (m,))
                if dt == "f32":
                    x, w, b = (a.astype(np.float32).astype(np.float64) for a in (x, w, b))
                if op == "linear" or np.min(np.abs(x @ w + b)) > 0.02:
                    break
            else:
                sys.exit("could not draw a linear_relu case away from the kink")
            c = case("%s_%s_%s" % (op, tag, dt), op, dt)
            c.input(x).input(w).input(b)
            if op == "linear":
                fn = lambda t: t[0] @ t[1] + t[2]
            else:
                fn = lambda t: torch.relu(t[0] @ t[1] + t[2])
            emit(c, fn, rng)

    # gather (internal: forward mode picks a tangent at an argmax with it): flat picks with repeats
    rng_g = np.random.default_rng(20261130)
    for dt in ["f64", "f32"]:
        idx = [0, 5, 11, 5, 2, 7]
        c = case("gather_repeat_%s" % dt, "gather", dt).attr("idx", *idx).attr("shape", 2, 3)
        c.input(normal(rng_g, (3, 4)))
        emit(c, lambda t, idx=idx: t[0].reshape(-1)[torch.tensor(idx)].reshape(2, 3), rng_g)


def main():
    gen()
    os.makedirs(OUT, exist_ok=True)
    names = set()
    for name, text in CASES:
        assert name not in names, name
        names.add(name)
    for f in os.listdir(OUT):
        if f.endswith(".txt") and f[:-4] not in names:
            os.remove(os.path.join(OUT, f))
    total = 0
    for name, text in CASES:
        with open(os.path.join(OUT, name + ".txt"), "w") as fh:
            fh.write(text)
        total += len(text)
    print("%d cases, %d bytes in %s" % (len(CASES), total, os.path.normpath(OUT)))


if __name__ == "__main__":
    main()
