#!/usr/bin/env python3
"""Writes the fuzz targets' seed corpora (tests/fuzz/corpus/TARGET/): small
valid files and broken ones, from the formats' specifications alone. Run from
the repository's root; the output is committed, so this is only rerun when a
seed is added."""
import gzip
import json
import os
import struct

ROOT = os.path.join("tests", "fuzz", "corpus")


def put(target, name, data):
    d = os.path.join(ROOT, target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def gz(b):
    return gzip.compress(b, mtime=0)


# ---- IDX -------------------------------------------------------------------
def idx(dims, payload=None, tcode=0x08):
    n = 1
    for x in dims:
        n *= x
    if payload is None:
        payload = bytes(i * 37 % 256 for i in range(n))
    return bytes([0, 0, tcode, len(dims)]) + b"".join(struct.pack(">I", x) for x in dims) + payload


labels = idx([10], bytes(range(10)))
images = idx([2, 3, 3])
raw = {
    "labels_ok": labels,
    "images_ok": images,
    "images2d_ok": idx([4, 4]),
    "images4d_ok": idx([1, 2, 2, 2]),
    "zero_ok": idx([0, 28, 28]),
    "empty": b"",
    "short_magic": b"\x00\x00\x08",
    "wrong_magic": b"\x00\x00\x0d\x03" + images[4:],
    "truncated_header": images[:9],
    "truncated_data": images[:-3],
    "trailing": images + b"\x00\x01",
    "huge_claim": bytes([0, 0, 8, 3]) + struct.pack(">III", 60000, 4096, 4096) + b"\x00" * 16,
    "max_dims": bytes([0, 0, 8, 3]) + struct.pack(">III", 0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF),
}
for k, v in raw.items():
    put("idx", k, v)
    put("idx_gz", k, v)  # the idx_gz target compresses its input itself
for k in ("labels_ok", "images_ok", "truncated_data", "huge_claim"):
    put("idx", k + ".gz", gz(raw[k]))
g = gz(images)
put("idx", "gz_truncated", g[:-6])
put("idx", "gz_bad_crc", g[:-8] + bytes([g[-8] ^ 0xFF]) + g[-7:])
put("idx", "gz_garbage_after", g + b"garbage")
put("idx", "gz_header_only", g[:10])

# ---- a dataset directory: byte 0 is the labels file's length / 4 ---------
def ds(images_b, labels_b):
    assert len(labels_b) % 4 == 0 and len(labels_b) // 4 < 256
    return bytes([len(labels_b) // 4]) + images_b + labels_b


lab4 = idx([4], bytes([0, 9, 3, 3]))  # 12 bytes
put("dataset", "ok", ds(idx([4, 2, 3]), lab4))
put("dataset", "count_mismatch", ds(idx([3, 2, 3]), lab4))
put("dataset", "label_10", ds(idx([4, 2, 3]), idx([4], bytes([0, 10, 3, 3]))))
put("dataset", "zero_size", ds(idx([4, 0, 3]), lab4))
put("dataset", "wide", ds(idx([4, 1, 5000]), lab4))
put("dataset", "constant", ds(idx([4, 2, 2], bytes(16)), lab4))
put("dataset", "empty", ds(idx([0, 28, 28]), idx([0])))

# ---- .npy ------------------------------------------------------------------
fix = os.path.join("tests", "fixtures", "npy")
for name in sorted(os.listdir(fix)):
    if name.startswith("bad_") or name.endswith(("_le_C.npy", "_be_F.npy", "_le_1d.npy")):
        with open(os.path.join(fix, name), "rb") as f:
            put("npy", name, f.read())


def npy(header, payload, version=1):
    h = header.encode()
    pre = 8 + (2 if version == 1 else 4)
    pad = (64 - (pre + len(h) + 1) % 64) % 64
    h = h + b" " * pad + b"\n"
    ln = struct.pack("<H", len(h)) if version == 1 else struct.pack("<I", len(h))
    return b"\x93NUMPY" + bytes([version, 0]) + ln + h + payload


d6 = struct.pack("<6d", 1, 2, 3, 4, 5, 6)
put("npy", "hand_f8_2x3", npy("{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }", d6))
put("npy", "hand_shape_spaces", npy("{'descr':'<f8','fortran_order':False,'shape':( 2 , 3 ),}", d6))
put("npy", "hand_dquotes", npy('{"descr": "<f8", "fortran_order": True, "shape": (6,), }', d6, 2))
put("npy", "hand_u8", npy("{'descr': '|u1', 'fortran_order': False, 'shape': (6,), }", bytes(6)))
put("npy", "hand_huge", npy("{'descr': '<f8', 'fortran_order': False, 'shape': (1125899906842624, 16), }", d6))
put("npy", "hand_ovf", npy("{'descr': '<f8', 'fortran_order': False, 'shape': (99999999999999999999, 1), }", d6))
put("npy", "hand_hlen_huge", b"\x93NUMPY\x02\x00\xff\xff\xff\x7f{'descr'")
put("npy", "hand_no_shape", npy("{'descr': '<f8', 'fortran_order': False, }", d6))

# ---- CSV -------------------------------------------------------------------
csvs = {
    "plain": "1,2,3\n4,5,6\n",
    "header": "x1,x2,y\n0.5,-1e-3,7\n1,2,3\n",
    "crlf": "a,b\r\n1,2\r\n3,4\r\n",
    "spaces": " 1 ,\t2\n3 , 4 \n\n\n",
    "one": "42",
    "ragged": "1,2\n3\n",
    "blank_mid": "1,2\n\n3,4\n",
    "empty_field": "1,,3\n",
    "nan": "1,nan\n",
    "inf": "inf,1\n",
    "hex": "0x10,1e308,1e309\n",
    "junk": "1,2x\n",
    "header_only": "a,b,c\n",
    "empty": "",
    "binary": "1,2\x00\n",
    "long_field": "1," + "9" * 300 + "\n",
}
for k, v in csvs.items():
    put("csv", k, v)

# ---- safetensors (and its JSON header) ---------------------------------------
def st(header, data=b"", pad=True):
    h = header if isinstance(header, bytes) else json.dumps(header, separators=(",", ":")).encode()
    if pad:
        h += b" " * ((8 - len(h) % 8) % 8)
    return struct.pack("<Q", len(h)) + h + data


f32 = struct.pack("<4f", 1, 2, 3, 4)
good = {"__metadata__": {"epoch": "3", "format": "pt"},
        "b": {"dtype": "F32", "shape": [2], "data_offsets": [16, 24]},
        "w": {"dtype": "F32", "shape": [2, 2], "data_offsets": [0, 16]}}
sts = {
    "ok": st(good, f32 + f32[:8]),
    "ok_empty": st({}),
    "ok_meta_only": st({"__metadata__": {"k": "v\u00e9\\n"}}),
    "ok_scalar": st({"s": {"dtype": "F64", "shape": [], "data_offsets": [0, 8]}}, struct.pack("<d", 2.5)),
    "ok_zero": st({"z": {"dtype": "BF16", "shape": [0, 3], "data_offsets": [0, 0]}}),
    "ok_dtypes": st({"a": {"dtype": "U8", "shape": [3], "data_offsets": [0, 3]},
                     "b": {"dtype": "I16", "shape": [1], "data_offsets": [3, 5]},
                     "c": {"dtype": "I64", "shape": [1], "data_offsets": [5, 13]}}, bytes(13)),
    "overlap": st({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
                   "b": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}}, bytes(8)),
    "gap": st({"a": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}}, bytes(8)),
    "offsets_past_end": st({"a": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]}}, bytes(8)),
    "wrong_size": st({"a": {"dtype": "F32", "shape": [3], "data_offsets": [0, 8]}}, bytes(8)),
    "bad_dtype": st({"a": {"dtype": "F128", "shape": [1], "data_offsets": [0, 16]}}, bytes(16)),
    "huge_shape": st({"a": {"dtype": "F32", "shape": [281474976710656, 281474976710656], "data_offsets": [0, 8]}}, bytes(8)),
    "neg_shape": st(b'{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}', bytes(4)),
    "float_shape": st(b'{"a":{"dtype":"F32","shape":[1.0],"data_offsets":[0,4]}}', bytes(4)),
    "extra_key": st(b'{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4],"x":1}}', bytes(4)),
    "dup_key": st(b'{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{}}', bytes(4)),
    "bad_json": st(b'{"a":{"dtype":"F32",]}', bytes(4)),
    "not_object": st(b'[1,2,3]'),
    "header_too_long": struct.pack("<Q", 1 << 40) + b"{}",
    "short": b"\x02\x00\x00",
    "empty": b"",
    "nul_in_header": st(b'{"a\\u0000":1}'),
    "deep": st(b"[" * 40 + b"]" * 40),
}
for k, v in sts.items():
    put("safetensors", k, v)

