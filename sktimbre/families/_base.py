"""What every descriptor family shares: input handling, NaN rows, names, tags."""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import _check_feature_names_in

from ..frontend import ClipBatch, ClipStream, as_clip_batch, f0_analysis, stft_analysis
from ..pooling import POOLING_STATISTICS, check_pooling, pool_frames, pooled_feature_names

_POOLING_CONSTRAINT = [StrOptions(set(POOLING_STATISTICS)), list, tuple]


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
    """
    energy = np.square(S, dtype=np.float64).sum(axis=-2)
    peak = energy.max(axis=-1, keepdims=True)
    return energy > peak * 10.0 ** (-active_db / 10.0)


def _check_window(window, n_fft: int) -> None:
    """Fail at fit, with the parameter's name, on a window scipy does not know."""
    from scipy.signal import get_window

    try:
        get_window(window, n_fft)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"window={window!r} is not a window scipy.signal.get_window "
                         f"knows ({exc})") from None


class DescriptorFamily(TransformerMixin, BaseEstimator):
    """Base class of descriptor families: raw audio or a ClipBatch in, one row per clip out.

    Subclasses define ``_prefix``, ``_analyses()``, ``_descriptor_names()`` and
    ``_features(batch)``, which yields ``(indices, rows)`` for groups of valid clips.
    Families learn nothing in ``fit`` (they are stateless, like
    :class:`~sklearn.preprocessing.Normalizer`); clips that failed to load give NaN rows.
    """

    _parameter_constraints: dict = {
        "sr": [Interval(Integral, 1, None, closed="left")],
    }

    _prefix = ""

    def fit(self, X, y=None):
        """Validate the parameters and the clips; nothing is learned from them.

        Parameters
        ----------
        X : clips or ClipBatch
            Paths, 1-D arrays, a 2-D array ``(n_clips, n_samples)``, or the output
            of :class:`~sktimbre.AudioFrontEnd`.
        y : None
            Ignored.

        Returns
        -------
        self : object
        """
        self._fit_batch(X)
        return self

    def fit_transform(self, X, y=None, **fit_params) -> np.ndarray:
        """Fit, then transform ``X``, decoding it only once.

        Parameters
        ----------
        X : clips or ClipBatch
            As in :meth:`transform`.
        y : None
            Ignored.
        **fit_params : dict
            Ignored.

        Returns
        -------
        X_new : ndarray of shape (n_clips, n_features_out)
        """
        return self.transform(self._fit_batch(X))

    def _fit_batch(self, X) -> ClipBatch:
        self._validate_params()
        self._check_settings()
        if isinstance(X, np.ndarray) and X.ndim == 2:
            self.n_features_in_ = X.shape[1]
        elif hasattr(self, "n_features_in_"):
            del self.n_features_in_
        if isinstance(X, ClipStream):  # decoded chunk by chunk in transform
            return X
        return as_clip_batch(X, sr=self.sr)

    def transform(self, X) -> np.ndarray:
        """Compute the descriptors of every clip.

        Parameters
        ----------
        X : clips, ClipBatch or ClipStream
            Paths, 1-D arrays, a 2-D array ``(n_clips, n_samples)``, or the output
            of :class:`~sktimbre.AudioFrontEnd`. Raw audio is taken to be at ``sr``.

        Returns
        -------
        X_new : ndarray of shape (n_clips, n_features_out)
            One row per clip; NaN rows for clips that failed to load in a batch made
            with ``on_error="nan"``.
        """
        self._validate_params()
        self._check_settings()
        if isinstance(X, ClipStream):
            return X.map_families([self])[0]
        return self._rows(as_clip_batch(X, sr=self.sr))

    def _rows(self, batch: ClipBatch) -> np.ndarray:
        """Rows of a decoded batch as a plain array (NaN rows for failed clips)."""
        out = np.full((len(batch), len(self._feature_names())), np.nan)
        for idx, rows in self._features(batch):
            out[idx] = rows
        return out

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        """Names of the output columns, e.g. ``mfcc_03_mean``.

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            Ignored (the input is audio, not a table), except that its length is
            checked against the clip length when fitted on a 2-D array.

        Returns
        -------
        feature_names_out : ndarray of str objects
        """
        if hasattr(self, "n_features_in_") and input_features is not None:
            _check_feature_names_in(self, input_features)
        return np.asarray(self._feature_names(), dtype=object)

    def _feature_names(self) -> list[str]:
        return list(self._descriptor_names())

    def _check_settings(self) -> None:
        """Cross-parameter checks that ``_parameter_constraints`` cannot express."""

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.requires_fit = False
        tags.input_tags.two_d_array = True
        tags.transformer_tags.preserves_dtype = []
        return tags


class FrameDescriptorFamily(DescriptorFamily):
    """A family of frame-wise descriptors from one analysis, pooled over time per clip.

    Subclasses define ``_frames(A, sr)``: an analysis stack ``(n_clips, n_bins,
    n_frames)`` -- the magnitude STFT unless they override ``_analyses`` -- to
    descriptors ``(n_clips, n_descriptors, n_frames)``.
    """

    _parameter_constraints: dict = {
        **DescriptorFamily._parameter_constraints,
        "n_fft": [Interval(Integral, 16, None, closed="left")],
        "hop_length": [Interval(Integral, 1, None, closed="left")],
        "window": [str, tuple],
        "pooling": _POOLING_CONSTRAINT,
        "active_db": [Interval(Real, 0, None, closed="neither"), None],
    }

    def _analyses(self) -> list[tuple]:
        return [stft_analysis(self.n_fft, self.hop_length, self.window)]

    def _features(self, batch: ClipBatch):
        pooling = check_pooling(self.pooling)
        (key,) = self._analyses()
        for idx, S in batch.analysis(key):
            mask = None if self.active_db is None else active_frames(S, self.active_db)
            yield idx, pool_frames(self._frames(S, batch.sr), pooling, mask=mask)

    def _feature_names(self) -> list[str]:
        return pooled_feature_names(self._descriptor_names(), self.pooling)

    def _check_settings(self) -> None:
        check_pooling(self.pooling)
        _check_window(self.window, self.n_fft)


class F0DescriptorFamily(DescriptorFamily):
    """A family that needs the clip's f0: a long STFT and the f0 estimate derived from it.

    Both are analyses of the batch, so every such family shares them.
    """

    _parameter_constraints: dict = {
        **DescriptorFamily._parameter_constraints,
        "fmin": [Interval(Real, 0, None, closed="neither")],
        "fmax": [Interval(Real, 0, None, closed="neither")],
        "n_fft": [Interval(Integral, 16, None, closed="left")],
        "hop_length": [Interval(Integral, 1, None, closed="left")],
        "window": [str, tuple],
    }

    def _check_settings(self) -> None:
        if self.fmin >= self.fmax:
            raise ValueError(f"fmin={self.fmin} Hz must be below fmax={self.fmax} Hz")
        _check_window(self.window, self.n_fft)

    def _analyses(self) -> list[tuple]:
        return [stft_analysis(self.n_fft, self.hop_length, self.window),
                f0_analysis(self.n_fft, self.hop_length, self.window, self.fmin, self.fmax)]
