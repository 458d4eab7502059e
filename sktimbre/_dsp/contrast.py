"""Octave-band spectral contrast of magnitude spectrograms (array in, array out)."""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from .mel import power_to_db

__all__ = ["spectral_contrast"]


def spectral_contrast(S: np.ndarray, *, sr: int, n_fft: int, fmin: float = 200.0,
                      n_bands: int = 6, quantile: float = 0.02, linear: bool = False,
                      floor: np.ndarray | None = None) -> np.ndarray:
    r"""Spectral contrast per octave band and frame, as :func:`librosa.feature.spectral_contrast`.

    Bands: the first from 0 Hz to ``fmin``, then ``n_bands`` octaves from ``fmin``
    (the last one extended to the highest bin of ``S``). In each band and frame, the
    peak :math:`P` and valley :math:`V` are the means of the top and bottom
    ``quantile`` of the band's magnitudes, and the contrast is
    :math:`10 \log_{10} P - 10 \log_{10} V` (dB levels floored 80 dB below each
    clip's maximum), or :math:`P - V` with ``linear=True``.

    Parameters
    ----------
    S : ndarray of shape (..., n_bins, n_frames)
        Magnitude STFT(s). ``n_bins`` may be fewer than ``1 + n_fft // 2``: the bins
        above are then not read (a band-limited analysis).
    sr : int
        Sample rate in Hz.
    n_fft : int
        FFT length of ``S`` in samples (fixes the frequency of each bin).
    fmin : float, default=200.0
        Upper edge of the lowest band in Hz.
    n_bands : int, default=6
        Octave bands above ``fmin``.
    quantile : float, default=0.02
        Fraction of a band's bins defining its peak and valley.
    linear : bool, default=False
        Linear instead of dB difference.
    floor : ndarray of shape (..., n_frames), optional
        The lowest magnitude of each frame: smaller magnitudes are raised to it, as
        :func:`sktimbre._dsp.silence.floor_relative` does. Raising is monotone, so
        it is applied to the selected peak and valley magnitudes only, not to a
        copy of ``S``.

    Returns
    -------
    contrast : ndarray of shape (..., n_bands + 1, n_frames)

    Raises
    ------
    ValueError
        If the top band's lower edge is not below the highest frequency read.

    References
    ----------
    D.-N. Jiang, L. Lu, H.-J. Zhang, J.-H. Tao and L.-H. Cai, "Music type
    classification by spectral contrast feature", Proc. ICME 2002.

    Examples
    --------
    >>> import numpy as np, librosa
    >>> from sktimbre._dsp.contrast import spectral_contrast
    >>> S = np.abs(librosa.stft(np.random.default_rng(0).normal(size=8192)))
    >>> C = spectral_contrast(S[None], sr=22050, n_fft=2048)
    >>> np.allclose(C[0], librosa.feature.spectral_contrast(S=S, sr=22050), atol=1e-3)
    True
    """
    n_rows = S.shape[-2]
    top = (n_rows - 1) * sr / n_fft
    if fmin * 2.0 ** (n_bands - 1) >= top:
        raise ValueError(
            f"fmin={fmin} Hz with n_bands={n_bands} octaves puts a band edge above the "
            f"highest frequency read ({top:g} Hz: the Nyquist frequency or the band limit)"
        )
    shape = S.shape[:-2] + (n_bands + 1, S.shape[-1])
    peak, valley = np.zeros(shape), np.zeros(shape)
    if floor is not None:
        floor = np.asarray(floor)[..., None, :]
    for k, (lo, hi, q) in enumerate(_band_rows(sr, n_fft, fmin, n_bands, quantile, n_rows)):
        band = S[..., lo:hi, :]
        if q == 1:  # the band's extremes
            low, high = band.min(axis=-2, keepdims=True), band.max(axis=-2, keepdims=True)
        else:  # the whole stack at once (np.partition is slower here than a sort)
            part = np.sort(band, axis=-2)
            low, high = part[..., :q, :], part[..., -q:, :]
        if floor is not None:
            low, high = np.maximum(low, floor), np.maximum(high, floor)
        valley[..., k, :] = low.mean(axis=-2)
        peak[..., k, :] = high.mean(axis=-2)
    if linear:
        return peak - valley
    # the dB floor (top_db) is set per clip, as librosa does on each clip
    return power_to_db(peak) - power_to_db(valley)


@lru_cache(maxsize=32)
def _band_rows(sr: int, n_fft: int, fmin: float, n_bands: int, quantile: float,
               n_rows: int) -> tuple:
    """Bin range ``[lo, hi)`` and quantile count of each octave band, as librosa's.

    The top band ends at the last of the ``n_rows`` bins read.
    """
    freq = np.fft.rfftfreq(n_fft, d=1.0 / sr)[:n_rows]
    octa = np.zeros(n_bands + 2)
    octa[1:] = fmin * (2.0 ** np.arange(0, n_bands + 1))
    bands = []
    for k, (f_low, f_high) in enumerate(zip(octa[:-1], octa[1:], strict=True)):
        band = (freq >= f_low) & (freq <= f_high)
        idx = np.flatnonzero(band)
        if k > 0:
            band[idx[0] - 1] = True
        if k == n_bands:
            band[idx[-1] + 1 :] = True
        rows = np.flatnonzero(band)
        q = max(int(np.rint(quantile * len(rows))), 1)  # counted before the last row goes
        if k < n_bands:
            rows = rows[:-1]
        bands.append((int(rows[0]), int(rows[-1]) + 1, q))  # contiguous rows
    return tuple(bands)
