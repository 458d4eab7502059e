"""Mel-frequency cepstral coefficients, optionally with their time derivatives."""

from __future__ import annotations

from functools import lru_cache
from numbers import Integral, Real

import numpy as np
from scipy.fft import dct
from sklearn.utils._param_validation import Interval

from ._base import FrameDescriptorFamily
from ._spectral import mel_power, power_to_db

__all__ = ["MFCC", "delta"]


def delta(F: np.ndarray, *, width: int = 9, order: int = 1) -> np.ndarray:
    """Local time derivative of frame-wise descriptors, as :func:`librosa.feature.delta`.

    Savitzky-Golay derivative over ``width`` frames along the last axis (mode
    ``"interp"``). Clips with fewer frames than ``width`` use the largest odd width
    that fits, and clips with fewer than 3 frames get zero derivatives.

    Parameters
    ----------
    F : ndarray of shape (..., n_descriptors, n_frames)
    width : int, default=9
        Odd number of frames of the derivative window.
    order : int, default=1
        Derivative order.

    Returns
    -------
    dF : ndarray, same shape as ``F``

    Examples
    --------
    >>> import numpy as np
    >>> from sktimbre.families.mfcc import delta
    >>> delta(np.arange(20.0)[None, :])[0, :3]
    array([1., 1., 1.])
    """
    n_frames = F.shape[-1]
    width = min(width, n_frames if n_frames % 2 else n_frames - 1)
    if width < 3 or width <= order:
        return np.zeros_like(F)
    return (F @ _delta_operator(n_frames, width, order)).astype(F.dtype, copy=False)


@lru_cache(maxsize=64)
def _delta_operator(n_frames: int, width: int, order: int) -> np.ndarray:
    """``D`` with ``F @ D == librosa.feature.delta(F, ...)`` along the last axis.

    The Savitzky-Golay derivative (with its polynomial fits at the edges) is linear
    in the frames: applying it once to the identity gives its matrix, and one product
    per stack then replaces librosa's per-call edge fits, which cost more than the rest
    of the MFCC pipeline.
    """
    import librosa

    D = librosa.feature.delta(np.eye(n_frames), width=width, order=order, axis=-1,
                              mode="interp")
    D.setflags(write=False)
    return D


