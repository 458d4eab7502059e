"""The front end estimator: the first step of every timbre embedder."""

from __future__ import annotations

import threading
import warnings
from numbers import Integral, Real

from sklearn.base import BaseEstimator, TransformerMixin

from .._sklearn_compat import Interval, StrOptions, fit_context
from .._versions import RecordsVersions
from ..io import ClipWarning, _as_clip_list
from ..persistence import register_trusted_type
from ._analyses import as_analysis
from ._batch import ClipBatch, ClipStream, DecodeSettings, decode_clips
from ._cache import RowCache
from ._executor import analysis_groups
from ._failures import ON_ERROR, check_fit_failures, report_failures
from ._parallel import effective_n_jobs, single_blas_thread

__all__ = ["AudioFrontEnd", "as_clips"]


def as_clips(X, *, sr: int) -> ClipBatch | ClipStream:
    """``X`` itself if it is a front end's output, else ``X`` decoded into a ClipBatch.

    What a descriptor family does with raw audio given to it directly: decode it
    once, serially, with ``on_error="raise"`` and no trimming.

    Parameters
    ----------
    X : clips, ClipBatch or ClipStream
        Paths, 1-D arrays, a 2-D array ``(n_clips, n_samples)``, or the output of
        :class:`AudioFrontEnd`.
    sr : int
        Sample rate in Hz.

    Returns
    -------
    clips : ClipBatch or ClipStream
    """
    if isinstance(X, ClipBatch | ClipStream):
        return X
    items = _as_clip_list(X)
    if not items:
        raise ValueError("X contains no clips (0 clips given; at least 1 is required)")
    return decode_clips(items, 0, DecodeSettings(sr=sr))


@register_trusted_type(name="sktimbre.AudioFrontEnd",
                       aliases=["sktimbre.frontend.AudioFrontEnd"])
