"""What every descriptor family shares: declared analyses in, one row per clip out.

A family is a thin scikit-learn transformer over a pure function:

* :meth:`DescriptorFamily.required_analyses` declares what it needs, as a mapping
  from input names to analyses (``{"S": STFT(2048, 512)}``);
* :meth:`DescriptorFamily.describe` turns those analyses -- stacked over a group of
  clips -- into rows, with no access to clips, batches or streams.

The front end's executor (:func:`sktimbre.frontend.extract`) computes the analyses
once per clip for all the families that declare them and calls ``describe``.
"""

from __future__ import annotations

from dataclasses import dataclass
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin

from .._dsp.onsets import frames_since_onset
from .._dsp.silence import frame_floor
from .._sklearn_compat import Interval, StrOptions, check_feature_names_in, fit_context
from ..frontend import (
    STFT,
    Analysis,
    F0Track,
    FrameEnergy,
    MelSpectrogram,
    Onsets,
    as_clips,
    extract,
)
from ..pooling import POOLING_STATISTICS, check_pooling, pool_frames, pooled_feature_names

__all__ = ["DescriptorFamily", "FrameDescriptorFamily", "F0DescriptorFamily"]

_POOLING_CONSTRAINT = [StrOptions(set(POOLING_STATISTICS)), list, tuple]


def _check_window(window, n_fft: int) -> None:
    """Fail at fit, with the parameter's name, on a window scipy does not know."""
    from scipy.signal import get_window

    try:
        get_window(window, n_fft)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"window={window!r} is not a window scipy.signal.get_window "
                         f"knows ({exc})") from None


def band_limit_rows(n_fft: int, sr: float, band_limit: float | None) -> int:
    """Number of STFT rows (bins) at or below ``band_limit`` Hz.

    Parameters
    ----------
    n_fft : int
        FFT length in samples.
    sr : float
        Sample rate in Hz.
    band_limit : float or None
        Highest frequency read, in Hz; ``None`` reads up to the Nyquist frequency.

    Returns
    -------
    n_rows : int

    Examples
    --------
    >>> from sktimbre.families._base import band_limit_rows
    >>> band_limit_rows(2048, 22050, 8000.0), band_limit_rows(2048, 22050, None)
    (744, 1025)
    """
    n_bins = 1 + n_fft // 2
    if band_limit is None:
        return n_bins
    return int(min(n_bins, np.floor(band_limit * n_fft / sr) + 1))


def onset_analysis(stft: STFT) -> Onsets:
    """The note onsets of an STFT's frames, as every family of sktimbre declares them.

    Flux of a 64-band mel spectrogram up to 8 kHz, and changes of the f0 track, both
    from ``stft``: a family asking for onsets on the 2048/512 STFT shares them (and
    the mel bands, and the f0 track) with every other family that does.
    """
    return Onsets(mel=MelSpectrogram(stft, 64, 0.0, 8000.0, 50.0), f0=F0Track(stft=stft))


# float32 FFT rounding noise sits about 140 dB below a frame's level: descriptors whose
# levels are floored no deeper than this below their reference read a float32 FFT
_FLOAT32_SAFE_FLOOR_DB = 100.0


def _fft_precision(floor_db) -> str | None:
    """The STFT precision a family whose levels are floored ``floor_db`` dB down needs.

    ``"float32"`` when the floor lies far above float32 rounding noise (faster, and
    the same descriptors to ~1e-5); ``None`` (librosa's float64 below 4096 samples)
    when nothing is floored, as spectral-contrast valleys of clean tones then read
    that noise.
    """
    return "float32" if floor_db is not None and floor_db <= _FLOAT32_SAFE_FLOOR_DB else None


def _hashable(value):
    """A parameter as part of an analysis key (a list -- a window read back from a model
    file -- becomes a tuple)."""
    return tuple(_hashable(v) for v in value) if isinstance(value, list | tuple) else value


