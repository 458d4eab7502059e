"""Where the default embedder's extraction time goes: each analysis and family alone.

Usage::

    python benchmarks/steps.py ../shared/data/fluidr3 [--n-clips 300] [--rounds 3]
        [--threads 1]

The pretrained default's front end decodes and trims the clips
(:func:`sktimbre.frontend.decode_clips`); then :func:`sktimbre.frontend.describe_batch`
computes every analysis the families declare, once per clip, and every family's
rows. Each analysis' ``compute`` and each family's ``describe`` is timed on its own
(CPU time, under ``threadpoolctl.threadpool_limits(THREADS)``): an analysis'
inputs are computed before its ``compute`` is called, so its time excludes theirs.
Best of ``--rounds`` rounds, each on a fresh batch (nothing is reused between
rounds). Only public API is used.
"""

from __future__ import annotations

import argparse
import csv
import os
import time
from collections import defaultdict

import numpy as np


def _label(analysis) -> str:
    """A short name of an analysis: its class, and the family for frame descriptors."""
    name = type(analysis).__name__
    family = getattr(analysis, "family", None)
    return f"{name} ({family.__name__})" if isinstance(family, type) else name


def _timed_compute(compute, spent):
    def wrapper(self, *args, **kwargs):
        start = time.process_time()
        try:
            return compute(self, *args, **kwargs)
        finally:
            spent[f"analysis: {_label(self)}"] += time.process_time() - start
    return wrapper


def _one_round(paths, settings, families, analyses):
    from sktimbre.frontend import decode_clips, describe_batch

    spent = defaultdict(float)

    def timed(key, function):
        def wrapper(*args, **kwargs):
            start = time.process_time()
            try:
                return function(*args, **kwargs)
            finally:
                spent[key] += time.process_time() - start
        return wrapper

    start = time.process_time()
    batch = decode_clips(paths, 0, settings)
    spent["decoding and silence trimming"] = time.process_time() - start
    # the classes' compute methods are wrapped for this round only (families declare
    # new but equal analysis objects on every call, so instances cannot be wrapped)
    classes = {type(analysis) for analysis in analyses}
    originals = {cls: cls.__dict__.get("compute") for cls in classes}
    inherited = {cls: cls.compute for cls in classes}  # before any class is wrapped
    for cls in classes:
        cls.compute = _timed_compute(inherited[cls], spent)
    for name, family in families:
        family.describe = timed(f"family: {name}", family.describe)
    try:
        start = time.process_time()
        describe_batch(batch, [family for _, family in families])
        total = time.process_time() - start + spent["decoding and silence trimming"]
    finally:
        for cls, original in originals.items():
            if original is None:
                del cls.compute
            else:
                cls.compute = original
        for _, family in families:
            del family.describe
    return spent, total


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("data_dir", help="folder with manifest.csv and the audio it lists")
    parser.add_argument("--n-clips", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args(argv)
    if args.threads < 1 or args.rounds < 1 or args.n_clips < 1:
        parser.error("--threads, --rounds and --n-clips must be at least 1")

    from threadpoolctl import threadpool_limits

    from sktimbre import load_pretrained_embedder
    from sktimbre.frontend import DecodeSettings, declared_analyses

    with open(os.path.join(args.data_dir, "manifest.csv"), newline="") as f:
        rows = list(csv.DictReader(f))
    order = np.random.default_rng(0).permutation(len(rows))[: args.n_clips]
    paths = [os.path.join(args.data_dir, rows[i]["path"]) for i in order]
    embedder = load_pretrained_embedder()
    frontend, union = embedder[0], embedder[1]
    settings = DecodeSettings(sr=frontend.sr, trim_db=frontend.trim_db,
                              max_duration=frontend.max_duration)
    families = list(union.transformer_list)
    analyses = declared_analyses([family for _, family in families])

    best, best_total = None, np.inf
    with threadpool_limits(limits=args.threads):
        _one_round(paths[:4], settings, families, analyses)  # warm-up
        for _ in range(args.rounds):
            spent, total = _one_round(paths, settings, families, analyses)
            best = spent if best is None else {k: min(v, best[k]) for k, v in spent.items()}
            best_total = min(best_total, total)
    print(f"Default embedder's features, {len(paths)} clips of {args.data_dir}, "
          f"threadpool_limits({args.threads}), best of {args.rounds} rounds "
          f"(per step; the total is the best round's): {best_total:.3f} CPU s in all.\n")
    print("| step | CPU s | share |")
    print("|---|---|---|")
    for key, value in sorted(best.items(), key=lambda item: -item[1]):
        print(f"| {key} | {value:.3f} | {value / best_total:.0%} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
