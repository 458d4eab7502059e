"""Build and query time and memory of TimbreIndex, on synthetic timbre vectors.

Usage::

    python benchmarks/index.py [--sizes 10000 100000 1000000] [--dims 31] [--k 10]
                               [--batch 1000] [--map]

For each size, random clustered float32 vectors (like a sample library's: groups
of similar sounds, an offset from the origin) are indexed with
``TimbreIndex(embedder=None)`` -- the search, not the embedding, is measured --
and then queried: one vector at a time (the median of 50 queries, as
``sktimbre similar`` and a click in the map ask) and in one batch. Memory is
measured with :mod:`tracemalloc` (NumPy's allocations included): what the built
index holds, and the peak above it while building and while answering the batch.
Save and load times and the ``.skx`` size are measured too.

With ``--map``, the 2-D layout of the map (:func:`sktimbre.timbre_map.map_layout`)
is timed as well: PCA, t-SNE on every point, and t-SNE on a subset with the rest
placed by their nearest neighbours (the default above 5,000 points).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import tracemalloc

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def synthetic_vectors(n: int, dims: int, *, n_groups: int = 200, seed: int = 0) -> np.ndarray:
    """``n`` float32 vectors in ``n_groups`` groups around an offset centre."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(n_groups, dims)) * 3 + 5
    groups = rng.integers(0, n_groups, size=n)
    out = np.empty((n, dims), dtype=np.float32)
    for start in range(0, n, 100_000):  # without a float64 copy of the whole
        stop = min(n, start + 100_000)
        out[start:stop] = centres[groups[start:stop]] + rng.normal(size=(stop - start, dims))
    return out


def _mib(n_bytes: float) -> float:
    return n_bytes / 2**20


def measure(n: int, dims: int, k: int, batch: int, metric: str, seed: int = 0) -> dict:
    from sktimbre import TimbreIndex

    # float64, as most code holds vectors: the index keeps its own float32 copy
    vectors = synthetic_vectors(n, dims, seed=seed).astype(np.float64)
    queries = synthetic_vectors(batch, dims, seed=seed + 1)
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    start = time.perf_counter()
    index = TimbreIndex(embedder=None, metric=metric).fit(vectors)
    build_s = time.perf_counter() - start
    held, peak = tracemalloc.get_traced_memory()
    build_peak = peak - base
    held -= base

    index.query(queries[:1], k=k)  # warm up
    singles = []
    for q in queries[:50]:
        start = time.perf_counter()
        index.query(q[None], k=k)
        singles.append(time.perf_counter() - start)
    tracemalloc.reset_peak()
    before = tracemalloc.get_traced_memory()[0]
    start = time.perf_counter()
    index.query(queries, k=k)
    batch_s = time.perf_counter() - start
    batch_peak = tracemalloc.get_traced_memory()[1] - before
    tracemalloc.stop()

    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "library.skx")
        start = time.perf_counter()
        index.save(path)
        save_s = time.perf_counter() - start
        size = os.path.getsize(path)
        start = time.perf_counter()
        type(index).load(path)
        load_s = time.perf_counter() - start
    return {"n": n, "build_s": build_s, "held_mib": _mib(held),
            "build_peak_mib": _mib(build_peak), "single_ms": 1e3 * statistics.median(singles),
            "batch_ms_per_query": 1e3 * batch_s / batch, "batch_peak_mib": _mib(batch_peak),
            "save_s": save_s, "load_s": load_s, "file_mib": _mib(size)}


def measure_layout(n: int, dims: int) -> list[tuple[str, float]]:
    from sktimbre.timbre_map import MAX_TSNE_POINTS, map_layout

    vectors = synthetic_vectors(n, dims, n_groups=30)
    runs = [("PCA", {"projection": "pca"})]
    if n <= MAX_TSNE_POINTS * 2:
        runs.append(("t-SNE, every point", {"projection": "tsne", "max_tsne_points": None}))
    if n > MAX_TSNE_POINTS:
        runs.append((f"t-SNE on {MAX_TSNE_POINTS}, rest placed", {"projection": "tsne"}))
    out = []
    for name, kwargs in runs:
        start = time.perf_counter()
        map_layout(vectors, **kwargs)
        out.append((name, time.perf_counter() - start))
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--dims", type=int, default=31)
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--batch", type=int, default=1000, help="queries in the batch")
    parser.add_argument("--metric", choices=("cosine", "euclidean"), default="cosine")
    parser.add_argument("--map", action="store_true", help="also time the map's layout")
    parser.add_argument("--map-sizes", type=int, nargs="+", default=[2000, 5000, 20000])
    args = parser.parse_args(argv)

    print(f"TimbreIndex, exact search: {args.dims}-dim float32 vectors, k={args.k}, "
          f"{args.metric}; batch of {args.batch} queries; {os.cpu_count()} CPUs")
    print()
    print("| items | build | index in memory | peak while building | one query | "
          "batch, per query | peak while batching | save | load | .skx file |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for n in args.sizes:
        r = measure(n, args.dims, args.k, args.batch, args.metric)
        print(f"| {n:,} | {r['build_s']:.3f} s | {r['held_mib']:.1f} MiB | "
              f"{r['build_peak_mib']:.1f} MiB | {r['single_ms']:.2f} ms | "
              f"{r['batch_ms_per_query']:.3f} ms | {r['batch_peak_mib']:.1f} MiB | "
              f"{r['save_s']:.2f} s | {r['load_s']:.2f} s | {r['file_mib']:.1f} MiB |",
              flush=True)
    if args.map:
        print()
        print("| points | layout | time |")
        print("|---:|---|---:|")
        for n in args.map_sizes:
            for name, seconds in measure_layout(n, args.dims):
                print(f"| {n:,} | {name} | {seconds:.1f} s |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
