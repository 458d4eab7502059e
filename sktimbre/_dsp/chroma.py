"""Chroma (pitch-class energy) of constant-Q or STFT spectrograms (array in, array out)."""

from __future__ import annotations

import warnings

import numpy as np

__all__ = ["chroma_cens", "chroma_stft"]


def chroma_cens(C: np.ndarray, *, sr: int, hop_length: int = 512, n_chroma: int = 12,
                bins_per_octave: int = 36, win_len_smooth: int = 41) -> np.ndarray:
    """Chroma Energy Normalized Statistics of constant-Q magnitudes.

    :func:`librosa.feature.chroma_cens` on a given CQT (Mueller & Ewert 2011): CQT
    chroma, L1-normalised, quantised, smoothed over ``win_len_smooth`` frames,
    L2-normalised.

    Parameters
    ----------
    C : ndarray of shape (..., n_bins, n_frames)
        Constant-Q magnitudes (:func:`sktimbre._dsp.stft.cqt_magnitude`).
    sr : int
        Sample rate in Hz.
    hop_length : int, default=512
        Frame advance of ``C`` in samples.
    n_chroma : int, default=12
        Pitch classes per octave.
    bins_per_octave : int, default=36
        CQT bins per octave of ``C``.
    win_len_smooth : int, default=41
        Smoothing window in frames.

    Returns
    -------
    chroma : ndarray of shape (..., n_chroma, n_frames)

    References
    ----------
    M. Mueller and S. Ewert, "Chroma Toolbox: MATLAB implementations for extracting
    variants of chroma-based audio features", ISMIR 2011.

    Examples
    --------
    >>> import numpy as np
    >>> from sktimbre._dsp.chroma import chroma_cens
    >>> chroma_cens(np.ones((1, 252, 10)), sr=22050).shape
    (1, 12, 10)
    """
    import librosa

    return librosa.feature.chroma_cens(C=C, sr=sr, hop_length=hop_length, n_chroma=n_chroma,
                                       bins_per_octave=bins_per_octave,
                                       win_len_smooth=win_len_smooth)


def chroma_stft(S: np.ndarray, *, sr: int, n_fft: int, n_chroma: int = 12) -> np.ndarray:
    """Chroma of magnitude STFTs: power folded onto pitch classes, max-normalised per frame.

    :func:`librosa.feature.chroma_stft` on ``S**2``, with the tuning estimated per
    clip (one call per clip: librosa would estimate one tuning for a whole stack).

    Parameters
    ----------
    S : ndarray of shape (n_clips, 1 + n_fft // 2, n_frames)
        Magnitude STFTs.
    sr : int
        Sample rate in Hz.
    n_fft : int
        FFT length of ``S`` in samples.
    n_chroma : int, default=12
        Pitch classes per octave.

    Returns
    -------
    chroma : ndarray of shape (n_clips, n_chroma, n_frames)

    Examples
    --------
    >>> import numpy as np
    >>> from sktimbre._dsp.chroma import chroma_stft
    >>> chroma_stft(np.ones((1, 1025, 4)), sr=22050, n_fft=2048).shape
    (1, 12, 4)
    """
    import librosa

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tuning of near-silent clips
        return np.stack([librosa.feature.chroma_stft(S=s**2, sr=sr, n_fft=n_fft,
                                                     n_chroma=n_chroma) for s in S])