@dataclass(frozen=True)
class FrameDescriptors(Analysis):
    """A frame family's frame-wise descriptors, before pooling.

    Declared by every :class:`FrameDescriptorFamily`; families of the same class and
    frame settings (that differ only in ``pooling``, ``active_db`` or
    ``onset_window``) get the same array, computed once per clip.

    Parameters
    ----------
    family : type
        The family's class, whose ``_frames`` computes them.
    params : tuple of (str, value)
        Its parameters that shape the frames.
    source : Analysis
        What the frames are computed from.
    """

    family: type
    params: tuple
    source: Analysis

    def requires(self):
        return (self.source,)

    def nbytes(self, n_samples):
        return 8 * 64 * (1 + n_samples // 64)  # a few dozen float64 rows per frame

    def compute(self, inputs, sr):
        (A,) = inputs
        return self.family(**dict(self.params))._frames(A, sr)


class DescriptorFamily(TransformerMixin, BaseEstimator):
    """Base class of descriptor families: audio in, one row per clip out.

    A subclass stores its parameters in ``__init__`` (an ``sr`` among them, the
    sample rate of raw audio given to it directly) and defines

    * :meth:`required_analyses`: what it needs, e.g. ``{"S": STFT(2048, 512)}``;
    * :meth:`describe`: its pure function, from those analyses (stacked over a group
      of clips) to rows;
    * ``_descriptor_names()``: the names of its output columns.

    Everything else -- decoding, computing each analysis once per clip for all the
    families of a union, chunks, worker processes, NaN rows for failed clips,
    ``get_feature_names_out``, ``set_output`` -- comes from the front end and this
    class. Families learn nothing in ``fit`` (they are stateless, like
    :class:`~sklearn.preprocessing.Normalizer`): it validates the parameters and
    the clips.

    Examples
    --------
    A family of one descriptor, the frequency of the loudest STFT bin, averaged
    over frames:

    >>> import numpy as np
    >>> from sktimbre.families import DescriptorFamily
    >>> from sktimbre.frontend import STFT
    >>> class LoudestBin(DescriptorFamily):
    ...     def __init__(self, *, n_fft=2048, sr=22050):
    ...         self.n_fft = n_fft
    ...         self.sr = sr
    ...     def required_analyses(self):
    ...         return {"S": STFT(self.n_fft, self.n_fft // 4)}
    ...     def describe(self, *, sr, S):
    ...         hz = S.argmax(axis=1) * sr / self.n_fft  # (n_clips, n_frames)
    ...         return hz.mean(axis=1, keepdims=True)
    ...     def _descriptor_names(self):
    ...         return ["loudest_hz"]
    >>> t = np.arange(22050) / 22050
    >>> LoudestBin().fit_transform([np.sin(2 * np.pi * 1000.0 * t)]).round()
    array([[1001.]])
    """

    _parameter_constraints: dict = {
        "sr": [Interval(Integral, 1, None, closed="left")],
    }

    def required_analyses(self) -> dict[str, Analysis]:
        """The analyses :meth:`describe` needs, by the name it takes them under.

        Returns
        -------
        analyses : dict of str to Analysis
        """
        raise NotImplementedError

    def describe(self, *, sr: int, **inputs: np.ndarray) -> np.ndarray:
        """Rows of a group of clips from their analyses: the family's pure function.

        Parameters
        ----------
        sr : int
            Sample rate in Hz.
        **inputs : ndarray
            Each analysis of :meth:`required_analyses`, stacked over the clips of
            the group (first axis).

        Returns
        -------
        rows : ndarray of shape (n_clips, n_features_out)
        """
        raise NotImplementedError

    def __setstate__(self, state):
        # A family saved before one of its parameters existed gets that parameter's
        # default (e.g. band_limit=None): what it computed then.
        import inspect

        defaults = {name: p.default for name, p in
                    inspect.signature(type(self).__init__).parameters.items()
                    if p.default is not inspect.Parameter.empty}
        super().__setstate__({**defaults, **state})

    @fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Validate the parameters and the clips; nothing is learned from them.

        Parameters
        ----------
        X : clips, ClipBatch or ClipStream
            Paths, 1-D arrays, a 2-D array ``(n_clips, n_samples)``, or the output
            of :class:`~sktimbre.AudioFrontEnd`.
        y : None
            Ignored.

        Returns
        -------
        self : object
        """
        self._fit(X)
        return self

    @fit_context(prefer_skip_nested_validation=True)
    def fit_transform(self, X, y=None, **fit_params) -> np.ndarray:
        """Fit, then transform ``X``, decoding it only once.

        Parameters
        ----------
        X : clips, ClipBatch or ClipStream
            As in :meth:`transform`.
        y : None
            Ignored.
        **fit_params : dict
            Ignored.

        Returns
        -------
        X_new : ndarray of shape (n_clips, n_features_out)
        """
        return self.transform(self._fit(X))

    def _fit(self, X):
        if hasattr(X, "ndim") and X.ndim == 2:
            self.n_features_in_ = X.shape[1]
        elif hasattr(self, "n_features_in_"):
            del self.n_features_in_
        clips = as_clips(X, sr=self.sr)  # decoding validates the clips
        self._check_settings(clips.sr)
        return clips

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
            One row per clip; NaN rows for clips that failed to load with
            ``on_error="warn"`` or ``"nan"``.
        """
        return extract(as_clips(X, sr=self.sr), [self]).rows[0]

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
            check_feature_names_in(self, input_features)
        return np.asarray(self._feature_names(), dtype=object)

    def _feature_names(self) -> list[str]:
        return list(self._descriptor_names())

    def _check_settings(self, sr: int) -> None:
        """Cross-parameter checks that ``_parameter_constraints`` cannot express.

        ``sr`` is the sample rate of the clips the family is fitted on.
        """

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.requires_fit = False
        tags.input_tags.two_d_array = True
        tags.transformer_tags.preserves_dtype = []
        return tags


class FrameDescriptorFamily(DescriptorFamily):
    """A family of frame-wise descriptors of one spectrogram, pooled over time per clip.

    Subclasses have the parameters ``n_fft``, ``hop_length``, ``window``,
    ``pooling``, ``active_db`` and ``sr`` (and may have ``band_limit`` and
    ``onset_window``), and define ``_frames(A, sr)``: a stack of their source
    analysis (the magnitude STFT ``(n_clips, n_bins, n_frames)`` unless ``_source``
    says otherwise) to descriptors ``(n_clips, n_descriptors, n_frames)``, and
    ``_descriptor_names()``. The frames become an analysis of their own
    (:class:`FrameDescriptors`), computed once for every family that pools them;
    pooling (over the sounding frames with ``active_db``, after each onset with
    ``onset_window``) and the column names (``name_stat``) come from this class.

    Examples
    --------
    >>> import numpy as np
    >>> from sktimbre.families import FrameDescriptorFamily
    >>> class Energy(FrameDescriptorFamily):
    ...     def __init__(self, *, n_fft=2048, hop_length=512, window="hann",
    ...                  pooling=("mean", "max"), active_db=None, sr=22050):
    ...         self.n_fft, self.hop_length, self.window = n_fft, hop_length, window
    ...         self.pooling, self.active_db, self.sr = pooling, active_db, sr
    ...     def _frames(self, S, sr):
    ...         return np.square(S).sum(axis=1, keepdims=True)  # (n_clips, 1, n_frames)
    ...     def _descriptor_names(self):
    ...         return ["energy"]
    >>> family = Energy().fit([np.ones(4096)])
    >>> family.get_feature_names_out().tolist()
    ['energy_mean', 'energy_max']
    """

    _parameter_constraints: dict = {
        **DescriptorFamily._parameter_constraints,
        "n_fft": [Interval(Integral, 16, None, closed="left")],
        "hop_length": [Interval(Integral, 1, None, closed="left")],
        "window": [str, tuple],
        "pooling": _POOLING_CONSTRAINT,
        "active_db": [Interval(Real, 0, None, closed="neither"), None],
    }
    # Parameters some frame families have (see their docstrings):
    # band_limit (Hz, the highest frequency read) and onset_window (s after an onset).
    _OPTIONAL_CONSTRAINTS: dict = {
        "band_limit": [Interval(Real, 0, None, closed="neither"), None],
        "onset_window": [Interval(Real, 0, None, closed="neither"), None],
        "floor_db": [Interval(Real, 0, None, closed="neither"), None],
    }

    # Parameters that choose how the frames are pooled, not what they are: families
    # that differ only in these share one FrameDescriptors analysis.
    _POOLING_PARAMS = frozenset({"pooling", "active_db", "onset_window", "sr"})

    def _stft(self) -> STFT:
        return STFT(self.n_fft, self.hop_length, _hashable(self.window),
                    _fft_precision(getattr(self, "floor_db", None)))

    def _source(self) -> Analysis:
        """What the frames are computed from (the STFT; a mel spectrogram, a CQT...)."""
        return self._stft()

    def _energy(self) -> Analysis:
        """The frame energies that ``active_db`` thresholds."""
        return FrameEnergy(self._stft(), getattr(self, "band_limit", None))

    def required_analyses(self) -> dict[str, Analysis]:
        """The frame-wise descriptors, the frame energies, and the onsets with ``onset_window``.

        Returns
        -------
        analyses : dict of str to Analysis
            ``{"frames": FrameDescriptors(...), "energy": FrameEnergy(...)}``, plus
            ``"onsets"`` (:class:`~sktimbre.frontend.Onsets`). The frames are an
            analysis of their own, so two families that differ only in how they pool
            (``pooling``, ``active_db``, ``onset_window``) compute them once.
        """
        params = tuple(sorted((name, _hashable(value))
                              for name, value in self.get_params(deep=False).items()
                              if name not in self._POOLING_PARAMS))
        analyses = {"frames": FrameDescriptors(type(self), params, self._source()),
                    "energy": self._energy()}
        if getattr(self, "onset_window", None) is not None:
            analyses["onsets"] = onset_analysis(self._stft())
        return analyses

    def describe(self, *, sr: int, frames: np.ndarray, energy: np.ndarray,
                 onsets: np.ndarray | None = None) -> np.ndarray:
        """Frame-wise descriptors pooled over the sounding frames (and after each onset).

        Parameters
        ----------
        sr : int
            Sample rate in Hz.
        frames : ndarray of shape (n_clips, n_descriptors, n_frames)
            The family's frame-wise descriptors.
        energy : ndarray of shape (n_clips, n_frames)
            Frame energies: with ``active_db``, only frames within that many dB of the
            loudest are pooled.
        onsets : ndarray of bool, shape (n_clips, n_frames), optional
            Note onsets: with ``onset_window``, only frames at most that many seconds
            after one are pooled.

        Returns
        -------
        rows : ndarray of shape (n_clips, n_features_out)
        """
        mask = None
        if self.active_db is not None:
            mask = energy > energy.max(axis=-1, keepdims=True) * 10.0 ** (-self.active_db / 10)
        window = getattr(self, "onset_window", None)
        if window is not None:
            early = frames_since_onset(onsets) * self.hop_length <= window * sr
            mask = early if mask is None else mask & early
        return pool_frames(frames, self.pooling, mask=mask)

    def _band_rows(self, S: np.ndarray, sr: float) -> np.ndarray:
        """The rows of ``S`` at or below ``band_limit`` (a view), for the families that
        have that parameter."""
        limit = getattr(self, "band_limit", None)
        if limit is not None:
            S = S[..., :band_limit_rows(self.n_fft, sr, limit), :]
        return S

    def _frame_floor(self, S: np.ndarray) -> np.ndarray | None:
        """``floor_db`` below each frame's peak, as :func:`~sktimbre._dsp.silence.floor_relative`
        floors (``None`` without ``floor_db``). Passed to the descriptors, which floor
        what they read instead of a copy of ``S``."""
        floor_db = getattr(self, "floor_db", None)
        return None if floor_db is None else frame_floor(S, floor_db)

    def _feature_names(self) -> list[str]:
        return pooled_feature_names(self._descriptor_names(), self.pooling)

    def _check_settings(self, sr: int) -> None:
        check_pooling(self.pooling)
        _check_window(self.window, self.n_fft)


class F0DescriptorFamily(DescriptorFamily):
    """A family that reads the clip's f0: a long STFT and the f0 estimate derived from it.

    Both are analyses, so every such family shares them.
    """

    _parameter_constraints: dict = {
        **DescriptorFamily._parameter_constraints,
        "fmin": [Interval(Real, 0, None, closed="neither")],
        "fmax": [Interval(Real, 0, None, closed="neither")],
        "n_fft": [Interval(Integral, 16, None, closed="left")],
        "hop_length": [Interval(Integral, 1, None, closed="left")],
        "window": [str, tuple],
    }

    def _check_settings(self, sr: int) -> None:
        if self.fmin >= self.fmax:
            raise ValueError(f"fmin={self.fmin} Hz must be below fmax={self.fmax} Hz")
        _check_window(self.window, self.n_fft)

    def _stft(self) -> STFT:
        return STFT(self.n_fft, self.hop_length, _hashable(self.window))

    def required_analyses(self) -> dict[str, Analysis]:
        """The long STFT and the clip's f0: ``{"S": STFT(...), "f0": F0(...)}``.

        Returns
        -------
        analyses : dict of str to Analysis
        """
        from ..frontend import F0

        return {"S": self._stft(), "f0": F0(self._stft(), float(self.fmin), float(self.fmax))}