jsons = {
    "object": '{"a": [1, 2.5, -3e10, true, false, null], "b": {"c": "d"}}',
    "escapes": '"\\" \\\\ \\/ \\b \\f \\n \\r \\t \\u00e9 \\ud83d\\ude00"',
    "utf8": '"h\u00e9llo \u4e16\u754c \U0001f600"',
    "numbers": "[0, -0, 18446744073709551615, 18446744073709551616, 1e400, -1.5E-7]",
    "lone_surrogate": '"\\ud800"',
    "bad_escape": '"\\x41"',
    "ctrl": '"a\tb"',
    "trailing": "{} x",
    "deep": "[" * 33 + "]" * 33,
    "dup": '{"a":1,"a":2}',
    "unterminated": '{"a": "b',
    "header": json.dumps(good),
}
for k, v in jsons.items():
    put("json", k, v)
put("json", "bad_utf8", b'"\xc0\xaf \xed\xa0\x80 \xf4\x90\x80\x80"')

# ---- command line ----------------------------------------------------------
argvs = {
    "ok": ["--steps", "100", "--lr=0.5", "--csv", "out.csv", "--verbose"],
    "lists": ["--lambda", "0,0.1,1e3", "--hidden=256,128"],
    "negative": ["--lr", "-1e-3", "--steps=-5"],
    "help": ["--steps", "3", "--help"],
    "nan": ["--lr", "nan"],
    "inf": ["--lambda", "1,inf"],
    "missing": ["--steps"],
    "twice": ["--steps", "1", "--steps", "2"],
    "unknown": ["--nope", "1"],
    "junk": ["--steps", "10x"],
    "frac": ["--hidden", "1.5"],
    "empty_item": ["--lambda", "1,,2"],
    "flag_value": ["--verbose=1"],
    "positional": ["file.csv"],
    "long_name": ["--" + "x" * 100],
    "long_item": ["--lambda", "1" * 200],
    "many": ["--lambda", ",".join(["1"] * 70)],
    "empty_str": ["--csv="],
}
for k, v in argvs.items():
    put("cli", k, "\0".join(v))
