"""Training-time audio augmentation: the same instrument through other rooms and chains.

A sample library is one instrument, one microphone, one room and one mastering
chain. An embedder fitted on one library learns some of that as if it were the
instrument. :func:`augment_clips` makes randomly re-coloured copies of labelled
training clips -- spectral tilt, level, detuning by resampling (which moves body
resonances, like a slightly different instrument), light synthetic reverb -- so
that a supervised projection (LDA, NCA) sees within-instrument variation of the
kind a different library brings. Use it on training data only::

    X_aug, y_aug = augment_clips(X_train, y_train, n_copies=2, random_state=0)
    embedder.fit(X_aug, y_aug)

On the cross-library benchmark (``docs/benchmark.md``) two copies raised top-5
accuracy on the unseen library by about 0.05; ``sktimbre fit`` and the pretrained
embedder use them.

:func:`synthesize_phrases` does for playing what :func:`augment_clips` does for
colouring: from isolated notes of each instrument it makes legato melodies, so that
a projection fitted on notes also sees what the same instrument looks like when it
plays a phrase (fitted on notes alone, it learns one-attack, one-f0 cues and fails
on phrases).
"""

from __future__ import annotations

from numbers import Integral

import numpy as np
from sklearn.utils import check_random_state

from .io import load_audio

__all__ = ["augment_clip", "augment_clips", "synthesize_phrase", "synthesize_phrases"]


def _tilt(y: np.ndarray, sr: int, db_per_octave: float) -> np.ndarray:
    """Apply a spectral tilt of ``db_per_octave`` around 1 kHz (zero-phase, via the FFT)."""
    n = len(y)
    spectrum = np.fft.rfft(y, n=2 * n)  # zero-padded: no circular wrap of the tail
    freqs = np.fft.rfftfreq(2 * n, d=1.0 / sr)
    octaves = np.log2(np.maximum(freqs, 20.0) / 1000.0)
    gain = 10.0 ** (db_per_octave * octaves / 20.0)
    return np.fft.irfft(spectrum * gain, n=2 * n)[:n]


def _smooth_eq(y: np.ndarray, sr: int, max_db: float, rng) -> np.ndarray:
    """Random smooth equaliser: gains drawn in [-max_db, max_db] at octaves 62.5 Hz-8 kHz,
    interpolated on a log-frequency axis (zero-phase, via the FFT)."""
    n = len(y)
    spectrum = np.fft.rfft(y, n=2 * n)
    freqs = np.fft.rfftfreq(2 * n, d=1.0 / sr)
    nodes = np.log2(62.5 * 2.0 ** np.arange(8))
    gains_db = rng.uniform(-max_db, max_db, size=len(nodes))
    curve_db = np.interp(np.log2(np.maximum(freqs, 20.0)), nodes, gains_db)
    return np.fft.irfft(spectrum * 10.0 ** (curve_db / 20.0), n=2 * n)[:n]


def _detune(y: np.ndarray, cents: float) -> np.ndarray:
    """Shift pitch and speed together by ``cents`` (resampling, like a varispeed tape)."""
    if cents == 0 or len(y) < 2:
        return y
    ratio = 2.0 ** (cents / 1200.0)
    positions = np.arange(0, len(y) - 1, ratio)
    return np.interp(positions, np.arange(len(y)), y)


def _reverb(y: np.ndarray, sr: int, rt60: float, wet: float, rng) -> np.ndarray:
    """Convolve with exponentially decaying noise (a diffuse-field room), mixed ``wet``."""
    from scipy.signal import fftconvolve

    length = max(1, int(rt60 * sr))
    t = np.arange(length) / sr
    ir = rng.standard_normal(length) * 10.0 ** (-3.0 * t / rt60)  # -60 dB at rt60
    ir /= np.sqrt(np.sum(ir**2))
    tail = fftconvolve(y, ir)[: len(y)]
    return (1.0 - wet) * y + wet * tail


