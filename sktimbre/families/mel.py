"""Log-mel band energies."""

from __future__ import annotations

from numbers import Integral, Real

from .._dsp.mel import power_to_db
from .._sklearn_compat import Interval
from ..frontend import Analysis, MelSpectrogram
from ..persistence import register_trusted_type
from ._base import FrameDescriptorFamily

__all__ = ["MelBands"]


@register_trusted_type(name="sktimbre.MelBands",
                       aliases=["sktimbre.families.MelBands"])
class MelBands(FrameDescriptorFamily):
    """Mel band energies in dB, pooled per clip.

    Per frame: power STFT -> ``n_mels`` Slaney-normalised mel bands
    (:func:`librosa.filters.mel`) -> ``10 log10``, floored ``top_db`` below the
    clip's peak (as :func:`librosa.power_to_db` with ``ref=1.0``).

    Parameters
    ----------
    n_mels : int, default=64
        Number of mel bands, ``mel_00`` (lowest) upwards.
    fmin : float, default=0.0
        Lowest band edge in Hz.
    fmax : float or None, default=None
        Highest band edge in Hz (``None``: ``sr / 2``).
    top_db : float or None, default=80.0
        Dynamic range in dB below the clip's peak.
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

    Examples
    --------
    >>> from sktimbre import MelBands
    >>> from sktimbre.datasets import make_notes
    >>> X, y = make_notes(n_instruments=2, pitches=[60], random_state=0)
    >>> MelBands(n_mels=8, pooling=["mean", "iqr"]).fit_transform(X).shape
    (4, 16)
    """

    _parameter_constraints: dict = {
        **FrameDescriptorFamily._parameter_constraints,
        "floor_db": FrameDescriptorFamily._OPTIONAL_CONSTRAINTS["floor_db"],
        "onset_window": FrameDescriptorFamily._OPTIONAL_CONSTRAINTS["onset_window"],
        "n_mels": [Interval(Integral, 1, None, closed="left")],
        "fmin": [Interval(Real, 0, None, closed="left")],
        "fmax": [Interval(Real, 0, None, closed="neither"), None],
        "top_db": [Interval(Real, 0, None, closed="neither"), None],
    }

    def __init__(self, *, n_mels=64, fmin=0.0, fmax=None, top_db=80.0, n_fft=2048,
                 hop_length=512, window="hann", pooling="mean", onset_window=None,
                 floor_db=None, active_db=None, sr=22050):
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

    def _descriptor_names(self) -> list[str]:
        return [f"mel_{i:02d}" for i in range(self.n_mels)]

    def _source(self) -> Analysis:
        return MelSpectrogram(self._stft(), int(self.n_mels), float(self.fmin),
                              None if self.fmax is None else float(self.fmax),
                              None if self.floor_db is None else float(self.floor_db))

    def _frames(self, M, sr):
        return power_to_db(M, top_db=self.top_db)
