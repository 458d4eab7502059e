"""Mel-frequency cepstral coefficients, optionally with their time derivatives."""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np

from .._dsp.mel import power_to_db
from .._dsp.mfcc import delta, mfcc_from_mel
from .._sklearn_compat import Interval
from ..frontend import Analysis, MelSpectrogram
from ..persistence import register_trusted_type
from ._base import FrameDescriptorFamily

__all__ = ["MFCC", "delta"]  # delta: moved to sktimbre._dsp.mfcc, kept here for 0.1 code


@register_trusted_type(name="sktimbre.MFCC",
                       aliases=["sktimbre.families.MFCC"])
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
    onset_window : float or None, default=None
        Pool only over frames at most this many seconds after a note's onset
        (:class:`~sktimbre.frontend.Onsets`): what an isolated note and a note of a
        melody both have, its attack and early sustain. ``None`` pools all frames.
    floor_db : float or None, default=None
        Raise every magnitude to at least this many dB below its frame's peak
        before the mel bands (:class:`~sktimbre.frontend.MelSpectrogram`), so
        that the holes and noise a lossy codec leaves in the quiet bins do not
        enter; ``None`` reads the magnitudes as they are. The default embedder uses 50.
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
        "floor_db": FrameDescriptorFamily._OPTIONAL_CONSTRAINTS["floor_db"],
        "onset_window": FrameDescriptorFamily._OPTIONAL_CONSTRAINTS["onset_window"],
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
                 pooling="mean", onset_window=None, floor_db=None, active_db=None, sr=22050):
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
        self.onset_window = onset_window
        self.floor_db = floor_db
        self.active_db = active_db
        self.sr = sr

    def _check_settings(self, sr: int) -> None:
        super()._check_settings(sr)
        if self.n_mfcc > self.n_mels:
            raise ValueError(f"n_mfcc={self.n_mfcc} cannot exceed n_mels={self.n_mels}")
        if self.delta_width % 2 == 0:
            raise ValueError(f"delta_width must be odd, got {self.delta_width}")

    def _descriptor_names(self) -> list[str]:
        blocks = ["mfcc", "mfcc_delta", "mfcc_delta2"][: self.deltas + 1]
        names = [f"{b}_{i:02d}" for b in blocks for i in range(self.n_mfcc)]
        return names if self.include_c0 else names[1:]

    def _source(self) -> Analysis:
        return MelSpectrogram(self._stft(), int(self.n_mels), float(self.fmin),
                              None if self.fmax is None else float(self.fmax),
                              None if self.floor_db is None else float(self.floor_db))

    def _frames(self, M, sr):
        C = mfcc_from_mel(power_to_db(M, top_db=self.top_db), self.n_mfcc)
        blocks = [C if self.include_c0 else C[..., 1:, :]]
        blocks += [delta(C, width=self.delta_width, order=k) for k in range(1, self.deltas + 1)]
        return np.concatenate(blocks, axis=-2)
