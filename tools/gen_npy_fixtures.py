#!/usr/bin/python3
"""Writes the .npy fixtures of tests/test_matrix_io.c into tests/fixtures/npy/.

Valid files, one per (version, dtype, byte order, memory order, rank), all holding
the same values so that the test checks each against one table:
    2-D: A[i, j] = 0.5 * (4 * i + j) - 3 for i < 3, j < 4 (exact in f4 and, times 2, in ints)
    1-D: the first row of A
Integer files hold 2 * A (whole numbers). Then broken files, each with one problem.

Usage: /usr/bin/python3 tools/gen_npy_fixtures.py   (from the repository root)
"""
import io
import os

import numpy as np

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "npy")
os.makedirs(OUT, exist_ok=True)

A = 0.5 * (4 * np.arange(3)[:, None] + np.arange(4)[None, :]) - 3


def save(name, arr, version=(1, 0)):
    with open(os.path.join(OUT, name), "wb") as f:
        np.lib.format.write_array(f, arr, version=version, allow_pickle=False)


def raw(name, data):
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data)


def npy_bytes(arr, version=(1, 0)):
    b = io.BytesIO()
    np.lib.format.write_array(b, arr, version=version, allow_pickle=False)
    return b.getvalue()


for ver in ((1, 0), (2, 0), (3, 0)):
    for code in ("f4", "f8", "i4", "i8"):
        for bo, bname in (("<", "le"), (">", "be")):
            for order in ("C", "F"):
                vals = A if code[0] == "f" else 2 * A
                arr = np.array(vals, dtype=bo + code, order=order)
                save(f"v{ver[0]}_{code}_{bname}_{order}.npy", arr, ver)
            save(f"v{ver[0]}_{code}_{bname}_1d.npy", np.array((A if code[0] == "f" else 2 * A)[0], dtype=bo + code), ver)

good = npy_bytes(np.array(A, dtype="<f8"))
hdr_end = good.index(b"\n") + 1
raw("bad_magic.npy", b"\x93NUMPX" + good[6:])
raw("bad_truncated_data.npy", good[:-5])
raw("bad_truncated_header.npy", good[:30])
raw("bad_short.npy", good[:7])
raw("bad_empty.npy", b"")
save("bad_string.npy", np.array([["ab", "cd"]], dtype="<U2"))
save("bad_3d.npy", np.zeros((2, 2, 2)))
save("bad_structured.npy", np.zeros(3, dtype=[("a", "<f8"), ("b", "<i4")]))
save("bad_u1.npy", np.zeros((2, 2), dtype="u1"))
save("bad_0d.npy", np.array(1.5))
nan = np.array(A, dtype="<f8")
nan[1, 2] = np.nan
save("bad_nan.npy", nan)
inf = np.array(A, dtype="<f4")
inf[2, 0] = -np.inf
save("bad_inf.npy", inf)
# a header that claims a shape far beyond the file: must fail before allocating
h = good[10:hdr_end].replace(b"(3, 4)", b"(4000000000, 4000000000)")
h = h[: len(h) - 1].rstrip(b" ")
h = h + b" " * ((64 - (10 + len(h) + 1) % 64) % 64) + b"\n"
raw("bad_huge_shape.npy", good[:8] + len(h).to_bytes(2, "little") + h + good[hdr_end:])
raw("bad_trailing.npy", good + b"\0" * 8)
raw("bad_version.npy", good[:6] + b"\x04\x00" + good[8:])
print("wrote", len(os.listdir(OUT)), "files to", os.path.normpath(OUT))
