"""Cepstral coefficients of a mel spectrogram, and time derivatives of frame-wise values."""

from __future__ import annotations

from functools import lru_cache

import numpy as np

__all__ = ["mfcc_from_mel", "delta"]


def mfcc_from_mel(M_db: np.ndarray, n_mfcc: int) -> np.ndarray:
    """Mel-frequency cepstral coefficients from a dB mel spectrogram.

    The orthonormal DCT-II over the mel bands, keeping the first ``n_mfcc``
    coefficients (Davis & Mermelstein 1980), as :func:`librosa.feature.mfcc`.

    Parameters
    ----------
    M_db : ndarray of shape (..., n_mels, n_frames)
        Mel power in dB (:func:`sktimbre._dsp.mel.power_to_db`).
    n_mfcc : int
        Coefficients kept, at most ``n_mels``.

    Returns
    -------
    C : ndarray of shape (..., n_mfcc, n_frames)

    References
    ----------
    S. Davis and P. Mermelstein, "Comparison of parametric representations for
    monosyllabic word recognition in continuously spoken sentences", IEEE Trans.
    ASSP 28(4), 1980.

    Examples
    --------
    >>> import numpy as np
    >>> from sktimbre._dsp.mfcc import mfcc_from_mel
    >>> mfcc_from_mel(np.zeros((40, 5)) - 20.0, 3)[:, 0].round(3).tolist()  # flat: c0 only
    [-126.491, 0.0, 0.0]
    """
    from scipy.fft import dct

    return dct(M_db, axis=-2, type=2, norm="ortho")[..., :n_mfcc, :]


def delta(F: np.ndarray, *, width: int = 9, order: int = 1) -> np.ndarray:
    """Local time derivative of frame-wise descriptors, as :func:`librosa.feature.delta`.

    Savitzky-Golay derivative over ``width`` frames along the last axis (mode
    ``"interp"``: polynomial fits over the first and last ``width`` frames at the
    edges). Clips with fewer frames than ``width`` use the largest odd width that
    fits, and clips with fewer than 3 frames get zero derivatives. Time and memory
    are linear in the number of frames.

    Parameters
    ----------
    F : ndarray of shape (..., n_descriptors, n_frames)
    width : int, default=9
        Odd number of frames of the derivative window.
    order : int, default=1
        Derivative order.

    Returns
    -------
    dF : ndarray, same shape and dtype as ``F``

    References
    ----------
    A. Savitzky and M. J. E. Golay, "Smoothing and differentiation of data by
    simplified least squares procedures", Analytical Chemistry 36(8), 1964.

    Examples
    --------
    >>> import numpy as np
    >>> from sktimbre._dsp.mfcc import delta
    >>> delta(np.arange(20.0)[None, :])[0, :3]
    array([1., 1., 1.])
    """
    n_frames = F.shape[-1]
    width = min(width, n_frames if n_frames % 2 else n_frames - 1)
    if width < 3 or width <= order:
        return np.zeros_like(F)
    edges, coeffs = _savgol(width, order)
    half = width // 2
    out = np.empty(F.shape, dtype=np.result_type(F.dtype, np.float64))
    if n_frames > width:  # interior: one dot product per frame with the filter
        windows = np.lib.stride_tricks.sliding_window_view(F, width, axis=-1)
        out[..., half:n_frames - half] = windows @ coeffs
    # edges: the derivative of the polynomial fitted to the first / last `width` frames
    out[..., :half] = F[..., :width] @ edges[:, :half]
    out[..., n_frames - half:] = F[..., n_frames - width:] @ edges[:, width - half:]
    if n_frames == width:
        out[..., half] = F @ edges[:, half]
    return out.astype(F.dtype, copy=False)


@lru_cache(maxsize=32)
def _savgol(width: int, order: int) -> tuple[np.ndarray, np.ndarray]:
    """The edge operator ``(width, width)`` and the interior filter of the derivative."""
    from scipy.signal import savgol_coeffs, savgol_filter

    edges = savgol_filter(np.eye(width), width, order, deriv=order, axis=-1, mode="interp")
    coeffs = savgol_coeffs(width, order, deriv=order)[::-1].copy()  # correlation order
    edges.setflags(write=False)
    coeffs.setflags(write=False)
    return edges, coeffs
