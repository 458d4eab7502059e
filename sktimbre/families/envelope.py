"""Temporal envelope descriptors of a note (Timbre Toolbox), one set per clip."""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np

from .._dsp.envelope import ENVELOPE_FEATURE_NAMES, envelope_descriptors
from .._dsp.onsets import NOTE_ENVELOPE_NAMES, note_envelope
from .._sklearn_compat import Interval
from ..frontend import STFT, Analysis, Waveform
from ..persistence import register_trusted_type
from ..pooling import check_pooling, pool_frames, pooled_feature_names
from ._base import _POOLING_CONSTRAINT, DescriptorFamily, _check_window, _hashable, onset_analysis

__all__ = ["TemporalEnvelope", "NoteEnvelope"]


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


@register_trusted_type(name="sktimbre.NoteEnvelope")
class NoteEnvelope(DescriptorFamily):
    """Attack and early decay of every detected note, pooled over the notes.

    Each note begins at an onset (:class:`~sktimbre.frontend.Onsets`: spectral
    flux and f0 changes) and is read only in the first ``attack`` seconds (up to the
    next onset): how far it rises above what sounded before, its log-attack time,
    its level 50, 100 and 150 ms after its peak and its decay slope
    (:func:`sktimbre._dsp.onsets.note_envelope`). An isolated 2 s note and a note of
    a legato melody both have that window, so the descriptors compare them; a clip's
    row pools its notes (the median by default), so it does not depend on how many
    notes or how long the clip is. For one isolated note's whole envelope (decay to
    silence, duration, modulation), see :class:`TemporalEnvelope`.

    Parameters
    ----------
    attack : float, default=0.15
        Seconds read after each onset.
    pre_onset : float, default=0.05
        Seconds before an onset searched for the level the note rises from.
    min_note : float, default=0.1
        Notes shorter than this many seconds are left out.
    frame_length : int, default=256
        RMS window in samples (hop: half of it).
    n_fft, hop_length : int, default=2048, 512
        The STFT whose onsets mark the notes (shared with the other families).
    window : str or tuple, default="hann"
        Its window.
    pooling : str or list of str, default="median"
        Statistics over the notes (:func:`sktimbre.pooling.pool_frames`).
    sr : int, default=22050
        Sample rate in Hz of raw-audio input.

    See Also
    --------
    TemporalEnvelope : The envelope of one isolated note, as a whole.

    References
    ----------
    G. Peeters, B. L. Giordano, P. Susini, N. Misdariis and S. McAdams, "The Timbre
    Toolbox", JASA 130(5), 2011.

    Examples
    --------
    >>> from sktimbre import NoteEnvelope
    >>> from sktimbre.datasets import make_notes
    >>> X, y = make_notes(n_instruments=2, pitches=[60], random_state=0)
    >>> env = NoteEnvelope().fit(X)
    >>> env.transform(X).shape
    (4, 6)
    >>> env.get_feature_names_out()[0]
    'note_rise_db_median'
    """

    _parameter_constraints: dict = {
        **DescriptorFamily._parameter_constraints,
        "attack": [Interval(Real, 0, None, closed="neither")],
        "pre_onset": [Interval(Real, 0, None, closed="left")],
        "min_note": [Interval(Real, 0, None, closed="left")],
        "frame_length": [Interval(Integral, 2, None, closed="left")],
        "n_fft": [Interval(Integral, 16, None, closed="left")],
        "hop_length": [Interval(Integral, 1, None, closed="left")],
        "window": [str, tuple],
        "pooling": _POOLING_CONSTRAINT,
    }

    def __init__(self, *, attack=0.15, pre_onset=0.05, min_note=0.1, frame_length=256,
                 n_fft=2048, hop_length=512, window="hann", pooling="median", sr=22050):
        self.attack = attack
        self.pre_onset = pre_onset
        self.min_note = min_note
        self.frame_length = frame_length
        self.n_fft = n_fft
        self.hop_length = hop_length
        self.window = window
        self.pooling = pooling
        self.sr = sr

    def _check_settings(self, sr: int) -> None:
        check_pooling(self.pooling)
        _check_window(self.window, self.n_fft)

    def _descriptor_names(self) -> list[str]:
        return [f"note_{name}" for name in pooled_feature_names(NOTE_ENVELOPE_NAMES,
                                                                 self.pooling)]

    def required_analyses(self) -> dict[str, Analysis]:
        """The samples and the note onsets: ``{"y": Waveform(), "onsets": Onsets(...)}``.

        Returns
        -------
        analyses : dict of str to Analysis
        """
        # onsets read the flux of mel bands compressed to a 60 dB range: a float32 FFT
        # (the one the default's floored families share) is exact enough
        stft = STFT(self.n_fft, self.hop_length, _hashable(self.window), "float32")
        return {"y": Waveform(), "onsets": onset_analysis(stft)}

    def describe(self, *, sr: int, y: np.ndarray, onsets: np.ndarray) -> np.ndarray:
        """Per-note envelope descriptors of a stack of equal-length clips, pooled per clip.

        Parameters
        ----------
        sr : int
            Sample rate in Hz.
        y : ndarray of shape (n_clips, n_samples)
            Samples.
        onsets : ndarray of bool, shape (n_clips, n_frames)
            Note onsets on the STFT's frames.

        Returns
        -------
        rows : ndarray of shape (n_clips, n_features_out)
        """
        by_count: dict[int, list] = {}  # clips with as many notes are pooled as one stack
        for i, (clip, flags) in enumerate(zip(y, onsets, strict=True)):
            # an STFT frame's flux compares it with the previous one: the onset lies between
            starts = np.maximum(np.flatnonzero(flags) * self.hop_length - self.hop_length // 2,
                                0)
            notes = note_envelope(clip, starts, sr=sr, attack=self.attack,
                                  pre_onset=self.pre_onset, min_note=self.min_note,
                                  frame_length=self.frame_length,
                                  hop_length=max(1, self.frame_length // 2))
            by_count.setdefault(len(notes), []).append((i, notes.T))
        rows = np.empty((len(y), len(self._descriptor_names())))
        for group in by_count.values():
            index, notes = zip(*group, strict=True)
            rows[list(index)] = pool_frames(np.stack(notes), self.pooling)
        return rows
