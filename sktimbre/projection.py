"""Projections that make descriptor vectors pitch-robust timbre embeddings."""

from __future__ import annotations

from numbers import Integral

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted, validate_data

from ._nanrows import NaNRowsPassthrough
from ._sklearn_compat import Interval, check_feature_names_in, fit_context

__all__ = ["NaNRowsPassthrough", "PitchNullProjection"]


class PitchNullProjection(TransformerMixin, BaseEstimator):
    """Remove the directions that predict an estimated pitch, then drop the pitch column.

    A nullspace projection (in the spirit of Ravfogel et al. 2020) with the clip's
    own estimated pitch as the protected attribute, so no pitch labels are needed:
    one column of ``X`` holds an f0 estimate (e.g. ``harmonic__f0_log2`` from
    :class:`~sktimbre.HarmonicDescriptors`). The other columns are standardised,
    and the directions of their cross-covariance with the polynomial features
    ``p, p**2, ..., p**degree`` of the standardised pitch ``p`` are projected out.
    After that, no linear function of the output -- in particular no later linear
    projection such as LDA -- correlates with those pitch terms on the fitting
    data, while everything orthogonal to them is kept. The pitch column itself is
    dropped.

    Parameters
    ----------
    pitch_column : int, default=-1
        Index of the column holding the pitch estimate (any monotonic pitch scale,
        e.g. log2 of f0 in Hz). Rows where it is not finite are ignored in ``fit``.
    degree : int, default=2
        Highest power of the pitch whose correlates are removed; this many
        directions are removed. 0 only centres (and scales) and drops the pitch
        column.
    standardize : bool, default=True
        Scale the non-pitch columns to unit variance before projecting (for raw
        descriptors in mixed units). Set False after a projection whose geometry
        should be kept, such as LDA: the columns are then only centred.

    Attributes
    ----------
    components_ : ndarray of shape (degree, ``n_features_in_ - 1``)
        Orthonormal directions removed (in the space without the pitch column).
    n_features_in_ : int
        Number of input columns, pitch column included.
    feature_names_in_ : ndarray of str
        Input column names, when ``X`` had them.

    References
    ----------
    S. Ravfogel, Y. Elazar, H. Gonen, M. Twiton and Y. Goldberg, "Null it out:
    Guarding protected attributes by iterative nullspace projection", ACL 2020.

    Examples
    --------
    >>> import numpy as np
    >>> from sktimbre.projection import PitchNullProjection
    >>> rng = np.random.default_rng(0)
    >>> pitch = rng.uniform(40, 80, 200)
    >>> timbre = rng.normal(size=(200, 3))
    >>> X = np.column_stack([timbre + 0.1 * pitch[:, None], pitch])
    >>> Z = PitchNullProjection(degree=1).fit_transform(X)
    >>> Z.shape
    (200, 3)
    >>> bool(abs(np.corrcoef(Z @ np.ones(3), pitch)[0, 1]) < 0.1)
    True
    """

    _parameter_constraints: dict = {
        "pitch_column": [Integral],
        "degree": [Interval(Integral, 0, None, closed="left")],
        "standardize": ["boolean"],
    }

    def __init__(self, *, pitch_column=-1, degree=2, standardize=True):
        self.pitch_column = pitch_column
        self.degree = degree
        self.standardize = standardize

    def _split(self, X):
        col = self.pitch_column % X.shape[1]
        return X[:, col], np.delete(X, col, axis=1)

    @fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Find the pitch-predictive directions.

        Parameters
        ----------
        X : array-like of shape (n_clips, n_features)
            Descriptors, one column of which is the pitch estimate.
        y : None
            Ignored: the pitch comes from ``X`` itself.

        Returns
        -------
        self : PitchNullProjection
        """
        X = validate_data(self, X, ensure_min_features=2, ensure_all_finite="allow-nan")
        if not -X.shape[1] <= self.pitch_column < X.shape[1]:
            raise ValueError(f"pitch_column={self.pitch_column} is out of range for "
                             f"{X.shape[1]} columns")
        pitch, Z = self._split(X)
        rows = np.isfinite(pitch) & np.isfinite(Z).all(axis=1)
        pitch, Z = pitch[rows], Z[rows]
        if self.degree > Z.shape[1]:
            raise ValueError(f"degree={self.degree} must not exceed the number of "
                             f"non-pitch columns, {Z.shape[1]}")
        mean, scale = Z.mean(axis=0), Z.std(axis=0)
        scale[scale == 0] = 1.0
        if not self.standardize:
            scale = np.ones_like(scale)
        Z = (Z - mean) / scale
        p = (pitch - pitch.mean()) / (pitch.std() or 1.0)
        T = np.stack([p**k for k in range(1, self.degree + 1)], axis=1) if self.degree else (
            np.zeros((len(p), 0)))
        T = T - T.mean(axis=0)
        # orthonormal basis of the cross-covariance directions Z^T T
        u, s, _ = np.linalg.svd(Z.T @ T, full_matrices=False)
        self.components_ = u[:, s > s.max(initial=0.0) * 1e-10].T
        self.mean_, self.scale_ = mean, scale
        return self

    def transform(self, X) -> np.ndarray:
        """Drop the pitch column and project out the pitch directions.

        Parameters
        ----------
        X : array-like of shape (n_clips, n_features)

        Returns
        -------
        X_new : ndarray of shape (n_clips, n_features - 1)
            Centred (and, with ``standardize``, scaled) non-pitch columns. NaN rows
            stay NaN.
        """
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, ensure_all_finite="allow-nan")
        _, Z = self._split(X)
        Z = (Z - self.mean_) / self.scale_
        W = self.components_
        return Z - (Z @ W.T) @ W

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        """Input names without the pitch column.

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            Input column names; ``x0, x1, ...`` when not given.

        Returns
        -------
        feature_names_out : ndarray of str objects
        """
        check_is_fitted(self)
        names = check_feature_names_in(self, input_features)
        return np.delete(names, self.pitch_column % self.n_features_in_)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        return tags
