"""A frame-wise fundamental frequency track with voicing, by subharmonic summation.

Pure array-in, array-out functions, vectorised over the frames of a stack of clips:
every frame's magnitude spectrum is compressed, max-pooled onto a log-frequency grid
(48 points per octave) and scored for every f0 candidate at once, as one sparse
matrix product -- the comb of Hermes' subharmonic summation minus a half-shifted
comb, as :func:`sktimbre._dsp.harmonic.estimate_f0` applies to a clip's average
spectrum. Cost is linear in the number of frames (about 1 ms per second of audio
on top of the STFT); unlike ``pyin`` there is no per-frame Python.

References
----------
.. [1] D. J. Hermes, "Measurement of pitch by subharmonic summation",
   J. Acoust. Soc. Am. 83(1), 257-264, 1988. doi:10.1121/1.396427
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

__all__ = ["f0_track", "shs_salience"]

_BINS_PER_OCTAVE = 48
_N_HARMONICS = 15
_DECAY = 0.84  # Hermes' compression: harmonic k weighted by 0.84 ** (k - 1)
_HALF_SHIFT_WEIGHT = 0.5  # the comb shifted by half a harmonic, subtracted (octave errors)


class _TrackPlan:
    """Everything in the salience that depends only on the axes (cached per setting)."""

    def __init__(self, n_bins: int, df: float, fmin: float, fmax: float, band_limit: float):
        from scipy.sparse import csr_array

        bpo = _BINS_PER_OCTAVE
        top = min((n_bins - 1) * df, band_limit)
        self.n_read = int(min(n_bins, np.floor(top / df) + 1))  # bins at or below the limit
        fmax = min(fmax, top / 2)
        n_grid = int(np.floor(bpo * np.log2(2.0 * top / fmin))) + 1
        grid = 0.5 * fmin * 2.0 ** (np.arange(n_grid) / bpo)
        # max-pooling of the bins whose centre falls in each cell; cells narrower than
        # a bin (low frequencies) interpolate at their centre instead
        edges = np.append(grid, grid[-1] * 2.0 ** (1.0 / bpo)) * 2.0 ** (-0.5 / bpo)
        first = np.clip(np.ceil(edges / df).astype(np.intp), 0, self.n_read)
        self.starts = np.minimum(first[:-1], self.n_read - 1)
        self.empty = np.flatnonzero(np.diff(first) == 0)
        # The maximum of a cell of L >= 2 bins is that of two overlapping runs of 2**q
        # bins (q = floor(log2 L)), one from each end, read in a table of running
        # maxima over 2**q bins built by doubling: a few whole-array operations
        # instead of one small reduction per cell. Each table starts at the first bin
        # its own and its successors' cells read (the wide cells lie high up).
        ends = np.append(self.starts[1:], self.n_read)
        length = ends - self.starts
        self.copied = np.flatnonzero((length == 1) & (np.diff(first) > 0))
        wide = np.flatnonzero(length > 1)
        level = np.floor(np.log2(length[wide])).astype(np.intp)
        self.levels = []  # (first bin, cells, left and right run of each) for q = 1, 2, ...
        for q in range(int(level.max(initial=0)), 0, -1):
            cells = wide[level == q]
            base = int(self.starts[cells].min(initial=self.n_read))
            if self.levels:
                base = min(base, self.levels[0][0])
            self.levels.insert(0, (base, cells, self.starts[cells] - base,
                                   ends[cells] - 2 ** q - base))
        position = grid[self.empty] / df
        self.below = np.clip(np.floor(position).astype(np.intp), 0, self.n_read - 2)
        self.frac = np.clip(position - self.below, 0.0, 1.0).astype(np.float32)[:, None]
        self.n_low = int(max(self.starts[self.copied].max(initial=-1) + 1,
                             self.below.max(initial=-1) + 2))
        n_cand = int(np.floor(bpo * np.log2(fmax / fmin))) + 1
        cand = bpo + np.arange(n_cand, dtype=np.float64)
        rows, cols, vals = [], [], []
        norm = np.zeros(n_cand)
        for k in range(1, _N_HARMONICS + 1):
            w = _DECAY ** (k - 1)
            for at, weight in ((cand + bpo * np.log2(k), w),
                               (cand + bpo * np.log2(k - 0.5), -_HALF_SHIFT_WEIGHT * w)):
                inside = at <= n_grid - 1
                lo = np.minimum(np.floor(at[inside]).astype(np.intp), n_grid - 2)
                frac = at[inside] - lo
                r = np.flatnonzero(inside)
                rows += [r, r]
                cols += [lo, lo + 1]
                vals += [weight * (1.0 - frac), weight * frac]
                if weight > 0:
                    norm[inside] += weight
        self.comb = csr_array((np.concatenate(vals).astype(np.float32),
                               (np.concatenate(rows), np.concatenate(cols))),
                              shape=(n_cand, n_grid))
        self.comb.sum_duplicates()
        self.comb.eliminate_zeros()  # the second node of a harmonic on a grid point
        # the salience of an ideal harmonic spectrum (every harmonic at the frame's peak)
        self.norm = norm.astype(np.float32)[:, None]
        self.candidates = fmin * 2.0 ** (np.arange(n_cand) / bpo)


@lru_cache(maxsize=16)
def _track_plan(n_bins, df, fmin, fmax, band_limit):
    return _TrackPlan(n_bins, df, fmin, fmax, band_limit)


def shs_salience(S: np.ndarray, *, sr: float, n_fft: int, fmin: float = 27.5,
                 fmax: float = 2200.0, band_limit: float = 8000.0):
    """Subharmonic-summation salience of every f0 candidate in every frame.

    Parameters
    ----------
    S : ndarray of shape (n_bins, n_frames)
        Magnitude STFT (``1 + n_fft // 2`` bins, linear frequency).
    sr : float
        Sample rate in Hz.
    n_fft : int
        FFT length of ``S`` in samples.
    fmin, fmax : float, default=27.5, 2200.0
        f0 search range in Hz (``fmax`` is capped at half the highest frequency read).
    band_limit : float, default=8000.0
        Highest frequency read, in Hz: what a resampler, a codec or a band-limited
        recording does near the Nyquist frequency does not enter.

    Returns
    -------
    salience : ndarray of float32, shape (n_candidates, n_frames)
        About 1 for a frame whose harmonics all reach its peak level, about 0 (or
        below) for noise.
    candidates : ndarray of shape (n_candidates,)
        The f0 of each candidate in Hz, 48 per octave from ``fmin``.

    Examples
    --------
    >>> import numpy as np
    >>> from sktimbre._dsp.pitch import shs_salience
    >>> from sktimbre._dsp.stft import stft_magnitude
    >>> t = np.arange(22050) / 22050
    >>> y = sum(np.sin(2 * np.pi * k * 220.0 * t) / k for k in range(1, 10))
    >>> S = stft_magnitude(y[None], 2048, 512)[0]
    >>> salience, candidates = shs_salience(S, sr=22050, n_fft=2048)
    >>> round(float(candidates[salience[:, 20].argmax()]))
    220
    """
    S = np.asarray(S)
    plan = _track_plan(S.shape[0], float(sr / n_fft), float(fmin), float(fmax),
                       float(band_limit))
    return _salience(S, plan), plan.candidates


def _salience(S: np.ndarray, plan: _TrackPlan) -> np.ndarray:
    """The salience of every candidate in every frame of a spectrum or a stack of them.

    ``S`` is (n_bins, n_frames) or (n_clips, n_bins, n_frames) magnitudes, ``n_bins >=
    n_read``; the result (n_candidates, n_clips * n_frames), clip after clip. The
    salience reads the compressed spectrum ``sqrt(S / frame peak)``; the compression
    is monotonic, so the maximum of a cell's compressed bins is exactly the compressed
    maximum of its bins: only the grid's cells (and the few bins the narrow cells
    interpolate) are compressed, not every bin.
    """
    stack = S if S.ndim == 3 else S[None]
    read = stack[:, :plan.n_read].astype(np.float32, copy=False)
    n_clips, _, n_frames = read.shape
    # (cells, clips, frames): the columns of the result, clip after clip, once reshaped
    pooled = np.zeros((plan.starts.size, n_clips, n_frames), dtype=np.float32)
    # the bins the one-bin and the narrower cells read, in that layout
    low = np.empty((plan.n_low, n_clips, n_frames), dtype=np.float32)
    np.copyto(low, read[:, :plan.n_low].transpose(1, 0, 2))
    peak = np.maximum(read.max(axis=1), 1e-20)
    np.divide(low, peak, out=low)
    np.sqrt(low, out=low)
    run, base = read, 0
    for q, (start, cells, left, right) in enumerate(plan.levels, start=1):
        shift, half = start - base, 2 ** (q - 1)
        run, base = np.maximum(run[:, shift:run.shape[1] - half], run[:, shift + half:]), start
        maxima = np.maximum(run[:, left], run[:, right])
        np.divide(maxima, peak[:, None], out=maxima)
        np.sqrt(maxima, out=maxima)
        pooled[cells] = maxima.transpose(1, 0, 2)
    pooled[plan.copied] = low[plan.starts[plan.copied]]
    frac = plan.frac[:, None]
    pooled[plan.empty] = low[plan.below] * (1 - frac) + low[plan.below + 1] * frac
    pooled = pooled.reshape(plan.starts.size, n_clips * n_frames)
    # +-1 grid point tolerance: a running maximum over three cells (edges repeated)
    widened = pooled.copy()
    np.maximum(widened[1:], pooled[:-1], out=widened[1:])
    np.maximum(widened[:-1], pooled[1:], out=widened[:-1])
    salience = plan.comb @ widened
    salience /= plan.norm
    return salience


def f0_track(S: np.ndarray, *, sr: float, n_fft: int, fmin: float = 27.5, fmax: float = 2200.0,
             band_limit: float = 8000.0, active_db: float = 40.0, min_voicing: float = 0.25,
             smooth: int = 3, energy: np.ndarray | None = None) -> np.ndarray:
    r"""f0 and voicing of every frame of one or more clips.

    The f0 of a frame is the candidate of highest :func:`shs_salience`, refined by a
    parabola through its neighbours (a quarter of a 25-cent step), and smoothed by
    a running median of ``smooth`` frames on a log-frequency scale. Its *voicing*
    is that peak salience: about 1 for a clean harmonic tone, about 0 for noise. A
    frame is voiced if its voicing reaches ``min_voicing`` and its energy is within
    ``active_db`` of the clip's loudest frame (silence, release tails and the noise
    floor are not).

    Parameters
    ----------
    S : ndarray of shape (n_bins, n_frames) or (n_clips, n_bins, n_frames)
        Magnitude STFT(s).
    sr : float
        Sample rate in Hz.
    n_fft : int
        FFT length of ``S`` in samples.
    fmin, fmax : float, default=27.5, 2200.0
        Search range in Hz.
    band_limit : float, default=8000.0
        Highest frequency read, in Hz.
    active_db : float, default=40.0
        Frames more than this many dB below the clip's loudest are unvoiced.
    min_voicing : float, default=0.25
        Frames whose voicing is below this are unvoiced.
    smooth : int, default=3
        Length in frames of the running median of the log-f0 (1: none).
    energy : ndarray of shape (n_frames,) or (n_clips, n_frames), optional
        The energy of each frame in the bins at or below ``band_limit`` (the sum of
        their squared magnitudes, as :class:`sktimbre.frontend.FrameEnergy` computes
        it), if already at hand; computed from ``S`` otherwise.

    Returns
    -------
    track : ndarray of shape (2, n_frames) or (n_clips, 2, n_frames)
        Row 0: f0 in Hz, NaN where unvoiced. Row 1: voicing.

    References
    ----------
    D. J. Hermes, "Measurement of pitch by subharmonic summation", JASA 83(1), 1988.

    Examples
    --------
    >>> import numpy as np
    >>> from sktimbre._dsp.pitch import f0_track
    >>> from sktimbre._dsp.stft import stft_magnitude
    >>> t = np.arange(22050) / 22050
    >>> f = np.where(t < 0.5, 220.0, 330.0)  # two notes
    >>> y = sum(np.sin(2 * np.pi * k * np.cumsum(f) / 22050) / k for k in range(1, 10))
    >>> f0, voicing = f0_track(stft_magnitude(y[None], 2048, 512)[0], sr=22050, n_fft=2048)
    >>> np.round(69 + 12 * np.log2(f0[[5, 38]] / 440)).tolist()  # A3, then E4
    [57.0, 64.0]
    >>> bool(np.all(voicing > 0.4))  # a harmonic tone throughout
    True
    """
    S = np.asarray(S)
    single = S.ndim == 2
    stack = S[None] if single else S
    n_clips, n_bins, n_frames = stack.shape
    plan = _track_plan(n_bins, float(sr / n_fft), float(fmin), float(fmax), float(band_limit))
    salience, candidates = _salience(stack, plan), plan.candidates
    best = salience.argmax(axis=0)
    cols = np.arange(salience.shape[1])
    voicing = salience[best, cols]
    lo = salience[np.maximum(best - 1, 0), cols]
    hi = salience[np.minimum(best + 1, salience.shape[0] - 1), cols]
    curvature = lo - 2.0 * voicing + hi
    interior = (best > 0) & (best < salience.shape[0] - 1) & (curvature < 0)
    offset = np.where(interior, np.clip(0.5 * (lo - hi) / np.minimum(curvature, -1e-12),
                                        -0.5, 0.5), 0.0)
    log_f0 = (np.log2(candidates[0]) + (best + offset) / _BINS_PER_OCTAVE).reshape(
        n_clips, n_frames)
    voicing = voicing.reshape(n_clips, n_frames)
    if smooth > 1 and n_frames >= smooth:
        from scipy.ndimage import median_filter

        log_f0 = median_filter(log_f0, size=(1, smooth), mode="nearest")
    if energy is None:
        read = stack[:, :plan.n_read]
        energy = np.einsum("cft,cft->ct", read, read, dtype=np.float64)
    energy = np.asarray(energy).reshape(n_clips, n_frames)
    loud = energy > energy.max(axis=1, keepdims=True) * 10.0 ** (-active_db / 10.0)
    voiced = loud & (voicing >= min_voicing)
    track = np.stack([np.where(voiced, 2.0 ** log_f0, np.nan), voicing], axis=1)
    return track[0] if single else track
