"""Extraction throughput, as ratios against a reference run in the same process.

Usage::

    python benchmarks/speed.py ../shared/data/fluidr3 [--n-clips 300] [--rounds 3]

Measures audio-seconds per CPU-second (``time.process_time``, one process) of:

* ``reference``: the librosa snippet users start from, clip by clip (decode with
  ``librosa.load``, then chroma-CENS, contrast, MFCC and deltas, each computing
  its own STFT/CQT);
* ``seed union``: the same 58 numbers from sktimbre's parts (front end +
  ``seed_feature_union``), decoding once and sharing the STFT;
* ``default union``: the default embedder's families (no chroma);
* ``family: NAME``: each family of the default embedder alone (front end with
  the embedder's trimming, and that family's analyses only);
* ``default embedder``: the whole pretrained default pipeline (which trims the
  silence around each note first), transform only.

Then the default embedder with ``n_jobs=2`` against ``n_jobs=1``, in wall-clock
time (CPU time of the main process would not count the workers' work): the
parallel speed-up, which needs two otherwise idle cores to mean anything.

The runs are interleaved over several rounds and the best round of each is kept,
so a busy shared machine distorts the ratios as little as possible. The ratio
column (speed relative to the reference) is the number to compare across
machines; the absolute throughput is machine-dependent.
"""

from __future__ import annotations

import argparse
import csv
import os
import time
import warnings

import numpy as np


def _reference(paths):
    import librosa

    out = []
    for path in paths:
        y, sr = librosa.load(path, sr=22050)
        ce = librosa.feature.chroma_cens(y=y, sr=sr).mean(axis=1)
        spc = librosa.feature.spectral_contrast(y=y, sr=sr).mean(axis=1)
        m = librosa.feature.mfcc(y=y, sr=sr, n_mfcc=13)
        out.append(np.concatenate([ce, spc, m.mean(1), librosa.feature.delta(m).mean(1),
                                   librosa.feature.delta(m, order=2).mean(1)]))
    return np.array(out)


def _union_runner(make_union, trim_db=None):
    from sktimbre import AudioFrontEnd

    def run(paths):
        union = make_union()
        return union.fit_transform(AudioFrontEnd(trim_db=trim_db).transform(paths))

    return run


def _family_runner(name, family):
    from sktimbre.embedder import FamilyUnion

    return _union_runner(lambda: FamilyUnion([(name, family)]), trim_db=60.0)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("data_dir", help="folder with manifest.csv and the audio it lists")
    parser.add_argument("--n-clips", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--n-jobs", type=int, default=2,
                        help="workers for the parallel comparison (1: skip it)")
    parser.add_argument("--parallel-clips", type=int, default=900,
                        help="clips for the parallel comparison (default 900: each call "
                        "has ~0.1 s of fixed worker overhead, which a real corpus amortises)")
    args = parser.parse_args(argv)

    from sklearn.base import clone

    from sktimbre import load_pretrained_embedder, seed_feature_union
    from sktimbre.embedder import default_feature_union

    with open(os.path.join(args.data_dir, "manifest.csv"), newline="") as f:
        rows = list(csv.DictReader(f))
    rng = np.random.default_rng(0)
    pick = np.sort(rng.choice(len(rows), size=min(args.n_clips, len(rows)), replace=False))
    paths = [os.path.join(args.data_dir, rows[i]["path"]) for i in pick]
    audio_s = sum(float(rows[i]["duration_s"]) for i in pick)

    pretrained = load_pretrained_embedder()
    runners = {
        "reference (librosa snippet)": _reference,
        "seed union (same 58 numbers)": _union_runner(seed_feature_union),
        "default union (untrimmed clips)": _union_runner(default_feature_union),
        **{f"family: {name}": _family_runner(name, clone(family))
           for name, family in default_feature_union().transformer_list},
        "default embedder (transform)": pretrained.transform,
    }
    warnings.simplefilter("ignore")  # librosa's notes about short CQT octaves
    # warm-up: imports, numba compilation, caches
    for run in runners.values():
        run(paths[:4])
    best = {name: np.inf for name in runners}
    for _ in range(args.rounds):
        for name, run in runners.items():
            start = time.process_time()
            run(paths)
            best[name] = min(best[name], time.process_time() - start)
    ref = best["reference (librosa snippet)"]
    print(f"{len(paths)} clips, {audio_s:.0f} s of audio, best of {args.rounds} rounds, "
          "one process\n")
    print("| extraction | CPU s | audio-s per CPU-s | speed vs reference |")
    print("|---|---|---|---|")
    for name, cpu in best.items():
        print(f"| {name} | {cpu:.2f} | {audio_s / cpu:.0f} | {ref / cpu:.2f}x |")

    # parallel: wall clock, the same pipeline with 1 and with 2 worker processes
    if args.n_jobs > 1:
        serial = load_pretrained_embedder()
        parallel = load_pretrained_embedder().set_params(frontend__n_jobs=args.n_jobs)
        parallel.transform(paths[:8])  # start the worker pool
        n_par = min(args.parallel_clips, len(rows))
        pick = np.sort(rng.choice(len(rows), size=n_par, replace=False))
        par_paths = [os.path.join(args.data_dir, rows[i]["path"]) for i in pick]
        audio_s = sum(float(rows[i]["duration_s"]) for i in pick)
        wall = {1: np.inf, args.n_jobs: np.inf}
        for _ in range(args.rounds):
            for n_jobs, emb in [(1, serial), (args.n_jobs, parallel)]:
                start = time.perf_counter()
                emb.transform(par_paths)
                wall[n_jobs] = min(wall[n_jobs], time.perf_counter() - start)
        print(f"\ndefault embedder, {n_par} clips, wall clock, best of {args.rounds} rounds, "
              f"{os.cpu_count()} CPUs\n")
        print("| n_jobs | wall s | audio-s per s | speed-up |")
        print("|---|---|---|---|")
        for n_jobs, sec in wall.items():
            print(f"| {n_jobs} | {sec:.2f} | {audio_s / sec:.0f} | {wall[1] / sec:.2f}x |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
