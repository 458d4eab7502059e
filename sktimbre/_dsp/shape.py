"""Frame-wise spectral shape descriptors (Timbre Toolbox definitions).

Pure array-in, array-out functions: no scikit-learn, no audio decoding. The
descriptors follow Peeters et al. (2011), with the conventions for edge cases
(silent frames, degenerate spectra) stated in each docstring so that the
outputs are always finite.

References
----------
.. [1] G. Peeters, B. L. Giordano, P. Susini, N. Misdariis and S. McAdams,
   "The Timbre Toolbox: Extracting audio descriptors from musical signals",
   J. Acoust. Soc. Am. 130(5), 2902-2916, 2011. doi:10.1121/1.3642604
.. [2] G. Peeters, "A large set of audio features for sound description
   (similarity and classification) in the CUIDADO project", IRCAM technical
   report, 2004.
"""

from __future__ import annotations

import numpy as np

__all__ = ["SHAPE_FEATURE_NAMES", "spectral_shape"]

SHAPE_FEATURE_NAMES = (
    "centroid",
    "spread",
    "skewness",
    "kurtosis",
    "slope",
    "decrease",
    "rolloff",
    "flatness",
    "crest",
    "flux",
)
"""Names of the rows returned by :func:`spectral_shape`, in order."""

# Reference frequency of the log-frequency axis: octaves above A0 = 27.5 Hz,
# the convention of ``librosa.hz_to_octs`` (so 440 Hz -> 4.0 octaves).
_OCTAVE_REF_HZ = 27.5
# Flatness floor, relative to the frame maximum (magnitude): -100 dB.
_FLATNESS_FLOOR = 1e-5
# A spread below this fraction of the frequency range counts as a Dirac
# spectrum, for which skewness and kurtosis are undefined (set to 0).
_DEGENERATE_SPREAD = 1e-9


