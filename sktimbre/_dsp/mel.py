"""Mel filterbank energies and the dB scale (array in, array out)."""

from __future__ import annotations

from functools import lru_cache

import numpy as np

__all__ = ["mel_basis", "mel_power", "power_to_db"]


@lru_cache(maxsize=32)
def mel_basis(sr: int, n_fft: int, n_mels: int, fmin: float, fmax: float | None) -> np.ndarray:
    """Slaney-normalised mel filterbank, as librosa's default.

    Parameters
    ----------
    sr : int
        Sample rate in Hz.
    n_fft : int
        FFT length in samples.
    n_mels : int
        Number of mel bands.
    fmin, fmax : float
        Lowest and highest band edge in Hz (``fmax=None``: ``sr / 2``).

    Returns
    -------
    basis : ndarray of float32, shape (n_mels, 1 + n_fft // 2)
        Read-only (cached).

    References
    ----------
    M. Slaney, "Auditory Toolbox", Interval Research Corporation, Tech. Rep. 1998-010.

    Examples
    --------
    >>> from sktimbre._dsp.mel import mel_basis
    >>> mel_basis(22050, 2048, 40, 0.0, None).shape
    (40, 1025)
    """
    import librosa

    basis = librosa.filters.mel(sr=sr, n_fft=n_fft, n_mels=n_mels, fmin=fmin, fmax=fmax,
                                dtype=np.float32)
    basis.setflags(write=False)
    return basis


@lru_cache(maxsize=32)
def _sparse_mel_basis(sr, n_fft, n_mels, fmin, fmax, n_rows):
    """The filterbank's first ``n_rows`` columns, sparse; ``None`` if a filter reads past them."""
    from scipy.sparse import csr_array

    basis = mel_basis(sr, n_fft, n_mels, fmin, fmax)
    if np.any(basis[:, n_rows:]):
        return None
    return csr_array(basis[:, :n_rows])


def mel_power(S: np.ndarray, sr: int, n_fft: int, n_mels: int, fmin: float,
              fmax: float | None) -> np.ndarray:
    """Mel power spectrogram of magnitude STFT(s) ``S``.

    Parameters
    ----------
    S : ndarray of shape (..., n_bins, n_frames)
        Magnitude STFT(s): all ``1 + n_fft // 2`` bins, or the first ``n_bins`` if no
        filter reaches above them (a band-limited STFT, up to ``fmax``).
    sr, n_fft, n_mels, fmin, fmax :
        As :func:`mel_basis`.

    Returns
    -------
    M : ndarray of float32, shape (..., n_mels, n_frames)
        ``mel_basis @ S**2`` per clip, as ``librosa.feature.melspectrogram(S=S**2)``.

    Raises
    ------
    ValueError
        If ``S`` lacks bins that a filter reads.

    Examples
    --------
    >>> import numpy as np
    >>> from sktimbre._dsp.mel import mel_power
    >>> mel_power(np.ones((2, 1025, 3), np.float32), 22050, 2048, 40, 0.0, None).shape
    (2, 40, 3)
    >>> mel_power(np.ones((2, 744, 3), np.float32), 22050, 2048, 40, 0.0, 8000.0).shape
    (2, 40, 3)
    """
    # Each mel filter spans a few bins: a sparse product is ~10x cheaper than a dense
    # one, and one product per clip keeps a clip's result independent of its stack.
    basis = _sparse_mel_basis(sr, n_fft, n_mels, fmin, fmax, S.shape[-2])
    if basis is None:
        raise ValueError(f"S has {S.shape[-2]} frequency bins, but the mel filters up to "
                         f"fmax={fmax} Hz read bins above them (n_fft={n_fft}, sr={sr})")
    P = np.square(S, dtype=np.float32)
    flat = P.reshape((-1,) + P.shape[-2:])
    out = np.empty((flat.shape[0], n_mels, P.shape[-1]), dtype=np.float32)
    for i, p in enumerate(flat):
        out[i] = basis @ p
    return out.reshape(P.shape[:-2] + out.shape[-2:])


def power_to_db(P: np.ndarray, *, top_db: float | None = 80.0, amin: float = 1e-10) -> np.ndarray:
    """``10 log10(P)`` with the dynamic range floor applied *per clip*.

    Same as :func:`librosa.power_to_db` with ``ref=1.0`` on each clip of a stack
    ``(n_clips, n_bands, n_frames)``; librosa would take the maximum over the whole
    stack.

    Parameters
    ----------
    P : ndarray of shape (..., n_bands, n_frames)
        Power values.
    top_db : float or None, default=80.0
        Floor, in dB below each clip's maximum (``None``: no floor).
    amin : float, default=1e-10
        Smallest power taken into the logarithm.

    Returns
    -------
    P_db : ndarray, same shape as ``P``

    Examples
    --------
    >>> import numpy as np
    >>> from sktimbre._dsp.mel import power_to_db
    >>> power_to_db(np.array([[[1.0, 1e-3, 1e-12]]]), top_db=60.0).tolist()
    [[[0.0, -30.0, -60.0]]]
    """
    log_spec = 10.0 * np.log10(np.maximum(amin, P))
    if top_db is not None:
        peak = log_spec.max(axis=(-2, -1), keepdims=True)
        log_spec = np.maximum(log_spec, peak - top_db)
    return log_spec
