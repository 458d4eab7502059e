"""Let a projection pass the NaN rows of failed clips through, instead of refusing the batch."""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, MetaEstimatorMixin, TransformerMixin, clone
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_array, check_is_fitted

__all__ = ["NaNRowsPassthrough"]


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

    def __init__(self, transformer):
        self.transformer = transformer

    def __getattr__(self, name):
        # Only called when normal lookup fails: read fitted attributes through.
        fitted = self.__dict__.get("transformer_")
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
        self.transformer_ = clone(self.transformer).fit(X, y, **fit_params)
        if hasattr(self.transformer_, "n_features_in_"):
            self.n_features_in_ = self.transformer_.n_features_in_
        if hasattr(self.transformer_, "feature_names_in_"):
            self.feature_names_in_ = self.transformer_.feature_names_in_
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
        bad = _nan_rows(X)
        if not bad.any():
            return np.asarray(self.transformer_.transform(X))
        good = np.flatnonzero(~bad)
        if good.size:
            rows = np.asarray(self.transformer_.transform(_take(X, good)))
        else:  # only the output width is needed
            rows = np.asarray(self.transformer_.transform(np.nan_to_num(_take(X, [0]))))[:0]
        out = np.full((len(bad), rows.shape[1]), np.nan)
        out[good] = rows
        return out

    @available_if(lambda self: hasattr(self.transformer, "predict"))
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
        return self.transformer_.predict(X)

    @available_if(lambda self: hasattr(self.transformer, "score"))
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
        return self.transformer_.score(X, y)

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
        return self.transformer_.get_feature_names_out(input_features)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        inner = self.transformer.__sklearn_tags__()
        # allow_nan stays False: fit refuses NaN, though transform passes NaN rows through
        tags.target_tags.required = inner.target_tags.required
        return tags


def _take(X, rows):
    return X.iloc[rows] if hasattr(X, "iloc") else np.asarray(X)[rows]


def _nan_rows(X) -> np.ndarray:
    # validated here for clear errors (sparse, 1-D, text); the transformer checks again
    values = check_array(X, dtype=np.float64, ensure_all_finite="allow-nan")
    return np.isnan(values).any(axis=1)