def augment_clip(
    y: np.ndarray,
    *,
    sr: int = 22050,
    tilt_db_per_octave: tuple[float, float] = (-4.0, 4.0),
    gain_db: tuple[float, float] = (-12.0, 6.0),
    detune_cents: tuple[float, float] = (-200.0, 200.0),
    eq_db: float = 0.0,
    reverb_probability: float = 0.5,
    rt60_s: tuple[float, float] = (0.2, 0.8),
    reverb_wet: tuple[float, float] = (0.05, 0.3),
    random_state=None,
) -> np.ndarray:
    """Return a randomly re-coloured copy of one clip.

    Each transformation's amount is drawn uniformly from its range.

    Parameters
    ----------
    y : ndarray of shape (n_samples,)
        Mono samples.
    sr : int, default=22050
        Sample rate in Hz.
    tilt_db_per_octave : (float, float), default=(-4.0, 4.0)
        Spectral tilt range in dB per octave around 1 kHz (a brighter or darker
        microphone, room or EQ).
    gain_db : (float, float), default=(-12.0, 6.0)
        Level change range in dB (the result is clipped to [-1, 1]).
    eq_db : float, default=0.0
        Largest gain in dB of a random smooth equaliser (gains drawn per octave
        from 62.5 Hz to 8 kHz); 0 disables it.
    detune_cents : (float, float), default=(-200.0, 200.0)
        Pitch-and-speed shift range in cents. Resampling moves the body
        resonances with the pitch, as a slightly smaller or larger instrument of
        the same kind would.
    reverb_probability : float, default=0.5
        Probability of adding reverb.
    rt60_s : (float, float), default=(0.2, 0.8)
        Reverberation time range in seconds.
    reverb_wet : (float, float), default=(0.05, 0.3)
        Reverb mix range (0 = dry).
    random_state : int, RandomState instance or None, default=None
        Seed of the random draws.

    Returns
    -------
    y_aug : ndarray of shape (n_samples_aug,), dtype float32
        Length changes with the detuning (by at most ~12 %).

    Examples
    --------
    >>> import numpy as np
    >>> from sktimbre.augment import augment_clip
    >>> y = np.sin(2 * np.pi * 440 * np.arange(22050) / 22050).astype(np.float32)
    >>> y_aug = augment_clip(y, random_state=0)
    >>> y_aug.dtype, abs(len(y_aug) - len(y)) < 0.13 * len(y)
    (dtype('float32'), True)
    """
    rng = check_random_state(random_state)
    out = np.asarray(y, dtype=np.float64)
    out = _tilt(out, sr, rng.uniform(*tilt_db_per_octave))
    if eq_db > 0:
        out = _smooth_eq(out, sr, eq_db, rng)
    out = _detune(out, rng.uniform(*detune_cents))
    if rng.uniform() < reverb_probability:
        out = _reverb(out, sr, rng.uniform(*rt60_s), rng.uniform(*reverb_wet), rng)
    out = out * 10.0 ** (rng.uniform(*gain_db) / 20.0)
    return np.clip(out, -1.0, 1.0).astype(np.float32)


def augment_clips(X, y=None, *, n_copies: int = 1, sr: int = 22050, keep_original: bool = True,
                  random_state=None, **augment_params):
    """Augment a labelled batch of clips with re-coloured copies.

    Parameters
    ----------
    X : clips
        File paths, 1-D arrays, or a 2-D array ``(n_clips, n_samples)``.
    y : array-like of shape (n_clips,), optional
        Labels, repeated for the copies.
    n_copies : int, default=1
        Augmented copies per clip.
    sr : int, default=22050
        Sample rate in Hz (files are decoded to it).
    keep_original : bool, default=True
        Also return the original clips (first).
    random_state : int, RandomState instance or None, default=None
        Seed; the same seed gives the same copies.
    **augment_params
        Ranges passed to :func:`augment_clip`.

    Returns
    -------
    X_aug : list of ndarray
        Originals (if kept), then copy 1 of every clip, copy 2, ...
    y_aug : ndarray
        Matching labels (only if ``y`` was given).

    Examples
    --------
    >>> from sktimbre.augment import augment_clips
    >>> from sktimbre.datasets import make_notes
    >>> X, y = make_notes(n_instruments=2, pitches=[60], random_state=0)
    >>> X_aug, y_aug = augment_clips(X, y, n_copies=2, random_state=0)
    >>> len(X_aug), y_aug.tolist()
    (12, [0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 1, 1])
    """
    if not isinstance(n_copies, Integral) or n_copies < 1:
        raise ValueError(f"n_copies must be a positive integer, got {n_copies!r}")
    rng = check_random_state(random_state)
    clips, _, _ = load_audio(X, sr=sr)
    out = list(clips) if keep_original else []
    for _ in range(n_copies):
        out += [augment_clip(c, sr=sr, random_state=rng, **augment_params) for c in clips]
    if y is None:
        return out
    y = np.asarray(y)
    if len(y) != len(clips):
        raise ValueError(f"y has {len(y)} labels for {len(clips)} clips")
    return out, np.concatenate([y] * ((1 if keep_original else 0) + n_copies))


