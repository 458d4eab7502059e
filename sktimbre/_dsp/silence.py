"""Where a clip sounds: trimming the silence around a note, and the sounding frames."""

from __future__ import annotations

import numpy as np

__all__ = ["trim_silence", "trim_leading_silence", "active_frames", "floor_relative",
           "frame_floor"]


def trim_silence(y: np.ndarray, *, top_db: float = 60.0, frame_length: int = 256) -> np.ndarray:
    """Cut the leading and trailing parts of a clip quieter than ``top_db`` below its peak.

    The sounding part is found on frame RMS (``frame_length`` samples, hop a quarter
    of it), so low background noise does not count as sound; its ends are then
    refined to the first and last sample, within the first and last loud frame,
    whose magnitude is within ``top_db`` of the peak sample. A silent clip is returned
    unchanged.

    Parameters
    ----------
    y : ndarray of shape (n_samples,)
        Mono samples.
    top_db : float, default=60.0
        Threshold in dB below the loudest frame.
    frame_length : int, default=256
        RMS frame in samples (11.6 ms at 22,050 Hz).

    Returns
    -------
    y_trimmed : ndarray
        A view of ``y``.

    Examples
    --------
    >>> import numpy as np
    >>> from sktimbre._dsp.silence import trim_silence
    >>> y = np.concatenate([np.zeros(1000), np.ones(2000), np.zeros(3000)])
    >>> len(trim_silence(y))
    2000
    """
    begin, stop = _sounding_bounds(y, top_db, frame_length)
    return y if (begin, stop) == (0, len(y)) else y[begin:stop]


