#!/usr/bin/env python3
"""Interop check between ResearchKit's safetensors code and PyTorch, without the `safetensors` package.

  generate OUT   Writes OUT laid out like the reference writer (tensors sorted by dtype alignment then name,
                 header padded with spaces to 8 bytes) holding float values and PyTorch's own conversions of them
                 (.half(), .bfloat16(), .float() of doubles, ...), and prints it as base64. That base64 is embedded
                 in SafeTensorsInteropTests.cs, so the C# tests compare against PyTorch without needing Python.
  check FILE     Parses FILE strictly (a file written by ResearchKit, say), loads every tensor with torch and,
                 for tensors named like the generated ones, checks ResearchKit's conversions bit-for-bit
                 against PyTorch's.

Requires torch (tested with Debian's python3-torch 1.13).
"""
import base64
import json
import struct
import sys

import torch

DTYPES = {  # safetensors name -> (torch dtype, element size)
    "F64": (torch.float64, 8), "F32": (torch.float32, 4), "F16": (torch.float16, 2), "BF16": (torch.bfloat16, 2),
    "I64": (torch.int64, 8), "I32": (torch.int32, 4), "I16": (torch.int16, 2), "I8": (torch.int8, 1),
    "U8": (torch.uint8, 1), "BOOL": (torch.bool, 1),
}
NAME_OF = {v[0]: k for k, v in DTYPES.items()}


def to_bytes(t):
    t = t.contiguous()
    if t.dtype == torch.bfloat16:
        t = t.view(torch.int16)  # numpy has no bfloat16
    return t.numpy().tobytes()  # little-endian on the hosts we support


def generate(out):
    torch.manual_seed(0)
    specials = torch.tensor([1.0, -2.5, 65504.0, 65519.0, 65520.0, 2.0 ** -25, 3 * 2.0 ** -26, 1 + 2.0 ** -8,
                             1 + 3 * 2.0 ** -8, 3.4e38, float("inf"), float("-inf"), -0.0, 1e-40, 2.0 ** -133, 0.1])
    src = torch.cat([specials, torch.randn(24) * 1000, torch.randn(24) * 1e-6]).float()  # no NaN: PyTorch's NaN bits differ by code path
    d = torch.cat([torch.randn(24, dtype=torch.float64) * 1e3,
                   torch.tensor([1 + 2.0 ** -24, 1 + 3 * 2.0 ** -24, 1e40, 1e-46, 3.4028235677973366e38], dtype=torch.float64)])
    ints = torch.tensor([-(2 ** 63), -1, 0, 1, 2 ** 63 - 1, 123456789012, -128, 255], dtype=torch.int64)
    tensors = {
        "src": src.reshape(4, 16),
        "src_f16": src.half().reshape(4, 16),
        "src_bf16": src.bfloat16().reshape(4, 16),
        "src_f16_f32": src.half().float().reshape(4, 16),
        "src_bf16_f32": src.bfloat16().float().reshape(4, 16),
        "src_f64": src.double().reshape(4, 16),
        "d": d,
        "d_f32": d.float(),
        "ints": ints,
        "ints_i32": torch.tensor([-(2 ** 31), -1, 0, 1, 2 ** 31 - 1], dtype=torch.int32),
        "ints_i16": torch.tensor([-(2 ** 15), 2 ** 15 - 1], dtype=torch.int16),
        "ints_i8": torch.tensor([-128, 127, 0], dtype=torch.int8),
        "ints_u8": torch.tensor([0, 255, 7], dtype=torch.uint8),
        "mask": torch.tensor([True, False, True], dtype=torch.bool),
        "scalar": torch.tensor(7.5, dtype=torch.float32),
        "empty": torch.zeros(2, 0, 3, dtype=torch.float16),
    }
    # Reference writer order: descending dtype "alignment" rank, then name.
    rank = ["BOOL", "U8", "I8", "I16", "F16", "BF16", "I32", "F32", "F64", "I64"]
    order = sorted(tensors, key=lambda n: (-rank.index(NAME_OF[tensors[n].dtype]), n))
    header, data, offset = {"__metadata__": {"format": "pt", "generator": "safetensors_interop.py"}}, b"", 0
    for name in order:
        payload = to_bytes(tensors[name])
        header[name] = {"dtype": NAME_OF[tensors[name].dtype], "shape": list(tensors[name].shape),
                        "data_offsets": [offset, offset + len(payload)]}
        data += payload
        offset += len(payload)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    blob = struct.pack("<Q", len(text)) + text + data
    with open(out, "wb") as f:
        f.write(blob)
    print(base64.b64encode(blob).decode())


def read(path):
    blob = open(path, "rb").read()
    (n,) = struct.unpack("<Q", blob[:8])
    assert n % 8 == 0, f"header length {n} is not padded to 8"
    header = json.loads(blob[8:8 + n].decode("utf-8"))
    meta = header.pop("__metadata__", {})
    data = blob[8 + n:]
    spans = sorted((v["data_offsets"][0], v["data_offsets"][1], k) for k, v in header.items())
    end = 0
    for b, e, k in spans:
        assert b == end, f"hole/overlap at tensor {k}"
        end = e
    assert end == len(data), "data buffer not covered exactly"
    out = {}
    for k, v in header.items():
        dtype, size = DTYPES[v["dtype"]]
        b, e = v["data_offsets"]
        assert (8 + n + b) % size == 0, f"tensor {k} is not aligned to its element size"
        raw = bytearray(data[b:e])
        t = torch.frombuffer(raw, dtype=torch.uint8) if len(raw) else torch.empty(0, dtype=torch.uint8)
        out[k] = t.view(dtype).reshape(v["shape"])
    return out, meta


def same_bits(a, b):
    if a.dtype == torch.bfloat16 or a.dtype == torch.float16:
        return torch.equal(a.view(torch.int16), b.view(torch.int16))
    if a.dtype == torch.float32:
        return torch.equal(a.view(torch.int32), b.view(torch.int32))
    if a.dtype == torch.float64:
        return torch.equal(a.view(torch.int64), b.view(torch.int64))
    return torch.equal(a, b)


def check(path):
    tensors, meta = read(path)
    print(f"{path}: {len(tensors)} tensors, metadata {meta}")
    for k, t in tensors.items():
        print(f"  {k}: {NAME_OF[t.dtype]} {list(t.shape)}")
    pairs = {"src_f16": lambda s: s.half(), "src_bf16": lambda s: s.bfloat16(), "src_f64": lambda s: s.double()}
    failures = 0
    if "src" in tensors:
        for name, conv in pairs.items():
            if name in tensors:
                ok = same_bits(conv(tensors["src"]), tensors[name])
                failures += not ok
                print(f"  {name} == torch conversion of src: {ok}")
    if "d" in tensors and "d_f32" in tensors:
        ok = same_bits(tensors["d"].float(), tensors["d_f32"])
        failures += not ok
        print(f"  d_f32 == d.float(): {ok}")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "generate":
        generate(sys.argv[2])
    elif len(sys.argv) == 3 and sys.argv[1] == "check":
        check(sys.argv[2])
    else:
        sys.exit(__doc__)