def spectral_shape(S, freqs, *, rolloff_percent=0.95, log_frequency=False,
                   floor=None) -> np.ndarray:
    r"""Compute the ten Timbre-Toolbox spectral shape descriptors of each frame.

    All descriptors are computed on the **magnitude** (amplitude) spectrum
    :math:`a_k(m) = S[k, m]` as given, except the roll-off, which is defined on
    the energy :math:`a_k^2` ([1]_, [2]_). Bins are indexed :math:`k = 1..K`
    (``K = n_bins``) with frequencies :math:`f_k` = ``freqs[k-1]``, and

    .. math:: p_k(m) = a_k(m) / \sum_j a_j(m)

    is the spectrum normalised to unit sum. Every descriptor is invariant to
    the gain of ``S`` (multiplying a frame by a positive constant does not
    change it), so absolute level never enters.

    centroid : Hz
        :math:`\mu_1 = \sum_k f_k p_k`.
    spread : Hz
        :math:`\mu_2 = \sqrt{\sum_k (f_k - \mu_1)^2 p_k}`.
    skewness : dimensionless
        :math:`\mu_3 = \sum_k (f_k - \mu_1)^3 p_k / \mu_2^3`.
    kurtosis : dimensionless
        :math:`\mu_4 = \sum_k (f_k - \mu_1)^4 p_k / \mu_2^4`.
    slope : 1/Hz
        Least-squares slope of :math:`p_k` against :math:`f_k`,
        :math:`\frac{K \sum_k f_k p_k - \sum_k f_k}{K \sum_k f_k^2 - (\sum_k f_k)^2}`.
    decrease : dimensionless
        :math:`\sum_{k=2}^K \frac{a_k - a_1}{k - 1} \Big/ \sum_{k=2}^K a_k`.
    rolloff : Hz
        Smallest bin frequency :math:`f_c = f_k` such that
        :math:`\sum_{j \le k} a_j^2 \ge \rho \sum_j a_j^2`, :math:`\rho` =
        ``rolloff_percent``.
    flatness : dimensionless, in [0, 1]
        Geometric over arithmetic mean,
        :math:`\exp(\frac{1}{K} \sum_k \ln a_k) \big/ \frac{1}{K} \sum_k a_k`.
    crest : dimensionless, in [1, K]
        :math:`\max_k a_k \big/ \frac{1}{K} \sum_k a_k`.
    flux : dimensionless, in [0, 1]
        :math:`1 - \frac{\sum_k a_k(m-1)\, a_k(m)}{\|a(m-1)\|_2 \, \|a(m)\|_2}`.

    The kurtosis is the raw (non-excess) fourth standardised moment (3 for a
    Gaussian-shaped spectrum). The slope is the Timbre-Toolbox slope, i.e. the
    regression of the amplitude spectrum normalised by its sum; it is negative
    when the normalised amplitude falls with frequency. The decrease weights the
    low bins most; :math:`a_1` is the first row of ``S`` (the DC bin of an
    STFT). The flux is the Timbre-Toolbox *spectral variation*: one minus the
    cosine similarity of successive frames, i.e. half the squared Euclidean
    distance between successive :math:`L_2`-normalised spectra, in ``[0, 1]``.
    Flatness is in ``[0, 1]`` (1 for a flat spectrum; about 0.85 for the STFT
    magnitudes of white noise, whose per-bin values are Rayleigh distributed, and
    near 0 for a pure tone); crest is in ``[1, K]``.

    Parameters
    ----------
    S : np.ndarray [shape=(n_bins, n_frames) or (n_clips, n_bins, n_frames)]
        Non-negative real magnitude spectrogram, e.g. ``np.abs(librosa.stft(y))``
        (any further leading axes are also accepted). A power spectrogram is
        accepted too, but then every row describes the power spectrum (and the
        roll-off its square); the reference values quoted here assume
        magnitudes, as in the Timbre Toolbox's default.
    freqs : np.ndarray [shape=(n_bins,)]
        Centre frequency of each bin in Hz, finite, non-negative and
        non-decreasing, e.g. ``librosa.fft_frequencies(sr=sr, n_fft=n_fft)``.
    rolloff_percent : float in (0, 1]
        Fraction :math:`\rho` of the frame energy below the roll-off frequency
        (0.95 as in the Timbre Toolbox; librosa's default is 0.85).
    log_frequency : bool
        If False (default), centroid, spread, skewness, kurtosis and roll-off
        use the linear frequency axis :math:`f_k` in Hz. If True they use the
        log-frequency axis :math:`\log_2(f_k / 27.5\,\mathrm{Hz})`, in octaves
        above A0 (the convention of ``librosa.hz_to_octs``, so 440 Hz is 4.0):
        the centroid is then the log of the :math:`p`-weighted geometric mean
        frequency and the spread is in octaves. Log-frequency values are
        pitch-shift equivariant and far less skewed across clips, so they
        behave better when pooled over frames or compared across notes. Bins
        with :math:`f_k = 0` (DC) are placed at the lowest positive frequency in
        ``freqs``. Slope (per Hz) and decrease (per bin) are unchanged.
    floor : np.ndarray [shape=(n_frames,) or (n_clips, n_frames)], optional
        The lowest magnitude of each frame: smaller magnitudes are raised to it
        before the descriptors, e.g. ``floor_db`` dB below the frame's peak as
        :func:`sktimbre._dsp.silence.floor_relative` does (the peak of the whole
        spectrum, of which ``S`` may be a band). Applied to the normalised copy
        this function makes anyway, so it costs no copy of ``S``. ``None``
        (default) reads the magnitudes as they are.

    Returns
    -------
    shape : np.ndarray [shape=(10, n_frames) or (n_clips, 10, n_frames)], float64
        The descriptors in the order of :data:`SHAPE_FEATURE_NAMES`, one column
        per frame (leading axes of ``S`` are kept).

        Conventions, so that the output is always finite:

        - A *silent* frame (all magnitudes 0) gives 0 for all ten rows. Since
          the crest of any non-silent frame is at least 1, ``crest == 0``
          identifies silent frames, e.g. to exclude them when pooling.
        - A Dirac spectrum (spread 0, all energy in one bin, or bins at one
          frequency) has skewness and kurtosis 0.
        - The slope is 0 when all ``freqs`` are equal; the decrease is 0 when
          :math:`\sum_{k\ge2} a_k = 0` (including ``n_bins == 1``).
        - The flux of the first frame is 0; the flux of a silent frame is 0 and
          that of a sounding frame after a silent one is 1 (maximal change).
        - Flatness floors the magnitudes at :math:`10^{-5}` times the frame
          maximum (-100 dB) before taking logarithms, so exact zeros do not
          send it to 0 by themselves.

    Raises
    ------
    ValueError
        If ``S`` has fewer than 2 dimensions, is complex, contains negative or
        non-finite values, if ``freqs`` does not match ``n_bins`` or is not
        finite, non-negative and non-decreasing, or if ``rolloff_percent`` is not
        in (0, 1].

    See Also
    --------
    librosa.feature.spectral_centroid, librosa.feature.spectral_bandwidth,
    librosa.feature.spectral_rolloff, librosa.feature.spectral_flatness

    Notes
    -----
    Fully vectorised over frames and clips (no Python loop); memory is a few
    times the size of ``S`` in float64.

    References
    ----------
    .. [1] G. Peeters, B. L. Giordano, P. Susini, N. Misdariis and S. McAdams,
       "The Timbre Toolbox: Extracting audio descriptors from musical
       signals", J. Acoust. Soc. Am. 130(5), 2902-2916, 2011.
    .. [2] G. Peeters, "A large set of audio features for sound description
       (similarity and classification) in the CUIDADO project", IRCAM, 2004.

    Examples
    --------
    A 1 kHz tone: the centroid sits at the tone, the spectrum is peaky.

    >>> import numpy as np
    >>> from sktimbre._dsp.shape import SHAPE_FEATURE_NAMES, spectral_shape
    >>> sr, n_fft = 22050, 2048
    >>> freqs = np.fft.rfftfreq(n_fft, 1 / sr)
    >>> t = np.arange(n_fft) / sr
    >>> frame = np.sin(2 * np.pi * 1000.0 * t) * np.hanning(n_fft)
    >>> S = np.abs(np.fft.rfft(frame))[:, None]
    >>> F = spectral_shape(S, freqs)
    >>> F.shape
    (10, 1)
    >>> row = dict(zip(SHAPE_FEATURE_NAMES, F[:, 0]))
    >>> bool(abs(row["centroid"] - 1000.0) < 20.0), bool(row["flatness"] < 0.05)
    (True, True)
    >>> round(float(spectral_shape(S, freqs, log_frequency=True)[0, 0]), 2)
    5.18
    """
    S = np.asarray(S)
    if S.ndim < 2:
        raise ValueError(f"S must have shape (..., n_bins, n_frames), got shape {S.shape}")
    if np.iscomplexobj(S):
        raise ValueError("S must be a real magnitude spectrogram; pass np.abs(stft)")
    if S.dtype not in (np.float32, np.float64):
        S = S.astype(np.float64)
    n_bins, n_frames = S.shape[-2:]
    if n_bins < 1:
        raise ValueError("S must have at least one frequency bin")
    # Validation on the frame maxima (NaN propagates through max) and the minimum:
    # two reductions instead of two full passes with temporaries.
    peak = S.max(axis=-2).astype(np.float64)  # (..., T)
    if not np.all(np.isfinite(peak)):
        raise ValueError("S must be finite")
    if S.size and S.min() < 0:
        if not np.isfinite(S.min()):
            raise ValueError("S must be finite")
        raise ValueError("S must be non-negative (a magnitude spectrogram)")

    freqs = np.asarray(freqs, dtype=np.float64)
    if freqs.shape != (n_bins,):
        raise ValueError(f"freqs must have shape ({n_bins},) to match S, got {freqs.shape}")
    if not np.all(np.isfinite(freqs)) or np.any(freqs < 0):
        raise ValueError("freqs must be finite and non-negative (Hz)")
    if np.any(np.diff(freqs) < 0):
        raise ValueError("freqs must be sorted in non-decreasing order")
    rho = float(rolloff_percent)
    if not 0.0 < rho <= 1.0:
        raise ValueError(f"rolloff_percent must be in (0, 1], got {rolloff_percent!r}")

    lead = S.shape[:-2]
    out = np.zeros(lead + (len(SHAPE_FEATURE_NAMES), n_frames), dtype=np.float64)
    if n_frames == 0:
        return out

    # Scale every frame to a maximum of 1: gain invariance and no under/overflow.
    # X is the one float64 copy of S: every step below reads it or works in place.
    if floor is not None:
        floor = np.broadcast_to(np.asarray(floor, dtype=np.float64), peak.shape)
        if not np.all(np.isfinite(floor)) or np.any(floor < 0):
            raise ValueError("floor must be finite and non-negative")
        peak = np.maximum(peak, floor)  # the peak of the floored frame
    active = peak > 0
    X = np.empty(S.shape, dtype=np.float64)
    np.divide(S, np.where(active, peak, 1.0)[..., None, :], out=X)
    if floor is not None:
        np.maximum(X, np.where(active, floor / np.where(active, peak, 1.0), 0.0)[..., None, :],
                   out=X)

    if log_frequency:
        positive = freqs[freqs > 0]
        if positive.size == 0:
            raise ValueError("log_frequency=True needs at least one positive frequency")
        axis = np.log2(np.maximum(freqs, positive[0]) / _OCTAVE_REF_HZ)
    else:
        axis = freqs

    # Every descriptor linear in the spectrum (raw moments, slope, decrease, sums)
    # comes out of one matrix product over all frames.
    # Raw moments are taken about a fixed shift, then converted to central ones;
    # the shift keeps the conversion well conditioned.
    shift = 0.5 * (axis[0] + axis[-1])
    lin = np.matmul(_linear_rows(axis - shift, freqs), X)  # (..., 8, T)
    total = lin[..., 6, :]  # >= 1 on active frames
    inv_total = 1.0 / np.where(active, total, 1.0)  # p_k = X_k * inv_total

    # --- moments (centroid, spread, skewness, kurtosis)
    r1, r2, r3, r4 = (lin[..., i, :] * inv_total for i in range(4))
    centroid = r1 + shift
    m2 = r2 - r1**2
    m3 = r3 - 3 * r1 * r2 + 2 * r1**3
    m4 = r4 - 4 * r1 * r3 + 6 * r1**2 * r2 - 3 * r1**4
    spread = np.sqrt(np.maximum(m2, 0.0))
    axis_range = axis[-1] - axis[0]
    ok = spread > _DEGENERATE_SPREAD * axis_range
    safe_spread = np.where(ok, spread, 1.0)
    skewness = np.where(ok, m3 / safe_spread**3, 0.0)
    kurtosis = np.where(ok, m4 / safe_spread**4, 0.0)

    # --- slope: regression of p_k on the linear frequencies (per Hz)
    slope = lin[..., 4, :] * inv_total

    # --- decrease
    num, den = lin[..., 5, :], lin[..., 7, :]
    decrease = np.where(den > 0, num / np.where(den > 0, den, 1.0), 0.0)

    # --- roll-off on the energy a_k^2
    k_roll, energy_total = _rolloff_bins(X, rho)
    rolloff = axis[k_roll]
    norm = np.where(active, np.sqrt(energy_total), 1.0)  # L2 norm of each frame

    # --- flux (spectral variation): 1 - cosine similarity of successive frames
    dot = np.einsum("...kt,...kt->...t", X[..., 1:], X[..., :-1])
    cos = dot / (norm[..., 1:] * norm[..., :-1])
    flux = np.zeros(lead + (n_frames,))
    flux[..., 1:] = np.where(active[..., :-1], np.clip(1.0 - cos, 0.0, 1.0), 1.0)

    # --- flatness and crest (X has maximum 1 in active frames); X is floored last,
    # in place, as nothing else reads it any more
    np.maximum(X, _FLATNESS_FLOOR, out=X)
    mean_log = _sum_of_logs(X) / n_bins
    safe_mean = np.where(active, total / n_bins, 1.0)
    flatness = np.minimum(np.exp(mean_log) / safe_mean, 1.0)
    crest = 1.0 / safe_mean

    rows = (centroid, spread, skewness, kurtosis, slope, decrease, rolloff, flatness, crest, flux)
    for i, row in enumerate(rows):
        out[..., i, :] = np.where(active, row, 0.0)
    return out


