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


@lru_cache(maxsize=32)
def _sparse_mel_basis(sr, n_fft, n_mels, fmin, fmax):
    from scipy.sparse import csr_array

    return csr_array(mel_basis(sr, n_fft, n_mels, fmin, fmax))


def mel_power(S: np.ndarray, sr: int, n_fft: int, n_mels: int, fmin: float, fmax) -> np.ndarray:
    """Mel power spectrogram of magnitude STFT stack ``S`` (..., n_bins, n_frames)."""
    # Each mel filter spans a few bins: a sparse product is ~10x cheaper than a dense
    # one, and one product per clip keeps a clip's result independent of its stack.
    basis = _sparse_mel_basis(sr, n_fft, n_mels, fmin, fmax)
    P = np.square(S, dtype=np.float32)
    flat = P.reshape((-1,) + P.shape[-2:])
    out = np.empty((flat.shape[0], n_mels, P.shape[-1]), dtype=np.float32)
    for i, p in enumerate(flat):
        out[i] = basis @ p
    return out.reshape(P.shape[:-2] + out.shape[-2:])


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
