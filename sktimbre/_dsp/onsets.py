"""Where the notes of a clip begin, and what each note's attack and decay look like.

Pure array-in, array-out functions. Onsets come from two cues: peaks of the spectral
flux (a new attack) and changes of the frame-wise f0 (a legato note, whose soft
attack makes little flux). Per-note envelope descriptors then read the same short
window after every onset -- the first 150 ms, up to the next onset -- which is what an
isolated 2 s note and a note inside a legato melody both have; a clip is described by
the median over its notes, so the vector does not depend on how many notes it holds.

References
----------
.. [1] S. Dixon, "Onset detection revisited", Proc. DAFx 2006 (spectral flux,
   peak picking).
.. [2] G. Peeters, B. L. Giordano, P. Susini, N. Misdariis and S. McAdams,
   "The Timbre Toolbox", J. Acoust. Soc. Am. 130(5), 2902-2916, 2011 (attack
   descriptors).
"""

from __future__ import annotations

import numpy as np

__all__ = ["spectral_flux", "detect_onsets", "frames_since_onset", "note_envelope",
           "NOTE_ENVELOPE_NAMES"]

NOTE_ENVELOPE_NAMES = ("rise_db", "log_attack_time", "level_50ms_db", "level_100ms_db",
                       "level_150ms_db", "decay_slope_db_s")
"""Names of the values :func:`note_envelope` gives per note, in order."""

_LEVEL_TIMES = (0.05, 0.1, 0.15)  # s after the note's peak
_FLOOR_DB = -80.0


def spectral_flux(M: np.ndarray, *, compression: float = 1000.0) -> np.ndarray:
    r"""Half-wave rectified flux of a log-compressed magnitude spectrogram.

    With :math:`L = \log(1 + \gamma\, M / \max M)`, the flux of frame :math:`t` is the
    mean over bands of :math:`\max(L_t - L_{t-1}, 0)`; frame 0 gets 0. Relative to
    the clip's maximum, so independent of the recording level.

    Parameters
    ----------
    M : ndarray of shape (n_bands, n_frames)
        Magnitude spectrogram (STFT bins, or the square root of mel power).
    compression : float, default=1000.0
        :math:`\gamma`.

    Returns
    -------
    flux : ndarray of shape (n_frames,)

    Examples
    --------
    >>> import numpy as np
    >>> from sktimbre._dsp.onsets import spectral_flux
    >>> M = np.zeros((4, 6)); M[:, 3:] = 1.0  # a sound starting at frame 3
    >>> int(spectral_flux(M).argmax())
    3
    """
    L = np.log1p(compression * M / max(float(M.max()), 1e-20))
    return np.concatenate([[0.0], np.maximum(np.diff(L, axis=1), 0.0).mean(axis=0)])


def _median3(x: np.ndarray) -> np.ndarray:
    """Median of the finite values of every window of 3 consecutive values (NaN if < 2)."""
    w = np.sort(np.lib.stride_tricks.sliding_window_view(x, 3), axis=1)  # NaN sorts last
    n = np.isfinite(w).sum(axis=1)
    return np.where(n == 3, w[:, 1], np.where(n == 2, 0.5 * (w[:, 0] + w[:, 1]), np.nan))