def _release(n: int, sr: int, t30: float) -> np.ndarray:
    """Exponential release: 1 at the first sample, -30 dB after ``t30`` seconds."""
    return (10.0 ** (-1.5 * np.arange(n) / (sr * t30))).astype(np.float32)


def synthesize_phrase(notes, pitches, *, sr: int = 22050, n_notes=(5, 9),
                      note_duration=(0.18, 0.6), max_step: int = 5,
                      release_time=(0.03, 0.5), tail: float = 0.4, random_state=None):
    """One random legato melody played with the given notes of one instrument.

    A random walk of ``n_notes`` pitches (steps of at most ``max_step`` semitones,
    among the pitches there are notes of) is played legato: each note starts when
    the previous one ends, lasts a duration drawn from ``note_duration`` and then
    releases with an exponential fade (-30 dB after a time drawn from
    ``release_time``, cut at -60 dB) that overlaps the next note, as a sampler's
    release stage does. The notes' own samples are used throughout: attack,
    sustain, natural decay under the release.

    Parameters
    ----------
    notes : sequence of 1-D arrays
        Isolated notes of one instrument at ``sr`` Hz, each starting at its onset.
    pitches : array-like of shape (len(notes),)
        MIDI pitch of each note (several notes may share one).
    sr : int, default=22050
        Sample rate in Hz.
    n_notes : (int, int), default=(5, 9)
        Range of the number of notes (inclusive).
    note_duration : (float, float), default=(0.18, 0.6)
        Range of the note durations, onset to onset, in seconds.
    max_step : int, default=5
        Largest interval of the walk, in semitones.
    release_time : (float, float), default=(0.03, 0.5)
        Range of the release time (to -30 dB), in seconds.
    tail : float, default=0.4
        Seconds kept after the last note ends.
    random_state : int, RandomState instance or None, default=None
        Seed.

    Returns
    -------
    y : ndarray of float32
        The phrase.
    played : ndarray of int
        Index in ``notes`` of each note played, in order.

    Examples
    --------
    >>> import numpy as np
    >>> from sktimbre.augment import synthesize_phrase
    >>> t = np.arange(22050) / 22050
    >>> notes = [np.sin(2 * np.pi * 440 * 2 ** (k / 12) * t) for k in range(6)]
    >>> y, played = synthesize_phrase(notes, pitches=range(69, 75), random_state=0)
    >>> 5 <= len(played) <= 9, 1.0 < len(y) / 22050 < 6.0
    (True, True)
    """
    rng = check_random_state(random_state)
    pitches = np.asarray(pitches)
    if len(pitches) != len(notes) or not len(notes):
        raise ValueError(f"need one pitch per note and at least one note, got "
                         f"{len(pitches)} pitches for {len(notes)} notes")
    available = np.unique(pitches)
    k = int(rng.randint(n_notes[0], n_notes[1] + 1))
    pitch = rng.choice(available)
    played = []
    for _ in range(k):
        played.append(int(rng.choice(np.flatnonzero(pitches == pitch))))
        pitch = rng.choice(available[np.abs(available - pitch) <= max_step])
    durations = rng.uniform(*note_duration, size=k)
    onsets = np.concatenate([[0.0], np.cumsum(durations)[:-1]])
    y = np.zeros(int(round((onsets[-1] + durations[-1] + tail) * sr)), dtype=np.float32)
    for i, (j, t0, d) in enumerate(zip(played, onsets, durations, strict=True)):
        t30 = rng.uniform(*release_time)
        hold, release = int(round(d * sr)), int(round(2.0 * t30 * sr))  # -60 dB
        if i == k - 1:
            release = max(release, int(round(tail * sr)))
        segment = np.array(notes[j][: hold + release], dtype=np.float32)
        if segment.size > hold:
            segment[hold:] *= _release(segment.size - hold, sr, t30)
        start = int(round(t0 * sr))
        end = min(start + segment.size, y.size)
        y[start:end] += segment[: end - start]
    return y, np.asarray(played)


