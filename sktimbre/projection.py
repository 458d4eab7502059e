"""Projections that make descriptor vectors pitch-robust timbre embeddings.

* :class:`TimbreProjection` -- the last step of a timbre embedder: a projection
  (LDA, PCA, NCA, ...) applied to the rows of the clips that loaded, NaN rows for
  the others, output columns named ``timbre_00``, ``timbre_01``, ...;
* :class:`PitchNullProjection` -- removes what tracks an estimated pitch;
* :class:`FrozenLinearProjection` -- a fitted linear head stored as a matrix (the
  pretrained embedder's);
* :class:`NaNRowsPassthrough` -- any transformer on the complete rows only.
"""

from __future__ import annotations

import warnings
from numbers import Integral

import numpy as np
from sklearn.base import BaseEstimator, MetaEstimatorMixin, TransformerMixin, clone
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_array, check_is_fitted, validate_data

from ._sklearn_compat import Interval, check_feature_names_in, fit_context
from .persistence import register_trusted_type

__all__ = ["TimbreProjection", "PitchNullProjection", "FrozenLinearProjection",
           "NaNRowsPassthrough", "timbre_dimension_names"]


@register_trusted_type(name="sktimbre.projection.PitchNullProjection")
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


@register_trusted_type(name="sktimbre.projection.NaNRowsPassthrough")
class NaNRowsPassthrough(MetaEstimatorMixin, TransformerMixin, BaseEstimator):
    """Apply a transformer to the complete rows only; a row with NaN gives a NaN row.

    scikit-learn projections (LDA, PCA, ...) refuse a whole matrix if one value is
    NaN. In a timbre embedder, a NaN row is a clip that failed to load with
    ``on_error="warn"`` or ``"nan"``, and the other clips must still be embedded:
    this wrapper transforms the complete rows and returns NaN for the others.
    Fitting on NaN rows is refused with an error that counts them.

    Parameters
    ----------
    transformer : estimator
        A transformer with ``fit`` and ``transform``; cloned in ``fit``.

    Attributes
    ----------
    transformer_ : estimator
        The fitted clone.
    n_features_in_ : int
        Number of input columns.

    Other fitted attributes of the wrapped transformer (``classes_``,
    ``components_``, ``explained_variance_ratio_``, ...) read through the wrapper,
    so ``embedder[-1].classes_`` works as it would without it; so do ``predict``
    and ``score`` when the wrapped estimator has them (``embedder.score(X, y)``
    is then LDA's accuracy, as without the wrapper).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.decomposition import PCA
    >>> from sktimbre.projection import NaNRowsPassthrough
    >>> X = np.random.default_rng(0).normal(size=(10, 3))
    >>> step = NaNRowsPassthrough(PCA(n_components=2)).fit(X)
    >>> out = step.transform(np.vstack([X[:2], np.full((1, 3), np.nan)]))
    >>> np.isnan(out).all(axis=1).tolist()
    [False, False, True]
    >>> step.explained_variance_ratio_.shape  # read through from the fitted PCA
    (2,)
    """

    _wrapped = "transformer"  # the parameter holding the wrapped estimator

    def __init__(self, transformer):
        self.transformer = transformer

    def _inner(self):
        return getattr(self, self._wrapped)

    def _fitted(self):
        return getattr(self, self._wrapped + "_")

    def __getattr__(self, name):
        # Only called when normal lookup fails: read fitted attributes through.
        fitted = self.__dict__.get(type(self)._wrapped + "_")
        if fitted is not None and name.endswith("_") and not name.startswith("__"):
            return getattr(fitted, name)
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def fit(self, X, y=None, **fit_params):
        """Fit the transformer; rows with NaN are an error.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Descriptor rows.
        y : array-like of shape (n_samples,), default=None
            Labels, for supervised projections.
        **fit_params : dict
            Passed to the transformer's ``fit``.

        Returns
        -------
        self : NaNRowsPassthrough
        """
        bad = _nan_rows(X)
        if bad.any():
            rows = np.flatnonzero(bad)
            raise ValueError(
                f"cannot fit on rows with NaN: {bad.sum()} of {len(bad)} rows (rows "
                f"{rows[:10].tolist()}{' ...' if len(rows) > 10 else ''}) contain NaN, e.g. "
                "clips that failed to load; remove those clips (and their labels) first"
            )
        fitted = clone(self._inner()).fit(X, y, **fit_params)
        setattr(self, self._wrapped + "_", fitted)
        if hasattr(fitted, "n_features_in_"):
            self.n_features_in_ = fitted.n_features_in_
        if hasattr(fitted, "feature_names_in_"):
            self.feature_names_in_ = fitted.feature_names_in_
        return self

    def transform(self, X) -> np.ndarray:
        """Transform the complete rows; rows with any NaN come out all NaN.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Descriptor rows.

        Returns
        -------
        X_new : ndarray of shape (n_samples, n_components)
        """
        check_is_fitted(self)
        fitted = self._fitted()
        bad = _nan_rows(X)
        if not bad.any():
            return np.asarray(fitted.transform(X))
        good = np.flatnonzero(~bad)
        if good.size:
            rows = np.asarray(fitted.transform(_take(X, good)))
        else:  # only the output width is needed
            rows = np.asarray(fitted.transform(np.nan_to_num(_take(X, [0]))))[:0]
        out = np.full((len(bad), rows.shape[1]), np.nan)
        out[good] = rows
        return out

    @available_if(lambda self: hasattr(self._inner(), "predict"))
    def predict(self, X) -> np.ndarray:
        """The wrapped estimator's ``predict`` (e.g. LDA's instrument), on complete rows.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Descriptor rows, without NaN.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
        """
        check_is_fitted(self)
        return self._fitted().predict(X)

    @available_if(lambda self: hasattr(self._inner(), "score"))
    def score(self, X, y=None) -> float:
        """The wrapped estimator's ``score`` (e.g. LDA's accuracy), on complete rows.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Descriptor rows, without NaN.
        y : array-like of shape (n_samples,), default=None
            Labels.

        Returns
        -------
        score : float
        """
        check_is_fitted(self)
        return self._fitted().score(X, y)

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        """The transformer's output names.

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            Input column names.

        Returns
        -------
        feature_names_out : ndarray of str objects
        """
        check_is_fitted(self)
        return self._fitted().get_feature_names_out(input_features)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        inner = self._inner().__sklearn_tags__()
        # allow_nan stays False: fit refuses NaN, though transform passes NaN rows through
        tags.target_tags.required = inner.target_tags.required
        return tags


