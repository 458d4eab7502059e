"""Whether a change moved the default embedder's output: save it once, compare after.

Usage::

    python benchmarks/exactness.py save ref.npz ../shared/data/fluidr3 \\
        [--also ../shared/data/phrases/freepats] [--n-clips 300]
    # ... change the code ...
    python benchmarks/exactness.py compare ref.npz ../shared/data/fluidr3 \\
        [--also ../shared/data/phrases/freepats] [--n-clips 300]

The pretrained default's family rows (``embedder[:-1].transform``) and embeddings of
``--n-clips`` clips of each folder (the same clips every time: a fixed random draw
from each manifest), under ``threadpool_limits(1)``. ``compare`` prints, for the
rows, the largest difference of each column relative to the column's largest
magnitude (the worst columns named), and for the embeddings the largest absolute
difference and the largest cosine distance to the saved ones. A speed-up that only
reorders floating-point sums moves them by ~1e-15 relative; anything near 1e-6 or
above changed what is computed. Exit status 1 if ``--max-relative`` is exceeded.
"""

from __future__ import annotations

import argparse
import os

import numpy as np


def _clips(folder: str, n_clips: int) -> list[str]:
    from sktimbre.io import read_manifest

    paths, _ = read_manifest(os.path.join(folder, "manifest.csv"))
    order = np.random.default_rng(0).permutation(len(paths))[:n_clips]
    return [paths[i] for i in order]


def _outputs(paths: list[str]):
    from threadpoolctl import threadpool_limits

    from sktimbre import load_pretrained_embedder

    embedder = load_pretrained_embedder()
    with threadpool_limits(limits=1):
        rows = embedder[:-1].transform(paths)
        embeddings = embedder[-1].transform(rows)
    return rows, embeddings, embedder[:-1].get_feature_names_out()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("action", choices=["save", "compare"])
    parser.add_argument("reference", help=".npz file written by save, read by compare")
    parser.add_argument("data_dir", help="folder with manifest.csv and the audio it lists")
    parser.add_argument("--also", action="append", default=[], metavar="DIR",
                        help="another such folder (phrases, say); repeatable")
    parser.add_argument("--n-clips", type=int, default=300, help="clips per folder")
    parser.add_argument("--max-relative", type=float, default=1e-9,
                        help="compare: largest accepted column-relative row difference")
    args = parser.parse_args(argv)
    if args.n_clips < 1:
        parser.error("--n-clips must be at least 1")

    paths = [p for folder in [args.data_dir, *args.also] for p in _clips(folder, args.n_clips)]
    rows, embeddings, names = _outputs(paths)
    if args.action == "save":
        np.savez(args.reference, rows=rows, embeddings=embeddings, paths=np.array(paths))
        print(f"saved the rows {rows.shape} and embeddings {embeddings.shape} of "
              f"{len(paths)} clips to {args.reference}")
        return 0

    saved = np.load(args.reference)
    if saved["paths"].tolist() != paths:
        parser.error(f"{args.reference} was saved for other clips: pass the same folders "
                     "and --n-clips")
    scale = np.abs(saved["rows"]).max(axis=0)
    relative = (np.abs(rows - saved["rows"]).max(axis=0)
                / np.where(scale > 0, scale, 1.0))
    worst = np.argsort(relative)[::-1][:5]
    cosine = 1.0 - (np.sum(embeddings * saved["embeddings"], axis=1)
                    / np.linalg.norm(embeddings, axis=1)
                    / np.linalg.norm(saved["embeddings"], axis=1))
    print(f"{len(paths)} clips against {args.reference}")
    print(f"rows: largest difference {relative.max():.2e} of its column's scale; worst "
          + ", ".join(f"{names[i]} {relative[i]:.1e}" for i in worst))
    print(f"embeddings: largest absolute difference "
          f"{np.abs(embeddings - saved['embeddings']).max():.2e}, largest cosine distance "
          f"{cosine.max():.2e}")
    return 0 if relative.max() <= args.max_relative else 1


if __name__ == "__main__":
    raise SystemExit(main())
