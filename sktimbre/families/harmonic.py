"""f0-normalised harmonic descriptors: what the instrument does to any note it plays."""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np

from .._dsp.harmonic import (
    frame_harmonic_names,
    harmonic_descriptors,
    harmonic_descriptors_from_energies,
    harmonic_feature_names,
)
from .._sklearn_compat import Interval
from ..frontend import STFT, Analysis, F0Track, FrameEnergy, HarmonicEnergies
from ..persistence import register_trusted_type
from ..pooling import check_pooling, pool_frames, pooled_feature_names
from ._base import (
    _POOLING_CONSTRAINT,
    DescriptorFamily,
    F0DescriptorFamily,
    _check_window,
    _fft_precision,
    _hashable,
    onset_analysis,
)

__all__ = ["HarmonicDescriptors", "FrameHarmonics", "NoteHarmonics"]


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


class _TrackHarmonics(DescriptorFamily):
    """What the frame- and note-level harmonic families share: parameters, analyses."""

    _parameter_constraints: dict = {
        **DescriptorFamily._parameter_constraints,
        "n_harmonics": [Interval(Integral, 5, None, closed="left")],
        "n_bands": [Interval(Integral, 1, None, closed="left")],
        "fmin": [Interval(Real, 0, None, closed="neither")],
        "fmax": [Interval(Real, 0, None, closed="neither")],
        "n_fft": [Interval(Integral, 16, None, closed="left")],
        "hop_length": [Interval(Integral, 1, None, closed="left")],
        "window": [str, tuple],
        "band_limit": [Interval(Real, 0, None, closed="neither")],
        "floor_db": [Interval(Real, 0, None, closed="neither")],
        "pooling": _POOLING_CONSTRAINT,
    }

    def _check_settings(self, sr: int) -> None:
        if self.fmin >= self.fmax:
            raise ValueError(f"fmin={self.fmin} Hz must be below fmax={self.fmax} Hz")
        check_pooling(self.pooling)
        _check_window(self.window, self.n_fft)

    def _stft(self) -> STFT:
        return STFT(self.n_fft, self.hop_length, _hashable(self.window),
                    _fft_precision(self.floor_db))

    def _track(self) -> F0Track:
        return F0Track(stft=self._stft(), fmin=float(self.fmin), fmax=float(self.fmax),
                       band_limit=float(self.band_limit))

    def _energies(self) -> HarmonicEnergies:
        return HarmonicEnergies(self._track(), int(self.n_harmonics), int(self.n_bands),
                                float(self.band_limit))

    def _split(self, energies: np.ndarray):
        """(energy, in_band, total, band_energy) of HarmonicEnergies rows (one clip's, or
        the frames of several side by side)."""
        K = self.n_harmonics
        return energies[:K], energies[K:2 * K] > 0, energies[2 * K], energies[2 * K + 1:]

    def _names(self) -> list[str]:
        return frame_harmonic_names(self.n_harmonics, self.n_bands)


