"""Accuracy of :func:`sktimbre._dsp.harmonic.estimate_f0` on labelled note libraries.

Usage::

    python benchmarks/f0_accuracy.py DATA_DIR [DATA_DIR ...] [--n-fft 8192] [--hop 1024]

Each DATA_DIR holds a ``manifest.csv`` with at least the columns ``path``
(relative to DATA_DIR), ``program_name`` and ``midi_pitch``, and the audio files
it names. For every clip the f0 is estimated on the mean over frames of one
magnitude STFT (Hann window) and compared with the equal-tempered frequency of
``midi_pitch`` (A4 = 440 Hz). Prints, per library, the fraction of notes within
50 cents, the fraction off by a whole number of octaves (within 50 cents of
it), the rest, the programs with errors, and the time per clip of
``estimate_f0`` and ``harmonic_descriptors`` (the STFT excluded).
"""

from __future__ import annotations

import argparse
import csv
import time
from collections import defaultdict
from pathlib import Path

import librosa
import numpy as np
import soundfile as sf

from sktimbre._dsp.harmonic import estimate_f0, harmonic_descriptors


def evaluate(data_dir: Path, n_fft: int, hop: int) -> None:
    with open(data_dir / "manifest.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    cents = np.empty(len(rows))
    t_f0 = t_desc = 0.0
    for i, row in enumerate(rows):
        y, sr = sf.read(data_dir / row["path"], dtype="float32", always_2d=True)
        S = np.abs(librosa.stft(y.mean(axis=1), n_fft=n_fft, hop_length=hop))
        freqs = librosa.fft_frequencies(sr=sr, n_fft=n_fft)
        t0 = time.perf_counter()
        f0 = estimate_f0(S.mean(axis=1), freqs)
        t1 = time.perf_counter()
        harmonic_descriptors(S, freqs, f0=f0)
        t2 = time.perf_counter()
        t_f0 += t1 - t0
        t_desc += t2 - t1
        true = 440.0 * 2.0 ** ((float(row["midi_pitch"]) - 69.0) / 12.0)
        cents[i] = 1200.0 * np.log2(f0 / true) if np.isfinite(f0) else np.nan

    ok = np.abs(cents) < 50
    octave = ~ok & (np.abs(cents - 1200.0 * np.round(cents / 1200.0)) < 50)
    octave &= np.isfinite(cents)
    n = len(rows)
    print(f"== {data_dir} ({n} clips, n_fft={n_fft}, hop={hop})")
    print(f"   within 50 cents : {ok.mean():.4f} ({ok.sum()}/{n})")
    print(f"   octave errors   : {octave.mean():.4f} ({octave.sum()}/{n})"
          f"  [down {(octave & (cents < 0)).sum()}, up {(octave & (cents > 0)).sum()}]")
    print(f"   other errors    : {(~ok & ~octave).mean():.4f} ({(~ok & ~octave).sum()}/{n})")
    print(f"   |error| of correct notes: median {np.median(np.abs(cents[ok])):.1f} cents, "
          f"95th pct {np.percentile(np.abs(cents[ok]), 95):.1f} cents")
    by_program = defaultdict(list)
    for row, c, good in zip(rows, cents, ok, strict=True):
        if not good:
            by_program[row["program_name"]].append(f"{row['midi_pitch']}:{c:+.0f}")
    for name, errs in sorted(by_program.items(), key=lambda kv: -len(kv[1])):
        shown = ", ".join(errs[:8]) + (", ..." if len(errs) > 8 else "")
        print(f"   {name:<24} {len(errs):3d} wrong (pitch:cents) {shown}")
    print(f"   time per clip: estimate_f0 {1e3 * t_f0 / n:.2f} ms, "
          f"harmonic_descriptors {1e3 * t_desc / n:.2f} ms")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("data_dirs", nargs="+", type=Path, metavar="DATA_DIR")
    parser.add_argument("--n-fft", type=int, default=8192)
    parser.add_argument("--hop", type=int, default=1024)
    args = parser.parse_args(argv)
    for data_dir in args.data_dirs:
        evaluate(data_dir, args.n_fft, args.hop)


if __name__ == "__main__":
    main()
