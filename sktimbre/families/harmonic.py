"""f0-normalised harmonic descriptors: what the instrument does to any note it plays."""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np
from sklearn.utils._param_validation import Interval

from .._dsp.harmonic import estimate_f0, harmonic_descriptors, harmonic_feature_names
from ._base import DescriptorFamily

__all__ = ["HarmonicDescriptors"]


class HarmonicDescriptors(DescriptorFamily):
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

    With ``include_f0=True`` a last column ``f0_log2`` holds log2 of the estimated
    f0 in Hz: not a timbre descriptor, but what
    :class:`~sktimbre.projection.PitchNullProjection` needs to remove pitch.

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
    include_f0 : bool, default=False
        Append the column ``f0_log2``.
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
    >>> harm = HarmonicDescriptors(include_f0=True).fit(X)
    >>> features = harm.transform(X)
    >>> features.shape
    (1, 39)
    >>> round(float(2 ** features[0, -1]))  # A3
    220
    """

    _parameter_constraints: dict = {
        **DescriptorFamily._parameter_constraints,
        "n_harmonics": [Interval(Integral, 5, None, closed="left")],
        "n_bands": [Interval(Integral, 1, None, closed="left")],
        "fmin": [Interval(Real, 0, None, closed="neither")],
        "fmax": [Interval(Real, 0, None, closed="neither")],
        "include_f0": ["boolean"],
        "n_fft": [Interval(Integral, 16, None, closed="left")],
        "hop_length": [Interval(Integral, 1, None, closed="left")],
        "window": [str, tuple],
    }

    def __init__(self, *, n_harmonics=12, n_bands=18, fmin=27.5, fmax=4200.0, include_f0=False,
                 n_fft=8192, hop_length=2048, window="hann", sr=22050):
        self.n_harmonics = n_harmonics
        self.n_bands = n_bands
        self.fmin = fmin
        self.fmax = fmax
        self.include_f0 = include_f0
        self.n_fft = n_fft
        self.hop_length = hop_length
        self.window = window
        self.sr = sr

    def _check_settings(self) -> None:
        if self.fmin >= self.fmax:
            raise ValueError(f"fmin={self.fmin} Hz must be below fmax={self.fmax} Hz")

    def _analyses(self) -> list[tuple]:
        from ..frontend import stft_analysis

        return [stft_analysis(self.n_fft, self.hop_length, self.window)]

    def _descriptor_names(self) -> list[str]:
        names = [f"harm_{n}" for n in harmonic_feature_names(self.n_harmonics, self.n_bands)]
        return names + (["f0_log2"] if self.include_f0 else [])

    def _features(self, batch):
        (key,) = self._analyses()
        freqs = np.fft.rfftfreq(self.n_fft, d=1.0 / batch.sr)
        fmax = min(self.fmax, batch.sr / 2)
        for idx, S in batch.analysis(key):
            rows = []
            for s in S:
                f0 = estimate_f0(s.mean(axis=1), freqs, fmin=self.fmin, fmax=fmax)
                row = harmonic_descriptors(s, freqs, f0=f0, n_harmonics=self.n_harmonics,
                                           n_bands=self.n_bands)
                if self.include_f0:
                    # silence has no f0: report the geometric centre of the search range
                    f0 = f0 if np.isfinite(f0) else np.sqrt(self.fmin * fmax)
                    row = np.append(row, np.log2(f0))
                rows.append(row)
            yield idx, np.array(rows)