@register_trusted_type(name="sktimbre.projection.TimbreProjection")
class TimbreProjection(NaNRowsPassthrough):
    """The last step of a timbre embedder: a projection, its dimensions named ``timbre_NN``.

    Wraps a projection (LDA, PCA, NCA, a pipeline, ...) so that

    * its parameters are reached directly: ``project__n_components``,
      ``project__shrinkage`` in a grid search over an embedder (the 0.2 spelling
      ``project__projection__n_components`` works too);
    * the rows of clips that failed to load (NaN, with ``on_error="warn"`` or
      ``"nan"``) pass through as NaN rows while the others are projected
      (:class:`NaNRowsPassthrough`);
    * the output columns are named ``timbre_00``, ``timbre_01``, ... (what
      ``set_output(transform="pandas")`` and ``get_feature_names_out`` give).

    Fitted attributes of the projection (``classes_``, ``scalings_``,
    ``explained_variance_ratio_``, ...) and its ``predict``/``score`` read through.

    Parameters
    ----------
    projection : estimator
        A transformer with ``fit`` and ``transform``; cloned in ``fit``.

    Attributes
    ----------
    projection_ : estimator
        The fitted clone.
    n_features_in_ : int
        Number of input columns.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.decomposition import PCA
    >>> from sktimbre.projection import TimbreProjection
    >>> X = np.random.default_rng(0).normal(size=(10, 4))
    >>> step = TimbreProjection(PCA(n_components=3)).set_params(n_components=2).fit(X)
    >>> step.get_feature_names_out().tolist()
    ['timbre_00', 'timbre_01']
    >>> step.projection_.n_components
    2
    """

    _wrapped = "projection"

    def __init__(self, projection):
        self.projection = projection

    @property
    def transformer(self):
        """Deprecated since 0.2 (0.1's ``NaNRowsPassthrough.transformer``): use ``projection``."""
        warnings.warn("named_steps['project'].transformer is deprecated since 0.2; use "
                      ".projection", FutureWarning, stacklevel=2)
        return self.projection

    @property
    def transformer_(self):
        """Deprecated since 0.2: use ``projection_``."""
        warnings.warn("named_steps['project'].transformer_ is deprecated since 0.2; use "
                      ".projection_", FutureWarning, stacklevel=2)
        return self.projection_

    def get_params(self, deep: bool = True) -> dict:
        """Parameters, with the projection's own both as ``name`` and ``projection__name``.

        Parameters
        ----------
        deep : bool, default=True
            Include the projection's parameters.

        Returns
        -------
        params : dict
        """
        params = {"projection": self.projection}
        if deep and hasattr(self.projection, "get_params"):
            inner = self.projection.get_params(deep=True)
            params.update({f"projection__{k}": v for k, v in inner.items()})
            params.update({k: v for k, v in inner.items() if k != "projection"})
        return params

    def set_params(self, **params):
        """Set ``projection``, or the projection's own parameters (``n_components=...``).

        Parameters
        ----------
        **params : dict

        Returns
        -------
        self : TimbreProjection
        """
        if "projection" in params:
            self.projection = params.pop("projection")
        if any(k.startswith("transformer__") for k in params):
            warnings.warn("project__transformer__<name> is deprecated since 0.2: the "
                          "projection's parameters are project__<name>", FutureWarning,
                          stacklevel=3)
        inner = {k.removeprefix("projection__").removeprefix("transformer__"): v
                 for k, v in params.items()}
        if inner:
            valid = self.projection.get_params(deep=True)
            unknown = sorted(k for k in inner if k not in valid)
            if unknown:
                raise ValueError(
                    f"Invalid parameter {unknown[0]!r} for TimbreProjection of "
                    f"{type(self.projection).__name__}; valid parameters: {sorted(valid)}"
                )
            self.projection.set_params(**inner)
        return self

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        """``timbre_00``, ``timbre_01``, ..., one per output dimension.

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            Ignored.

        Returns
        -------
        feature_names_out : ndarray of str objects
        """
        check_is_fitted(self)
        return timbre_dimension_names(self._output_width())

    def _output_width(self) -> int:
        fitted = self._fitted()
        if hasattr(fitted, "get_feature_names_out"):
            try:
                return len(fitted.get_feature_names_out())
            except (AttributeError, ValueError, TypeError):
                pass
        return fitted.transform(np.zeros((1, self.n_features_in_))).shape[1]


