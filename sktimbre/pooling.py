"""Per-clip statistics of frame-wise descriptors ("pooling" over time).

A descriptor family produces a matrix of frame-wise values per clip; a timbre
vector needs one fixed-length row per clip. :func:`pool_frames` summarises each
descriptor over the frames of a clip with the statistics a user asks for, and
works on a stack of equal-length clips at once.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["POOLING_STATISTICS", "pool_frames", "pooled_feature_names", "check_pooling"]

POOLING_STATISTICS = ("mean", "std", "median", "iqr", "min", "max", "skew", "kurtosis")
"""Names accepted in a family's ``pooling`` parameter."""


def check_pooling(pooling) -> tuple[str, ...]:
    """Validate a ``pooling`` parameter value and return it as a tuple of names.

    Parameters
    ----------
    pooling : str or sequence of str
        One statistic name, or several, from :data:`POOLING_STATISTICS`.

    Returns
    -------
    stats : tuple of str

    Raises
    ------
    ValueError
        If a name is unknown, repeated, or none is given.

    Examples
    --------
    >>> from sktimbre.pooling import check_pooling
    >>> check_pooling("mean")
    ('mean',)
    >>> check_pooling(["mean", "iqr"])
    ('mean', 'iqr')
    """
    stats = (pooling,) if isinstance(pooling, str) else tuple(pooling)
    if not stats:
        raise ValueError("pooling must name at least one statistic")
    unknown = [s for s in stats if s not in POOLING_STATISTICS]
    if unknown:
        raise ValueError(
            f"unknown pooling statistic(s) {unknown}; choose from {list(POOLING_STATISTICS)}"
        )
    if len(set(stats)) != len(stats):
        raise ValueError(f"pooling statistics must be unique, got {list(stats)}")
    return stats


def _central_moment_ratio(F, order):
    mu = F.mean(axis=-1, keepdims=True)
    dev = F - mu
    var = np.mean(dev**2, axis=-1)
    moment = np.mean(dev**order, axis=-1)
    # A constant descriptor has no shape: report 0 (skew) or the Gaussian 3 (kurtosis)
    # rather than NaN, so a silent clip still yields a finite row.
    flat = var <= 1e-12 * (1.0 + np.mean(F**2, axis=-1))
    out = moment / np.where(flat, 1.0, var ** (order / 2))
    return np.where(flat, 0.0 if order == 3 else 3.0, out)


# Statistics over the selected frames of a mask, the others set to NaN ("mean", "min"
# and "max" are computed without that copy, the moments by weights).
_NAN_STAT_FUNCTIONS = {
    "std": lambda F: np.nanstd(F, axis=-1),
    "median": lambda F: np.nanmedian(F, axis=-1),
    "iqr": lambda F: np.subtract(*np.nanpercentile(F, [75, 25], axis=-1)),
}

_STAT_FUNCTIONS = {
    "mean": lambda F: F.mean(axis=-1),
    "std": lambda F: F.std(axis=-1),
    # np.median is the mean of the middle values: with one or two, that mean (at a
    # fraction of np.median's cost, which one-note clips pay on every call)
    "median": lambda F: F.mean(axis=-1) if F.shape[-1] <= 2 else np.median(F, axis=-1),
    "iqr": lambda F: np.subtract(*np.percentile(F, [75, 25], axis=-1)),
    "min": lambda F: F.min(axis=-1),
    "max": lambda F: F.max(axis=-1),
    "skew": lambda F: _central_moment_ratio(F, 3),
    "kurtosis": lambda F: _central_moment_ratio(F, 4),
}


