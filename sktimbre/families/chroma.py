"""Chroma (pitch-class energy) from the CQT (CENS) or the STFT."""

from __future__ import annotations

from numbers import Integral

from .._dsp.chroma import chroma_cens, chroma_stft
from .._sklearn_compat import Interval, StrOptions
from ..frontend import CQT, Analysis, FrameEnergy
from ..persistence import register_trusted_type
from ._base import FrameDescriptorFamily

__all__ = ["Chroma"]


@register_trusted_type(name="sktimbre.Chroma",
                       aliases=["sktimbre.families.Chroma"])
class Chroma(FrameDescriptorFamily):
    """Chroma vectors, pooled per clip: CENS (from a CQT) or STFT chroma.

    Chroma encodes *pitch class*, so it moves with the note played: it is in the
    toolbox for completeness and for reproducing older pipelines, not in the
    default timbre embedder (see the benchmark in the docs).

    ``variant="cens"`` is :func:`librosa.feature.chroma_cens` (Mueller & Ewert 2011:
    CQT chroma, L1-normalised, quantised, smoothed over ``win_len_smooth`` frames,
    L2-normalised); ``variant="stft"`` is :func:`librosa.feature.chroma_stft`
    (power STFT folded onto ``n_chroma`` classes, max-normalised per frame). Tuning
    is estimated per clip.

    Parameters
    ----------
    variant : {"cens", "stft"}, default="cens"
        Which chroma.
    n_chroma : int, default=12
        Pitch classes per octave.
    win_len_smooth : int, default=41
        CENS smoothing window in frames.
    n_fft : int, default=2048
        STFT length in samples (``variant="stft"``).
    hop_length : int, default=512
        Frame hop in samples.
    window : str or tuple, default="hann"
        STFT window (``variant="stft"``).
    pooling : str or list of str, default="mean"
        Per-clip statistics over frames, see :func:`sktimbre.pooling.pool_frames`.
    active_db : float or None, default=None
        Pool only over frames whose energy is within this many dB of the clip's
        loudest frame (the sounding part of the note); ``None`` pools all frames.
    sr : int, default=22050
        Sample rate in Hz of raw-audio input (a ClipBatch carries its own).

    References
    ----------
    M. Mueller and S. Ewert, "Chroma Toolbox: MATLAB implementations for extracting
    variants of chroma-based audio features", ISMIR 2011.

    Examples
    --------
    >>> from sktimbre import Chroma
    >>> from sktimbre.datasets import make_notes
    >>> X, y = make_notes(n_instruments=1, pitches=[60], velocities=[1.0], random_state=0)
    >>> cens = Chroma().fit_transform(X)
    >>> int(cens[0].argmax())  # pitch class C
    0
    """

    _parameter_constraints: dict = {
        **FrameDescriptorFamily._parameter_constraints,
        "variant": [StrOptions({"cens", "stft"})],
        "n_chroma": [Interval(Integral, 1, None, closed="left")],
        "win_len_smooth": [Interval(Integral, 1, None, closed="left")],
    }

    def __init__(self, *, variant="cens", n_chroma=12, win_len_smooth=41, n_fft=2048,
                 hop_length=512, window="hann", pooling="mean", active_db=None,
                 sr=22050):
        self.variant = variant
        self.n_chroma = n_chroma
        self.win_len_smooth = win_len_smooth
        self.n_fft = n_fft
        self.hop_length = hop_length
        self.window = window
        self.pooling = pooling
        self.active_db = active_db
        self.sr = sr

    def _descriptor_names(self) -> list[str]:
        return [f"chroma_{self.variant}_{i:02d}" for i in range(self.n_chroma)]

    def _source(self) -> Analysis:
        if self.variant == "cens":
            return CQT(int(self.hop_length), None, 7 * 3 * int(self.n_chroma),
                       3 * int(self.n_chroma))
        return self._stft()

    def _energy(self) -> Analysis:
        # the sounding frames of the spectrogram the chroma comes from
        return FrameEnergy(self._source())

    def _frames(self, A, sr):
        if self.variant == "cens":
            return chroma_cens(A, sr=sr, hop_length=self.hop_length, n_chroma=self.n_chroma,
                               bins_per_octave=3 * self.n_chroma,
                               win_len_smooth=self.win_len_smooth)
        return chroma_stft(A, sr=sr, n_fft=self.n_fft, n_chroma=self.n_chroma)
