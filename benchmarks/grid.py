"""Cost of grid searches over an embedder, in passes of feature extraction.

Usage::

    python benchmarks/grid.py ../shared/data/fluidr3 [--n-clips 300] [--cv 3]

Measures CPU time (one process) of

* ``one extraction pass``: the default families on every clip once;
* a 12-candidate ``GridSearchCV`` over projection settings (shrinkage LDA:
  4 ``n_components`` x 3 ``shrinkage``), with the front end's row cache
  (``make_timbre_embedder(cache=True)``) and without it;
* a 4-candidate grid that varies a family parameter (``features__mfcc__n_mfcc``
  x 2) and ``n_components`` x 2, with the cache: only the MFCC rows are
  computed again for a new ``n_mfcc``, the other families' rows are reused.

and prints each as a multiple of one extraction pass (the issue asks for less
than 2 for the projection grid). BLAS is held to one thread throughout: with
several threads on a busy machine, the LDA fits' small eigen-decompositions
cost far more CPU time than they do single-threaded.
"""

from __future__ import annotations

import argparse
import os
import time
import warnings

import numpy as np


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("data_dir", help="folder with manifest.csv and the audio it lists")
    parser.add_argument("--n-clips", type=int, default=300)
    parser.add_argument("--cv", type=int, default=3)
    parser.add_argument("--skip-uncached", action="store_true",
                        help="do not run the (slow) projection grid without the cache")
    args = parser.parse_args(argv)

    from sklearn.model_selection import GridSearchCV, StratifiedKFold
    from threadpoolctl import threadpool_limits

    from sktimbre import make_timbre_embedder
    from sktimbre.io import read_manifest

    paths, labels = read_manifest(os.path.join(args.data_dir, "manifest.csv"))
    rng = np.random.default_rng(0)
    pick = np.sort(rng.choice(len(paths), size=min(args.n_clips, len(paths)), replace=False))
    X, y = [paths[i] for i in pick], np.array([labels[i] for i in pick])
    cv = StratifiedKFold(args.cv, shuffle=True, random_state=0)
    warnings.simplefilter("ignore")  # LDA collinearity notes
    make_timbre_embedder(projection=None)[:2].fit_transform(X[:8])  # warm-up

    def cpu(run):  # every measurement starts cold: each builds a new embedder (its own cache)
        start = time.process_time()
        with threadpool_limits(limits=1):  # one process, one thread: CPU time is comparable
            run()
        return time.process_time() - start

    one_pass = cpu(lambda: make_timbre_embedder(projection=None)[:2].fit_transform(X))
    top = len(set(y)) - 1  # LDA gives at most n_classes - 1 components
    projection_grid = {"project__n_components": [min(k, top) for k in (2, 4, 8, 12)],
                       "project__shrinkage": ["auto", 0.1, 0.5]}
    family_grid = {"features__mfcc__n_mfcc": [13, 20],
                   "project__n_components": [min(k, top) for k in (4, 8)]}

    def search(grid, cache):
        return lambda: GridSearchCV(make_timbre_embedder(cache=cache), grid, cv=cv).fit(X, y)

    rows = [("one extraction pass (default families)", one_pass),
            ("projection grid, 12 candidates, cache=True", cpu(search(projection_grid, True)))]
    if not args.skip_uncached:
        rows.append(("projection grid, 12 candidates, cache=False",
                     cpu(search(projection_grid, False))))
    rows.append(("family-parameter grid, 4 candidates, cache=True",
                 cpu(search(family_grid, True))))
    print(f"{len(X)} clips, {args.cv}-fold GridSearchCV, one process, CPU seconds\n")
    print("| run | CPU s | extraction passes |")
    print("|---|---|---|")
    for name, sec in rows:
        print(f"| {name} | {sec:.2f} | {sec / one_pass:.2f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