@register_trusted_type(name="sktimbre.FrameHarmonics")
class FrameHarmonics(_TrackHarmonics):
    """Harmonic structure of every voiced frame, each relative to its own f0, pooled.

    For an instrument *playing*: a frame-wise f0 track
    (:class:`~sktimbre.frontend.F0Track`, subharmonic summation per frame) gives each
    frame its own fundamental, and the harmonic descriptors of
    :class:`HarmonicDescriptors` (without inharmonicity) are measured in that frame
    relative to it (:func:`sktimbre._dsp.harmonic.frame_harmonic_energies`): levels
    of harmonics 1..``n_harmonics`` in dB re the strongest, tristimulus, odd/even
    ratio, harmonic centroid in units of f0, spectral deviation, noisiness and
    f0-anchored third-octave bands. They are pooled over the voiced frames that
    sound (within ``active_db`` of the loudest), so a melody is described by what
    its notes share -- the instrument -- and a note, a phrase and a long take alike.
    Two more columns describe how periodic the sound is: the mean voicing over the
    sounding frames, and the fraction of them that are voiced.

    Parameters
    ----------
    n_harmonics : int, default=12
        Harmonics measured (at least 5).
    n_bands : int, default=18
        f0-anchored third-octave bands.
    fmin, fmax : float, default=27.5, 2200.0
        f0 search range in Hz.
    n_fft : int, default=2048
        STFT length in samples (93 ms at 22,050 Hz: short enough for notes of 0.2 s;
        measured as good as 8192 for these descriptors).
    hop_length : int, default=512
        STFT hop in samples.
    window : str or tuple, default="hann"
        STFT window.
    band_limit : float, default=8000.0
        Highest frequency read, in Hz: harmonics and bands above it get the floor
        level, so that what a resampler or a codec does near Nyquist does not enter.
    floor_db : float, default=60.0
        Harmonic and band levels are floored this many dB below the strongest
        harmonic / the band total: weaker ones are the codec's or the room's noise.
    active_db : float, default=60.0
        The sounding frames: within this many dB of the loudest.
    pooling : str or list of str, default="mean"
        Statistics over the voiced sounding frames
        (:func:`sktimbre.pooling.pool_frames`).
    sr : int, default=22050
        Sample rate in Hz of raw-audio input.

    See Also
    --------
    NoteHarmonics : The same per detected note.
    HarmonicDescriptors : The same for one isolated note, at one f0.

    References
    ----------
    D. J. Hermes, "Measurement of pitch by subharmonic summation", JASA 83(1), 1988.
    G. Peeters, B. L. Giordano, P. Susini, N. Misdariis and S. McAdams, "The Timbre
    Toolbox", JASA 130(5), 2011.

    Examples
    --------
    >>> from sktimbre import FrameHarmonics
    >>> from sktimbre.datasets import make_notes
    >>> X, y = make_notes(n_instruments=2, pitches=[57, 64], random_state=0)
    >>> harm = FrameHarmonics().fit(X)
    >>> harm.transform(X).shape
    (8, 39)
    >>> harm.get_feature_names_out()[[0, 37, 38]].tolist()
    ['harm_h01_rel_db_mean', 'harm_voicing_mean', 'harm_voiced_fraction']
    """

    _parameter_constraints: dict = {
        **_TrackHarmonics._parameter_constraints,
        "active_db": [Interval(Real, 0, None, closed="neither")],
    }

    def __init__(self, *, n_harmonics=12, n_bands=18, fmin=27.5, fmax=2200.0, n_fft=2048,
                 hop_length=512, window="hann", band_limit=8000.0, floor_db=60.0,
                 active_db=60.0, pooling="mean", sr=22050):
        self.n_harmonics = n_harmonics
        self.n_bands = n_bands
        self.fmin = fmin
        self.fmax = fmax
        self.n_fft = n_fft
        self.hop_length = hop_length
        self.window = window
        self.band_limit = band_limit
        self.floor_db = floor_db
        self.active_db = active_db
        self.pooling = pooling
        self.sr = sr

    def _descriptor_names(self) -> list[str]:
        return [f"harm_{name}" for name in pooled_feature_names(self._names(), self.pooling)] + [
            "harm_voicing_mean", "harm_voiced_fraction"]

    def required_analyses(self) -> dict[str, Analysis]:
        """The f0 track, the harmonic energies at it, and the frame energies.

        Returns
        -------
        analyses : dict of str to Analysis
            ``{"track": F0Track(...), "energies": HarmonicEnergies(...), "energy":
            FrameEnergy(...)}`` -- the energies shared with :class:`NoteHarmonics`.
        """
        return {"track": self._track(), "energies": self._energies(),
                "energy": FrameEnergy(self._stft(), float(self.band_limit))}

    def describe(self, *, sr: int, track: np.ndarray, energies: np.ndarray,
                 energy: np.ndarray) -> np.ndarray:
        """Pooled frame-wise harmonic descriptors of a stack of clips.

        Parameters
        ----------
        sr : int
            Sample rate in Hz.
        track : ndarray of shape (n_clips, 2, n_frames)
            f0 (NaN where unvoiced) and voicing of every frame.
        energies : ndarray of shape (n_clips, 2 * n_harmonics + 1 + n_bands, n_frames)
            Harmonic and band energies of every frame (:class:`HarmonicEnergies`).
        energy : ndarray of shape (n_clips, n_frames)
            Frame energies (the sounding frames are within ``active_db`` of the loudest).

        Returns
        -------
        rows : ndarray of shape (n_clips, n_features_out)
        """
        sounding = energy > energy.max(axis=-1, keepdims=True) * 10.0 ** (-self.active_db / 10)
        # every frame is described on its own: the frames of all clips in one call
        n_clips, n_rows, n_frames = energies.shape
        side_by_side = energies.transpose(1, 0, 2).reshape(n_rows, n_clips * n_frames)
        described = harmonic_descriptors_from_energies(
            *self._split(side_by_side), floor_db=self.floor_db).reshape(-1, n_clips, n_frames)
        rows = []
        for i, ((f0, voicing), active) in enumerate(zip(track, sounding, strict=True)):
            if not active.any():  # silence: every frame counts, none is voiced
                active = np.ones_like(active)
            voiced = active & np.isfinite(f0)
            D = described[:, i]
            if voiced.any():
                pooled = pool_frames(D, self.pooling, mask=voiced)
            else:  # no voiced frame: the descriptors of a flat spectrum without harmonics
                pooled = pool_frames(D[:, :1], self.pooling)
            rows.append(np.concatenate([pooled, [voicing[active].mean(), voiced[active].mean()]]))
        return np.asarray(rows)


