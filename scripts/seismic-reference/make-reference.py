#!/usr/bin/env python3
"""Writes the segyio and scipy reference fixtures the seismic area is tested against.

Outputs, under test/fixtures/seismic/:

* synthetic-<format>-<endian>.sgy: one small 2-D line (24 traces x 301 samples at 2 ms) written by
  segyio: reflectivity (dipping and flat reflectors) convolved with a 25 Hz Ricker wavelet, plus
  Gaussian noise. Four encodings: IBM float big-endian, IEEE float little-endian, 2-byte and 4-byte
  integers big-endian (integers hold the amplitudes scaled by 1,000 and rounded). Trace headers set
  inline, crossline, CDP, CDP x/y with a coordinate scalar, offset, elevation scalar and source and
  group coordinates.
* reference.json: what segyio reads from each file: the decoded textual header, the binary header
  and every trace header field by byte position, and the samples; the clean (noise-free) traces;
  and scipy's zero-phase Butterworth filtering (`butter(..., output='sos')` then `sosfiltfilt`
  with its default padding) of the IBM file's traces for a band-pass, a low-pass and a high-pass.

With --check, the files are generated again into a temporary folder and compared with the
committed ones (bytes of the SEG-Y files, values of the JSON), and every SEG-Y file PipeWeave's
writer produced (test/fixtures/seismic/written/*.sgy, from the unit tests with
PW_UPDATE_FIXTURES=1) is read by segyio: its textual, binary and trace headers must equal those of
the synthetic file it was made from, and its samples the source samples with their polarity
reversed (the writer test's processing), exactly.

Usage (Debian: apt-get install python3-segyio python3-scipy):
    python3 scripts/seismic-reference/make-reference.py           # rewrite the fixtures
    python3 scripts/seismic-reference/make-reference.py --check   # exit 1 if anything differs
"""

import argparse
import base64
import json
import pathlib
import subprocess
import sys
import tempfile

import numpy as np
import scipy
import scipy.signal
import segyio

ROOT = pathlib.Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "test" / "fixtures" / "seismic"
TRACES = 24
SAMPLES = 301
INTERVAL_US = 2000
FS = 1_000_000 / INTERVAL_US
ENCODINGS = [
    ("ibm", "big", 1),
    ("ieee", "little", 5),
    ("int16", "big", 3),
    ("int32", "big", 2),
]
FILTERS = [
    {"name": "bandpass", "order": 4, "lowHz": 8.0, "highHz": 60.0},
    {"name": "lowpass", "order": 6, "lowHz": None, "highHz": 40.0},
    {"name": "highpass", "order": 3, "lowHz": 15.0, "highHz": None},
]


