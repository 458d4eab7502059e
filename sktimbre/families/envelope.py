"""Temporal envelope descriptors of a note (Timbre Toolbox), one set per clip."""

from __future__ import annotations

from numbers import Integral

import numpy as np

from .._dsp.envelope import ENVELOPE_FEATURE_NAMES, envelope_descriptors
from .._sklearn_compat import Interval
from ..frontend import Analysis, Waveform
from ..persistence import register_trusted_type
from ._base import DescriptorFamily

__all__ = ["TemporalEnvelope"]


@register_trusted_type(name="sktimbre.TemporalEnvelope",
                       aliases=["sktimbre.families.TemporalEnvelope"])
class TemporalEnvelope(DescriptorFamily):
    """Attack, decay, duration and modulation of the note's energy envelope.

    Clip-level descriptors of the RMS envelope (no pooling: each is one number
    per note): log-attack time and attack slope (Timbre Toolbox "weakest effort"
    thresholds), temporal centroid, decay slope (dB/s), effective duration
    (time above 40 % of the peak), RMS level mean and spread relative to the
    peak, amplitude-modulation rate and depth, zero-crossing rate, and the
    envelope level at 50, 100, 200, 400 and 800 ms after the onset. Every level
    is relative to the note's own peak, so the recording level does not enter.
    See :func:`sktimbre._dsp.envelope.envelope_descriptors` for definitions.

    Parameters
    ----------
    frame_length : int, default=512
        RMS window in samples.
    hop_length : int, default=128
        RMS hop in samples; at most ``frame_length``.
    sr : int, default=22050
        Sample rate in Hz of raw-audio input (a ClipBatch carries its own).

    References
    ----------
    G. Peeters, B. L. Giordano, P. Susini, N. Misdariis and S. McAdams, "The Timbre
    Toolbox: Extracting audio descriptors from musical signals", J. Acoust. Soc. Am.
    130(5), 2902-2916, 2011.

    Examples
    --------
    >>> from sktimbre import TemporalEnvelope
    >>> from sktimbre.datasets import make_notes
    >>> X, y = make_notes(n_instruments=2, pitches=[60], random_state=0)
    >>> env = TemporalEnvelope().fit(X)
    >>> env.transform(X).shape
    (4, 15)
    >>> env.get_feature_names_out()[0]
    'env_log_attack_time'
    """

    _parameter_constraints: dict = {
        **DescriptorFamily._parameter_constraints,
        "frame_length": [Interval(Integral, 2, None, closed="left")],
        "hop_length": [Interval(Integral, 1, None, closed="left")],
    }

    def __init__(self, *, frame_length=512, hop_length=128, sr=22050):
        self.frame_length = frame_length
        self.hop_length = hop_length
        self.sr = sr

    def _check_settings(self, sr: int) -> None:
        if self.hop_length > self.frame_length:
            raise ValueError(f"hop_length={self.hop_length} must not exceed "
                             f"frame_length={self.frame_length}")

    def required_analyses(self) -> dict[str, Analysis]:
        """The samples themselves: ``{"y": Waveform()}``.

        Returns
        -------
        analyses : dict of str to Analysis
        """
        return {"y": Waveform()}

    def _descriptor_names(self) -> list[str]:
        return [f"env_{name}" if not name.startswith("env_") else name
                for name in ENVELOPE_FEATURE_NAMES]

    def describe(self, *, sr: int, y: np.ndarray) -> np.ndarray:
        """Envelope descriptors of a stack of equal-length clips.

        Parameters
        ----------
        sr : int
            Sample rate in Hz.
        y : ndarray of shape (n_clips, n_samples)
            Samples.

        Returns
        -------
        rows : ndarray of shape (n_clips, 15)
            :func:`sktimbre._dsp.envelope.envelope_descriptors` of each clip.
        """
        return np.stack([envelope_descriptors(clip, sr, frame_length=self.frame_length,
                                              hop_length=self.hop_length) for clip in y])
