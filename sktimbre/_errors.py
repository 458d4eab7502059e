"""The batch policy for unusable clips: what ``on_error`` does, and surviving dead workers.

Shared by :class:`~sktimbre.AudioFrontEnd` and the chunked helpers of
:mod:`sktimbre.embedder`, so that every entry point treats a bad clip the same way:

* ``"raise"``: the first unusable clip raises :class:`~sktimbre.io.InvalidClipError`;
* ``"warn"``: its rows become NaN, and one :class:`~sktimbre.io.ClipWarning` lists
  every failed clip of the call;
* ``"nan"``: its rows become NaN, silently; the failures are only recorded.

Either way the failures of the last call are recorded as a list of
:class:`ClipFailure` ``(index, source, reason)`` on the front end (``failures_``).
Fitting never uses NaN rows: :func:`check_fit_failures` turns recorded failures
into an error that lists them all.
"""

from __future__ import annotations

import warnings
from concurrent.futures.process import BrokenProcessPool
from typing import NamedTuple

from .io import ClipWarning, InvalidClipError, _source_name

ON_ERROR = ("raise", "warn", "nan")
"""Accepted values of ``on_error``."""


class ClipFailure(NamedTuple):
    """One clip that could not be used: its position in ``X``, its path, and why."""

    index: int
    source: str
    reason: str


def failures_from_errors(errors: dict, sources) -> list[ClipFailure]:
    """Failures, in clip order, from ``{index: "clip i (source): reason"}`` messages."""
    failures = []
    for i, msg in sorted(errors.items()):
        prefix = f"clip {i} ({sources[i]}): "
        reason = msg[len(prefix) :] if msg.startswith(prefix) else msg
        failures.append(ClipFailure(int(i), sources[i], reason))
    return failures


def _describe(failures, limit: int = 20) -> str:
    lines = [f"  clip {f.index} ({f.source}): {f.reason}" for f in failures[:limit]]
    if len(failures) > limit:
        lines.append(f"  ... and {len(failures) - limit} more")
    return "\n".join(lines)


def report_failures(failures, n_clips: int, on_error: str, *, stacklevel: int = 3) -> None:
    """Warn once about every failed clip if ``on_error="warn"``; otherwise stay quiet."""
    if failures and on_error == "warn":
        warnings.warn(
            f"{len(failures)} of {n_clips} clips could not be used and give NaN rows:\n"
            + _describe(failures, limit=len(failures)),
            ClipWarning,
            stacklevel=stacklevel,
        )


def check_fit_failures(failures, n_clips: int) -> None:
    """Refuse to fit on NaN rows: raise :class:`InvalidClipError` listing every failed clip.

    Raises
    ------
    InvalidClipError
        Naming the first failed clip, with every failure listed in the message.
    """
    if not failures:
        return
    first = failures[0]
    others = f"\n{len(failures)} of {n_clips} clips failed:\n{_describe(failures)}"
    raise InvalidClipError(
        first.index,
        first.source,
        f"{first.reason}; cannot fit on a clip that failed (on_error only lets transform "
        f"continue past bad clips): remove the failed clips from X and y, then fit again"
        + (others if len(failures) > 1 else ""),
    )


def crash_reason(exc: BaseException) -> str:
    return (
        f"decoding or analysing it killed the worker process ({type(exc).__name__}); "
        "the file is probably corrupt"
    )


def run_chunks(func, chunks: list[tuple], *, n_jobs: int, on_crash) -> list:
    """Run ``func(items, start, *args)`` for every chunk in joblib worker processes.

    A worker that dies (a decoder crash, killed by the OS) does not take the batch
    with it: the chunks are run again one at a time, a chunk that still kills its
    worker is split in halves until the single clip responsible is found, and
    ``on_crash(item, index, reason)`` decides what becomes of that clip (raise
    :class:`InvalidClipError`, or return the result of a one-clip chunk that failed).

    Parameters
    ----------
    func : callable
        Worker function; ``chunks`` are its positional arguments, the first two
        being the chunk's clips and the index of its first clip in ``X``.
    chunks : list of tuple
        ``(items, start, *args)`` per chunk, in clip order.
    n_jobs : int
        joblib ``n_jobs`` (not 1: worker processes are what this guards).
    on_crash : callable
        ``on_crash(item, index, reason) -> result`` for a clip that kills its worker.

    Returns
    -------
    results : list
        One result per chunk actually run, in clip order (a chunk with a crashing
        clip comes back as several smaller chunks).
    """
    from joblib import Parallel, delayed

    try:
        return Parallel(n_jobs=n_jobs)(delayed(func)(*chunk) for chunk in chunks)
    except BrokenProcessPool:
        pass  # find the culprit below, away from the other chunks
    results = []
    for chunk in chunks:
        results += _run_isolating(func, chunk, n_jobs, on_crash)
    return results


def _run_isolating(func, chunk: tuple, n_jobs: int, on_crash) -> list:
    from joblib import Parallel, delayed

    items, start, *args = chunk
    try:
        # n_jobs != 1 keeps the work in a worker process even for a single task.
        return Parallel(n_jobs=max(n_jobs, 2) if n_jobs > 0 else n_jobs)(
            [delayed(func)(items, start, *args)]
        )
    except BrokenProcessPool as exc:
        if len(items) == 1:
            return [on_crash(items[0], start, crash_reason(exc))]
        half = len(items) // 2
        return _run_isolating(
            func, (items[:half], start, *args), n_jobs, on_crash
        ) + _run_isolating(func, (items[half:], start + half, *args), n_jobs, on_crash)


def raise_crash(item, index: int, reason: str):
    """``on_crash`` of ``on_error="raise"``: an :class:`InvalidClipError` naming the clip."""
    raise InvalidClipError(index, _source_name(item), reason)