class AudioFrontEnd(RecordsVersions, TransformerMixin, BaseEstimator, auto_wrap_output_keys=None):
    """Decode and validate clips once, for the descriptor families to share.

    The first step of every timbre embedder. Up to ``batch_size`` clips in one
    process, it decodes them at once into a :class:`~sktimbre.frontend.ClipBatch`;
    for more, in parallel, or with ``cache=True``, it returns a
    :class:`~sktimbre.frontend.ClipStream` that the families' union decodes and
    describes chunk by chunk. Either way each clip is decoded once and each analysis
    the families declare (an STFT setting, a mel spectrogram, the f0) is computed
    once per clip, however many families use it (:func:`sktimbre.frontend.extract`).

    Parameters
    ----------
    sr : int, default=22050
        Sample rate in Hz. Files are resampled to it; arrays are assumed to be at it.
    analyses : sequence of Analysis, default=()
        Analyses to compute up front when the output is a ClipBatch (otherwise they
        are computed when a family asks, once). Rarely needed.
    trim_db : float or None, default=None
        Cut each clip's leading and trailing parts quieter than this many dB below
        its loudest frame (:func:`~sktimbre.frontend.trim_silence`), so that
        descriptors do not depend on how much silence a recording happens to carry
        before and after the note. ``None`` keeps clips as they are.
    on_error : {"raise", "warn", "nan"}, default="raise"
        What :meth:`transform` does with a clip that cannot be used (missing, empty
        or undecodable file, empty clip, NaN/Inf samples, a worker process killed
        while decoding it, ...; see ``docs/bad_input.md``).
        ``"raise"``: :class:`~sktimbre.io.InvalidClipError` naming the clip (index,
        path) and the problem. ``"warn"``: the clip's feature rows become NaN and
        one :class:`~sktimbre.io.ClipWarning` per call lists every failed clip.
        ``"nan"``: NaN rows too, without a warning. Either way the failures are
        recorded in ``failures_`` and the other clips' rows are exactly those of a
        clean run. Fitting never uses NaN rows: :meth:`fit` and
        :meth:`fit_transform` (so ``Pipeline.fit``) raise
        :class:`~sktimbre.io.InvalidClipError` listing every failed clip.
    n_jobs : int, default=None
        Processes used to decode and describe clips (joblib; ``None`` means 1 unless
        a ``joblib.parallel_config`` -- e.g. a Dask backend -- says otherwise,
        ``-1`` all cores). Results do not depend on it.
    batch_size : int, default=256
        Clips decoded and analysed at a time. Up to this many clips (with
        ``n_jobs=1``) the output is a ClipBatch, decoded at once; beyond it, or in
        parallel, a ClipStream whose chunks are decoded and reduced to rows one at a
        time, so memory does not grow with the corpus.
    max_duration : float or None, default=600.0
        Longest clip accepted, in seconds (every clip is analysed whole, so a very
        long one needs memory in proportion). Longer clips are refused with an
        :class:`~sktimbre.io.InvalidClipError` (or a NaN row with
        ``on_error="nan"``); ``None`` accepts any length.
    cache : bool, default=False
        Remember the families' rows of every clip and reuse them when the same clips
        come again with the same settings -- as in a grid search, which refits the
        pipeline on the same clips for every candidate. The rows are kept by this
        front end and shared with its clones (:func:`sklearn.base.clone`), in a
        :class:`~sktimbre.frontend.RowCache` of at most 256 MiB. Output is then
        always a ClipStream.

    Attributes
    ----------
    n_features_in_ : int
        Clip length in samples, only set when fitted on a 2-D array.
    failures_ : list of ClipFailure
        The clips of this thread's last :meth:`transform` call that could not be
        used, as named tuples ``(index, source, reason)`` (empty if all were fine),
        known once the families have described the output. In an embedder,
        ``embedder.named_steps["frontend"].failures_``.

    See Also
    --------
    sktimbre.make_timbre_embedder : Builds a pipeline starting with this step.

    Examples
    --------
    >>> import numpy as np
    >>> from sktimbre import AudioFrontEnd, MFCC
    >>> X = np.random.default_rng(0).normal(size=(3, 22050)).astype(np.float32)
    >>> batch = AudioFrontEnd().fit_transform(X)
    >>> batch
    ClipBatch(n_clips=3, sr=22050, analyses=[])
    >>> MFCC(n_mfcc=5).fit_transform(batch).shape
    (3, 5)
    """

    _parameter_constraints: dict = {
        "sr": [Interval(Integral, 1, None, closed="left")],
        "analyses": ["array-like", list, tuple],
        "trim_db": [Interval(Real, 0, None, closed="neither"), None],
        "on_error": [StrOptions(set(ON_ERROR))],
        "n_jobs": [Integral, None],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "max_duration": [Interval(Real, 0, None, closed="neither"), None],
        "cache": ["boolean"],
    }

    def __init__(self, *, sr=22050, analyses=(), trim_db=None, on_error="raise", n_jobs=None,
                 batch_size=256, max_duration=600.0, cache=False):
        self.sr = sr
        self.analyses = analyses
        self.trim_db = trim_db
        self.on_error = on_error
        self.n_jobs = n_jobs
        self.batch_size = batch_size
        self.max_duration = max_duration
        self.cache = cache

    # Parameters added after 0.1: front ends pickled before them get the defaults.
    _NEW_PARAMS = {"batch_size": 256, "max_duration": 600.0, "cache": False}
    # Per-process and per-thread state: never pickled, never saved.
    _TRANSIENT = ("_row_cache", "_thread_state")

    def __getstate__(self):
        state = super().__getstate__()
        for name in self._TRANSIENT:
            state.pop(name, None)
        return state

    def __setstate__(self, state):
        super().__setstate__({**self._NEW_PARAMS, **state})

    def __sklearn_clone__(self):
        # Clones (a grid search's candidates) share this front end's row cache.
        clone = super().__sklearn_clone__()
        if self.cache:
            clone._row_cache = self._get_row_cache()
        return clone

    @fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Validate the parameters and the clips; nothing is learned.

        Parameters
        ----------
        X : clips
            Paths, 1-D arrays or a 2-D array ``(n_clips, n_samples)``.
        y : None
            Ignored.

        Returns
        -------
        self : AudioFrontEnd
        """
        self._fit(X)
        return self

    @fit_context(prefer_skip_nested_validation=True)
    def fit_transform(self, X, y=None, **fit_params) -> ClipBatch | ClipStream:
        """Fit, then decode ``X`` once (see :meth:`transform`).

        Parameters
        ----------
        X : clips
            As in :meth:`transform`.
        y : None
            Ignored.
        **fit_params : dict
            Ignored.

        Returns
        -------
        clips : ClipBatch or ClipStream

        Raises
        ------
        InvalidClipError
            If any clip failed, whatever ``on_error``: nothing is fitted on NaN rows.
        """
        return self._fit(X)

    def _fit(self, X):
        for key in self.analyses:
            as_analysis(key)  # a clear error now rather than at the first transform
        if hasattr(X, "ndim") and X.ndim == 2 and not isinstance(X, ClipBatch | ClipStream):
            self.n_features_in_ = X.shape[1]
        elif hasattr(self, "n_features_in_"):
            del self.n_features_in_
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ClipWarning)  # the error below lists them
            out = self.transform(X)
        if isinstance(out, ClipStream):
            out.for_fit = True  # its failures are known once it is described
        check_fit_failures(out.failures(), len(out))
        return out

    def transform(self, X) -> ClipBatch | ClipStream:
        """Decode ``X`` into a ClipBatch, or wrap it in a ClipStream.

        Parameters
        ----------
        X : clips
            Paths, 1-D arrays, a 2-D array ``(n_clips, n_samples)``, or a ClipBatch
            or ClipStream (returned unchanged if its sample rate matches).

        Returns
        -------
        clips : ClipBatch or ClipStream
            A ClipBatch for up to ``batch_size`` clips with ``n_jobs=1`` and no
            cache; otherwise a ClipStream, decoded chunk by chunk as the families
            describe it.
        """
        if isinstance(X, ClipBatch | ClipStream):
            if X.sr != self.sr:
                raise ValueError(
                    f"{type(X).__name__} is at {X.sr} Hz but this front end is at {self.sr} Hz"
                )
            return self._record(X)
        items = _as_clip_list(X)
        if not items:
            raise ValueError("X contains no clips (0 clips given; at least 1 is required)")
        settings = DecodeSettings(sr=self.sr, trim_db=self.trim_db,
                                  max_duration=self.max_duration, on_error=self.on_error)
        n_jobs = effective_n_jobs(self.n_jobs)
        if self.cache or len(items) > self.batch_size or n_jobs not in (None, 1):
            return self._record(ClipStream(
                items, sr=self.sr, settings=settings, n_jobs=self.n_jobs,
                batch_size=self.batch_size, cache=self._get_row_cache() if self.cache else None))
        with single_blas_thread():
            batch = decode_clips(items, 0, settings)
            for key in self.analyses:
                analysis_groups(batch, as_analysis(key))
        report_failures(batch.failures(), len(batch), self.on_error)
        return self._record(batch)

    # -- per-thread record of the last output, per-front-end row cache -----------

    def _thread(self) -> threading.local:
        if "_thread_state" not in self.__dict__:
            self.__dict__["_thread_state"] = threading.local()
        return self.__dict__["_thread_state"]

    def _record(self, out):
        self._thread().output = out
        return out

    @property
    def failures_(self) -> list:
        output = getattr(self._thread(), "output", None)
        if output is None:
            raise AttributeError(
                "'AudioFrontEnd' object has no attribute 'failures_' (it is set by "
                "transform, in the thread that calls it)"
            )
        return output.failures()

    @failures_.setter
    def failures_(self, failures):
        # 0.1 let helpers overwrite it; keep that working for a plain list
        self._thread().output = _Recorded(list(failures))

    def _get_row_cache(self) -> RowCache:
        if self.__dict__.get("_row_cache") is None:
            self.__dict__["_row_cache"] = RowCache()
        return self.__dict__["_row_cache"]

    def get_feature_names_out(self, input_features=None):
        """There are no tabular output features: the output is a ClipBatch or ClipStream.

        Returns
        -------
        None
        """
        return None

    def set_output(self, *, transform=None):
        """Accept and ignore an output container: decoded clips are never a table.

        Lets ``Pipeline.set_output(transform="pandas")`` configure the whole pipeline.

        Parameters
        ----------
        transform : {"default", "pandas", "polars"} or None
            Ignored.

        Returns
        -------
        self : AudioFrontEnd
        """
        return self

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.requires_fit = False
        tags.input_tags.two_d_array = True
        tags.transformer_tags.preserves_dtype = []
        tags.non_deterministic = False
        return tags


class _Recorded:
    """A list of failures standing in for an output (``failures_ = [...]``)."""

    def __init__(self, failures):
        self._failures = failures

    def failures(self):
        return list(self._failures)