def detect_onsets(M: np.ndarray, *, sr: float, hop_length: int, f0=None, active=None,
                  delta: float = 2.0, wait: float = 0.08, pitch_jump: float = 0.6,
                  rel_floor: float = 0.2) -> np.ndarray:
    """The frames at which the notes of a clip begin.

    Frame :math:`t` is a flux onset if its :func:`spectral_flux` is the maximum
    within +-3 frames, exceeds the mean over frames :math:`t-10 .. t+3` by ``delta``
    times ten times the clip's median absolute flux deviation, and reaches
    ``rel_floor`` times the clip's largest flux. It is a pitch onset if the median
    MIDI pitch of the voiced frames :math:`t .. t+2` differs from that of
    :math:`t-3 .. t-1` by more than ``pitch_jump`` semitones. The first sounding
    frame is always an onset; onsets closer than ``wait`` seconds are merged (the
    earlier kept).

    Parameters
    ----------
    M : ndarray of shape (n_bands, n_frames)
        Magnitude spectrogram of one clip.
    sr : float
        Sample rate in Hz.
    hop_length : int
        Frame advance of ``M`` in samples.
    f0 : ndarray of shape (n_frames,), optional
        f0 of each frame in Hz, NaN where unvoiced (:func:`sktimbre._dsp.pitch.f0_track`).
    active : ndarray of bool, shape (n_frames,), optional
        The sounding frames (default: those within 60 dB of the loudest).
    delta, wait, pitch_jump, rel_floor : float
        As above (``wait`` in seconds, ``pitch_jump`` in semitones).

    Returns
    -------
    onsets : ndarray of int
        Frame indices, increasing (at least one).

    Examples
    --------
    >>> import numpy as np
    >>> from sktimbre._dsp.onsets import detect_onsets
    >>> M = np.full((8, 40), 1e-3)
    >>> for start in (5, 20):  # two notes
    ...     M[:, start:start + 10] = np.exp(-np.arange(10) / 4.0)
    >>> detect_onsets(M, sr=22050, hop_length=512).tolist()
    [5, 20]
    """
    from scipy.ndimage import maximum_filter1d, uniform_filter1d

    n_frames = M.shape[1]
    flux = spectral_flux(M)
    mad = np.median(np.abs(flux - np.median(flux))) + 1e-12
    local = uniform_filter1d(flux, 14, origin=-3, mode="nearest")
    peaks = ((flux == maximum_filter1d(flux, 7, mode="nearest"))
             & (flux > local + delta * 10.0 * mad) & (flux >= rel_floor * flux.max())
             & (flux > 0))
    candidates = set(np.flatnonzero(peaks).tolist())
    if f0 is not None and n_frames > 6 and pitch_jump is not None:
        with np.errstate(invalid="ignore", divide="ignore"):
            midi = 69.0 + 12.0 * np.log2(np.where(f0 > 0, f0, np.nan) / 440.0)
        median = _median3(np.pad(midi, 3, constant_values=np.nan))
        before, after = median[:n_frames], median[3:n_frames + 3]
        with np.errstate(invalid="ignore"):
            jump = np.abs(after - before) > pitch_jump  # False where a side is unvoiced
        candidates.update(np.flatnonzero(jump & ~np.concatenate([[False], jump[:-1]])).tolist())
    if active is None:  # the frames within 60 dB of the loudest
        energy = np.square(M, dtype=np.float64).sum(axis=0)
        active = energy > energy.max() * 1e-6
    sounding = np.flatnonzero(active)
    candidates.add(int(sounding[0]) if sounding.size else 0)
    gap = max(1, int(round(wait * sr / hop_length)))
    onsets: list[int] = []
    for t in sorted(candidates):
        if not onsets or t - onsets[-1] >= gap:
            onsets.append(t)
    return np.asarray(onsets, dtype=np.intp)


def frames_since_onset(onsets: np.ndarray) -> np.ndarray:
    """For every frame, how many frames ago the latest onset was (inf before the first).

    Parameters
    ----------
    onsets : ndarray of bool, shape (..., n_frames)
        Onset flags (:class:`sktimbre.frontend.Onsets`).

    Returns
    -------
    age : ndarray of float, same shape
        0 at an onset, 1 the frame after, ...

    Examples
    --------
    >>> import numpy as np
    >>> from sktimbre._dsp.onsets import frames_since_onset
    >>> frames_since_onset(np.array([False, True, False, False, True, False])).tolist()
    [inf, 0.0, 1.0, 2.0, 0.0, 1.0]
    """
    onsets = np.asarray(onsets, dtype=bool)
    t = np.arange(onsets.shape[-1])
    latest = np.maximum.accumulate(np.where(onsets, t, -1), axis=-1)
    return np.where(latest >= 0, t - latest, np.inf)