def _linear_rows(a, freqs):
    """Weights of the linear descriptors, one row each, for ``rows @ X``.

    Rows: the shifted axis ``a`` to the powers 1-4 (raw moments), the slope's
    regression weights, the decrease's numerator weights, all ones (the frame's
    sum) and ones but for the first bin (the decrease's denominator).
    """
    n_bins = freqs.size
    rows = np.zeros((8, n_bins))
    rows[0] = a
    rows[1] = a**2
    rows[2] = a**3
    rows[3] = a**4
    fc = freqs - freqs.mean()
    sxx = float(fc @ fc)
    if sxx > 0:
        rows[4] = fc / sxx
    if n_bins > 1:
        w = 1.0 / np.arange(1, n_bins)
        rows[5, 0] = -w.sum()
        rows[5, 1:] = w
        rows[7, 1:] = 1.0
    rows[6] = 1.0
    return rows


def _rolloff_bins(X, rho):
    """Roll-off bin of each frame of magnitudes ``X`` (..., K, T), and each frame's energy.

    The bin is the number of bins whose cumulative energy ``X**2`` is below ``rho``
    times the total (capped at ``K - 1``). A cumulative sum along the bins of the
    whole stack is slow (it runs across the memory layout), and so is a squared copy
    of it: block sums of squares locate the block where the threshold is crossed,
    and only that block is squared and summed bin by bin.
    """
    n_bins = X.shape[-2]
    if rho >= 1.0:  # the last bin with energy (exactly, whatever the rounding of sums)
        nonzero = X > 0
        last = n_bins - 1 - np.argmax(nonzero[..., ::-1, :], axis=-2)
        return np.where(nonzero.any(axis=-2), last, 0), _sum_of_squares(X)
    block = max(int(np.sqrt(n_bins)), 1)
    n_blocks = n_bins // block
    if n_blocks < 2:
        cumulative = np.cumsum(np.square(X), axis=-2)
        total = cumulative[..., -1, :]
        k = (cumulative < rho * total[..., None, :]).sum(axis=-2)
        return np.minimum(k, n_bins - 1), total
    shape = X.shape[:-2] + (n_blocks, block, X.shape[-1])
    sums = _sum_of_squares(X[..., : n_blocks * block, :].reshape(shape))  # (..., nb, T)
    coarse = np.cumsum(sums, axis=-2)
    total = coarse[..., -1, :] + _sum_of_squares(X[..., n_blocks * block :, :])
    threshold = rho * total
    b = (coarse < threshold[..., None, :]).sum(axis=-2)  # block of the crossing (nb: tail)
    before = np.take_along_axis(coarse, np.maximum(b - 1, 0)[..., None, :], axis=-2)[..., 0, :]
    before = np.where(b > 0, before, 0.0)
    rows = b[..., None, :] * block + np.arange(block)[:, None]  # (..., block, T)
    fine = np.square(np.take_along_axis(X, np.minimum(rows, n_bins - 1), axis=-2))
    fine[rows >= n_bins] = np.inf  # past the last bin: never below the threshold
    fine[..., 0, :] += before
    np.cumsum(fine, axis=-2, out=fine)
    within = (fine < threshold[..., None, :]).sum(axis=-2)
    # The coarse sums put the crossing inside block b; rounding must not push it out.
    within = np.where(b < n_blocks, np.minimum(within, block - 1), within)
    return np.minimum(b * block + within, n_bins - 1), total


def _sum_of_squares(X):
    """``np.square(X).sum(axis=-2)``, without the squared copy."""
    return np.einsum("...kt,...kt->...t", X, X)


# Bins multiplied together before one logarithm: values in [1e-5, 1] keep a product
# of 32 of them above 1e-160, far from underflow, and the logarithm (the costly
# part of the flatness) is taken 32 times less often.
_LOG_BLOCK = 32


def _sum_of_logs(x):
    """``np.log(x).sum(axis=-2)`` for ``x`` in ``[1e-5, 1]``, as logs of block products."""
    n_bins = x.shape[-2]
    n_blocks = n_bins // _LOG_BLOCK
    head = x[..., : n_blocks * _LOG_BLOCK, :]
    shape = x.shape[:-2] + (n_blocks, _LOG_BLOCK, x.shape[-1])
    products = np.multiply.reduce(head.reshape(shape), axis=-2)
    total = np.log(products).sum(axis=-2)
    if n_bins > n_blocks * _LOG_BLOCK:
        total += np.log(x[..., n_blocks * _LOG_BLOCK :, :]).sum(axis=-2)
    return total