def synthesize_phrases(X, y, *, pitches=None, n_per_label: int = 24, sr: int = 22050,
                       random_state=None, **phrase_params):
    """Legato melodies of each instrument, made from its isolated notes.

    For fitting only: mixed into the fitting set of an embedder (with their
    instrument labels), they show the projection the same instruments *playing*.
    On the quality benchmark (``docs/benchmark.md``), with no recorded phrase in
    the fit, 72 per instrument (beside two augmented copies of each note) take the
    cross-library top-1 on recorded phrases from 0.51 to 0.62 with the default
    families, and from 0.14 to 0.44 with 0.1's note families. With augmented copies,
    make about as many phrases per instrument as it has notes, or the copies
    outnumber them.

    Parameters
    ----------
    X : clips
        Isolated notes: file paths, 1-D arrays or a 2-D array ``(n_clips, n_samples)``.
        Leading silence is trimmed (60 dB) so that each note starts at its onset.
    y : array-like of shape (n_clips,)
        Instrument of each note; phrases are made per instrument from its notes.
    pitches : array-like of shape (n_clips,), optional
        MIDI pitch of each note. ``None``: the nearest semitone of the package's
        own f0 estimate (:class:`~sktimbre.PitchEstimate`).
    n_per_label : int, default=24
        Phrases per instrument.
    sr : int, default=22050
        Sample rate in Hz (files are decoded to it).
    random_state : int, RandomState instance or None, default=None
        Seed; the same seed gives the same phrases.
    **phrase_params
        Passed to :func:`synthesize_phrase` (``n_notes``, ``note_duration``, ...).

    Returns
    -------
    phrases : list of ndarray of float32
    phrase_labels : ndarray
        The instrument of each phrase.

    Examples
    --------
    >>> from sktimbre.augment import synthesize_phrases
    >>> from sktimbre.datasets import make_notes
    >>> X, y, pitch = make_notes(n_instruments=2, pitches=[55, 57, 60, 62], random_state=0,
    ...                          return_pitch=True)
    >>> phrases, labels = synthesize_phrases(X, y, pitches=pitch, n_per_label=3,
    ...                                      random_state=0)
    >>> len(phrases), labels.tolist()
    (6, [0, 0, 0, 1, 1, 1])
    """
    from ._dsp.silence import trim_leading_silence

    if not isinstance(n_per_label, Integral) or n_per_label < 1:
        raise ValueError(f"n_per_label must be a positive integer, got {n_per_label!r}")
    rng = check_random_state(random_state)
    clips, _, _ = load_audio(X, sr=sr)
    y = np.asarray(y)
    if len(y) != len(clips):
        raise ValueError(f"y has {len(y)} labels for {len(clips)} clips")
    if pitches is None:
        from .families import PitchEstimate

        f0 = 2.0 ** PitchEstimate(sr=sr).fit_transform(clips)[:, 0]
        pitches = np.round(69.0 + 12.0 * np.log2(f0 / 440.0))
    pitches = np.asarray(pitches)
    if len(pitches) != len(clips):
        raise ValueError(f"pitches has {len(pitches)} values for {len(clips)} clips")
    notes = [trim_leading_silence(c) for c in clips]
    phrases, labels = [], []
    for label in np.unique(y):
        idx = np.flatnonzero(y == label)
        for _ in range(n_per_label):
            phrase, _ = synthesize_phrase([notes[i] for i in idx], pitches[idx], sr=sr,
                                          random_state=rng, **phrase_params)
            phrases.append(phrase)
            labels.append(label)
    return phrases, np.asarray(labels)