def _rms_db(y: np.ndarray, frame: int, hop: int) -> np.ndarray:
    """RMS level in dB re the clip's peak frame, every ``hop`` samples, floored at -80."""
    c = np.concatenate([[0.0], np.cumsum(np.square(y, dtype=np.float64))])
    centres = np.arange(0, max(len(y), 1), hop)
    lo = np.clip(centres - frame // 2, 0, len(y))
    hi = np.clip(centres + frame // 2, 0, len(y))
    level = 10.0 * np.log10(np.maximum((c[hi] - c[lo]) / frame, 1e-30))
    return np.maximum(level - level.max(), _FLOOR_DB)


def note_envelope(y: np.ndarray, onsets, *, sr: float, attack: float = 0.15,
                  pre_onset: float = 0.05, min_note: float = 0.1, frame_length: int = 256,
                  hop_length: int = 128) -> np.ndarray:
    r"""Attack and decay of every note, read in the first ``attack`` seconds after its onset.

    With the RMS level :math:`L(t)` in dB (``frame_length`` samples every
    ``hop_length``, relative to the clip's loudest frame, floored at -80 dB), for
    each note from its onset :math:`o_i` to the next onset (or the clip's end):

    ``rise_db`` : dB
        The peak level :math:`L(p)` in :math:`[o_i - \text{pre\_onset}, o_i +
        \text{attack}]`, minus the lowest level before the peak in that window: how
        far the note rises above what was sounding.
    ``log_attack_time`` : log10 s
        From that lowest level to the first time within 3 dB of the peak (at least
        1 ms).
    ``level_50ms_db``, ``level_100ms_db``, ``level_150ms_db`` : dB
        :math:`L(p + 50\,\text{ms}) - L(p)` etc. When the next note begins first,
        the note's decay line is extrapolated (``decay_slope_db_s`` times the time).
    ``decay_slope_db_s`` : dB/s
        Least-squares slope of :math:`L` from the peak to :math:`p + \text{attack}`
        or the next onset (0 with fewer than 4 level frames).

    Notes shorter than ``min_note`` seconds are left out; a clip without a note that
    long is read as one note from its first onset.

    Parameters
    ----------
    y : ndarray of shape (n_samples,)
        Mono samples.
    onsets : array-like of int
        Onset positions in samples, increasing.
    sr : float
        Sample rate in Hz.
    attack, pre_onset, min_note : float, default=0.15, 0.05, 0.1
        In seconds, as above.
    frame_length, hop_length : int, default=256, 128
        Of the RMS level, in samples.

    Returns
    -------
    notes : ndarray of shape (n_notes, 6)
        Finite; columns :data:`NOTE_ENVELOPE_NAMES`.

    Examples
    --------
    >>> import numpy as np
    >>> from sktimbre._dsp.onsets import note_envelope
    >>> t = np.arange(22050) / 22050
    >>> y = np.sin(2 * np.pi * 440 * t) * np.exp(-t / 0.1)  # -87 dB/s
    >>> decay = note_envelope(y, [0], sr=22050)[0, 5]
    >>> bool(-95 < decay < -80)
    True
    """
    level = _rms_db(np.asarray(y), frame_length, hop_length)
    n = level.size
    frames = np.asarray(onsets, dtype=np.intp) // hop_length
    ends = np.append(frames[1:], n)
    span = max(int(round(attack * sr / hop_length)), 1)
    pre = int(round(pre_onset * sr / hop_length))
    keep = (ends - frames) * hop_length / sr >= min_note
    if not keep.any():
        frames, ends, keep = frames[:1], np.array([n]), np.array([True])
    rows = [_one_note(level, o, e, span, pre, sr / hop_length)
            for o, e in zip(frames[keep], ends[keep], strict=True)]
    return np.asarray(rows)


def _one_note(level, onset, end, span, pre, frame_rate):
    n = level.size
    lo, hi = max(onset - pre, 0), max(min(onset + span, end, n), max(onset - pre, 0) + 1)
    peak = lo + int(np.argmax(level[lo:hi]))
    low = lo + int(np.argmin(level[lo:peak + 1]))
    rise = level[peak] - level[low]
    reach = low + int(np.argmax(level[low:peak + 1] >= level[peak] - 3.0))
    log_attack = np.log10(max((reach - low) / frame_rate, 1e-3))
    stop = min(peak + span, end, n)
    if stop - peak >= 4:
        t = np.arange(stop - peak) / frame_rate
        tc = t - t.mean()
        slope = float(tc @ (level[peak:stop] - level[peak:stop].mean()) / (tc @ tc))
    else:
        slope = 0.0
    levels = []
    for seconds in _LEVEL_TIMES:
        j = peak + int(round(seconds * frame_rate))
        levels.append(level[j] - level[peak] if j < min(end, n) else slope * seconds)
    return [rise, log_attack, *levels, slope]
