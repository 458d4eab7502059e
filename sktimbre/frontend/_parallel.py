"""Running chunks of clips in worker processes, and keeping BLAS to one thread.

Parallelism in sktimbre is across chunks of clips (joblib processes, or a Dask
cluster through joblib's backend); nested BLAS/FFT threads would only oversubscribe
the cores, so extraction holds them to one. A worker that dies on a clip (a decoder
crash, the OS killing it) does not take the batch with it: :func:`run_chunks` finds
the clip responsible.
"""

from __future__ import annotations

import threading
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager

__all__ = ["effective_n_jobs", "run_chunks", "single_blas_thread"]

_LIMIT_LOCK = threading.Lock()
_LIMIT_DEPTH = 0
_LIMITER = None


@contextmanager
def single_blas_thread():
    """Hold BLAS and FFT thread pools to one thread while extracting.

    The limit is process-wide, so concurrent extractions (two threads each
    transforming with an embedder) share one: the first to enter sets it, the last
    to leave restores the limits found before -- threadpoolctl's own context
    manager, entered by two threads at once, would restore the other thread's limit
    and leave the process at one thread for good.

    Examples
    --------
    >>> from sktimbre.frontend._parallel import single_blas_thread
    >>> with single_blas_thread():
    ...     pass
    """
    global _LIMIT_DEPTH, _LIMITER
    from threadpoolctl import threadpool_limits

    with _LIMIT_LOCK:
        if _LIMIT_DEPTH == 0:
            _LIMITER = threadpool_limits(limits=1)
        _LIMIT_DEPTH += 1
    try:
        yield
    finally:
        with _LIMIT_LOCK:
            _LIMIT_DEPTH -= 1
            if _LIMIT_DEPTH == 0:
                _LIMITER.restore_original_limits()
                _LIMITER = None


def effective_n_jobs(n_jobs) -> int | None:
    """``n_jobs``, or the one set by ``joblib.parallel_config`` (e.g. a Dask backend).

    Parameters
    ----------
    n_jobs : int or None

    Returns
    -------
    n_jobs : int or None
        ``None`` or 1 mean: in this process.
    """
    if n_jobs is not None:
        return n_jobs
    from joblib.parallel import get_active_backend

    backend, config_n_jobs = get_active_backend()
    if config_n_jobs not in (None, 1):
        return config_n_jobs
    # a backend chosen with parallel_config(backend="dask"/...) without n_jobs: use it all
    return None if type(backend).__name__ in ("LokyBackend", "SequentialBackend") else -1


def crash_reason(exc: BaseException) -> str:
    """What to tell the user about a clip that killed its worker process."""
    return (
        f"decoding or analysing it killed the worker process ({type(exc).__name__}); "
        "the file is probably corrupt"
    )


_NUMBA_READY = False


def _compile_librosa_kernels() -> None:
    """Let this process compile (or load) librosa's numba kernels before workers start.

    librosa compiles a few numba functions with ``cache=True`` when its modules are
    imported (resampling imports them). Worker processes importing them at the same
    moment on a fresh install can write a mismatched on-disk cache (numba issue
    #10128), after which every process that loads it crashes. Importing them once
    here, in the parent, fills the cache before any worker exists.
    """
    global _NUMBA_READY
    if not _NUMBA_READY:
        import librosa.core.pitch  # noqa: F401
        import librosa.util.utils  # noqa: F401

        _NUMBA_READY = True


def run_chunks(func, chunks: list[tuple], *, n_jobs: int, on_crash) -> list:
    """Run ``func(items, start, *args)`` for every chunk in joblib worker processes.

    A worker that dies does not take the batch with it: the chunks are run again one
    at a time, a chunk that still kills its worker is split in halves until the
    single clip responsible is found, and ``on_crash(item, index, reason)`` decides
    what becomes of that clip (raise, or return the result of a one-clip chunk that
    failed).

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

    _compile_librosa_kernels()
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
