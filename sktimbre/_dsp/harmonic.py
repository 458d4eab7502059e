"""Fundamental frequency and f0-normalised harmonic descriptors.

Pure array-in, array-out functions: no scikit-learn, no audio decoding. Both
functions work on a magnitude STFT of one isolated note (any ``n_fft``, any
sample rate, linear frequency axis), as returned by ``np.abs(librosa.stft(y))``
with ``freqs = librosa.fft_frequencies(sr=sr, n_fft=n_fft)``.

Every descriptor is expressed relative to the note itself (levels relative to
the strongest harmonic, frequencies in units of f0, bands on an axis anchored
at f0) so that, as far as possible, it describes the instrument and not the
pitch that was played.

References
----------
.. [1] D. J. Hermes, "Measurement of pitch by subharmonic summation",
   J. Acoust. Soc. Am. 83(1), 257-264, 1988. doi:10.1121/1.396427
.. [2] G. Peeters, B. L. Giordano, P. Susini, N. Misdariis and S. McAdams,
   "The Timbre Toolbox: Extracting audio descriptors from musical signals",
   J. Acoust. Soc. Am. 130(5), 2902-2916, 2011. doi:10.1121/1.3642604
.. [3] H. F. Pollard and E. V. Jansson, "A tristimulus method for the
   specification of musical timbre", Acustica 51(3), 162-171, 1982.
.. [4] J. Krimphoff, S. McAdams and S. Winsberg, "Caractérisation du timbre
   des sons complexes. II. Analyses acoustiques et quantification
   psychophysique", J. Phys. IV 4(C5), 625-628, 1994.
.. [5] S. McAdams, J. W. Beauchamp and S. Meneguzzi, "Discrimination of
   musical instrument sounds resynthesized with simplified spectrotemporal
   parameters", J. Acoust. Soc. Am. 105(2), 882-897, 1999.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
from scipy.ndimage import maximum_filter1d

__all__ = [
    "HARMONIC_FEATURE_NAMES",
    "estimate_f0",
    "harmonic_descriptors",
    "harmonic_feature_names",
    "frame_harmonic_names",
    "frame_harmonic_energies",
    "stacked_harmonic_energies",
    "harmonic_descriptors_from_energies",
]

# Level given to a harmonic that is absent or above Nyquist and to an empty
# band, in dB relative to the strongest harmonic / to the band total.
FLOOR_DB = -80.0
DEFAULT_N_HARMONICS = 12
DEFAULT_N_BANDS = 18
# Bands per octave of the f0-anchored band axis.
BANDS_PER_OCTAVE = 3

# -- f0 estimation (subharmonic summation, Hermes 1988) ---------------------
# A spectrum whose largest magnitude is not above this is silent.
_SILENCE = 1e-10
# Resolution of the log-frequency axis of the summation (bins per octave) and
# the matching tolerance (+-1.5 grid points, about +-2 %): narrow enough that
# the 15th harmonic of f0/2 cannot reach a harmonic of f0.
_SHS_BINS_PER_OCTAVE = 48
_SHS_N_HARMONICS = 15
# Hermes' compression factor: harmonic k is weighted by h**(k - 1).
_SHS_DECAY = 0.84
# Weight of the comb shifted by half a harmonic (the odd harmonics of the
# candidate's sub-octave), subtracted from the summation. It stops a
# candidate an octave (or more) above f0 from winning when the fundamental is
# weak or missing; at half weight, faint sub-harmonic artefacts of sampled
# sounds (loop modulation, sub-octave leakage) do not pull f0 down an octave.
_SHS_HALF_SHIFT_WEIGHT = 0.5
# The first harmonics whose measured frequencies refine the grid estimate:
# few enough that the stretched partials of low piano strings barely bias it.
_REFINE_N_HARMONICS = 6
_REFINE_TOLERANCE = 0.03

# -- harmonic analysis -------------------------------------------------------
# Frames within this many dB of the loudest frame form the sustained part.
_SUSTAIN_DB = 20.0
# Half-width of the clip-level search for harmonic k, in units of f0, around
# the position predicted from the harmonics already found.
_TRACK_HALF_WIDTH = 0.25
# Half-width of the per-frame search around the clip-level position, in f0.
_FRAME_HALF_WIDTH = 0.1
# A clip-level peak counts as found (and steers the prediction of the next
# harmonics) if it is a local maximum within this many dB of the strongest
# component of the analysed range.
_FOUND_DB = 40.0
# The energy of a harmonic is summed over +-2 bins around its peak (the main
# lobe of a Hann window) widened by +-1 % of its frequency (+-17 cents), so
# that moderate vibrato, which smears high harmonics over several bins, does
# not read as lower levels and more noise.
_MAIN_LOBE_BINS = 2
_SPREAD = 0.01


def _check_sizes(n_harmonics, n_bands):
    n_harmonics, n_bands = int(n_harmonics), int(n_bands)
    if n_harmonics < 5:
        raise ValueError(f"n_harmonics must be >= 5 (tristimulus 3), got {n_harmonics}")
    if n_bands < 1:
        raise ValueError(f"n_bands must be >= 1, got {n_bands}")
    return n_harmonics, n_bands


def harmonic_feature_names(n_harmonics=DEFAULT_N_HARMONICS, n_bands=DEFAULT_N_BANDS) -> list[str]:
    """Names of the vector returned by :func:`harmonic_descriptors`, in order.

    Parameters
    ----------
    n_harmonics : int, default=12
        Number of harmonics analysed (at least 5).
    n_bands : int, default=18
        Number of f0-anchored 1/3-octave bands (at least 1).

    Returns
    -------
    names : list of str
        ``h01_rel_db`` ... ``h{n_harmonics}_rel_db``, ``tristimulus_1``,
        ``tristimulus_2``, ``tristimulus_3``, ``odd_even_ratio_db``,
        ``harmonic_centroid_f0``, ``inharmonicity``, ``harmonic_deviation_db``,
        ``noisiness``, ``band_f0_rel_00_db`` ... ``band_f0_rel_{n_bands-1}_db``.
        See :func:`harmonic_descriptors` for the definitions.

    Examples
    --------
    >>> harmonic_feature_names(5, 2)[4:9]
    ['h05_rel_db', 'tristimulus_1', 'tristimulus_2', 'tristimulus_3', 'odd_even_ratio_db']
    >>> len(harmonic_feature_names())
    38
    """
    n_harmonics, n_bands = _check_sizes(n_harmonics, n_bands)
    width = max(2, len(str(n_harmonics)))
    names = [f"h{k:0{width}d}_rel_db" for k in range(1, n_harmonics + 1)]
    names += [
        "tristimulus_1",
        "tristimulus_2",
        "tristimulus_3",
        "odd_even_ratio_db",
        "harmonic_centroid_f0",
        "inharmonicity",
        "harmonic_deviation_db",
        "noisiness",
    ]
    width = max(2, len(str(n_bands - 1)))
    names += [f"band_f0_rel_{b:0{width}d}_db" for b in range(n_bands)]
    return names


HARMONIC_FEATURE_NAMES: tuple[str, ...] = tuple(harmonic_feature_names())
"""Names for the default ``n_harmonics=12``, ``n_bands=18``."""


def estimate_f0(spectrum, freqs, *, fmin=27.5, fmax=4200.0) -> float:
    r"""Estimate the fundamental frequency of a note from its average spectrum.

    Subharmonic summation ([1]_) on a log-frequency axis: the magnitude
    spectrum, compressed by a square root and normalised to its peak, is
    max-pooled onto a grid of 48 points per octave, widened by one grid point
    on each side (a tolerance of about 2 %), and every candidate :math:`c`
    on the same grid between ``fmin`` and ``fmax`` gets the salience

    .. math:: s(c) = \sum_{k=1}^{15} h^{k-1}
              \left[P(k c) - \tfrac12 P\big((k - \tfrac12) c\big)\right],
              \qquad h = 0.84,

    where :math:`P` is the pooled spectrum and terms above Nyquist are left
    out. The weights :math:`h^{k-1}` (Hermes' compression) make the candidate
    an octave below f0 lose (it collects the same harmonics with smaller
    weights). For the candidate an octave above f0, the subtracted comb,
    shifted by half a harmonic, falls on the odd harmonics of f0, so it loses
    even when the fundamental is weak or missing. The best candidate is then
    refined by a least-squares fit :math:`f_k = k f_0` to the parabolically
    interpolated peaks of the first six harmonics found within 3 % of
    :math:`k c`.

    Parameters
    ----------
    spectrum : array-like of shape (n_bins,)
        Magnitude (not power, not dB) spectrum of the clip, typically the
        mean over frames of a magnitude STFT, ``S.mean(axis=1)``.
    freqs : array-like of shape (n_bins,)
        Centre frequency of each bin in Hz, uniformly spaced and increasing
        (e.g. ``librosa.fft_frequencies(sr=sr, n_fft=n_fft)``).
    fmin, fmax : float, default=27.5, 4200.0
        Search range in Hz (``fmax`` is capped at the highest bin).

    Returns
    -------
    f0 : float
        Fundamental frequency in Hz, or NaN if the spectrum is silent (its
        largest value is not above 1e-10).

    Notes
    -----
    The estimate is the period of the sound, which is not always the pitch
    named on the score: a sampled organ with a 16-foot rank sounds an octave
    below the key, and bells have no harmonic series at all. Odd harmonics
    more than about 20 dB below their even neighbours count as absent (the
    estimate is then the octave above), and components much weaker than that
    between the harmonics (sub-harmonic artefacts of sample loops) do not pull
    the estimate an octave down.

    Examples
    --------
    >>> import numpy as np
    >>> sr, n_fft = 22050, 8192
    >>> t = np.arange(2 * sr) / sr
    >>> y = sum(np.sin(2 * np.pi * k * 196.0 * t) / k for k in range(1, 11))
    >>> S = np.abs(np.fft.rfft(y[:n_fft] * np.hanning(n_fft)))
    >>> freqs = np.fft.rfftfreq(n_fft, 1 / sr)
    >>> round(estimate_f0(S, freqs), 1)
    196.0
    """
    spectrum = np.asarray(spectrum, dtype=np.float64)
    if spectrum.ndim != 1:
        raise ValueError(f"spectrum must be 1-D, got shape {spectrum.shape}")
    freqs, df = _check_freqs(freqs, spectrum.shape[0])
    if not 0 < fmin < fmax:
        raise ValueError(f"need 0 < fmin < fmax, got fmin={fmin}, fmax={fmax}")
    if fmin >= freqs[-1]:
        raise ValueError(f"fmin={fmin} Hz is not below the highest bin ({freqs[-1]} Hz)")
    peak = spectrum.max()
    if not np.isfinite(peak) or not np.isfinite(spectrum.min()):
        raise ValueError("spectrum contains NaN or infinite values")
    if not peak > _SILENCE:
        return float("nan")

    plan = _shs_plan(spectrum.size, float(freqs[0]), float(df), float(fmin), float(fmax))
    compressed = np.sqrt(np.maximum(spectrum, 0.0) / peak)
    pooled = np.maximum.reduceat(compressed, plan.starts)
    # Cells narrower than a bin (low frequencies) interpolate instead.
    pooled[plan.empty] = (
        compressed[plan.below] * (1.0 - plan.frac) + compressed[plan.below + 1] * plan.frac
    )
    pooled = maximum_filter1d(pooled, 3, mode="nearest")
    coarse = plan.fmin * 2.0 ** (np.argmax(plan.comb @ pooled) / _SHS_BINS_PER_OCTAVE)
    return _refine_f0(spectrum, compressed, freqs, df, coarse)


def harmonic_descriptors(
    S,
    freqs,
    *,
    f0,
    n_harmonics=DEFAULT_N_HARMONICS,
    n_bands=DEFAULT_N_BANDS,
    frame_weights=None,
) -> np.ndarray:
    r"""Clip-level f0-normalised harmonic descriptors of one note.

    **Frames.** The descriptors describe the sustained part of the note: the
    frames whose energy :math:`\sum_f S^2` is within 20 dB of the loudest
    frame, pooled by averaging powers (so louder frames count more). Passing
    ``frame_weights`` replaces this selection by the given weights.

    **Harmonics.** Harmonic :math:`k` is first located on the clip's mean
    power spectrum, searching :math:`\pm 0.25 f_0` around the position
    predicted from the harmonics already found (so stretched partials, as in
    piano strings, are followed), then picked in every frame as the largest
    bin within :math:`\pm 0.1 f_0` of that position. Its frequency is the
    parabolic interpolation of the log power around that bin; its energy is
    the power summed within +-2 bins of it (the main lobe of a Hann window:
    unlike the height of the interpolated peak, this does not depend on where
    the partial falls between bins) widened by +-1 % of :math:`k f_0` for
    vibrato, and narrowed to stay clear of the neighbouring harmonics. The
    clip amplitude :math:`a_k` is the square root of the weighted mean energy
    over frames and :math:`f_k` the energy-weighted mean frequency. Harmonics
    above Nyquist get the floor level (-80 dB); all amplitudes are floored at
    -80 dB below the strongest, which keeps every output finite.

    With :math:`K` = ``n_harmonics``, :math:`L_k = 20 \log_{10}(a_k / \max_j
    a_j)` and :math:`\mathcal{K}` the harmonics below Nyquist, the vector is
    (names from :func:`harmonic_feature_names`):

    ``hKK_rel_db`` : dB, in [-80, 0]
        :math:`L_k`, the level of harmonic k relative to the strongest.
    ``tristimulus_1``, ``tristimulus_2``, ``tristimulus_3`` : in [0, 1]
        :math:`a_1 / \sum_k a_k`, :math:`(a_2 + a_3 + a_4) / \sum_k a_k` and
        :math:`\sum_{k \ge 5} a_k / \sum_k a_k` ([3]_, on amplitudes as in
        [2]_); they sum to 1.
    ``odd_even_ratio_db`` : dB
        :math:`10 \log_{10} \sum_{k} a_k^2 / \sum_{k} a_{k-1} a_{k+1}` over odd
        :math:`k \ge 3` with :math:`k + 1 \in \mathcal{K}`: the energy of the
        odd harmonics over that of the geometric mean of their even
        neighbours. Unlike the plain odd/even energy ratio of [2]_ it does not
        depend on the overall spectral tilt: about 0 dB for any smooth
        envelope (-0.35 dB for a sawtooth), large for odd-only spectra
        (clarinet-like, square wave), negative for even-dominated ones.
    ``harmonic_centroid_f0`` : units of f0
        :math:`\sum_k k a_k / \sum_k a_k`, the harmonic spectral centroid
        ([2]_) divided by f0.
    ``inharmonicity`` : dimensionless, >= 0
        :math:`\frac{2}{\hat f_0} \sum_k |f_k - k \hat f_0| a_k^2 / \sum_k
        a_k^2` ([2]_), with :math:`\hat f_0` the least-squares fit of
        :math:`f_k = k \hat f_0` (weights :math:`a_k^2`), so that a slightly
        wrong ``f0`` does not read as inharmonicity. About 0 for a harmonic
        tone; for stretched partials :math:`f_k = k f_0 \sqrt{1 + B k^2}` it
        grows with :math:`B`.
    ``harmonic_deviation_db`` : dB, >= 0
        Spectral irregularity on log amplitudes ([4]_, [5]_): the mean over
        :math:`k = 2 .. K-1` (with :math:`k + 1 \in \mathcal{K}`) of
        :math:`|L_k - (L_{k-1} + L_k + L_{k+1}) / 3|`.
    ``noisiness`` : in [0, 1]
        :math:`1 - E_h / E`, where :math:`E` is the energy between
        :math:`0.5 f_0` and :math:`(K + 0.5) f_0` (and below Nyquist) and
        :math:`E_h = \sum_k a_k^2` the part of it credited to the harmonics
        as above ([2]_, restricted to the analysed harmonics so that it does
        not depend on pitch).
    ``band_f0_rel_BB_db`` : dB, in [-80, 0]
        Energy of the mean power spectrum in 1/3-octave bands centred on
        :math:`f_0 2^{b/3}`, :math:`b = 0 .. n_{bands} - 1` (edges at
        :math:`f_0 2^{(b \pm 1/2)/3}`, bins split proportionally at the
        edges), relative to the total of all bands; bands above Nyquist get
        -80 dB.

    **Degenerate input.** If ``f0`` is not a positive finite number or not
    below the second-highest bin (no harmonic to analyse), or the selected
    frames are silent (all ``frame_weights`` zero, or :math:`\sum_f S^2` of
    the loudest selected frame not above 1e-20), the result is
    the vector of a flat harmonic spectrum with no harmonic energy: all
    :math:`L_k = 0`, tristimulus :math:`(1, 3, K - 4) / K`, odd/even ratio
    0 dB, centroid :math:`(K + 1) / 2`, inharmonicity 0, deviation 0,
    noisiness 1 and every band at :math:`-10 \log_{10} n_{bands}` dB.

    Parameters
    ----------
    S : array-like of shape (n_bins, n_frames)
        Magnitude spectrogram of one clip (any window length; a Hann window
        is assumed only for the main-lobe width of the harmonic energies).
    freqs : array-like of shape (n_bins,)
        Centre frequency of each bin in Hz, uniformly spaced and increasing.
    f0 : float
        Fundamental frequency in Hz, e.g. from :func:`estimate_f0`.
    n_harmonics : int, default=12
        Number of harmonics :math:`K` analysed (at least 5).
    n_bands : int, default=18
        Number of f0-anchored 1/3-octave bands (at least 1; 18 bands reach
        about 57 f0).
    frame_weights : array-like of shape (n_frames,), optional
        Non-negative weights of the frames in the clip averages; replaces the
        automatic selection of the sustained frames.

    Returns
    -------
    features : ndarray of shape (n_harmonics + 8 + n_bands,)
        Finite float64 descriptors, in the order of
        ``harmonic_feature_names(n_harmonics, n_bands)``.

    Examples
    --------
    >>> import numpy as np
    >>> sr, n_fft, hop = 22050, 4096, 1024
    >>> t = np.arange(sr) / sr
    >>> y = sum(np.sin(2 * np.pi * k * 220.0 * t) / k for k in range(1, 30) if k * 220 < sr / 2)
    >>> frames = np.lib.stride_tricks.sliding_window_view(y, n_fft)[::hop]
    >>> S = np.abs(np.fft.rfft(frames * np.hanning(n_fft), axis=1)).T
    >>> freqs = np.fft.rfftfreq(n_fft, 1 / sr)
    >>> x = harmonic_descriptors(S, freqs, f0=220.0)
    >>> np.round(x[:4], 1).tolist()  # sawtooth: -20 log10(k) dB
    [0.0, -6.0, -9.5, -12.0]
    """
    n_harmonics, n_bands = _check_sizes(n_harmonics, n_bands)
    S = np.asarray(S)
    if S.dtype not in (np.float32, np.float64):
        S = S.astype(np.float64)
    if S.ndim != 2 or S.shape[1] == 0:
        raise ValueError(f"S must be 2-D (n_bins, n_frames) with frames, got shape {S.shape}")
    freqs, df = _check_freqs(freqs, S.shape[0])

    power = np.square(S)
    # A product with ones: a reduction across the bins runs against the memory
    # layout and costs about 8x more.
    frame_energy = (np.ones(power.shape[0], power.dtype) @ power).astype(np.float64)
    if not np.all(np.isfinite(frame_energy)):
        raise ValueError("S contains NaN or infinite values")
    if frame_weights is None:
        loud = frame_energy >= frame_energy.max() * 10.0 ** (-_SUSTAIN_DB / 10.0)
        weights = loud.astype(np.float64)
    else:
        weights = np.asarray(frame_weights, dtype=np.float64)
        if weights.shape != (S.shape[1],):
            raise ValueError(
                f"frame_weights must have shape ({S.shape[1]},), got {weights.shape}"
            )
        if not np.all(np.isfinite(weights)) or np.any(weights < 0):
            raise ValueError("frame_weights must be finite and non-negative")

    f0 = float(f0)
    if (
        not (np.isfinite(f0) and 0.0 < f0 < freqs[-2])
        or not weights.sum() > 0
        or not frame_energy[weights > 0].max() > _SILENCE**2
    ):
        return _default_vector(n_harmonics, n_bands)
    weights = weights / weights.sum()
    mean_power = (power @ weights.astype(power.dtype)).astype(np.float64)

    positions, in_band = _track_harmonics(mean_power, freqs, df, f0, n_harmonics)
    energy, freq = _pick_frames(power, freqs, df, f0, positions[in_band])
    clip_energy = energy @ weights
    a = np.zeros(n_harmonics)
    a[in_band] = np.sqrt(clip_energy)
    if not a.max() > 0:
        return _default_vector(n_harmonics, n_bands)
    a = np.maximum(a / a.max(), 10.0 ** (FLOOR_DB / 20.0))

    fk = (energy * freq) @ weights / np.maximum(clip_energy, np.finfo(np.float64).tiny)
    inharm = _inharmonicity(fk, a[in_band] ** 2, np.flatnonzero(in_band) + 1.0)

    lo, hi = np.searchsorted(freqs, [0.5 * f0, (n_harmonics + 0.5) * f0])
    total = mean_power[lo:hi].sum()
    noisiness = float(np.clip(1.0 - clip_energy.sum() / total, 0.0, 1.0)) if total > 0 else 1.0
    bands = _band_levels(mean_power, freqs, df, f0, n_bands)
    return _assemble(a, in_band, inharm, noisiness, bands)


# -- helpers -----------------------------------------------------------------


def _check_freqs(freqs, n_bins):
    freqs = np.asarray(freqs, dtype=np.float64)
    if freqs.shape != (n_bins,) or n_bins < 3:
        raise ValueError(f"freqs must have shape ({n_bins},) with n_bins >= 3, got {freqs.shape}")
    df = (freqs[-1] - freqs[0]) / (n_bins - 1)
    if not df > 0 or np.abs(np.diff(freqs) - df).max() > 1e-3 * df:
        raise ValueError("freqs must be uniformly spaced and increasing (an FFT axis)")
    return freqs, df


def _bin_of(f, freqs, df):
    """Fractional bin index of frequency ``f`` (Hz)."""
    return (f - freqs[0]) / df


class _ShsPlan:
    """Everything in the subharmonic summation that depends only on the axes."""

    def __init__(self, n_bins, f_first, df, fmin, fmax):
        bpo = _SHS_BINS_PER_OCTAVE
        nyquist = f_first + (n_bins - 1) * df
        fmax = min(fmax, nyquist)
        # Log grid from fmin / 2 (where the half-shifted comb of k = 1 looks)
        # up to Nyquist; the candidates are its points in [fmin, fmax].
        n_grid = int(np.floor(bpo * np.log2(2.0 * nyquist / fmin))) + 1
        grid = 0.5 * fmin * 2.0 ** (np.arange(n_grid) / bpo)

        # Max-pooling of the bins whose centre falls in each cell; cells
        # narrower than a bin interpolate linearly at their centre.
        edges = np.append(grid, grid[-1] * 2.0 ** (1.0 / bpo)) * 2.0 ** (-0.5 / bpo)
        first = np.clip(np.ceil((edges - f_first) / df).astype(np.intp), 0, n_bins)
        self.starts = np.minimum(first[:-1], n_bins - 1)
        self.empty = np.diff(first) == 0
        position = (grid[self.empty] - f_first) / df
        self.below = np.clip(np.floor(position).astype(np.intp), 0, n_bins - 2)
        self.frac = np.clip(position - self.below, 0.0, 1.0)

        # Salience = comb @ pooled: for each candidate, the weighted harmonic
        # comb minus the half-shifted comb, read by linear interpolation.
        n_cand = int(np.floor(bpo * np.log2(fmax / fmin))) + 1
        cand = bpo + np.arange(n_cand, dtype=np.float64)
        rows = np.arange(n_cand)
        self.comb = np.zeros((n_cand, n_grid))
        for k in range(1, _SHS_N_HARMONICS + 1):
            pos = cand + bpo * np.log2(k)
            inside = pos <= n_grid - 1
            weight = _SHS_DECAY ** (k - 1)
            half_shifted = cand + bpo * np.log2(k - 0.5)
            for at, w in ((pos, weight), (half_shifted, -_SHS_HALF_SHIFT_WEIGHT * weight)):
                lo = np.minimum(np.floor(at[inside]).astype(np.intp), n_grid - 2)
                frac = at[inside] - lo
                np.add.at(self.comb, (rows[inside], lo), w * (1.0 - frac))
                np.add.at(self.comb, (rows[inside], lo + 1), w * frac)
        self.fmin = fmin


@lru_cache(maxsize=16)
def _shs_plan(n_bins, f_first, df, fmin, fmax):
    return _ShsPlan(n_bins, f_first, df, fmin, fmax)


def _peak_offset(left, centre, right):
    """Vertex of the parabola through three log-power values, in bins (+-0.5)."""
    curvature = left - 2.0 * centre + right
    if not curvature < 0:
        return 0.0
    return min(max(0.5 * (left - right) / curvature, -0.5), 0.5)


def _local_peak(x, centre, half, floor):
    """Interpolated bin of the largest value of ``x`` within ``centre +- half`` bins.

    Returns None when there is no interior maximum above ``floor`` (the
    window's maximum lies on its edge: a slope, not a peak).
    """
    lo, hi = max(math.ceil(centre - half), 1), min(math.floor(centre + half), x.size - 2)
    if hi - lo < 2:
        return None
    j = lo + int(x[lo : hi + 1].argmax())
    if j in (lo, hi):
        return None
    # Python floats from here: numpy scalars cost more than the arithmetic.
    left, mid, right = x[j - 1 : j + 2].tolist()
    if not mid > floor:
        return None
    tiny = float(floor) * 1e-12
    return j + _peak_offset(math.log(max(left, tiny)), math.log(mid), math.log(max(right, tiny)))


def _refine_f0(spectrum, compressed, freqs, df, coarse):
    """Least-squares f0 from the interpolated peaks of the first harmonics."""
    tiny = spectrum.max() * 1e-12
    num = den = 0.0
    for k in range(1, _REFINE_N_HARMONICS + 1):
        half = min(max(_REFINE_TOLERANCE * k * coarse, 1.5 * df), 0.4 * coarse) / df
        peak = _local_peak(spectrum, _bin_of(k * coarse, freqs, df), half, tiny)
        if peak is None:
            continue
        weight = float(compressed[round(peak)])
        num += weight * k * (freqs[0] + peak * df)
        den += weight * k * k
    return float(num / den) if den > 0 else float(coarse)


def _track_harmonics(mean_power, freqs, df, f0, n_harmonics):
    """Clip-level frequency of harmonics 1..K on the mean power spectrum.

    Harmonic k is searched around ``k * f_ref``, where ``f_ref`` is f0 and,
    once a harmonic j has been found, its frequency divided by j: the search
    follows a slightly wrong f0 or a stretched partial series. Harmonics not
    found keep their predicted position. Returns the positions (Hz) and a mask
    of the harmonics below Nyquist.
    """
    n = mean_power.size
    positions = np.arange(1, n_harmonics + 1) * f0
    in_band = np.zeros(n_harmonics, dtype=bool)
    lo = max(int(_bin_of(0.5 * f0, freqs, df)), 0)
    hi = int(_bin_of((n_harmonics + 0.5) * f0, freqs, df)) + 1
    found = mean_power[lo:hi].max() * 10.0 ** (-_FOUND_DB / 10.0)
    if not found > 0:
        return positions, positions < freqs[-2]
    half = max(_TRACK_HALF_WIDTH * f0 / df, 1.0)
    f_ref = f0
    for k in range(1, n_harmonics + 1):
        centre = _bin_of(k * f_ref, freqs, df)
        if centre > n - 2:
            break
        in_band[k - 1] = True
        positions[k - 1] = k * f_ref
        peak = _local_peak(mean_power, centre, half, found)
        if peak is not None:
            positions[k - 1] = freqs[0] + peak * df
            f_ref = positions[k - 1] / k
    return positions, in_band


def _pick_frames(power, freqs, df, f0, positions):
    """Per-frame peak of harmonics 1, 2, ... near their clip-level positions (Hz).

    The frequency (Hz) is the parabolic interpolation of the log power around
    the peak bin; the energy is the power summed over the main lobe around
    the peak bin (within 0.01 dB of the partial's energy for a Hann window,
    wherever it falls between bins), widened for vibrato. Both have shape
    (n_harmonics_below_nyquist, n_frames).
    """
    n, n_frames = power.shape
    half = max(int(round(_FRAME_HALF_WIDTH * f0 / df)), 1)
    centre = np.rint(_bin_of(positions, freqs, df)).astype(np.intp)
    window = np.clip(centre[:, None] + np.arange(-half, half + 1), 1, n - 2)  # (K, W)
    # Whole rows (all frames of a bin) are gathered: power stays in its layout.
    best = power[window].argmax(axis=1)  # (K, T)
    peak = np.take_along_axis(window, best, axis=1)  # (K, T) bin of each peak

    # Main lobe, widened for vibrato, narrowed short of the neighbours.
    k = np.arange(1, positions.size + 1)
    lobe = np.minimum(_MAIN_LOBE_BINS + np.rint(_SPREAD * k * f0 / df), (f0 / df - 1.0) // 2)
    lobe = np.maximum(lobe, 0).astype(np.intp)  # (K,)
    width = max(int(lobe.max()), 1)
    span = np.arange(-width, width + 1)
    rows = np.clip(peak[:, None, :] + span[:, None], 0, n - 1)  # (K, 2 * width + 1, T)
    near = power[rows, np.arange(n_frames)].astype(np.float64)
    in_lobe = np.abs(span) <= lobe[:, None]  # (K, 2 * width + 1)
    energy = np.where(in_lobe[:, :, None], near, 0.0).sum(axis=1)  # (K, T)

    left, mid, right = np.log(np.maximum(near[:, width - 1 : width + 2], np.finfo(float).tiny)
                              ).transpose(1, 0, 2)
    curvature = left - 2.0 * mid + right
    offset = np.clip(0.5 * (left - right) / np.minimum(curvature, -1e-300), -0.5, 0.5)
    freq = freqs[peak] + np.where(curvature < 0, offset, 0.0) * df
    return energy, freq


def _inharmonicity(fk, weight, k):
    """Peeters' inharmonicity around the least-squares f0 of the partials."""
    total = weight.sum()
    if k.size == 0 or not total > 0:
        return 0.0
    f_fit = (weight * k * fk).sum() / (weight * k * k).sum()
    if not f_fit > 0:
        return 0.0
    return float(2.0 / f_fit * (weight * np.abs(fk - k * f_fit)).sum() / total)


def _band_levels(mean_power, freqs, df, f0, n_bands):
    """Energy in f0-anchored 1/3-octave bands, dB relative to their total."""
    b = np.arange(n_bands)
    lo = f0 * 2.0 ** ((b - 0.5) / BANDS_PER_OCTAVE)
    hi = f0 * 2.0 ** ((b + 0.5) / BANDS_PER_OCTAVE)
    # Cumulative energy with each bin spread uniformly over +-df/2.
    edges = np.append(freqs - 0.5 * df, freqs[-1] + 0.5 * df)
    cumulative = np.concatenate(([0.0], np.cumsum(mean_power)))
    energy = np.interp(hi, edges, cumulative) - np.interp(lo, edges, cumulative)
    energy = np.where(lo < freqs[-1], np.maximum(energy, 0.0), 0.0)
    total = energy.sum()
    if not total > 0:
        return np.full(n_bands, -10.0 * np.log10(n_bands))
    return np.maximum(10.0 * np.log10(np.maximum(energy / total, 1e-300)), FLOOR_DB)


def _assemble(a, in_band, inharm, noisiness, bands):
    """Build the feature vector from floored relative amplitudes ``a`` (max 1)."""
    n_harmonics = a.size
    k = np.arange(1, n_harmonics + 1)
    levels = 20.0 * np.log10(a)
    total = a.sum()
    tristimulus = [a[0] / total, a[1:4].sum() / total, a[4:].sum() / total]

    # Odd harmonics k >= 3 whose even neighbours are both below Nyquist.
    n_in = int(in_band.sum())
    odd = np.arange(3, n_in, 2)
    if odd.size:
        ratio = (a[odd - 1] ** 2).sum() / (a[odd - 2] * a[odd]).sum()
        odd_even = 10.0 * np.log10(ratio)
    else:
        odd_even = 0.0

    centroid = (k * a).sum() / total
    if n_in >= 3:
        mid = levels[1 : n_in - 1]
        smooth = (levels[: n_in - 2] + mid + levels[2:n_in]) / 3.0
        deviation = float(np.abs(mid - smooth).mean())
    else:
        deviation = 0.0

    head = np.array([*tristimulus, odd_even, centroid, inharm, deviation, noisiness])
    return np.concatenate((levels, head, bands))


def _default_vector(n_harmonics, n_bands):
    """Descriptors of a flat harmonic spectrum with no harmonic energy (silence)."""
    in_band = np.ones(n_harmonics, dtype=bool)
    bands = np.full(n_bands, -10.0 * np.log10(n_bands))
    return _assemble(np.ones(n_harmonics), in_band, 0.0, 1.0, bands)


# -- frame-wise: every frame with its own f0 (an instrument playing a melody) ---------

# Frames described at once in stacked_harmonic_energies: bounds the working memory of a
# long take (each block holds the float64 cumulative power of its frames' bins).
_FRAME_BLOCK = 2048
# Bins summed one after the other in the cumulative power spectrum (see _cumulative_power).
_CUMSUM_BLOCK = 16


def frame_harmonic_names(n_harmonics=DEFAULT_N_HARMONICS, n_bands=DEFAULT_N_BANDS) -> list[str]:
    """Names of the rows of :func:`harmonic_descriptors_from_energies`, in order.

    As :func:`harmonic_feature_names` without ``inharmonicity`` (the frequency of a
    partial is not resolved well enough in one short frame to measure it).

    Parameters
    ----------
    n_harmonics : int, default=12
    n_bands : int, default=18

    Returns
    -------
    names : list of str

    Examples
    --------
    >>> len(frame_harmonic_names()), frame_harmonic_names()[12]
    (37, 'tristimulus_1')
    """
    return [n for n in harmonic_feature_names(n_harmonics, n_bands) if n != "inharmonicity"]


def frame_harmonic_energies(S, *, sr, n_fft, f0, n_harmonics=DEFAULT_N_HARMONICS,
                            n_bands=DEFAULT_N_BANDS, band_limit=8000.0, search=0.1):
    r"""Energies of the harmonics and of the f0-anchored bands in every frame, at its own f0.

    In frame :math:`t` with fundamental :math:`f_0(t)`, harmonic :math:`k` is the
    largest bin within :math:`\pm` ``search`` :math:`f_0(t)` of
    :math:`k f_0(t)`; its energy is the power summed over that bin and its two
    neighbours (the main lobe of a Hann window). ``total`` is the energy between
    :math:`0.5 f_0` and :math:`(K + 0.5) f_0`, and the band energies are those of
    the third-octave bands centred on :math:`f_0 2^{b/3}` (bins split
    proportionally at the edges). Nothing above ``band_limit`` is read: harmonics
    and bands above it have no energy, as those above the Nyquist frequency.

    These are the raw material of :func:`harmonic_descriptors_from_energies`:
    pass one frame's energies for frame descriptors, or energies summed over the
    frames of a note for note descriptors.

    Parameters
    ----------
    S : ndarray of shape (n_bins, n_frames)
        Magnitude STFT of one clip (Hann window).
    sr : float
        Sample rate in Hz.
    n_fft : int
        FFT length of ``S`` in samples.
    f0 : ndarray of shape (n_frames,)
        f0 of each frame in Hz; NaN (or not positive) where unvoiced.
    n_harmonics, n_bands : int, default=12, 18
        Harmonics :math:`K` and bands.
    band_limit : float or None, default=8000.0
        Highest frequency read, in Hz (``None``: the Nyquist frequency).
    search : float, default=0.1
        Half-width, in units of f0, of the search for each harmonic's peak.

    Returns
    -------
    energy : ndarray of shape (n_harmonics, n_frames)
        0 for harmonics above the band limit and in unvoiced frames.
    in_band : ndarray of bool, shape (n_harmonics, n_frames)
        Which harmonics lie below the band limit.
    total : ndarray of shape (n_frames,)
    band_energy : ndarray of shape (n_bands, n_frames)

    Examples
    --------
    >>> import numpy as np
    >>> from sktimbre._dsp.stft import stft_magnitude
    >>> t = np.arange(22050) / 22050
    >>> y = sum(np.sin(2 * np.pi * k * 220.0 * t) / k for k in range(1, 20))
    >>> S = stft_magnitude(y[None], 2048, 512)[0]
    >>> energy, in_band, total, bands = frame_harmonic_energies(
    ...     S, sr=22050, n_fft=2048, f0=np.full(S.shape[1], 220.0))
    >>> levels = 10 * np.log10(energy[:4, 20] / energy[0, 20])
    >>> np.round(levels).tolist()  # a sawtooth: -20 log10(k) dB
    [0.0, -6.0, -10.0, -12.0]
    """
    S = np.asarray(S)
    energy, in_band, total, band_energy = stacked_harmonic_energies(
        S[None], sr=sr, n_fft=n_fft, f0=np.asarray(f0)[None], n_harmonics=n_harmonics,
        n_bands=n_bands, band_limit=band_limit, search=search)
    return energy[0], in_band[0], total[0], band_energy[0]


def stacked_harmonic_energies(S, *, sr, n_fft, f0, n_harmonics=DEFAULT_N_HARMONICS,
                              n_bands=DEFAULT_N_BANDS, band_limit=8000.0, search=0.1):
    """:func:`frame_harmonic_energies` of every clip of a stack, as stacked arrays.

    The frames of several clips are described together (in blocks of at most 2048
    frames, to bound the working memory of a long take); what the
    :class:`~sktimbre.frontend.HarmonicEnergies` analysis computes.

    Parameters
    ----------
    S : ndarray of shape (n_clips, n_bins, n_frames)
        Magnitude STFTs (Hann window).
    sr : float
        Sample rate in Hz.
    n_fft : int
        FFT length of ``S`` in samples.
    f0 : ndarray of shape (n_clips, n_frames)
        f0 of each frame in Hz; NaN (or not positive) where unvoiced.
    n_harmonics, n_bands, band_limit, search
        As :func:`frame_harmonic_energies`.

    Returns
    -------
    energy : ndarray of shape (n_clips, n_harmonics, n_frames)
    in_band : ndarray of bool, shape (n_clips, n_harmonics, n_frames)
    total : ndarray of shape (n_clips, n_frames)
    band_energy : ndarray of shape (n_clips, n_bands, n_frames)

    Examples
    --------
    >>> import numpy as np
    >>> from sktimbre._dsp.stft import stft_magnitude
    >>> t = np.arange(22050) / 22050
    >>> y = np.stack([np.sin(2 * np.pi * f * t) for f in (220.0, 330.0)])
    >>> S = stft_magnitude(y, 2048, 512)
    >>> f0 = np.array([[220.0], [330.0]]) * np.ones(S.shape[-1])
    >>> energy, in_band, total, bands = stacked_harmonic_energies(S, sr=22050, n_fft=2048, f0=f0)
    >>> energy.shape, bool(np.all(energy[:, 0, 5:-5] > 100 * energy[:, 1, 5:-5]))
    ((2, 12, 44), True)
    """
    n_harmonics, n_bands = _check_sizes(n_harmonics, n_bands)
    S = np.asarray(S)
    n_clips, n_bins, n_frames = S.shape
    df = sr / n_fft
    top = (n_bins - 1) * df if band_limit is None else min(band_limit, (n_bins - 1) * df)
    n_read = int(min(n_bins, np.floor(top / df) + 1))
    energy = np.zeros((n_clips, n_harmonics, n_frames))
    in_band = np.zeros((n_clips, n_harmonics, n_frames), dtype=bool)
    total = np.zeros((n_clips, n_frames))
    band_energy = np.zeros((n_clips, n_bands, n_frames))
    f0 = np.asarray(f0, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        voiced = np.isfinite(f0) & (f0 > 0) & (f0 < (n_read - 2) * df)
    f0 = np.where(voiced, f0, np.nan)
    # whole clips at once, or stretches of one long clip: at most _FRAME_BLOCK frames
    clips, span = max(1, _FRAME_BLOCK // max(n_frames, 1)), max(1, min(n_frames, _FRAME_BLOCK))
    for c in range(0, n_clips, clips):
        for t in range(0, n_frames, span):
            if voiced[c:c + clips, t:t + span].any():
                block = np.s_[c:c + clips, :, t:t + span]
                (energy[block], in_band[block], total[c:c + clips, t:t + span],
                 band_energy[block]) = _frame_energies(
                    S[c:c + clips, :n_read, t:t + span], f0[c:c + clips, t:t + span], df,
                    n_harmonics, n_bands, search)
    return energy, in_band, total, band_energy


def _frame_energies(S, f0, df, n_harmonics, n_bands, search):
    """:func:`frame_harmonic_energies` of frames ``S`` (n_read, n), or of a stack of them
    (n_clips, n_read, n), with f0 ``f0`` ((n,) or (n_clips, n); NaN where unvoiced, else
    below bin n_read - 2)."""
    single = S.ndim == 2
    S, f0 = (S[None], f0[None]) if single else (S, f0)
    n_clips, n_read, n = S.shape
    energy = np.zeros((n_clips, n_harmonics, n))
    in_band = np.zeros((n_clips, n_harmonics, n), dtype=bool)
    total = np.zeros((n_clips, n))
    bands = np.zeros((n_clips, n_bands, n))
    voiced = np.isfinite(f0)
    k = np.arange(1, n_harmonics + 1)[:, None]
    # clip by clip: the peak search spans the widest f0 searched at once, so one clip
    # (one register) searches narrower windows than several
    for c in np.flatnonzero(voiced.any(axis=1)):
        frames = np.flatnonzero(voiced[c])
        centre = k * f0[c, frames] / df  # (K, n_voiced) in bins
        half = np.clip(np.rint(search * f0[c, frames] / df), 1, None)
        width = int(half.max())
        # offsets beyond a frame's own half-width repeat its edge bin, after it: the
        # first maximum of the window is still at the same bin
        reach = np.clip(np.arange(-width, width + 1), -half[:, None], half[:, None])
        window = np.clip(np.rint(centre)[:, :, None] + reach, 1, n_read - 2).astype(np.intp)
        window *= n
        window += frames[:, None]  # (K, n_voiced, W), flat indices into the clip's bins
        # the largest magnitude is the largest power (squares of float32 are exact)
        spectrum = S[c].ravel()
        at = np.take_along_axis(window, spectrum[window].argmax(axis=-1)[..., None], axis=-1)
        at = at[..., 0]
        power = [np.square(spectrum[at + step], dtype=np.float64) for step in (-n, 0, n)]
        in_band[c][:, frames] = centre < n_read - 2
        energy[c][:, frames] = np.where(in_band[c][:, frames], power[0] + power[1] + power[2],
                                        0.0)
    # Energies between frequency edges, with each bin spread uniformly over +-df/2:
    # the cumulative power read (interpolated) at every edge of every frame at once --
    # the band edges f0 2^((b - 1/2)/3), contiguous, and the two edges of the total.
    clip, frame = np.nonzero(voiced)
    f = f0[clip, frame]
    b = np.arange(n_bands + 1)[:, None]
    edges_hz = np.vstack([f * 2.0 ** ((b - 0.5) / BANDS_PER_OCTAVE),
                          [0.5 * f, (n_harmonics + 0.5) * f]])
    position = np.minimum(np.maximum(edges_hz / df + 0.5, 0.0), n_read)
    i = np.minimum(position.astype(np.intp), n_read - 1)
    frac = position - i
    within, before = _cumulative_power(S)
    _, n_blocks, n_columns = within.shape
    column = clip * n + frame

    def below(edge):  # the power of the bins below bin ``edge``, in each voiced frame
        block = np.minimum(edge // _CUMSUM_BLOCK, n_blocks - 1)
        row = edge - block * _CUMSUM_BLOCK
        return (within.ravel()[(row * n_blocks + block) * n_columns + column]
                + before.ravel()[block * n_columns + column])

    at = below(i) * (1.0 - frac) + below(i + 1) * frac
    bands[clip, :, frame] = np.where(edges_hz[:n_bands] < (n_read - 1) * df,
                                     np.maximum(np.diff(at[: n_bands + 1], axis=0), 0.0),
                                     0.0).T
    total[clip, frame] = np.maximum(at[n_bands + 2] - at[n_bands + 1], 0.0)
    if single:
        return energy[0], in_band[0], total[0], bands[0]
    return energy, in_band, total, bands


def _cumulative_power(S):
    """The power of a stack of spectra summed over the bins below each bin, every frame at once.

    ``S`` is (n_clips, n_read, n). With B = ``_CUMSUM_BLOCK``, returns ``within`` of
    shape (B + 1, ceil(n_read / B), n_clips * n) and ``before`` of shape
    (ceil(n_read / B), n_clips * n): the power of the bins below bin ``b * B + r`` is
    ``within[r, b] + before[b]`` (the whole power from bin n_read on), column
    ``c * n + t`` that of frame t of clip c. ``np.cumsum`` along the bins runs element
    after element; here the B bins of every block are summed at once, one step per
    bin (each step adds two separate whole arrays, in place), and ``before`` sums the
    totals of the blocks below.
    """
    n_clips, n_read, n = S.shape
    B = _CUMSUM_BLOCK
    within = np.empty((B + 1, -(-n_read // B), n_clips * n))
    rows = within.reshape(B + 1, -1, n_clips, n)
    bins = S.transpose(1, 0, 2)
    whole = n_read // B * B
    np.square(bins[:whole].reshape(-1, B, n_clips, n).transpose(1, 0, 2, 3),
              out=rows[1:, :whole // B], dtype=np.float64)
    if whole < n_read:  # a last block, partly past the last bin
        np.square(bins[whole:], out=rows[1:1 + n_read - whole, -1], dtype=np.float64)
        rows[1 + n_read - whole:, -1] = 0.0
    within[0] = 0.0
    for r in range(1, B + 1):
        within[r] += within[r - 1]
    before = np.zeros_like(within[0])
    for b in range(1, before.shape[0]):
        np.add(before[b - 1], within[B, b - 1], out=before[b])
    return within, before


def harmonic_descriptors_from_energies(energy, in_band, total, band_energy, *,
                                       floor_db: float = -FLOOR_DB) -> np.ndarray:
    """f0-normalised harmonic descriptors from harmonic and band energies, column by column.

    The definitions of :func:`harmonic_descriptors` (levels relative to the strongest
    harmonic floored at -80 dB, tristimulus on amplitudes, odd/even ratio against the
    geometric mean of the even neighbours, harmonic centroid in units of f0, spectral
    deviation, noisiness, band levels relative to their total), without
    inharmonicity. Each column is one frame (or one note, with energies summed over
    its frames); a column without harmonic energy gets the descriptors of a flat
    harmonic spectrum with no harmonic energy (see :func:`harmonic_descriptors`).

    Parameters
    ----------
    energy : ndarray of shape (n_harmonics, n_columns)
    in_band : ndarray of bool, shape (n_harmonics, n_columns)
    total : ndarray of shape (n_columns,)
    band_energy : ndarray of shape (n_bands, n_columns)
        As :func:`frame_harmonic_energies` returns them.
    floor_db : float, default=80.0
        Harmonic and band levels are floored this many dB below the strongest
        harmonic / the band total (60 keeps a codec's noise in weak harmonics out).

    Returns
    -------
    descriptors : ndarray of shape (n_harmonics + 7 + n_bands, n_columns)
        Finite; rows :func:`frame_harmonic_names`.

    Examples
    --------
    >>> import numpy as np
    >>> energy = (1.0 / np.arange(1, 13) ** 2)[:, None]  # a sawtooth's harmonics
    >>> D = harmonic_descriptors_from_energies(energy, np.ones((12, 1), bool),
    ...                                        energy.sum(0), np.ones((18, 1)))
    >>> np.round(D[:3, 0], 1).tolist()
    [0.0, -6.0, -9.5]
    """
    energy = np.asarray(energy, dtype=np.float64)
    n_harmonics, n_columns = energy.shape
    if n_columns == 1:
        # numpy sums a lone column pairwise but several ones row by row: describing it
        # as one of two makes every column's result independent of how many are
        # described together (and a clip's row independent of its batch)
        pair = harmonic_descriptors_from_energies(
            np.repeat(energy, 2, axis=1), np.repeat(in_band, 2, axis=1),
            np.repeat(total, 2), np.repeat(band_energy, 2, axis=1), floor_db=floor_db)
        return pair[:, :1]
    n_bands = band_energy.shape[0]
    strongest = energy.max(axis=0)
    ok = (strongest > 0) & np.any(in_band, axis=0)
    a = np.sqrt(energy / np.where(ok, strongest, 1.0))
    a = np.maximum(a, 10.0 ** (-floor_db / 20.0))
    levels = 20.0 * np.log10(a)
    amplitude = a.sum(axis=0)
    tristimulus = np.stack([a[0] / amplitude, a[1:4].sum(axis=0) / amplitude,
                            a[4:].sum(axis=0) / amplitude])
    odd = np.arange(3, n_harmonics, 2)
    pair = in_band[odd] & in_band[np.minimum(odd + 1, n_harmonics - 1)]
    num = np.where(pair, a[odd - 1] ** 2, 0.0).sum(axis=0)
    den = np.where(pair, a[odd - 2] * a[odd], 0.0).sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        odd_even = np.where(den > 0, 10.0 * np.log10(num / np.where(den > 0, den, 1.0)), 0.0)
    k = np.arange(1, n_harmonics + 1)[:, None]
    centroid = (k * a).sum(axis=0) / amplitude
    smooth = (levels[:-2] + levels[1:-1] + levels[2:]) / 3.0
    counted = in_band[2:]
    n_counted = counted.sum(axis=0)
    deviation = np.where(n_counted > 0, (np.abs(levels[1:-1] - smooth) * counted).sum(axis=0)
                         / np.maximum(n_counted, 1), 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        noisiness = np.clip(1.0 - np.where(total > 0, energy.sum(axis=0) / np.where(
            total > 0, total, 1.0), 0.0), 0.0, 1.0)
    band_total = band_energy.sum(axis=0)
    bands = np.maximum(10.0 * np.log10(np.maximum(
        band_energy / np.where(band_total > 0, band_total, 1.0), 1e-300)), -floor_db)
    bands = np.where(band_total > 0, bands, -10.0 * np.log10(n_bands))
    out = np.vstack([levels, tristimulus, odd_even, centroid, deviation, noisiness, bands])
    if not ok.all():
        default = np.delete(_default_vector(n_harmonics, n_bands), n_harmonics + 5)
        out[:, ~ok] = default[:, None]
    return out