def timbre_dimension_names(n: int) -> np.ndarray:
    """``timbre_00`` ... ``timbre_{n-1}``: the names of a timbre embedding's columns.

    Parameters
    ----------
    n : int
        Number of dimensions.

    Returns
    -------
    names : ndarray of str objects

    Examples
    --------
    >>> from sktimbre.projection import timbre_dimension_names
    >>> timbre_dimension_names(3).tolist()
    ['timbre_00', 'timbre_01', 'timbre_02']
    """
    width = max(2, len(str(n - 1)))
    return np.asarray([f"timbre_{i:0{width}d}" for i in range(n)], dtype=object)


@register_trusted_type(name="sktimbre.projection.FrozenLinearProjection",
                       aliases=["sktimbre.pretrained._FrozenLinearProjection"])
class FrozenLinearProjection(TransformerMixin, BaseEstimator):
    """A fixed affine map ``X @ components_.T + offset_``: a fitted linear head, frozen.

    The pretrained embedder's head (scaler and shrinkage LDA, both linear) is stored
    as one matrix and one offset, which no scikit-learn or numpy version changes.
    Build it with :meth:`from_arrays`. Like :class:`sklearn.frozen.FrozenEstimator`,
    it is frozen: ``fit`` learns nothing (it checks the input width) and
    :func:`~sklearn.base.clone` returns a copy with the same map, so a pipeline
    holding it can be cloned, fitted and grid-searched around it. NaN rows (clips
    that failed) stay NaN.

    Attributes
    ----------
    components_ : ndarray of shape (n_components, n_features)
        Projection matrix.
    offset_ : ndarray of shape (n_components,)
        Added after projecting.
    n_features_in_ : int
        ``components_.shape[1]``.

    Examples
    --------
    >>> import numpy as np
    >>> from sktimbre.projection import FrozenLinearProjection
    >>> proj = FrozenLinearProjection.from_arrays(np.array([[1.0, 1.0]]), np.array([-1.0]))
    >>> proj
    FrozenLinearProjection()
    >>> proj.transform(np.array([[1.0, 2.0]]))
    array([[2.]])
    """

    @classmethod
    def from_arrays(cls, components, offset) -> FrozenLinearProjection:
        """The map ``X @ components.T + offset``.

        Parameters
        ----------
        components : array-like of shape (n_components, n_features)
        offset : array-like of shape (n_components,)

        Returns
        -------
        projection : FrozenLinearProjection

        Raises
        ------
        ValueError
            If the shapes do not match or a value is not finite.
        """
        components = np.asarray(components, dtype=np.float64)
        offset = np.asarray(offset, dtype=np.float64)
        if components.ndim != 2 or offset.shape != (components.shape[0],):
            raise ValueError("components must be 2-D and offset 1-D with one value per row, "
                             f"got shapes {components.shape} and {offset.shape}")
        if not (np.isfinite(components).all() and np.isfinite(offset).all()):
            raise ValueError("components and offset must be finite")
        projection = cls()
        projection.components_, projection.offset_ = components, offset
        projection.n_features_in_ = components.shape[1]
        return projection

    def __setstate__(self, state):
        # sktimbre 0.1 kept the arrays as (constructor) parameters
        state = dict(state)
        if "components" in state:
            state["components_"] = np.asarray(state.pop("components"), dtype=np.float64)
            state["offset_"] = np.asarray(state.pop("offset"), dtype=np.float64)
            state.setdefault("n_features_in_", state["components_"].shape[1])
        super().__setstate__(state)

    def __sklearn_clone__(self):
        # frozen: a clone is the same map
        return FrozenLinearProjection.from_arrays(self.components_, self.offset_)

    def fit(self, X, y=None):
        """Check that ``X`` has the map's width; nothing is learned.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : None
            Ignored.

        Returns
        -------
        self : FrozenLinearProjection
        """
        check_is_fitted(self, "components_")
        X = check_array(X, ensure_all_finite="allow-nan")
        if X.shape[1] != self.components_.shape[1]:
            raise ValueError(f"X has {X.shape[1]} features, the map expects "
                             f"{self.components_.shape[1]}")
        return self

    def transform(self, X) -> np.ndarray:
        """Apply the map; NaN rows stay NaN.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        X_new : ndarray of shape (n_samples, n_components)
        """
        check_is_fitted(self, "components_")
        X = validate_data(self, X, reset=False, ensure_all_finite="allow-nan")
        return X @ self.components_.T + self.offset_

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        """``timbre_00``, ``timbre_01``, ...

        Parameters
        ----------
        input_features : ignored

        Returns
        -------
        feature_names_out : ndarray of str objects
        """
        check_is_fitted(self, "components_")
        return timbre_dimension_names(len(self.components_))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        return tags


def _take(X, rows):
    return X.iloc[rows] if hasattr(X, "iloc") else np.asarray(X)[rows]


def _nan_rows(X) -> np.ndarray:
    # validated here for clear errors (sparse, 1-D, text); the transformer checks again
    values = check_array(X, dtype=np.float64, ensure_all_finite="allow-nan")
    return np.isnan(values).any(axis=1)