class MFCC(FrameDescriptorFamily):
    """Mel-frequency cepstral coefficients (and deltas), pooled per clip.

    Per frame: power STFT -> ``n_mels`` Slaney mel bands -> dB (floor ``top_db`` below
    the clip's peak) -> orthonormal DCT-II, keeping ``n_mfcc`` coefficients
    (Davis & Mermelstein, 1980), exactly as :func:`librosa.feature.mfcc`. With
    ``deltas=1`` or ``2`` the first (and second) time derivatives of the coefficients
    (:func:`librosa.feature.delta`) are appended before pooling.

    Parameters
    ----------
    n_mfcc : int, default=13
        Number of coefficients, ``mfcc_00`` (overall level) to ``mfcc_{n_mfcc-1}``.
    include_c0 : bool, default=True
        Keep the static coefficient ``mfcc_00``, the clip's overall log level.
        Level is not timbre -- sample libraries are mastered to different
        loudness -- so timbre embedders drop it; its deltas (level changes over
        time) are kept either way.
    deltas : {0, 1, 2}, default=0
        Highest derivative order appended: 1 adds ``mfcc_delta_*``, 2 also
        ``mfcc_delta2_*``.
    delta_width : int, default=9
        Odd number of frames of the derivative window.
    n_mels : int, default=128
        Mel bands before the DCT.
    fmin : float, default=0.0
        Lowest mel band edge in Hz.
    fmax : float or None, default=None
        Highest mel band edge in Hz (``None``: ``sr / 2``).
    top_db : float or None, default=80.0
        Dynamic range of the dB mel spectrogram below the clip's peak.
    n_fft : int, default=2048
        STFT length in samples.
    hop_length : int, default=512
        STFT hop in samples.
    window : str or tuple, default="hann"
        STFT window.
    pooling : str or list of str, default="mean"
        Per-clip statistics over frames, see :func:`sktimbre.pooling.pool_frames`.
    active_db : float or None, default=None
        Pool only over frames whose energy is within this many dB of the clip's
        loudest frame (the sounding part of the note); ``None`` pools all frames.
    sr : int, default=22050
        Sample rate in Hz of raw-audio input (a ClipBatch carries its own).

    See Also
    --------
    MelBands : The dB mel bands themselves.

    References
    ----------
    S. Davis and P. Mermelstein, "Comparison of parametric representations for
    monosyllabic word recognition in continuously spoken sentences", IEEE Trans.
    ASSP 28(4), 1980.

    Examples
    --------
    >>> from sktimbre import MFCC
    >>> from sktimbre.datasets import make_notes
    >>> X, y = make_notes(n_instruments=2, pitches=[60, 67], random_state=0)
    >>> mfcc = MFCC(n_mfcc=4, deltas=1, pooling=["mean", "std"]).fit(X)
    >>> mfcc.transform(X).shape
    (8, 16)
    >>> list(mfcc.get_feature_names_out()[[0, 4, 8]])
    ['mfcc_00_mean', 'mfcc_delta_00_mean', 'mfcc_00_std']
    """

    _parameter_constraints: dict = {
        **FrameDescriptorFamily._parameter_constraints,
        "n_mfcc": [Interval(Integral, 1, None, closed="left")],
        "include_c0": ["boolean"],
        "deltas": [Interval(Integral, 0, 2, closed="both")],
        "delta_width": [Interval(Integral, 3, None, closed="left")],
        "n_mels": [Interval(Integral, 1, None, closed="left")],
        "fmin": [Interval(Real, 0, None, closed="left")],
        "fmax": [Interval(Real, 0, None, closed="neither"), None],
        "top_db": [Interval(Real, 0, None, closed="neither"), None],
    }

    def __init__(self, *, n_mfcc=13, include_c0=True, deltas=0, delta_width=9, n_mels=128,
                 fmin=0.0, fmax=None, top_db=80.0, n_fft=2048, hop_length=512, window="hann",
                 pooling="mean", active_db=None, sr=22050):
        self.n_mfcc = n_mfcc
        self.include_c0 = include_c0
        self.deltas = deltas
        self.delta_width = delta_width
        self.n_mels = n_mels
        self.fmin = fmin
        self.fmax = fmax
        self.top_db = top_db
        self.n_fft = n_fft
        self.hop_length = hop_length
        self.window = window
        self.pooling = pooling
        self.active_db = active_db
        self.sr = sr

    def _check_settings(self) -> None:
        super()._check_settings()
        if self.n_mfcc > self.n_mels:
            raise ValueError(f"n_mfcc={self.n_mfcc} cannot exceed n_mels={self.n_mels}")
        if self.delta_width % 2 == 0:
            raise ValueError(f"delta_width must be odd, got {self.delta_width}")

    def _descriptor_names(self) -> list[str]:
        blocks = ["mfcc", "mfcc_delta", "mfcc_delta2"][: self.deltas + 1]
        names = [f"{b}_{i:02d}" for b in blocks for i in range(self.n_mfcc)]
        return names if self.include_c0 else names[1:]

    def _frames(self, S, sr):
        P = mel_power(S, sr, self.n_fft, self.n_mels, self.fmin, self.fmax)
        M = dct(power_to_db(P, top_db=self.top_db), axis=-2, type=2, norm="ortho")
        M = M[..., : self.n_mfcc, :]
        blocks = [M if self.include_c0 else M[..., 1:, :]]
        blocks += [delta(M, width=self.delta_width, order=k) for k in range(1, self.deltas + 1)]
        return np.concatenate(blocks, axis=-2)
