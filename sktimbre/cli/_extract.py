"""Embedding many files: one pass in chunks, bad files recorded by the front end.

The library already knows how to get past a bad clip: with ``on_error="nan"`` the
front end gives the clip a NaN row and records it in ``failures_`` as
``(index, source, reason)``. The commands use exactly that -- each file is decoded
once -- and only cut the work into chunks, so that a progress bar moves and worker
processes are kept busy.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ._exit import CommandFailed

IN_PROCESS_BELOW = 100
"""Files per worker below which ``-j`` is ignored: starting a worker process and
importing the analysis stack in it costs a few seconds of CPU, about what a
hundred clips take to embed."""


class Failure(NamedTuple):
    """A file that could not be used: its position in the command's list, path, reason."""

    index: int
    source: str
    reason: str


def workers(n_jobs: int, n_files: int) -> int:
    """The worker processes worth starting for ``n_files`` (1: stay in this process)."""
    from joblib import effective_n_jobs

    n = effective_n_jobs(n_jobs)
    return 1 if n_files < IN_PROCESS_BELOW * n else n


def chunk_size(n_workers: int) -> int:
    """Files per call: small in-process (the bar moves every second or so), 256 per
    worker in parallel (each call is split among the workers, and has a fixed cost:
    on 4,982 files, -j 2 took 34.7 s in calls of 64 per worker, 27.1 s in calls of
    256, against 39.0 s for -j 1)."""
    return 32 if n_workers == 1 else 256 * n_workers


def prepare(embedder, n_jobs: int, n_files: int) -> int:
    """Make the front end record bad clips instead of raising; set its workers.

    Returns
    -------
    n_workers : int
    """
    n_workers = workers(n_jobs, n_files)
    embedder.steps[0][1].set_params(on_error="nan", n_jobs=n_workers)
    return n_workers


def transform_chunk(transform, frontend, items: list) -> tuple[np.ndarray, list[Failure]]:
    """``transform(items)`` once: rows (NaN for failed clips) and the failures, numbered
    in ``items``, as the front end recorded them.

    A row that is not finite although its clip did not fail (a model that gives NaN)
    is a failure too: the output never holds a row that is not a vector.
    """
    rows = np.asarray(transform(items), dtype=np.float64)
    if rows.ndim != 2 or len(rows) != len(items):
        raise CommandFailed(f"the model returned an array of shape {rows.shape} for "
                            f"{len(items)} clips; an embedder gives one row per clip")
    failures = [Failure(int(f.index), f.source, f.reason) for f in frontend.failures_]
    failed = {f.index for f in failures}
    for i in np.flatnonzero(~np.isfinite(rows).all(axis=1)):
        if i not in failed:
            failures.append(Failure(int(i), _source(items[i]), "the model gave a non-finite "
                                                               "embedding"))
    return rows, sorted(failures)


def embed_paths(transform, frontend, paths: list[str], *, n_workers: int, progress):
    """Rows for every path (NaN for failed ones) and the failures, in chunks.

    Parameters
    ----------
    transform : callable
        ``embedder.transform`` (or ``embedder[:2].transform`` for features).
    frontend : AudioFrontEnd
        The embedder's first step, prepared with :func:`prepare`.
    paths : list of str
    n_workers : int
        From :func:`prepare`: sets the chunk size.
    progress : ProgressBar
        Advanced by each chunk's number of files.

    Returns
    -------
    rows : ndarray of shape (n_files, n_out)
    failures : list of Failure
        Numbered in ``paths``.
    """
    size = chunk_size(n_workers)
    blocks, failures = [np.empty((0, 0))], []
    for start in range(0, len(paths), size):
        rows, chunk_failures = transform_chunk(transform, frontend, paths[start:start + size])
        blocks.append(rows)
        failures += [f._replace(index=f.index + start) for f in chunk_failures]
        progress.update(len(rows))
    return np.vstack(blocks[1:] or blocks), failures


def _source(item) -> str:
    return item if isinstance(item, str) else "<array>"
