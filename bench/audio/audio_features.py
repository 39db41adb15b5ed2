"""The features audio.features computes, written with numpy and scipy for the audio benchmark.

Reads every WAV file named on the command line (16-bit PCM, mono) and computes, as librosa does
by default: a centred (reflect-padded) power STFT with a periodic Hann window, a Slaney mel
filterbank with Slaney normalisation, log-mel in dB (ref 1, amin 1e-10, top_db 80), MFCC as the
orthonormal DCT-II of the log-mel bands, and per frame the zero-crossing rate, spectral centroid,
85 % roll-off and RMS; each becomes its mean and standard deviation over frames (log-mel bands:
their means). Prints one JSON line: the milliseconds spent on reading and features (the
interpreter's start-up and imports excluded) and the first file's features, for a parity check.
"""
import json
import sys
import time

import numpy as np
from scipy.fft import dct
from scipy.io import wavfile

N_FFT, HOP, N_MELS, N_MFCC, ROLLOFF = 512, 256, 40, 13, 0.85


def hz_to_mel(hz):
    hz = np.asarray(hz, dtype=np.float64)
    f_sp, min_log_hz = 200.0 / 3, 1000.0
    min_log_mel, logstep = min_log_hz / f_sp, np.log(6.4) / 27.0
    return np.where(hz < min_log_hz, hz / f_sp, min_log_mel + np.log(np.maximum(hz, 1e-10) / min_log_hz) / logstep)


def mel_to_hz(mel):
    mel = np.asarray(mel, dtype=np.float64)
    f_sp, min_log_hz = 200.0 / 3, 1000.0
    min_log_mel, logstep = min_log_hz / f_sp, np.log(6.4) / 27.0
    return np.where(mel < min_log_mel, f_sp * mel, min_log_hz * np.exp(logstep * (mel - min_log_mel)))


def mel_filterbank(sr):
    bins = N_FFT // 2 + 1
    edges = mel_to_hz(np.linspace(0, hz_to_mel(sr / 2), N_MELS + 2))
    freqs = np.arange(bins) * sr / N_FFT
    lo, centre, hi = edges[:-2, None], edges[1:-1, None], edges[2:, None]
    rising = (freqs[None, :] - lo) / (centre - lo)
    falling = (hi - freqs[None, :]) / (hi - centre)
    return np.maximum(0, np.minimum(rising, falling)) * (2.0 / (hi - lo))


def features(samples, sr, filters, window):
    padded = np.pad(samples, N_FFT // 2, mode="reflect")
    frames = 1 + len(samples) // HOP
    idx = np.arange(N_FFT)[None, :] + HOP * np.arange(frames)[:, None]
    raw = padded[idx]
    power = np.abs(np.fft.rfft(raw * window, axis=1)) ** 2
    mel = power @ filters.T
    log_mel = 10 * np.log10(np.maximum(1e-10, mel))
    log_mel = np.maximum(log_mel, log_mel.max() - 80)
    mfcc = dct(log_mel, type=2, norm="ortho", axis=1)[:, :N_MFCC]
    signs = raw >= 0
    zcr = np.count_nonzero(signs[:, 1:] != signs[:, :-1], axis=1) / N_FFT
    rms = np.sqrt(np.mean(raw**2, axis=1))
    freqs = np.arange(N_FFT // 2 + 1) * sr / N_FFT
    total = power.sum(axis=1)
    centroid = np.where(total > 0, (power * freqs).sum(axis=1) / np.where(total > 0, total, 1), 0)
    cumulative = np.cumsum(power, axis=1)
    rolloff = freqs[np.argmax(cumulative >= ROLLOFF * total[:, None], axis=1)]
    out = list(mfcc.mean(axis=0)) + list(mfcc.std(axis=0)) + list(log_mel.mean(axis=0))
    for series in (zcr, centroid, rolloff, rms):
        out += [series.mean(), series.std()]
    return out


def main():
    started = time.perf_counter()
    first = None
    cache = {}
    for path in sys.argv[1:]:
        sr, data = wavfile.read(path)
        samples = data.astype(np.float64) / 32768.0
        if samples.ndim > 1:
            samples = samples.mean(axis=1)
        if sr not in cache:
            cache[sr] = (mel_filterbank(sr), 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(N_FFT) / N_FFT))
        values = features(samples, sr, *cache[sr])
        if first is None:
            first = [float(v) for v in values]
    elapsed = (time.perf_counter() - started) * 1000
    print(json.dumps({"ms": elapsed, "first": first}))


if __name__ == "__main__":
    main()
