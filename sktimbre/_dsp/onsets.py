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

__all__ = ["spectral_flux", "detect_onsets", "onset_flags", "frames_since_onset",
           "note_envelope", "NOTE_ENVELOPE_NAMES"]

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
    M : ndarray of shape (..., n_bands, n_frames)
        Magnitude spectrogram (STFT bins, or the square root of mel power) of a clip,
        or a stack of clips (each relative to its own maximum).
    compression : float, default=1000.0
        :math:`\gamma`.

    Returns
    -------
    flux : ndarray of shape (..., n_frames)

    Examples
    --------
    >>> import numpy as np
    >>> from sktimbre._dsp.onsets import spectral_flux
    >>> M = np.zeros((4, 6)); M[:, 3:] = 1.0  # a sound starting at frame 3
    >>> int(spectral_flux(M).argmax())
    3
    """
    M = np.asarray(M)
    peak = np.maximum(M.max(axis=(-2, -1), keepdims=True), M.dtype.type(1e-20))
    L = np.log1p(compression * M / peak)
    rise = np.maximum(np.diff(L, axis=-1), 0.0).mean(axis=-2)
    return np.concatenate([np.zeros(rise.shape[:-1] + (1,)), rise], axis=-1)


def _median3(x: np.ndarray) -> np.ndarray:
    """Median of the finite values of every window of 3 consecutive values (NaN if < 2).

    Along the last axis. With three finite values the middle one is selected by
    min/max (no sort); with two, their mean; NaN counts as missing.
    """
    a, b, c = x[..., :-2], x[..., 1:-1], x[..., 2:]
    n = np.isfinite(a).astype(np.int8) + np.isfinite(b) + np.isfinite(c)
    middle = np.maximum(np.minimum(a, b), np.minimum(np.maximum(a, b), c))
    with np.errstate(invalid="ignore"):
        low, high = np.fmin(np.fmin(a, b), c), np.fmax(np.fmax(a, b), c)
    return np.where(n == 3, middle, np.where(n == 2, 0.5 * (low + high), np.nan))


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

    See Also
    --------
    onset_flags : The same for a stack of clips, as flags.

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
    M = np.asarray(M)
    flags = onset_flags(M[None], sr=sr, hop_length=hop_length,
                        f0=None if f0 is None else np.asarray(f0)[None],
                        active=None if active is None else np.asarray(active)[None],
                        delta=delta, wait=wait, pitch_jump=pitch_jump, rel_floor=rel_floor)
    return np.flatnonzero(flags[0])


def onset_flags(M: np.ndarray, *, sr: float, hop_length: int, f0=None, active=None,
                delta: float = 2.0, wait: float = 0.08, pitch_jump: float = 0.6,
                rel_floor: float = 0.2) -> np.ndarray:
    """:func:`detect_onsets` for a stack of equal-length clips, as onset flags.

    Parameters
    ----------
    M : ndarray of shape (n_clips, n_bands, n_frames)
        Magnitude spectrograms.
    sr, hop_length, delta, wait, pitch_jump, rel_floor
        As in :func:`detect_onsets`.
    f0 : ndarray of shape (n_clips, n_frames), optional
        f0 of each frame in Hz, NaN where unvoiced.
    active : ndarray of bool, shape (n_clips, n_frames), optional
        The sounding frames (default: those within 60 dB of each clip's loudest).

    Returns
    -------
    flags : ndarray of bool, shape (n_clips, n_frames)
        True at each clip's onsets (at least one per clip).

    Examples
    --------
    >>> import numpy as np
    >>> from sktimbre._dsp.onsets import onset_flags
    >>> M = np.full((2, 8, 40), 1e-3)
    >>> M[0, :, 5:15] = M[1, :, 20:30] = 1.0
    >>> [np.flatnonzero(row).tolist() for row in onset_flags(M, sr=22050, hop_length=512)]
    [[5], [20]]
    """
    from scipy.ndimage import maximum_filter1d, uniform_filter1d

    n_clips, _, n_frames = M.shape
    flux = spectral_flux(M)  # (n_clips, n_frames)
    mad = np.median(np.abs(flux - np.median(flux, axis=-1, keepdims=True)), axis=-1,
                    keepdims=True) + 1e-12
    local = uniform_filter1d(flux, 14, axis=-1, origin=-3, mode="nearest")
    candidates = ((flux == maximum_filter1d(flux, 7, axis=-1, mode="nearest"))
                  & (flux > local + delta * 10.0 * mad)
                  & (flux >= rel_floor * flux.max(axis=-1, keepdims=True)) & (flux > 0))
    if f0 is not None and n_frames > 6 and pitch_jump is not None:
        with np.errstate(invalid="ignore", divide="ignore"):
            midi = 69.0 + 12.0 * np.log2(np.where(f0 > 0, f0, np.nan) / 440.0)
        median = _median3(np.pad(midi, ((0, 0), (3, 3)), constant_values=np.nan))
        before, after = median[:, :n_frames], median[:, 3:n_frames + 3]
        with np.errstate(invalid="ignore"):
            jump = np.abs(after - before) > pitch_jump  # False where a side is unvoiced
        candidates[:, 0] |= jump[:, 0]
        candidates[:, 1:] |= jump[:, 1:] & ~jump[:, :-1]  # the first frame of each jump
    if active is None:  # the frames within 60 dB of the loudest
        energy = np.square(M, dtype=np.float64).sum(axis=-2)
        active = energy > energy.max(axis=-1, keepdims=True) * 1e-6
    candidates[np.arange(n_clips), np.argmax(active, axis=-1)] = True  # first sounding
    gap = max(1, int(round(wait * sr / hop_length)))
    flags = np.zeros((n_clips, n_frames), dtype=bool)
    for row, found in zip(flags, candidates, strict=True):
        last = -gap
        for t in np.flatnonzero(found).tolist():
            if t - last >= gap:
                row[t] = True
                last = t
    return flags


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
    """RMS level in dB re the clip's peak frame, every ``hop`` samples, floored at -80.

    The frame centred on sample ``k * hop`` spans ``[k * hop - frame // 2, k * hop +
    frame // 2)``, cut at the clip's ends (its energy is still divided by ``frame``).
    """
    n = len(y)
    half = frame // 2
    if half == hop and n:  # each frame is two hop blocks: sum the blocks once
        samples = np.asarray(y, dtype=np.float64)
        whole = n // hop * hop
        blocks = samples[:whole].reshape(-1, hop)
        energy = np.einsum("ij,ij->i", blocks, blocks)
        if whole < n:  # the last, partial block
            energy = np.append(energy, samples[whole:] @ samples[whole:])
        energy[1:] += energy[:-1].copy()
    else:
        c = np.concatenate([[0.0], np.cumsum(np.square(y, dtype=np.float64))])
        centres = np.arange(0, max(n, 1), hop)
        energy = c[np.clip(centres + half, 0, n)] - c[np.clip(centres - half, 0, n)]
    level = 10.0 * np.log10(np.maximum(energy / frame, 1e-30))
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
    if stop - peak >= 4:  # least squares on frames centred on their mean, then per second
        decay = level[peak:stop]
        k = np.arange(len(decay)) - (len(decay) - 1) / 2.0
        slope = float(k @ (decay - decay.mean()) / (k @ k)) * frame_rate
    else:
        slope = 0.0
    levels = []
    for seconds in _LEVEL_TIMES:
        j = peak + int(round(seconds * frame_rate))
        levels.append(level[j] - level[peak] if j < min(end, n) else slope * seconds)
    return [rise, log_attack, *levels, slope]
