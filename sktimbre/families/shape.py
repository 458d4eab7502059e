"""Spectral shape descriptors (Timbre Toolbox), pooled per clip."""

from __future__ import annotations

from numbers import Real

import numpy as np

from .._dsp.shape import SHAPE_FEATURE_NAMES, spectral_shape
from .._sklearn_compat import Interval
from ..persistence import register_trusted_type
from ._base import FrameDescriptorFamily

__all__ = ["SpectralShape"]


@register_trusted_type(name="sktimbre.SpectralShape",
                       aliases=["sktimbre.families.SpectralShape"])
class SpectralShape(FrameDescriptorFamily):
    """Ten spectral shape descriptors per frame, pooled per clip.

    Centroid, spread, skewness, kurtosis, slope, decrease, roll-off, flatness,
    crest and flux of the magnitude spectrum, as defined in the Timbre Toolbox
    (Peeters et al. 2011; see :func:`sktimbre._dsp.shape.spectral_shape` for the
    formulas and the conventions for silent frames). All are invariant to the
    recording level. With ``log_frequency=True`` the frequency-valued ones
    (centroid, spread, skewness, kurtosis, roll-off) are computed on an octave
    axis, which treats a brightness change the same in every register.

    Parameters
    ----------
    log_frequency : bool, default=True
        Frequency axis in octaves above 27.5 Hz instead of Hz.
    rolloff_percent : float, default=0.95
        Energy fraction below the roll-off frequency.
    n_fft : int, default=2048
        STFT length in samples.
    hop_length : int, default=512
        STFT hop in samples.
    window : str or tuple, default="hann"
        STFT window.
    pooling : str or list of str, default=("mean", "std")
        Per-clip statistics over frames, see :func:`sktimbre.pooling.pool_frames`.
    fmin : float, default=0.0
        Lowest frequency read, in Hz: bins below it are ignored (``20`` leaves out
        the DC bin and the infrasound, which no instrument makes but a codec or a
        microphone may).
    band_limit : float or None, default=None
        Highest frequency read, in Hz: bins above it are ignored, so that what a
        resampler, a codec or a band-limited recording does near the Nyquist
        frequency does not enter the descriptors. ``None`` reads up to Nyquist.
    onset_window : float or None, default=None
        Pool only over frames at most this many seconds after a note's onset
        (:class:`~sktimbre.frontend.Onsets`): what an isolated note and a note of a
        melody both have, its attack and early sustain. ``None`` pools all frames.
    floor_db : float or None, default=None
        Raise every magnitude to at least this many dB below its frame's peak
        before the descriptors (:func:`sktimbre._dsp.silence.floor_relative`), so
        that the holes and noise a lossy codec leaves in the quiet bins do not
        enter; ``None`` reads the magnitudes as they are. The default embedder uses 50.
    active_db : float or None, default=60.0
        Pool only over frames within this many dB of the loudest frame (silent
        frames have no spectral shape); ``None`` pools all frames.
    sr : int, default=22050
        Sample rate in Hz of raw-audio input (a ClipBatch carries its own).

    References
    ----------
    G. Peeters, B. L. Giordano, P. Susini, N. Misdariis and S. McAdams, "The Timbre
    Toolbox: Extracting audio descriptors from musical signals", J. Acoust. Soc. Am.
    130(5), 2902-2916, 2011.

    Examples
    --------
    >>> from sktimbre import SpectralShape
    >>> from sktimbre.datasets import make_notes
    >>> X, y = make_notes(n_instruments=2, pitches=[60], random_state=0)
    >>> shape = SpectralShape(pooling="mean").fit(X)
    >>> shape.transform(X).shape
    (4, 10)
    >>> shape.get_feature_names_out()[0]
    'shape_centroid_mean'
    """

    _parameter_constraints: dict = {
        **FrameDescriptorFamily._parameter_constraints,
        "fmin": [Interval(Real, 0, None, closed="left")],
        "floor_db": FrameDescriptorFamily._OPTIONAL_CONSTRAINTS["floor_db"],
        "band_limit": FrameDescriptorFamily._OPTIONAL_CONSTRAINTS["band_limit"],
        "onset_window": FrameDescriptorFamily._OPTIONAL_CONSTRAINTS["onset_window"],
        "log_frequency": ["boolean"],
        "rolloff_percent": [Interval(Real, 0, 1, closed="neither")],
    }

    def __init__(self, *, log_frequency=True, rolloff_percent=0.95, n_fft=2048, hop_length=512,
                 window="hann", pooling=("mean", "std"), fmin=0.0, band_limit=None,
                 onset_window=None, floor_db=None, active_db=60.0, sr=22050):
        self.log_frequency = log_frequency
        self.rolloff_percent = rolloff_percent
        self.n_fft = n_fft
        self.hop_length = hop_length
        self.window = window
        self.pooling = pooling
        self.fmin = fmin
        self.band_limit = band_limit
        self.onset_window = onset_window
        self.floor_db = floor_db
        self.active_db = active_db
        self.sr = sr

    def _descriptor_names(self) -> list[str]:
        return [f"shape_{name}" for name in SHAPE_FEATURE_NAMES]

    def _frames(self, S, sr):
        S = self._band_rows(S, sr)
        freqs = np.fft.rfftfreq(self.n_fft, d=1.0 / sr)[: S.shape[-2]]  # the band read
        low = int(np.searchsorted(freqs, self.fmin))
        floor = self._frame_floor(S)  # relative to the whole band's peak, below fmin too
        S, freqs = S[..., low:, :], freqs[low:]
        return spectral_shape(S, freqs, rolloff_percent=self.rolloff_percent,
                              log_frequency=self.log_frequency, floor=floor)
