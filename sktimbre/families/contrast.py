"""Octave-band spectral contrast."""

from __future__ import annotations

from numbers import Integral, Real

from .._dsp.contrast import spectral_contrast
from .._sklearn_compat import Interval
from ..persistence import register_trusted_type
from ._base import FrameDescriptorFamily

__all__ = ["SpectralContrast"]


@register_trusted_type(name="sktimbre.SpectralContrast",
                       aliases=["sktimbre.families.SpectralContrast"])
class SpectralContrast(FrameDescriptorFamily):
    """Spectral contrast per octave band (Jiang et al., 2002), pooled per clip.

    Per frame and octave band (the first from 0 Hz to ``fmin``, then ``n_bands``
    octaves from ``fmin``): the dB difference between the mean of the top and the
    bottom ``quantile`` of the band's magnitudes, as
    :func:`librosa.feature.spectral_contrast`. Output rows ``contrast_00`` ..
    ``contrast_{n_bands}``.

    Parameters
    ----------
    n_bands : int, default=6
        Number of octave bands above ``fmin``.
    fmin : float, default=200.0
        Upper edge of the lowest band in Hz.
    quantile : float, default=0.02
        Fraction of a band's bins defining its peak and valley.
    linear : bool, default=False
        Linear instead of dB difference.
    n_fft : int, default=2048
        STFT length in samples.
    hop_length : int, default=512
        STFT hop in samples.
    window : str or tuple, default="hann"
        STFT window.
    pooling : str or list of str, default="mean"
        Per-clip statistics over frames, see :func:`sktimbre.pooling.pool_frames`.
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
    active_db : float or None, default=None
        Pool only over frames whose energy is within this many dB of the clip's
        loudest frame (the sounding part of the note); ``None`` pools all frames.
    sr : int, default=22050
        Sample rate in Hz of raw-audio input (a ClipBatch carries its own).

    References
    ----------
    D.-N. Jiang, L. Lu, H.-J. Zhang, J.-H. Tao and L.-H. Cai, "Music type
    classification by spectral contrast feature", ICME 2002.

    Examples
    --------
    >>> from sktimbre import SpectralContrast
    >>> from sktimbre.datasets import make_notes
    >>> X, y = make_notes(n_instruments=2, pitches=[60], random_state=0)
    >>> SpectralContrast().fit(X).get_feature_names_out()[:2]
    array(['contrast_00_mean', 'contrast_01_mean'], dtype=object)
    """

    _parameter_constraints: dict = {
        **FrameDescriptorFamily._parameter_constraints,
        "floor_db": FrameDescriptorFamily._OPTIONAL_CONSTRAINTS["floor_db"],
        "band_limit": FrameDescriptorFamily._OPTIONAL_CONSTRAINTS["band_limit"],
        "onset_window": FrameDescriptorFamily._OPTIONAL_CONSTRAINTS["onset_window"],
        "n_bands": [Interval(Integral, 1, None, closed="left")],
        "fmin": [Interval(Real, 0, None, closed="neither")],
        "quantile": [Interval(Real, 0, 1, closed="neither")],
        "linear": ["boolean"],
    }

    def __init__(self, *, n_bands=6, fmin=200.0, quantile=0.02, linear=False, n_fft=2048,
                 hop_length=512, window="hann", pooling="mean", band_limit=None,
                 onset_window=None, floor_db=None, active_db=None, sr=22050):
        self.n_bands = n_bands
        self.fmin = fmin
        self.quantile = quantile
        self.linear = linear
        self.n_fft = n_fft
        self.hop_length = hop_length
        self.window = window
        self.pooling = pooling
        self.band_limit = band_limit
        self.onset_window = onset_window
        self.floor_db = floor_db
        self.active_db = active_db
        self.sr = sr

    def _descriptor_names(self) -> list[str]:
        return [f"contrast_{i:02d}" for i in range(self.n_bands + 1)]

    def _check_settings(self, sr: int) -> None:
        super()._check_settings(sr)
        top = sr / 2 if self.band_limit is None else min(self.band_limit, sr / 2)
        if self.fmin * 2.0 ** (self.n_bands - 1) >= top:
            raise ValueError(
                f"SpectralContrast: fmin={self.fmin} Hz with n_bands={self.n_bands} octaves "
                f"puts a band edge above the highest frequency read, {top} Hz (the Nyquist "
                f"frequency or band_limit)"
            )

    def _frames(self, S, sr):
        S = self._band_rows(S, sr)
        return spectral_contrast(S, sr=sr, n_fft=self.n_fft, fmin=self.fmin,
                                 n_bands=self.n_bands, quantile=self.quantile,
                                 linear=self.linear, floor=self._frame_floor(S))
