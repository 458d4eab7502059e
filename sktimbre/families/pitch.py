"""The estimated pitch of each clip: not timbre, but what removes pitch from timbre."""

from __future__ import annotations

import numpy as np

from ..persistence import register_trusted_type
from ._base import F0DescriptorFamily

__all__ = ["PitchEstimate"]


@register_trusted_type(name="sktimbre.PitchEstimate",
                       aliases=["sktimbre.families.PitchEstimate"])
class PitchEstimate(F0DescriptorFamily):
    """One column, ``f0_log2``: log2 of the clip's estimated fundamental in Hz.

    Pitch is what a timbre vector must *not* encode; this column exists so that
    :class:`~sktimbre.projection.PitchNullProjection` can remove what correlates
    with it, without pitch labels from the user. The estimate (subharmonic
    summation on the clip's average spectrum, Hermes 1988) is the same cached
    analysis that :class:`~sktimbre.HarmonicDescriptors` uses, so adding this
    family to a union that has that one costs nothing. Silent clips get the
    geometric centre of the search range.

    Parameters
    ----------
    fmin : float, default=27.5
        Lowest f0 searched, in Hz.
    fmax : float, default=4200.0
        Highest f0 searched, in Hz.
    n_fft : int, default=8192
        STFT length in samples.
    hop_length : int, default=2048
        STFT hop in samples.
    window : str or tuple, default="hann"
        STFT window.
    sr : int, default=22050
        Sample rate in Hz of raw-audio input (a ClipBatch carries its own).

    References
    ----------
    D. J. Hermes, "Measurement of pitch by subharmonic summation", JASA 83(1), 1988.

    Examples
    --------
    >>> from sktimbre import PitchEstimate
    >>> from sktimbre.datasets import make_notes
    >>> X, y = make_notes(n_instruments=1, pitches=[57, 69], velocities=[1.0], random_state=0)
    >>> (2 ** PitchEstimate().fit_transform(X)).round().ravel()
    array([220., 440.])
    """

    _parameter_constraints: dict = {**F0DescriptorFamily._parameter_constraints}

    def __init__(self, *, fmin=27.5, fmax=4200.0, n_fft=8192, hop_length=2048, window="hann",
                 sr=22050):
        self.fmin = fmin
        self.fmax = fmax
        self.n_fft = n_fft
        self.hop_length = hop_length
        self.window = window
        self.sr = sr

    def _descriptor_names(self) -> list[str]:
        return ["f0_log2"]

    def describe(self, *, sr: int, S: np.ndarray, f0: np.ndarray) -> np.ndarray:
        """``log2(f0)`` of a stack of clips, the search range's centre for silence.

        Parameters
        ----------
        sr : int
            Sample rate in Hz.
        S : ndarray of shape (n_clips, 1 + n_fft // 2, n_frames)
            Magnitude STFTs (unused; the f0 is computed from them).
        f0 : ndarray of shape (n_clips,)
            Each clip's fundamental in Hz (NaN for silence).

        Returns
        -------
        rows : ndarray of shape (n_clips, 1)
        """
        fallback = np.log2(np.sqrt(self.fmin * min(self.fmax, 0.45 * sr)))
        with np.errstate(invalid="ignore", divide="ignore"):
            log_f0 = np.log2(f0)
        return np.where(np.isfinite(log_f0), log_f0, fallback)[:, None]
