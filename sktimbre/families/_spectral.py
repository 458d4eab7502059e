"""Small spectral helpers shared by several families (pure functions)."""

from __future__ import annotations

from functools import lru_cache

import numpy as np


@lru_cache(maxsize=32)
def mel_basis(sr: int, n_fft: int, n_mels: int, fmin: float, fmax: float | None) -> np.ndarray:
    """Slaney-normalised mel filterbank ``(n_mels, 1 + n_fft // 2)``, as librosa's default."""
    import librosa

    basis = librosa.filters.mel(sr=sr, n_fft=n_fft, n_mels=n_mels, fmin=fmin, fmax=fmax,
                                dtype=np.float32)
    basis.setflags(write=False)
    return basis


def mel_power(S: np.ndarray, sr: int, n_fft: int, n_mels: int, fmin: float, fmax) -> np.ndarray:
    """Mel power spectrogram of magnitude STFT stack ``S`` (..., n_bins, n_frames)."""
    # One float32 matrix product per clip (matmul broadcasts over the stack), so a
    # clip's result does not depend on which stack it was computed in.
    return np.matmul(mel_basis(sr, n_fft, n_mels, fmin, fmax), np.square(S, dtype=np.float32))


def power_to_db(P: np.ndarray, *, top_db: float | None = 80.0, amin: float = 1e-10) -> np.ndarray:
    """``10 log10(P)`` with the dynamic range floor applied *per clip*.

    Same as :func:`librosa.power_to_db` with ``ref=1.0`` on each clip of a stack
    ``(n_clips, n_bands, n_frames)``; librosa would take the maximum over the whole stack.
    """
    log_spec = 10.0 * np.log10(np.maximum(amin, P))
    if top_db is not None:
        peak = log_spec.max(axis=(-2, -1), keepdims=True)
        log_spec = np.maximum(log_spec, peak - top_db)
    return log_spec