def pool_frames(
    F: np.ndarray, pooling: str | Sequence[str] = "mean", *, mask: np.ndarray | None = None
) -> np.ndarray:
    """Summarise frame-wise descriptors over time.

    Parameters
    ----------
    F : ndarray of shape (n_descriptors, n_frames) or (n_clips, n_descriptors, n_frames)
        Frame-wise values of one clip, or of a stack of clips with equal frame counts.
    pooling : str or sequence of str, default="mean"
        Statistics from :data:`POOLING_STATISTICS`: ``mean``, ``std`` (population),
        ``median``, ``iqr`` (75th minus 25th percentile, linear interpolation),
        ``min``, ``max``, ``skew`` and ``kurtosis`` (non-excess moment ratios;
        0 and 3 for a constant descriptor).
    mask : ndarray of bool, shape (n_frames,) or (n_clips, n_frames), optional
        Frames to pool over (e.g. the frames where the note sounds). A clip with
        no selected frame is pooled over all its frames.

    Returns
    -------
    pooled : ndarray of shape (n_stats * n_descriptors,) or (n_clips, n_stats * n_descriptors)
        Statistic-major: all descriptors' first statistic, then all their second, ...

    Examples
    --------
    >>> import numpy as np
    >>> from sktimbre.pooling import pool_frames
    >>> F = np.array([[1.0, 2.0, 3.0, 4.0], [0.0, 0.0, 0.0, 0.0]])
    >>> pool_frames(F, ["mean", "max"])
    array([2.5, 0. , 4. , 0. ])
    """
    stats = check_pooling(pooling)
    F = np.asarray(F, dtype=np.float64)
    if mask is None or np.all(mask):
        return np.concatenate([_STAT_FUNCTIONS[s](F) for s in stats], axis=-1)
    mask = np.asarray(mask, dtype=bool)
    mask = mask | ~mask.any(axis=-1, keepdims=True)  # an all-silent clip keeps every frame
    selected = mask[..., None, :]
    masked = None  # NaN in place of the frames left out, for the order statistics only
    pooled = []
    for stat in stats:
        if stat == "mean":  # np.nanmean's sum and count, without the NaN copy
            total = np.where(selected, F, 0.0).sum(axis=-1)
            pooled.append(total / mask.sum(axis=-1, dtype=np.intp)[..., None])
        elif stat in ("min", "max"):
            fill = np.inf if stat == "min" else -np.inf
            pooled.append(getattr(np.where(selected, F, fill), stat)(axis=-1))
        elif stat in _NAN_STAT_FUNCTIONS:
            if masked is None:
                masked = np.where(selected, F, np.nan)
            pooled.append(_NAN_STAT_FUNCTIONS[stat](masked))
        else:  # moments: centre on the masked mean, weight frames by the mask
            w = selected.astype(np.float64)
            n = w.sum(axis=-1)
            mu = np.where(selected, F, 0.0).sum(axis=-1) / n
            dev = np.where(w > 0, F - mu[..., None], 0.0)
            var = (dev**2).sum(axis=-1) / n
            order = 3 if stat == "skew" else 4
            moment = (dev**order).sum(axis=-1) / n
            flat = var <= 1e-12 * (1.0 + mu**2)
            out = moment / np.where(flat, 1.0, var ** (order / 2))
            pooled.append(np.where(flat, 0.0 if order == 3 else 3.0, out))
    return np.concatenate(pooled, axis=-1)


def pooled_feature_names(descriptor_names: Sequence[str], pooling) -> list[str]:
    """Names of :func:`pool_frames` outputs, in the same order.

    Parameters
    ----------
    descriptor_names : sequence of str
        One name per frame-wise descriptor, e.g. ``["mfcc_00", "mfcc_01"]``.
    pooling : str or sequence of str
        As in :func:`pool_frames`.

    Returns
    -------
    names : list of str
        ``"{descriptor}_{statistic}"`` for each statistic, then each descriptor.

    Examples
    --------
    >>> from sktimbre.pooling import pooled_feature_names
    >>> pooled_feature_names(["mfcc_00", "mfcc_01"], ["mean", "std"])
    ['mfcc_00_mean', 'mfcc_01_mean', 'mfcc_00_std', 'mfcc_01_std']
    """
    return [f"{name}_{stat}" for stat in check_pooling(pooling) for name in descriptor_names]
