#!/usr/bin/env python3
"""Reads a PyTorch or TensorFlow export with tools independent of the code that wrote it and
prints what it holds as JSON (NaN as null, int64 as text).

    read-export.py pytorch <export folder>
    read-export.py tensorflow <export folder>

pytorch: each split's arrays through numpy.load (memory-mapped, as dataset.py loads them),
checked against manifest.json; dataset.py compiled. tensorflow: each TFRecord shard's frames
with both CRC-32C checks (this file's own implementation) and each tf.train.Example decoded from
the protobuf wire format. Needs only the standard library and NumPy; the export tests run it
when NumPy is importable.
"""
import json
import math
import os
import struct
import sys


def clean(value):
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def read_pytorch(root):
    import numpy as np

    with open(os.path.join(root, "manifest.json"), encoding="utf-8") as f:
        manifest = json.load(f)
    with open(os.path.join(root, "dataset.py"), encoding="utf-8") as f:
        compile(f.read(), "dataset.py", "exec")
    splits = {}
    for name, entry in manifest["splits"].items():
        features = np.load(os.path.join(root, entry["features"]), mmap_mode="r")
        assert features.shape == (entry["rows"], len(manifest["features"])), features.shape
        out = {
            "features": {
                "dtype": str(features.dtype),
                "shape": list(features.shape),
                "values": [[clean(float(v)) for v in row] for row in np.array(features)],
            }
        }
        if entry["labels"]:
            labels = np.load(os.path.join(root, entry["labels"]), mmap_mode="r")
            assert labels.shape == (entry["rows"],), labels.shape
            kind = labels.dtype.kind
            out["labels"] = {
                "dtype": str(labels.dtype),
                "shape": list(labels.shape),
                "values": [str(int(v)) if kind == "i" else clean(float(v)) for v in np.array(labels)],
            }
        splits[name] = out
    return {"splits": splits}


CRC_TABLE = []
for n in range(256):
    c = n
    for _ in range(8):
        c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
    CRC_TABLE.append(c)


def masked_crc32c(data):
    crc = 0xFFFFFFFF
    for byte in data:
        crc = CRC_TABLE[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    crc ^= 0xFFFFFFFF
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def varint(data, at):
    value = shift = 0
    while True:
        byte = data[at]
        value |= (byte & 0x7F) << shift
        at += 1
        if not byte & 0x80:
            return value, at
        shift += 7


def fields(data):
    at = 0
    while at < len(data):
        key, at = varint(data, at)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, at = varint(data, at)
        elif wire == 2:
            length, at = varint(data, at)
            value, at = data[at : at + length], at + length
        elif wire == 5:
            value, at = data[at : at + 4], at + 4
        else:
            raise ValueError(f"wire type {wire}")
        yield number, wire, value


def example(data):
    out = {}
    for number, _, features in fields(data):
        if number != 1:
            continue
        for entry_number, _, entry in fields(features):
            if entry_number != 1:
                continue
            parts = {n: v for n, _, v in fields(entry)}
            key = parts[1].decode("utf-8")
            kind, _, body = next(fields(parts[2]))
            values = []
            for _, wire, item in fields(body):
                if kind == 1:
                    values.append(item.decode("utf-8"))
                elif kind == 2:
                    values.extend(clean(v) for (v,) in struct.iter_unpack("<f", item))
                else:
                    at = 0
                    while at < len(item):
                        v, at = varint(item, at)
                        values.append(str(v - (1 << 64) if v >= 1 << 63 else v))
            out[key] = {"kind": {1: "bytes", 2: "float", 3: "int64"}[kind], "values": values}
    return out


def read_tensorflow(root):
    with open(os.path.join(root, "features.json"), encoding="utf-8") as f:
        spec = json.load(f)
    files = {}
    for split in spec["splits"].values():
        for name in split["files"]:
            with open(os.path.join(root, name), "rb") as f:
                data = f.read()
            at, records = 0, []
            while at < len(data):
                header = data[at : at + 8]
                (length,) = struct.unpack("<Q", header)
                (length_crc,) = struct.unpack("<I", data[at + 8 : at + 12])
                assert length_crc == masked_crc32c(header), f"{name}: bad length CRC at {at}"
                body = data[at + 12 : at + 12 + length]
                (body_crc,) = struct.unpack("<I", data[at + 12 + length : at + 16 + length])
                assert body_crc == masked_crc32c(body), f"{name}: bad data CRC at {at}"
                records.append(example(body))
                at += 16 + length
            files[name] = records
    return {"files": files}


def main():
    kind, root = sys.argv[1], sys.argv[2]
    result = read_pytorch(root) if kind == "pytorch" else read_tensorflow(root)
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main()
