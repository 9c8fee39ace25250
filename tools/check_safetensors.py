#!/usr/bin/env python3
"""Interop check for nabla's safetensors files, independent of nabla's code.

The `safetensors` Python package is not in Debian, so this reads and writes the
format from its published description with json + struct only (and numpy /
torch when present), which is exactly what safetensors.torch does underneath.

  check_safetensors.py read FILE         validate FILE; print one line per tensor
                                         and the metadata as JSON; exit 1 if invalid
  check_safetensors.py write FILE        write a small file the way the reference
                                         writer does (tensors sorted by dtype size,
                                         then name) for nabla to read
  check_safetensors.py torch-eval CKPT   load a nabla MLP/CNN checkpoint into a
                                         torch.nn model and print test accuracy
                                         on Fashion-MNIST (needs torch)
"""
import json, os, struct, sys

SIZES = {"BOOL": 1, "U8": 1, "I8": 1, "F8_E5M2": 1, "F8_E4M3": 1, "I16": 2, "U16": 2, "F16": 2, "BF16": 2,
         "I32": 4, "U32": 4, "F32": 4, "F64": 8, "I64": 8, "U64": 8}
STRUCT = {"F32": "f", "F64": "d", "I32": "i", "I64": "q", "U8": "B", "U32": "I", "U64": "Q"}


def read(path):
    data = open(path, "rb").read()
    if len(data) < 8:
        raise ValueError("shorter than 8 bytes")
    (hlen,) = struct.unpack("<Q", data[:8])
    if hlen > len(data) - 8:
        raise ValueError(f"header length {hlen} exceeds the file")
    hdr = json.loads(data[8:8 + hlen].decode("utf-8"))
    body = data[8 + hlen:]
    meta = hdr.pop("__metadata__", {})
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in meta.items()), "metadata must be str->str"
    spans, tensors = [], {}
    for name, info in hdr.items():
        assert set(info) == {"dtype", "shape", "data_offsets"}, f"{name}: fields {sorted(info)}"
        dt, shape, (b, e) = info["dtype"], info["shape"], info["data_offsets"]
        n = 1
        for d in shape:
            n *= d
        assert dt in SIZES, f"{name}: dtype {dt}"
        assert 0 <= b <= e <= len(body) and e - b == n * SIZES[dt], f"{name}: offsets {b},{e} for {n} x {dt}"
        spans.append((b, e, name))
        tensors[name] = (dt, shape, body[b:e])
    spans.sort()
    at = 0
    for b, e, name in spans:
        assert b == at, f"{name}: gap or overlap at {at}..{b}"
        at = e
    assert at == len(body), "bytes after the last tensor"
    return tensors, meta, hlen


def values(dt, raw):
    return struct.unpack("<%d%s" % (len(raw) // SIZES[dt], STRUCT[dt]), raw) if dt in STRUCT else ()


def cmd_read(path):
    try:
        tensors, meta, hlen = read(path)
    except (ValueError, AssertionError, UnicodeDecodeError, json.JSONDecodeError) as e:
        print(f"INVALID {path}: {e}")
        return 1
    print(f"OK {path} header={hlen} aligned={(8 + hlen) % 8 == 0} tensors={len(tensors)}")
    for name, (dt, shape, raw) in tensors.items():
        v = values(dt, raw)
        print(f"  {name} {dt} {shape} sum={sum(v):.9g}" if v else f"  {name} {dt} {shape}")
    print(json.dumps(meta, sort_keys=True))
    return 0


def cmd_write(path):
    # As safetensors' own serializer: sorted by dtype alignment (desc), then name; header padded to 8.
    items = [("b.bias", "F64", [3], [0.5, -1.25, 3e100]), ("a.weight", "F32", [2, 2], [1.0, 2.0, -3.5, 4.0]),
             ("c", "I64", [2], [7, -9])]
    items.sort(key=lambda t: (-SIZES[t[1]], t[0]))
    hdr, body = {"__metadata__": {"format": "pt", "note": "written by check_safetensors.py \u00e9"}}, b""
    for name, dt, shape, v in items:
        raw = struct.pack("<%d%s" % (len(v), STRUCT[dt]), *v)
        hdr[name] = {"dtype": dt, "shape": shape, "data_offsets": [len(body), len(body) + len(raw)]}
        body += raw
    h = json.dumps(hdr, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + body)
    return 0


def cmd_torch_eval(path):
    import numpy as np
    import torch
    import torch.nn as nn
    sys.path.insert(0, "/work/shared/peers")
    tensors, meta, _ = read(path)
    sd = {k: torch.from_numpy(np.frombuffer(raw, dtype=np.float32 if dt == "F32" else np.float64).copy()
                              ).reshape(shape) for k, (dt, shape, raw) in tensors.items() if not k.startswith(("optim.", "rng."))}
    if meta["model"] == "mlp":
        hidden = [int(h) for h in meta["hidden"].split(",")]
        layers, prev = [], 784
        for h in hidden:
            layers += [nn.Linear(prev, h), nn.ReLU()]
            prev = h
        m = nn.Sequential(*layers, nn.Linear(prev, 10))  # as peers/torch_train.py
    else:
        m = nn.Sequential(nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Flatten(), nn.Linear(32 * 7 * 7, 10))
    m.load_state_dict(sd)
    m = m.to(sd[next(iter(sd))].dtype)
    import fmnist
    x, y = fmnist.load("t10k")
    mean, std = float(meta.get("norm_mean", "0")), float(meta.get("norm_std", "1"))
    xt = (torch.from_numpy(x.astype(np.float32) / 255.0) - mean) / std
    xt = xt.reshape((-1, 784) if meta["model"] == "mlp" else (-1, 1, 28, 28))
    with torch.no_grad():
        out = m(xt)
        loss = nn.functional.cross_entropy(out, torch.from_numpy(y.astype(np.int64))).item()
        acc = (out.argmax(1).numpy() == y).mean()
    print(f"torch test_loss={loss:.6f} test_acc={acc:.4f}")
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] not in ("read", "write", "torch-eval"):
        print(__doc__)
        sys.exit(2)
    sys.exit({"read": cmd_read, "write": cmd_write, "torch-eval": cmd_torch_eval}[sys.argv[1]](sys.argv[2]))
