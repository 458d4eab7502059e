"""Every use of scikit-learn's private API, in one place.

scikit-learn keeps some of what a contrib package needs to feel native in private
modules: the parameter-constraint classes behind ``_parameter_constraints``, the
``_fit_context`` decorator that validates them, the helpers behind
``get_feature_names_out`` and ``set_output``. They can move between releases.
Importing them only here (as imbalanced-learn's ``utils/_sklearn_compat.py`` does)
means a scikit-learn release that moves one breaks one file, and the fix is made
once. The rest of sktimbre imports these names from this module, never from
``sklearn.*._private``.
"""

from __future__ import annotations

from sklearn.base import _fit_context
from sklearn.model_selection._split import GroupsConsumerMixin
from sklearn.utils._param_validation import Interval, StrOptions, validate_parameter_constraints
from sklearn.utils._set_output import _wrap_data_with_container
from sklearn.utils.validation import _check_feature_names_in, _num_samples

__all__ = [
    "validate_estimator_params",
    "Interval",
    "StrOptions",
    "GroupsConsumerMixin",
    "check_feature_names_in",
    "fit_context",
    "num_samples",
    "validate_parameter_constraints",
    "wrap_data_with_container",
]

fit_context = _fit_context
"""``@fit_context(prefer_skip_nested_validation=True)``: validate the estimator's
``_parameter_constraints`` once, at ``fit``."""

check_feature_names_in = _check_feature_names_in
"""Validate ``input_features`` of ``get_feature_names_out`` against ``n_features_in_``."""

num_samples = _num_samples
"""Number of samples of an array-like, as scikit-learn's cross-validators count them."""

wrap_data_with_container = _wrap_data_with_container
"""Wrap a ``transform`` output in the container ``set_output`` asked for (pandas...)."""


def validate_estimator_params(estimator) -> None:
    """Check an estimator's parameters against its ``_parameter_constraints``.

    What ``fit_context`` does before ``fit``; for estimators rebuilt from a file,
    which are not fitted again.
    """
    estimator._validate_params()
