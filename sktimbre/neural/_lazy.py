"""Import PyTorch only when a model is trained or run, with an install hint if missing."""

from __future__ import annotations

from contextlib import contextmanager

INSTALL_HINT = 'pip install "sktimbre[neural]"'


def import_torch():
    """Return the ``torch`` module, or raise an ImportError that says how to install it."""
    try:
        import torch
    except ImportError as exc:
        raise ImportError(
            f"sktimbre.neural needs PyTorch, which is not installed: {INSTALL_HINT}"
        ) from exc
    return torch


@contextmanager
def torch_session(torch, *, n_threads: int | None, seed: int | None = None):
    """Deterministic CPU settings for one fit/transform, restored on exit.

    Threads, deterministic algorithms and the global RNG are process-wide in torch;
    the caller's settings and random stream are put back afterwards.
    """
    old_threads = torch.get_num_threads()
    old_deterministic = torch.are_deterministic_algorithms_enabled()
    with torch.random.fork_rng(devices=[]):
        try:
            if n_threads is not None:
                torch.set_num_threads(n_threads)
            torch.use_deterministic_algorithms(True)
            if seed is not None:
                torch.manual_seed(seed)
            yield
        finally:
            torch.set_num_threads(old_threads)
            torch.use_deterministic_algorithms(old_deterministic)