def ricker(frequency, dt, length):
    t = np.arange(-length // 2, length // 2 + 1) * dt
    a = (np.pi * frequency * t) ** 2
    return (1 - 2 * a) * np.exp(-a)


def synthetic():
    rng = np.random.default_rng(3)
    reflectivity = np.zeros((TRACES, SAMPLES))
    for i in range(TRACES):
        reflectivity[i, 60] = 1.0
        reflectivity[i, 120 + i * 2] = -0.7
        reflectivity[i, 200] = 0.5
        reflectivity[i, 250 - i] = 0.35
    wavelet = ricker(25.0, INTERVAL_US / 1e6, 60)
    clean = np.array([np.convolve(r, wavelet, mode="same") for r in reflectivity])
    noisy = clean + rng.normal(0.0, 0.2, clean.shape)
    return clean.astype(np.float32), noisy.astype(np.float32)


def text_header():
    lines = {
        1: "PIPEWEAVE SYNTHETIC 2-D LINE FOR READER AND WRITER PARITY",
        2: "REFLECTIVITY CONVOLVED WITH A 25 HZ RICKER WAVELET PLUS GAUSSIAN NOISE",
        3: "24 TRACES, 301 SAMPLES, 2 MS; INLINE 101, CROSSLINES 1001-1024",
        4: "COORDINATES IN CENTIMETRES (SCALAR -100); OFFSETS IN METRES",
        39: "SEG Y REV1",
        40: "END TEXTUAL HEADER",
    }
    return segyio.tools.create_text_header(lines)


def trace_header(i):
    return {
        segyio.TraceField.TRACE_SEQUENCE_LINE: i + 1,
        segyio.TraceField.TRACE_SEQUENCE_FILE: i + 1,
        segyio.TraceField.FieldRecord: 7,
        segyio.TraceField.TraceNumber: i + 1,
        segyio.TraceField.CDP: 5000 + i,
        segyio.TraceField.TraceIdentificationCode: 1,
        segyio.TraceField.offset: 100 + 25 * i,
        segyio.TraceField.ReceiverGroupElevation: 1250,
        segyio.TraceField.ElevationScalar: -10,
        segyio.TraceField.SourceGroupScalar: -100,
        segyio.TraceField.SourceX: 45_000_000 + 1250 * i,
        segyio.TraceField.SourceY: -12_000_000,
        segyio.TraceField.GroupX: 45_002_500 + 1250 * i,
        segyio.TraceField.GroupY: -12_000_050,
        segyio.TraceField.CoordinateUnits: 1,
        segyio.TraceField.TRACE_SAMPLE_COUNT: SAMPLES,
        segyio.TraceField.TRACE_SAMPLE_INTERVAL: INTERVAL_US,
        segyio.TraceField.YearDataRecorded: 2026,
        segyio.TraceField.DayOfYear: 341,
        segyio.TraceField.CDP_X: 45_001_250 + 1250 * i,
        segyio.TraceField.CDP_Y: -12_000_025 - 3 * i,
        segyio.TraceField.INLINE_3D: 101,
        segyio.TraceField.CROSSLINE_3D: 1001 + i,
        segyio.TraceField.ShotPoint: 300 + i,
        segyio.TraceField.ShotPointScalar: 1,
    }


def encode(samples, kind):
    if kind in ("int16", "int32"):
        dtype = np.int16 if kind == "int16" else np.int32
        return np.round(samples * 1000.0).astype(dtype)
    return samples


def write_segy(path, kind, endian, fmt, traces):
    spec = segyio.spec()
    spec.format = fmt
    spec.samples = list(range(SAMPLES))
    spec.tracecount = TRACES
    spec.endian = endian
    with segyio.create(str(path), spec) as f:
        f.text[0] = text_header()
        f.bin.update(
            {
                segyio.BinField.JobID: 17,
                segyio.BinField.LineNumber: 101,
                segyio.BinField.ReelNumber: 1,
                segyio.BinField.Traces: TRACES,
                segyio.BinField.Interval: INTERVAL_US,
                segyio.BinField.IntervalOriginal: INTERVAL_US,
                segyio.BinField.Samples: SAMPLES,
                segyio.BinField.SamplesOriginal: SAMPLES,
                segyio.BinField.Format: fmt,
                segyio.BinField.EnsembleFold: 1,
                segyio.BinField.SortingCode: 4,
                segyio.BinField.MeasurementSystem: 1,
                segyio.BinField.SEGYRevision: 0x0100,
                segyio.BinField.TraceFlag: 1,
                segyio.BinField.ExtendedHeaders: 0,
            }
        )
        for i in range(TRACES):
            f.header[i] = trace_header(i)
            f.trace[i] = encode(traces[i], kind)


def write_int16(path, kind, traces):
    """segyio 1.8.3 writes 2-byte integer traces one sample short, so this file is the 4-byte
    integer file with its format code set to 3 and its samples stored as big-endian int16; segyio
    reads such files correctly (the comparison below reads it back)."""
    write_segy(path, "int32", "big", 2, traces)
    raw = bytearray(path.read_bytes())
    out = bytearray(raw[:3600])
    out[3224:3226] = (3).to_bytes(2, "big")
    size = 240 + SAMPLES * 4
    for i in range(TRACES):
        at = 3600 + i * size
        out += raw[at : at + 240]
        out += np.frombuffer(bytes(raw[at + 240 : at + size]), dtype=">i4").astype(">i2").tobytes()
    path.write_bytes(bytes(out))


def packed(values, dtype):
    """Numbers as base64 of their little-endian bytes: exact, and small enough to commit."""
    return base64.b64encode(np.ascontiguousarray(values, dtype=dtype).tobytes()).decode("ascii")


def read_segy(path, endian):
    """Everything segyio reads from a file, as JSON values: binary header fields by byte position,
    trace headers as one array per trace in the order of `traceHeaderFields`, samples as float32."""
    with segyio.open(str(path), ignore_geometry=True, endian=endian) as f:
        text = bytes(f.text[0]).decode("ascii")
        binary = {str(int(k)): int(v) for k, v in f.bin.items()}
        fields = sorted(segyio.TraceField.enums(), key=int)
        headers = [[int(f.header[i][k]) for k in fields] for i in range(f.tracecount)]
        samples = packed(np.array([f.trace[i] for i in range(f.tracecount)]), "<f4")
        return {
            "format": int(f.format),
            "tracecount": int(f.tracecount),
            "samplesPerTrace": len(f.samples),
            "textualHeader": text,
            "binaryHeader": binary,
            "traceHeaders": headers,
            "samples": samples,
        }


def filtered(noisy):
    out = []
    for spec in FILTERS:
        if spec["lowHz"] is not None and spec["highHz"] is not None:
            sos = scipy.signal.butter(
                spec["order"], [spec["lowHz"], spec["highHz"]], btype="bandpass", fs=FS, output="sos"
            )
        elif spec["highHz"] is not None:
            sos = scipy.signal.butter(spec["order"], spec["highHz"], btype="lowpass", fs=FS, output="sos")
        else:
            sos = scipy.signal.butter(spec["order"], spec["lowHz"], btype="highpass", fs=FS, output="sos")
        traces = scipy.signal.sosfiltfilt(sos, noisy.astype(np.float64), axis=1)
        out.append(
            {
                **spec,
                "sampleRateHz": FS,
                "sos": [[float(v) for v in row] for row in sos],
                "traces": packed(traces, "<f8"),
            }
        )
    return out


def generate(folder):
    clean, noisy = synthetic()
    files = {}
    for kind, endian, fmt in ENCODINGS:
        name = f"synthetic-{kind}-{endian}.sgy"
        if fmt == 3:
            write_int16(folder / name, kind, noisy)
        else:
            write_segy(folder / name, kind, endian, fmt, noisy)
        files[name] = {"endian": endian, **read_segy(folder / name, endian)}
    reference = {
        "generator": f"segyio {segyio.__version__}, scipy {scipy.__version__}, numpy seed 3",
        "sampleIntervalMicros": INTERVAL_US,
        "traceHeaderFields": [int(k) for k in sorted(segyio.TraceField.enums(), key=int)],
        "files": files,
        "clean": packed(clean, "<f4"),
        "filters": filtered(noisy),
    }
    (folder / "reference.json").write_text(json.dumps(reference, indent=2) + "\n")


def check_written(reference):
    """Every file PipeWeave wrote reads in segyio with the source's headers and negated samples."""
    problems = []
    written = sorted((FIXTURES / "written").glob("*.sgy"))
    if not written:
        problems.append("no files under test/fixtures/seismic/written/: run the writer tests with PW_UPDATE_FIXTURES=1")
    for path in written:
        source_name = path.name
        source = reference["files"].get(source_name)
        if source is None:
            problems.append(f"{path.name}: no synthetic file of that name")
            continue
        ours = read_segy(path, source["endian"])
        for field in ("format", "tracecount", "samplesPerTrace", "textualHeader", "binaryHeader", "traceHeaders"):
            if ours[field] != source[field]:
                problems.append(f"{path.name}: {field} differs from {source_name}'s")
        expected = -np.frombuffer(base64.b64decode(source["samples"]), dtype="<f4")
        if not np.array_equal(np.frombuffer(base64.b64decode(ours["samples"]), dtype="<f4"), expected):
            problems.append(f"{path.name}: samples are not {source_name}'s with reversed polarity")
        raw_ours = path.read_bytes()
        raw_source = (FIXTURES / source_name).read_bytes()
        if raw_ours[:3600] != raw_source[:3600]:
            problems.append(f"{path.name}: the textual and binary headers are not byte for byte the source's")
        trace_bytes = 240 + source["samplesPerTrace"] * (2 if source["format"] == 3 else 4)
        for i in range(source["tracecount"]):
            at = 3600 + i * trace_bytes
            if raw_ours[at : at + 240] != raw_source[at : at + 240]:
                problems.append(f"{path.name}: trace {i + 1}'s header is not byte for byte the source's")
                break
    return problems


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--check", action="store_true", help="compare with the committed files")
    args = parser.parse_args()
    if not args.check:
        FIXTURES.mkdir(parents=True, exist_ok=True)
        generate(FIXTURES)
        # The repository's lint checks every .json file's layout; --check compares values only.
        prettier = ROOT / "node_modules" / ".bin" / "prettier"
        if prettier.exists():
            subprocess.run([str(prettier), "--write", str(FIXTURES / "reference.json")], check=True)
        print(f"wrote {FIXTURES.relative_to(ROOT)}")
        return
    problems = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = pathlib.Path(tmp)
        generate(folder)
        for path in sorted(folder.iterdir()):
            committed = FIXTURES / path.name
            if not committed.exists():
                problems.append(f"{path.name} is missing")
            elif path.suffix == ".json":
                if json.loads(path.read_text()) != json.loads(committed.read_text()):
                    problems.append(f"{path.name} differs from what segyio and scipy give today")
            elif path.read_bytes() != committed.read_bytes():
                problems.append(f"{path.name} differs from what segyio writes today")
    problems += check_written(json.loads((FIXTURES / "reference.json").read_text()))
    if problems:
        print("The seismic reference fixtures are out of date or a written file differs:", file=sys.stderr)
        for problem in problems:
            print(f"  {problem}", file=sys.stderr)
        sys.exit(1)
    print(f"seismic reference fixtures match segyio {segyio.__version__} and scipy {scipy.__version__}")


if __name__ == "__main__":
    main()