@register_trusted_type(name="sktimbre.NoteHarmonics")
class NoteHarmonics(_TrackHarmonics):
    """Harmonic structure of every detected note, at the note's own f0, pooled over notes.

    The notes of a clip begin at its :class:`~sktimbre.frontend.Onsets` (spectral
    flux and f0 changes); each note (at least ``min_note`` seconds) is described as
    :class:`HarmonicDescriptors` describes an isolated note -- harmonic energies
    summed over its sustained frames (within ``sustain_db`` of its loudest), but with
    every frame's own f0 -- and the clip's row pools the notes (the mean by default).
    For an isolated note this is the clip-level description; for a melody it never
    mixes the harmonics of different notes, which is what makes a one-f0
    description fail on a phrase or a long take.

    Parameters
    ----------
    n_harmonics : int, default=12
        Harmonics measured (at least 5).
    n_bands : int, default=18
        f0-anchored third-octave bands.
    fmin, fmax : float, default=27.5, 2200.0
        f0 search range in Hz.
    n_fft : int, default=2048
        STFT length in samples.
    hop_length : int, default=512
        STFT hop in samples.
    window : str or tuple, default="hann"
        STFT window.
    band_limit : float, default=8000.0
        Highest frequency read, in Hz.
    floor_db : float, default=60.0
        Harmonic and band levels are floored this many dB below the strongest
        harmonic / the band total: weaker ones are the codec's or the room's noise.
    min_note : float, default=0.1
        Notes shorter than this many seconds are left out (a clip without a longer
        note is read as one note).
    sustain_db : float, default=20.0
        A note's frames within this many dB of its loudest form its sustain.
    pooling : str or list of str, default="mean"
        Statistics over the notes (:func:`sktimbre.pooling.pool_frames`).
    sr : int, default=22050
        Sample rate in Hz of raw-audio input.

    See Also
    --------
    FrameHarmonics : The same per frame.

    Examples
    --------
    >>> from sktimbre import NoteHarmonics
    >>> from sktimbre.datasets import make_notes
    >>> X, y = make_notes(n_instruments=2, pitches=[57, 64], random_state=0)
    >>> NoteHarmonics().fit_transform(X).shape
    (8, 37)
    """

    _parameter_constraints: dict = {
        **_TrackHarmonics._parameter_constraints,
        "min_note": [Interval(Real, 0, None, closed="left")],
        "sustain_db": [Interval(Real, 0, None, closed="neither")],
    }

    def __init__(self, *, n_harmonics=12, n_bands=18, fmin=27.5, fmax=2200.0, n_fft=2048,
                 hop_length=512, window="hann", band_limit=8000.0, floor_db=60.0,
                 min_note=0.1, sustain_db=20.0, pooling="mean", sr=22050):
        self.n_harmonics = n_harmonics
        self.n_bands = n_bands
        self.fmin = fmin
        self.fmax = fmax
        self.n_fft = n_fft
        self.hop_length = hop_length
        self.window = window
        self.band_limit = band_limit
        self.floor_db = floor_db
        self.min_note = min_note
        self.sustain_db = sustain_db
        self.pooling = pooling
        self.sr = sr

    def _descriptor_names(self) -> list[str]:
        return [f"harm_{name}" for name in pooled_feature_names(self._names(), self.pooling)]

    def required_analyses(self) -> dict[str, Analysis]:
        """The harmonic energies of every frame and the note onsets.

        Returns
        -------
        analyses : dict of str to Analysis
            ``{"energies": HarmonicEnergies(...), "onsets": Onsets(...)}`` -- the
            energies shared with :class:`FrameHarmonics`.
        """
        return {"energies": self._energies(), "onsets": onset_analysis(self._stft())}

    def describe(self, *, sr: int, energies: np.ndarray, onsets: np.ndarray) -> np.ndarray:
        """Harmonic descriptors of the notes of a stack of clips, pooled per clip.

        Parameters
        ----------
        sr : int
            Sample rate in Hz.
        energies : ndarray of shape (n_clips, 2 * n_harmonics + 1 + n_bands, n_frames)
            Harmonic and band energies of every frame (:class:`HarmonicEnergies`).
        onsets : ndarray of bool, shape (n_clips, n_frames)
            Note onsets.

        Returns
        -------
        rows : ndarray of shape (n_clips, n_features_out)
        """
        min_frames = self.min_note * sr / self.hop_length
        columns, owner = [], []
        for i, (e, flags) in enumerate(zip(energies, onsets, strict=True)):
            energy, in_band, total, bands = self._split(e)
            n_frames = e.shape[-1]
            starts = np.flatnonzero(flags)
            ends = np.append(starts[1:], n_frames)
            notes = [(a, b) for a, b in zip(starts, ends, strict=True) if b - a >= min_frames]
            if not notes:
                notes = [(int(starts[0]) if starts.size else 0, n_frames)]
            found = [self._note_energies(energy, in_band, total, bands, a, b) for a, b in notes]
            found = [c for c in found if c is not None] or [
                (np.zeros(self.n_harmonics), np.ones(self.n_harmonics, bool), 0.0,
                 np.zeros(self.n_bands))]  # no harmonic energy anywhere: a flat spectrum
            columns += found
            owner += [i] * len(found)
        # every note is described on its own: the notes of all clips in one call
        D = harmonic_descriptors_from_energies(
            np.stack([c[0] for c in columns], axis=1), np.stack([c[1] for c in columns], axis=1),
            np.array([c[2] for c in columns]), np.stack([c[3] for c in columns], axis=1),
            floor_db=self.floor_db)
        bounds = np.searchsorted(owner, np.arange(len(energies) + 1))
        return np.asarray([pool_frames(D[:, a:b], self.pooling)
                           for a, b in zip(bounds[:-1], bounds[1:], strict=True)])

    def _note_energies(self, energy, in_band, total, bands, start, stop):
        """Energies summed over a note's sustained frames (None without harmonic energy)."""
        t = total[start:stop]
        if not t.size or not t.max() > 0:
            return None
        sustained = (t >= t.max() * 10.0 ** (-self.sustain_db / 10.0)).astype(np.float64)
        return (energy[:, start:stop] @ sustained, in_band[:, start:stop].any(axis=1),
                float(t @ sustained), bands[:, start:stop] @ sustained)
