"""The seismic benchmark's references, run by bench/seismic/run-seismic.ts in the same run as ours.

read <file.sgy> <repetitions> <chunk traces>
    Opens the SEG-Y file with segyio (ignore_geometry, as a reader of an unsorted line must), reads
    every trace's inline and crossline and every sample, chunk by chunk (float32, IBM converted),
    once per repetition; prints {"ms": [...], "cpuMs": [...], "traces": n, "sum": Σ samples, "inlineSum": …,
    "crosslineSum": …} so the reads can be checked against each other.

bandpass <in.f32> <samples per trace> <fs> <order> <low Hz> <high Hz> <repetitions> <out.f64>
    Filters the traces (float32, trace after trace) with scipy's zero-phase Butterworth band-pass:
    butter(order, [low, high], btype="bandpass", fs=fs, output="sos") then sosfiltfilt along each
    trace (float64, default padding), once per repetition; writes the result as float64 and prints
    {"ms": [...]}.
"""

import json
import sys
import time

import numpy as np


def read(path, repetitions, chunk):
    import segyio

    ms = []
    cpu_ms = []
    result = {}
    for _ in range(repetitions):
        started = time.perf_counter()
        cpu_started = time.process_time()
        total = 0.0
        with segyio.open(path, ignore_geometry=True) as f:
            n = f.tracecount
            inline = f.attributes(segyio.TraceField.INLINE_3D)[:]
            crossline = f.attributes(segyio.TraceField.CROSSLINE_3D)[:]
            for start in range(0, n, chunk):
                block = f.trace.raw[start : min(n, start + chunk)]
                total += float(block.sum(dtype=np.float64))
        ms.append((time.perf_counter() - started) * 1000)
        cpu_ms.append((time.process_time() - cpu_started) * 1000)
        result = {
            "traces": n,
            "sum": total,
            "inlineSum": int(inline.astype(np.int64).sum()),
            "crosslineSum": int(crossline.astype(np.int64).sum()),
        }
    print(json.dumps({"ms": ms, "cpuMs": cpu_ms, **result}))


def bandpass(path, ns, fs, order, low, high, repetitions, out):
    import scipy.signal

    traces = np.fromfile(path, dtype=np.float32).reshape(-1, ns).astype(np.float64)
    sos = scipy.signal.butter(order, [low, high], btype="bandpass", fs=fs, output="sos")
    ms = []
    filtered = None
    for _ in range(repetitions):
        started = time.perf_counter()
        filtered = scipy.signal.sosfiltfilt(sos, traces, axis=1)
        ms.append((time.perf_counter() - started) * 1000)
    filtered.astype(np.float64).tofile(out)
    print(json.dumps({"ms": ms}))


if __name__ == "__main__":
    command = sys.argv[1]
    if command == "read":
        read(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
    elif command == "bandpass":
        a = sys.argv[2:]
        bandpass(a[0], int(a[1]), float(a[2]), int(a[3]), float(a[4]), float(a[5]), int(a[6]), a[7])
    else:
        sys.exit(f"unknown command {command}")
