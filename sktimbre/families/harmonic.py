"""f0-normalised harmonic descriptors: what the instrument does to any note it plays."""

from __future__ import annotations

from numbers import Integral

import numpy as np

from .._dsp.harmonic import harmonic_descriptors, harmonic_feature_names
from .._sklearn_compat import Interval
from ..persistence import register_trusted_type
from ._base import F0DescriptorFamily

__all__ = ["HarmonicDescriptors"]


@register_trusted_type(name="sktimbre.HarmonicDescriptors",
                       aliases=["sktimbre.families.HarmonicDescriptors"])
class HarmonicDescriptors(F0DescriptorFamily):
    """Harmonic structure relative to the note's own fundamental, one set per clip.

    The fundamental f0 is estimated from the clip's average magnitude spectrum by
    subharmonic summation (Hermes 1988). Over the sustained frames, the
    descriptors are then measured on an axis anchored at f0, so they describe the
    instrument rather than the note: the levels of harmonics 1..``n_harmonics`` in
    dB relative to the strongest, tristimulus (Pollard & Jansson 1982), odd/even
    harmonic ratio, harmonic spectral centroid in units of f0, inharmonicity,
    harmonic spectral deviation (Krimphoff et al. 1994), noisiness (Peeters et
    al. 2011), and the energies of ``n_bands`` third-octave bands starting at f0,
    in dB relative to their total. See
    :func:`sktimbre._dsp.harmonic.harmonic_descriptors` for the exact definitions.

    The f0 estimate is an analysis (:class:`sktimbre.frontend.F0`), shared with
    :class:`~sktimbre.PitchEstimate` (computed once per clip).

    Parameters
    ----------
    n_harmonics : int, default=12
        Harmonics measured (at least 5).
    n_bands : int, default=18
        f0-anchored third-octave bands (6 octaves by default).
    fmin : float, default=27.5
        Lowest f0 searched, in Hz.
    fmax : float, default=4200.0
        Highest f0 searched, in Hz.
    n_fft : int, default=8192
        STFT length in samples; long, to resolve the harmonics of low notes
        (2.7 Hz bins at 22,050 Hz).
    hop_length : int, default=2048
        STFT hop in samples.
    window : str or tuple, default="hann"
        STFT window.
    sr : int, default=22050
        Sample rate in Hz of raw-audio input (a ClipBatch carries its own).

    References
    ----------
    D. J. Hermes, "Measurement of pitch by subharmonic summation", JASA 83(1), 1988.
    H. F. Pollard and E. V. Jansson, "A tristimulus method for the specification of
    musical timbre", Acustica 51, 1982.
    J. Krimphoff, S. McAdams and S. Winsberg, "Caracterisation du timbre des sons
    complexes. II", Journal de Physique IV 4, 1994.
    G. Peeters, B. L. Giordano, P. Susini, N. Misdariis and S. McAdams, "The Timbre
    Toolbox", JASA 130(5), 2011.

    Examples
    --------
    >>> import numpy as np
    >>> from sktimbre import HarmonicDescriptors
    >>> from sktimbre.datasets import make_notes
    >>> X, y = make_notes(n_instruments=1, pitches=[57], velocities=[1.0], random_state=0)
    >>> harm = HarmonicDescriptors().fit(X)
    >>> features = harm.transform(X)
    >>> features.shape
    (1, 38)
    >>> harm.get_feature_names_out()[[0, 12]]
    array(['harm_h01_rel_db', 'harm_tristimulus_1'], dtype=object)
    """

    _parameter_constraints: dict = {
        **F0DescriptorFamily._parameter_constraints,
        "n_harmonics": [Interval(Integral, 5, None, closed="left")],
        "n_bands": [Interval(Integral, 1, None, closed="left")],
    }

    def __init__(self, *, n_harmonics=12, n_bands=18, fmin=27.5, fmax=4200.0, n_fft=8192,
                 hop_length=2048, window="hann", sr=22050):
        self.n_harmonics = n_harmonics
        self.n_bands = n_bands
        self.fmin = fmin
        self.fmax = fmax
        self.n_fft = n_fft
        self.hop_length = hop_length
        self.window = window
        self.sr = sr

    def _descriptor_names(self) -> list[str]:
        return [f"harm_{n}" for n in harmonic_feature_names(self.n_harmonics, self.n_bands)]

    def describe(self, *, sr: int, S: np.ndarray, f0: np.ndarray) -> np.ndarray:
        """Harmonic descriptors of a stack of clips.

        Parameters
        ----------
        sr : int
            Sample rate in Hz.
        S : ndarray of shape (n_clips, 1 + n_fft // 2, n_frames)
            Magnitude STFTs.
        f0 : ndarray of shape (n_clips,)
            Each clip's fundamental in Hz (NaN for silence).

        Returns
        -------
        rows : ndarray of shape (n_clips, n_harmonics + 8 + n_bands)
            :func:`sktimbre._dsp.harmonic.harmonic_descriptors` of each clip.
        """
        freqs = np.fft.rfftfreq(self.n_fft, d=1.0 / sr)
        return np.array([harmonic_descriptors(s, freqs, f0=f, n_harmonics=self.n_harmonics,
                                              n_bands=self.n_bands)
                         for s, f in zip(S, f0, strict=True)])
