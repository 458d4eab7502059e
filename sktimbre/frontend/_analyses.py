"""What a descriptor family can ask the front end for: analyses, declared as values.

An *analysis* is something computed once per clip and shared by every family that
declares it: the samples themselves, a magnitude STFT of a given size and hop, a
mel spectrogram of that STFT, a constant-Q transform, the clip's f0. Each is a small
frozen dataclass -- hashable, comparable, picklable -- so two families that declare
``STFT(2048, 512)`` get the very same array, computed once per clip by the
executor (:mod:`sktimbre.frontend._executor`).

Analyses come in two kinds:

* **source** analyses are computed from the samples. Clips whose
  :meth:`Analysis.group_key` agree (same frame count for an STFT, same length for
  the samples) are computed together, as one stack;
* **derived** analyses (:meth:`Analysis.requires` is not empty) are computed from
  the stacks of the analyses they require, group by group.

Each analysis' :meth:`~Analysis.compute` is a thin call into :mod:`sktimbre._dsp`,
where the DSP lives.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._dsp.stft import cqt_magnitude, stft_frame_count, stft_magnitude

__all__ = ["Analysis", "Waveform", "STFT", "CQT", "MelSpectrogram", "F0", "F0Track", "Onsets",
           "FrameEnergy", "HarmonicEnergies", "as_analysis"]


@dataclass(frozen=True)
class Analysis:
    """Base class of the analyses a descriptor family can declare.

    Subclasses are frozen dataclasses that define :meth:`compute`, and either
    :meth:`group_key` (a source analysis, computed from the samples) or
    :meth:`requires` (a derived analysis, computed from other analyses).
    """

    def requires(self) -> tuple[Analysis, ...]:
        """The analyses this one is computed from (empty: from the samples).

        Returns
        -------
        analyses : tuple of Analysis
        """
        return ()

    def group_key(self, n_samples: int) -> int:
        """Clips with equal keys are computed as one stack (a source analysis only).

        Parameters
        ----------
        n_samples : int
            Length of a clip in samples.

        Returns
        -------
        key : int
        """
        return n_samples

    def nbytes(self, n_samples: int) -> int:
        """Bytes this analysis of a clip of ``n_samples`` samples takes (an estimate).

        The executor refuses a clip whose analyses would take more than its budget,
        before computing any of them.

        Parameters
        ----------
        n_samples : int

        Returns
        -------
        nbytes : int
        """
        return 4 * n_samples

    def compute(self, inputs: tuple[np.ndarray, ...], sr: int) -> np.ndarray:
        """The analysis of a stack of clips.

        Parameters
        ----------
        inputs : tuple of ndarray
            A source analysis gets ``(samples,)``, the samples ``(n_clips,
            n_samples)`` of clips with equal :meth:`group_key`, zero-padded to the
            longest; a derived one gets the stacks of its :meth:`requires`.
        sr : int
            Sample rate in Hz.

        Returns
        -------
        stack : ndarray of shape (n_clips, ...)
        """
        raise NotImplementedError


@dataclass(frozen=True)
class Waveform(Analysis):
    """The samples of each clip, as a stack of equal-length clips (float32).

    Examples
    --------
    >>> import numpy as np
    >>> from sktimbre.frontend import Waveform
    >>> Waveform().compute((np.ones((2, 5)),), sr=22050).shape
    (2, 5)
    """

    def compute(self, inputs, sr):
        (samples,) = inputs
        return np.asarray(samples, dtype=np.float32)


@dataclass(frozen=True)
class STFT(Analysis):
    """Magnitude STFT, ``abs(librosa.stft(y, n_fft, hop_length, window, center=True))``.

    Computed by :func:`sktimbre._dsp.stft.stft_magnitude` as float32, shape
    ``(1 + n_fft // 2, n_frames)`` per clip.

    Parameters
    ----------
    n_fft : int, default=2048
        FFT length in samples.
    hop_length : int, default=512
        Frame advance in samples.
    window : str or tuple, default="hann"
        Window specification understood by :func:`scipy.signal.get_window`.
    precision : {None, "float32", "float64"}, default=None
        Precision of the FFT (the magnitudes are float32 either way). ``None``:
        float64 below 4096 samples, as librosa, float32 from 4096. Families whose
        levels are floored far above float32 rounding noise (about -140 dB re the
        frame) declare ``"float32"``, which is faster; the two are different
        analyses, each computed once per clip.

    Examples
    --------
    >>> import numpy as np
    >>> from sktimbre.frontend import STFT
    >>> STFT(1024, 256).compute((np.zeros((3, 4096)),), sr=22050).shape
    (3, 513, 17)
    """

    n_fft: int = 2048
    hop_length: int = 512
    window: str | tuple = "hann"
    precision: str | None = None

    def __post_init__(self):
        if self.precision not in (None, "float32", "float64"):
            raise ValueError("precision must be None, 'float32' or 'float64', got "
                             f"{self.precision!r}")

    def __repr__(self) -> str:
        # the precision only where it is not the default, so 0.1's keys read as before
        extra = "" if self.precision is None else f", precision={self.precision!r}"
        return (f"STFT(n_fft={self.n_fft!r}, hop_length={self.hop_length!r}, "
                f"window={self.window!r}{extra})")

    def group_key(self, n_samples):
        # Clips with the same frame count differ in length by less than a hop; zeros
        # appended to the shorter ones are the zeros centred framing pads them with
        # anyway, so each clip's STFT in the stack is exactly its STFT alone.
        return stft_frame_count(n_samples, self.n_fft, self.hop_length)

    def nbytes(self, n_samples):
        # float32 output, plus the float64 windowed frames of one clip while computing
        frames = stft_frame_count(n_samples, self.n_fft, self.hop_length)
        return (4 + 16) * (1 + self.n_fft // 2) * frames

    def compute(self, inputs, sr):
        (samples,) = inputs
        return stft_magnitude(samples, self.n_fft, self.hop_length, self.window,
                              precision=self.precision)


@dataclass(frozen=True)
class CQT(Analysis):
    """Constant-Q magnitude with the tuning estimated per clip (``librosa.cqt``).

    Computed by :func:`sktimbre._dsp.stft.cqt_magnitude`, float32, shape
    ``(n_bins, n_frames)`` per clip.

    Parameters
    ----------
    hop_length : int, default=512
        Frame advance in samples.
    fmin : float or None, default=None
        Lowest bin frequency in Hz (``None``: C1, about 32.7 Hz).
    n_bins : int, default=252
        Number of bins.
    bins_per_octave : int, default=36
        Bins per octave.

    Examples
    --------
    >>> from sktimbre.frontend import CQT
    >>> CQT().n_bins
    252
    """

    hop_length: int = 512
    fmin: float | None = None
    n_bins: int = 252
    bins_per_octave: int = 36

    def nbytes(self, n_samples):
        return 16 * self.n_bins * (1 + n_samples // self.hop_length)  # complex while computing

    def compute(self, inputs, sr):
        (samples,) = inputs
        return cqt_magnitude(samples, sr, hop_length=self.hop_length, fmin=self.fmin,
                             n_bins=self.n_bins, bins_per_octave=self.bins_per_octave)


@dataclass(frozen=True)
class MelSpectrogram(Analysis):
    """Mel power spectrogram of an STFT (Slaney filters, as librosa's default).

    Computed by :func:`sktimbre._dsp.mel.mel_power`: float32, shape ``(n_mels,
    n_frames)`` per clip; shared by :class:`~sktimbre.MFCC` and
    :class:`~sktimbre.MelBands` when they ask for the same bands.

    Parameters
    ----------
    stft : STFT, default=STFT()
        The STFT it is computed from.
    n_mels : int, default=128
        Number of mel bands.
    fmin : float, default=0.0
        Lowest band edge in Hz.
    fmax : float or None, default=None
        Highest band edge in Hz (``None``: ``sr / 2``).
    floor_db : float or None, default=None
        Magnitudes are first raised to at least this many dB below their frame's
        peak (up to ``fmax``; :func:`sktimbre._dsp.silence.floor_relative`), so that
        the holes and noise a lossy codec leaves in the quiet bins do not enter.

    Examples
    --------
    >>> import numpy as np
    >>> from sktimbre.frontend import STFT, MelSpectrogram
    >>> mel = MelSpectrogram(STFT(2048, 512), n_mels=40)
    >>> mel.requires()
    (STFT(n_fft=2048, hop_length=512, window='hann'),)
    >>> mel.compute((np.ones((1, 1025, 4), np.float32),), sr=22050).shape
    (1, 40, 4)
    """

    stft: STFT = STFT()
    n_mels: int = 128
    fmin: float = 0.0
    fmax: float | None = None
    floor_db: float | None = None

    def requires(self):
        return (self.stft,)

    def nbytes(self, n_samples):
        frames = stft_frame_count(n_samples, self.stft.n_fft, self.stft.hop_length)
        return 4 * self.n_mels * frames + 4 * (1 + self.stft.n_fft // 2) * frames  # + power

    def compute(self, inputs, sr):
        from .._dsp.mel import mel_power
        from .._dsp.silence import floor_relative

        (S,) = inputs
        if self.floor_db is not None:
            top = sr / 2 if self.fmax is None else min(self.fmax, sr / 2)
            n_read = int(np.floor(top * self.stft.n_fft / sr)) + 1
            # the filters above fmax are zero: the peak of the band read, and only it
            S = floor_relative(S[..., :n_read, :], self.floor_db)
        return mel_power(S, sr, self.stft.n_fft, self.n_mels, self.fmin, self.fmax)


@dataclass(frozen=True)
class F0(Analysis):
    """One fundamental frequency per clip, in Hz (NaN for silence).

    Subharmonic summation (Hermes 1988) on the clip's average magnitude spectrum
    (:func:`sktimbre._dsp.harmonic.estimate_f0`), from the given STFT, which it
    shares with the families that read it.

    Parameters
    ----------
    stft : STFT, default=STFT(8192, 2048)
        A long STFT, to resolve the harmonics of low notes.
    fmin, fmax : float, default=27.5, 4200.0
        Search range in Hz (``fmax`` is capped at 0.45 times the sample rate).

    References
    ----------
    D. J. Hermes, "Measurement of pitch by subharmonic summation", JASA 83(1), 1988.

    Examples
    --------
    >>> import numpy as np
    >>> from sktimbre.frontend import F0, STFT
    >>> sr, t = 22050, np.arange(22050) / 22050
    >>> y = sum(np.sin(2 * np.pi * k * 220.0 * t) / k for k in range(1, 8))
    >>> f0 = F0()
    >>> S = f0.stft.compute((y[None],), sr)
    >>> f0.compute((S,), sr).round(1)
    array([220.])
    """

    stft: STFT = STFT(8192, 2048)
    fmin: float = 27.5
    fmax: float = 4200.0

    def requires(self):
        return (self.stft,)

    def nbytes(self, n_samples):
        return 8 * (1 + self.stft.n_fft // 2)  # one averaged spectrum

    def compute(self, inputs, sr):
        from .._dsp.harmonic import estimate_f0

        (S,) = inputs
        freqs = np.fft.rfftfreq(self.stft.n_fft, d=1.0 / sr)
        fmax = min(self.fmax, 0.45 * sr)
        # Average spectra as one product (a mean over the short frame axis of each of
        # thousands of bins costs about 8x more), in the analysis' float32.
        means = S @ np.full(S.shape[-1], 1.0 / S.shape[-1], dtype=S.dtype)
        return np.array([estimate_f0(m, freqs, fmin=self.fmin, fmax=fmax) for m in means])


@dataclass(frozen=True)
class F0Track(Analysis):
    """The f0 and voicing of every frame of an STFT: an instrument playing a melody.

    Subharmonic summation in every frame (:func:`sktimbre._dsp.pitch.f0_track`),
    reading the spectrum up to ``band_limit``. Float64, shape ``(2, n_frames)`` per
    clip: row 0 the f0 in Hz (NaN where unvoiced), row 1 the voicing (about 1 for a
    clean harmonic tone, 0 for noise).

    Parameters
    ----------
    stft : STFT, default=STFT(2048, 512)
        The STFT it is computed from (the one the spectral families share: 93 ms
        frames resolve notes of 0.2 s).
    fmin, fmax : float, default=27.5, 2200.0
        Search range in Hz.
    band_limit : float, default=8000.0
        Highest frequency read, in Hz.
    active_db : float, default=40.0
        Frames more than this many dB below the clip's loudest are unvoiced.
    min_voicing : float, default=0.25
        Frames of lower voicing are unvoiced.

    Examples
    --------
    >>> import numpy as np
    >>> from sktimbre.frontend import ClipBatch, F0Track, analysis_groups
    >>> t = np.arange(22050) / 22050
    >>> y = sum(np.sin(2 * np.pi * k * 330.0 * t) / k for k in range(1, 8))
    >>> [(idx, track)] = analysis_groups(ClipBatch([y], sr=22050), F0Track())
    >>> round(float(np.nanmedian(track[0, 0])))
    330
    """

    stft: STFT = STFT(2048, 512)
    fmin: float = 27.5
    fmax: float = 2200.0
    band_limit: float = 8000.0
    active_db: float = 40.0
    min_voicing: float = 0.25

    def requires(self):
        # the band's frame energies decide which frames are loud enough to be voiced:
        # the frame families' active_db reads the same ones, computed once
        return (self.stft, FrameEnergy(self.stft, self.band_limit))

    def nbytes(self, n_samples):
        # the compressed band and its log-frequency pooling while computing, then 2 rows
        frames = stft_frame_count(n_samples, self.stft.n_fft, self.stft.hop_length)
        return 12 * (1 + self.stft.n_fft // 2) * frames

    def compute(self, inputs, sr):
        from .._dsp.pitch import f0_track

        S, energy = inputs
        return f0_track(S, sr=sr, n_fft=self.stft.n_fft, fmin=self.fmin, fmax=self.fmax,
                        band_limit=self.band_limit, active_db=self.active_db,
                        min_voicing=self.min_voicing, energy=energy)


@dataclass(frozen=True)
class Onsets(Analysis):
    """The frames at which notes begin: spectral-flux peaks and f0 changes.

    :func:`sktimbre._dsp.onsets.onset_flags` on the square root of a band-limited
    mel spectrogram (the flux) and on an :class:`F0Track` (legato notes). Bool,
    shape ``(n_frames,)`` per clip; the first sounding frame is always an onset.

    Parameters
    ----------
    mel : MelSpectrogram, default=MelSpectrogram(STFT(2048, 512), 64, 0.0, 8000.0, 50.0)
        Whose flux marks the attacks (the same bands, floored 50 dB below each frame's
        peak, that :class:`~sktimbre.MFCC` reads in the default embedder, so they are
        computed once).
    f0 : F0Track or None, default=F0Track()
        Whose changes of more than ``pitch_jump`` semitones mark legato notes
        (``None``: flux only).
    active_db : float, default=60.0
        The sounding frames (within this many dB of the loudest).
    pitch_jump : float, default=0.6
        Semitones.
    min_gap : float, default=0.08
        Onsets closer than this many seconds are merged.

    Examples
    --------
    >>> import numpy as np
    >>> from sktimbre.frontend import Onsets, ClipBatch, analysis_groups
    >>> t = np.arange(22050) / 22050
    >>> f = np.where(t < 0.5, 220.0, 330.0)  # two legato notes
    >>> y = sum(np.sin(2 * np.pi * k * np.cumsum(f) / 22050) / k for k in range(1, 9))
    >>> y *= np.minimum(1.0, (1.0 - t) / 0.05)  # a 50 ms fade-out, no click at the end
    >>> [(idx, flags)] = analysis_groups(ClipBatch([y], sr=22050), Onsets())
    >>> np.flatnonzero(flags[0]).tolist()  # frame 21: 21 * 512 / 22050 = 0.49 s
    [0, 21]
    """

    mel: MelSpectrogram = MelSpectrogram(STFT(2048, 512), 64, 0.0, 8000.0, 50.0)
    f0: F0Track | None = F0Track()
    active_db: float = 60.0
    pitch_jump: float = 0.6
    min_gap: float = 0.08

    def requires(self):
        return (self.mel,) + (() if self.f0 is None else (self.f0,))

    def nbytes(self, n_samples):
        frames = stft_frame_count(n_samples, self.mel.stft.n_fft, self.mel.stft.hop_length)
        return 8 * self.mel.n_mels * frames

    def compute(self, inputs, sr):
        from .._dsp.onsets import onset_flags

        M = inputs[0]
        f0 = inputs[1][:, 0] if self.f0 is not None else None
        energy = M.sum(axis=-2, dtype=np.float64)  # mel power per frame
        active = energy > energy.max(axis=-1, keepdims=True) * 10.0 ** (-self.active_db / 10.0)
        return onset_flags(np.sqrt(M), sr=sr, hop_length=self.mel.stft.hop_length, f0=f0,
                           active=active, wait=self.min_gap, pitch_jump=self.pitch_jump)


@dataclass(frozen=True)
class FrameEnergy(Analysis):
    """The energy of every frame of a magnitude spectrogram (sum of squared magnitudes).

    What the frame families' ``active_db`` thresholds (the sounding frames), computed
    once for all of them. Float64, shape ``(n_frames,)`` per clip.

    Parameters
    ----------
    spectrogram : STFT or CQT, default=STFT()
        Whose frames.
    band_limit : float or None, default=None
        Only the bins at or below this many Hz count (an STFT's; ``None``: all).

    Examples
    --------
    >>> import numpy as np
    >>> from sktimbre.frontend import FrameEnergy
    >>> FrameEnergy().compute((np.ones((1, 1025, 3)),), 22050).tolist()
    [[1025.0, 1025.0, 1025.0]]
    """

    spectrogram: Analysis = STFT()
    band_limit: float | None = None

    def requires(self):
        return (self.spectrogram,)

    def nbytes(self, n_samples):
        return 8 * (1 + n_samples // 64)

    def compute(self, inputs, sr):
        (S,) = inputs
        if self.band_limit is not None:
            n_fft = self.spectrogram.n_fft
            S = S[..., : int(min(S.shape[-2], np.floor(self.band_limit * n_fft / sr) + 1)), :]
        return np.einsum("cft,cft->ct", S, S, dtype=np.float64)


@dataclass(frozen=True)
class HarmonicEnergies(Analysis):
    """Energies of the harmonics and f0-anchored bands of every frame, at its own f0.

    :func:`sktimbre._dsp.harmonic.frame_harmonic_energies`, computed once for the
    frame- and note-level harmonic families. Float64, shape ``(2 * n_harmonics + 1 +
    n_bands, n_frames)`` per clip: the harmonic energies, whether each harmonic lies
    below the band limit (0/1), the energy between half f0 and the last harmonic, and
    the band energies.

    Parameters
    ----------
    track : F0Track, default=F0Track()
        The f0 of every frame (and, through it, the STFT).
    n_harmonics : int, default=12
    n_bands : int, default=18
    band_limit : float, default=8000.0
        Highest frequency read, in Hz.

    Examples
    --------
    >>> from sktimbre.frontend import HarmonicEnergies
    >>> HarmonicEnergies().requires()[0].n_fft
    2048
    """

    track: F0Track = F0Track()
    n_harmonics: int = 12
    n_bands: int = 18
    band_limit: float = 8000.0

    def requires(self):
        return (self.track.stft, self.track)

    def nbytes(self, n_samples):
        frames = stft_frame_count(n_samples, self.track.stft.n_fft, self.track.stft.hop_length)
        # the float64 cumulative power of the band read, per block of frames (a bound)
        return 8 * (2 * self.n_harmonics + 1 + self.n_bands) * frames + 16 * 744 * min(frames,
                                                                                       2048)

    def compute(self, inputs, sr):
        from .._dsp.harmonic import stacked_harmonic_energies

        S, track = inputs
        out = np.empty((len(S), 2 * self.n_harmonics + 1 + self.n_bands, S.shape[-1]))
        K = self.n_harmonics
        out[:, :K], out[:, K:2 * K], out[:, 2 * K], out[:, 2 * K + 1:] = (
            stacked_harmonic_energies(S, sr=sr, n_fft=self.track.stft.n_fft, f0=track[:, 0],
                                      n_harmonics=K, n_bands=self.n_bands,
                                      band_limit=self.band_limit))
        return out


def as_analysis(key) -> Analysis:
    """An :class:`Analysis` from itself or from a 0.1 analysis key (a tuple or list).

    sktimbre 0.1 named analyses by tuples, ``("stft", n_fft, hop_length, window)``,
    ``("cqt", hop_length, fmin, n_bins, bins_per_octave)`` and ``("f0", n_fft,
    hop_length, window, fmin, fmax)``; models saved then hold them.

    Parameters
    ----------
    key : Analysis, tuple or list

    Returns
    -------
    analysis : Analysis

    Examples
    --------
    >>> from sktimbre.frontend import as_analysis
    >>> as_analysis(["stft", 4096, 1024, "hann"])
    STFT(n_fft=4096, hop_length=1024, window='hann')
    """
    if isinstance(key, Analysis):
        return key
    kind, *args = key
    window = lambda w: tuple(w) if isinstance(w, list) else w  # noqa: E731 (JSON lists)
    if kind == "stft":
        n_fft, hop_length, win = args
        return STFT(int(n_fft), int(hop_length), window(win))
    if kind == "cqt":
        hop_length, fmin, n_bins, bins_per_octave = args
        return CQT(int(hop_length), fmin, int(n_bins), int(bins_per_octave))
    if kind == "f0":
        n_fft, hop_length, win, fmin, fmax = args
        return F0(STFT(int(n_fft), int(hop_length), window(win)), float(fmin), float(fmax))
    raise ValueError(f"unknown analysis {key!r}")