def _sounding_bounds(y: np.ndarray, top_db: float, frame_length: int) -> tuple[int, int]:
    """``(begin, stop)`` of the sounding part of ``y`` (the whole clip if silent)."""
    n = len(y)
    frame = min(frame_length, n)
    hop = max(1, frame // 4)
    starts = np.arange(0, n - frame + 1, hop)
    if starts[-1] != n - frame:  # a last frame flush with the end of the clip
        starts = np.append(starts, n - frame)
    power = _frame_power(y, starts, frame, hop)
    peak = power.max(initial=0.0)
    if peak <= 0:
        return 0, n
    loud = np.flatnonzero(power >= peak * 10.0 ** (-top_db / 10.0))
    first, last = starts[loud[0]], starts[loud[-1]] + frame
    threshold = np.abs(y).max() * 10.0 ** (-top_db / 20.0)
    head = np.flatnonzero(np.abs(y[first:first + frame]) >= threshold)
    tail = np.flatnonzero(np.abs(y[last - frame:last]) >= threshold)
    begin = first + (head[0] if head.size else 0)
    stop = last - frame + (tail[-1] + 1 if tail.size else frame)
    return (int(begin), int(stop)) if stop > begin else (int(first), int(last))


def trim_leading_silence(y: np.ndarray, *, top_db: float = 60.0) -> np.ndarray:
    """Cut only the leading part of a clip quieter than ``top_db`` below its peak.

    As :func:`trim_silence`, keeping everything after the start of the sound (the
    release of a note, which trimming its end would shorten).

    Parameters
    ----------
    y : ndarray of shape (n_samples,)
    top_db : float, default=60.0

    Returns
    -------
    y_trimmed : ndarray
        A view of ``y``.

    Examples
    --------
    >>> import numpy as np
    >>> from sktimbre._dsp.silence import trim_leading_silence
    >>> y = np.concatenate([np.zeros(1000), np.ones(2000), np.zeros(3000)])
    >>> len(trim_leading_silence(y))
    5000
    """
    return y[_sounding_bounds(y, top_db, 256)[0]:]


def _frame_power(y: np.ndarray, starts: np.ndarray, frame: int, hop: int) -> np.ndarray:
    """Mean power of the frames ``y[s:s + frame]``, from per-hop block energies.

    Summing hop-sized blocks once (instead of a float64 cumulative sum over every
    sample) is the cheap way when the frame is a whole number of hops.
    """
    if frame % hop:
        energy = np.concatenate([[0.0], np.cumsum(np.square(y, dtype=np.float64))])
        return (energy[starts + frame] - energy[starts]) / frame
    n_blocks = len(y) // hop
    blocks = np.square(y[:n_blocks * hop]).reshape(n_blocks, hop).sum(axis=1, dtype=np.float64)
    cum = np.concatenate([[0.0], np.cumsum(blocks)])
    per = frame // hop
    aligned = starts[starts % hop == 0] // hop
    power = np.empty(len(starts))
    power[: len(aligned)] = (cum[aligned + per] - cum[aligned]) / frame
    if len(aligned) < len(starts):  # the last frame, flush with the end of the clip
        power[len(aligned):] = np.square(y[-frame:], dtype=np.float64).sum() / frame
    return power


def active_frames(S: np.ndarray, active_db: float) -> np.ndarray:
    """Frames whose energy is within ``active_db`` dB of the clip's loudest frame.

    Parameters
    ----------
    S : ndarray of shape (..., n_bins, n_frames)
        Magnitude spectrogram(s).
    active_db : float
        Range in dB below the loudest frame.

    Returns
    -------
    mask : ndarray of bool, shape (..., n_frames)

    Examples
    --------
    >>> import numpy as np
    >>> from sktimbre._dsp.silence import active_frames
    >>> S = np.array([[1.0, 0.1, 0.001]])  # 0, -20 and -60 dB frames
    >>> active_frames(S, 40.0).tolist()
    [True, True, False]
    """
    energy = np.square(S, dtype=np.float64).sum(axis=-2)
    peak = energy.max(axis=-1, keepdims=True)
    return energy > peak * 10.0 ** (-active_db / 10.0)


def floor_relative(S: np.ndarray, floor_db: float | None) -> np.ndarray:
    """Raise every magnitude to at least ``floor_db`` dB below its frame's peak.

    What a lossy codec leaves in the quiet parts of a spectrum -- holes where it
    dropped bins, noise where it substituted some -- lies far below the frame's
    peak; descriptors that read those parts (spectral contrast's valleys, flatness,
    spread) then move with the codec. A floor relative to each frame's own peak
    makes them read the same thing whatever the file went through, and it does not
    depend on the recording level.

    Parameters
    ----------
    S : ndarray of shape (..., n_bins, n_frames)
        Magnitude spectrogram(s).
    floor_db : float or None
        dB below each frame's largest magnitude (``None``: ``S`` unchanged).

    Returns
    -------
    S_floored : ndarray, same shape and dtype

    Examples
    --------
    >>> import numpy as np
    >>> from sktimbre._dsp.silence import floor_relative
    >>> floor_relative(np.array([[1.0], [1e-4], [0.0]]), 60.0).ravel().tolist()
    [1.0, 0.001, 0.001]
    """
    if floor_db is None:
        return S
    return np.maximum(S, frame_floor(S, floor_db)[..., None, :])


def frame_floor(S: np.ndarray, floor_db: float) -> np.ndarray:
    """The level ``floor_db`` dB below each frame's peak: what :func:`floor_relative`
    raises the magnitudes to.

    Descriptors that select a few magnitudes (spectral contrast) or copy the frames
    anyway (spectral shape) take this floor instead of a floored copy of ``S``.

    Parameters
    ----------
    S : ndarray of shape (..., n_bins, n_frames)
        Magnitude spectrogram(s).
    floor_db : float
        dB below each frame's largest magnitude.

    Returns
    -------
    floor : ndarray of shape (..., n_frames), the dtype of ``S``

    Examples
    --------
    >>> import numpy as np
    >>> from sktimbre._dsp.silence import frame_floor
    >>> frame_floor(np.array([[1.0, 10.0], [0.5, 0.0]]), 20.0).tolist()
    [0.1, 1.0]
    """
    return S.max(axis=-2) * S.dtype.type(10.0 ** (-floor_db / 20.0))
