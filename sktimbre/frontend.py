"""The front end: decode each clip once, analyse it once per setting, share the result.

Data flow of a timbre embedder::

    X (paths | arrays) --AudioFrontEnd--> ClipBatch --FeatureUnion of families--> features

:class:`AudioFrontEnd` decodes and validates the clips (in parallel with ``n_jobs``)
and returns a :class:`ClipBatch`. A batch is a memoising view over the decoded
clips: when a descriptor family asks it for an *analysis* -- a magnitude STFT for a
given ``(n_fft, hop_length, window)``, or a constant-Q transform -- the batch
computes it the first time, vectorised over clips of equal length, and hands the
same arrays to every later family that asks for the same setting. The analyses
named in ``AudioFrontEnd(analyses=...)`` are computed up front inside the parallel
workers; :func:`~sktimbre.make_timbre_embedder` fills that in from the families it
composes. Each family also accepts raw audio and then builds its own batch, so it
works alone as well as in a union.
"""

from __future__ import annotations

import warnings
from collections import defaultdict
from collections.abc import Sequence
from numbers import Integral, Real

import numpy as np
from joblib import Parallel, delayed
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils._param_validation import Interval, StrOptions

from ._versions import RecordsVersions
from .io import ClipWarning, InvalidClipError, load_audio

__all__ = ["AudioFrontEnd", "ClipBatch", "stft_analysis", "cqt_analysis", "f0_analysis",
           "trim_silence"]

# Stacks of clips are analysed in blocks of this many to bound peak memory
# (a complex STFT block is ~n_fft/2 * n_frames * 8 bytes per clip).
_BLOCK = 64


def stft_analysis(n_fft: int = 2048, hop_length: int = 512, window: str = "hann") -> tuple:
    """Key of a magnitude-STFT analysis, as used by :meth:`ClipBatch.analysis`.

    Parameters
    ----------
    n_fft : int, default=2048
        FFT length in samples.
    hop_length : int, default=512
        Frame advance in samples.
    window : str or tuple, default="hann"
        Window specification understood by :func:`scipy.signal.get_window`.

    Returns
    -------
    key : tuple
        ``("stft", n_fft, hop_length, window)``; the analysis is
        ``abs(librosa.stft(y, n_fft=n_fft, hop_length=hop_length, window=window,
        center=True))`` as float32, shape ``(1 + n_fft // 2, n_frames)`` per clip.

    Examples
    --------
    >>> from sktimbre.frontend import stft_analysis
    >>> stft_analysis(4096, 1024)
    ('stft', 4096, 1024, 'hann')
    """
    return ("stft", int(n_fft), int(hop_length), window)


def cqt_analysis(
    hop_length: int = 512,
    fmin: float | None = None,
    n_bins: int = 252,
    bins_per_octave: int = 36,
) -> tuple:
    """Key of a constant-Q magnitude analysis, as used by :meth:`ClipBatch.analysis`.

    Parameters
    ----------
    hop_length : int, default=512
        Frame advance in samples.
    fmin : float or None, default=None
        Lowest bin frequency in Hz (``None``: C1, about 32.7 Hz).
    n_bins : int, default=252
        Number of bins (7 octaves of 36 bins by default, as :func:`librosa.feature.chroma_cens`).
    bins_per_octave : int, default=36
        Bins per octave.

    Returns
    -------
    key : tuple
        ``("cqt", hop_length, fmin, n_bins, bins_per_octave)``; the analysis is
        ``abs(librosa.cqt(y, ...))`` with the tuning estimated per clip.

    Examples
    --------
    >>> from sktimbre.frontend import cqt_analysis
    >>> cqt_analysis()
    ('cqt', 512, None, 252, 36)
    """
    return ("cqt", int(hop_length), fmin, int(n_bins), int(bins_per_octave))


def f0_analysis(
    n_fft: int = 8192,
    hop_length: int = 2048,
    window: str = "hann",
    fmin: float = 27.5,
    fmax: float = 4200.0,
) -> tuple:
    """Key of a per-clip f0 estimate, derived from (and sharing) an STFT analysis.

    Parameters
    ----------
    n_fft, hop_length, window :
        The STFT analysis it is computed from (see :func:`stft_analysis`).
    fmin, fmax : float
        Search range in Hz.

    Returns
    -------
    key : tuple
        ``("f0", n_fft, hop_length, window, fmin, fmax)``; the analysis is one f0
        in Hz per clip (NaN for silence), by subharmonic summation on the clip's
        average magnitude spectrum (:func:`sktimbre._dsp.harmonic.estimate_f0`).

    Examples
    --------
    >>> from sktimbre.frontend import f0_analysis
    >>> f0_analysis()
    ('f0', 8192, 2048, 'hann', 27.5, 4200.0)
    """
    return ("f0", int(n_fft), int(hop_length), window, float(fmin), float(fmax))


def _f0_of_stft(key: tuple, S: np.ndarray, sr: int) -> np.ndarray:
    from ._dsp.harmonic import estimate_f0

    _, n_fft, _, _, fmin, fmax = key
    freqs = np.fft.rfftfreq(n_fft, d=1.0 / sr)
    fmax = min(fmax, 0.45 * sr)
    return np.array([estimate_f0(s.mean(axis=1), freqs, fmin=fmin, fmax=fmax) for s in S])


def _compute_analysis(key: tuple, stack: np.ndarray, sr: int) -> np.ndarray:
    """Compute one analysis for a stack of equal-length clips ``(n_clips, n_samples)``."""
    import librosa

    kind = key[0]
    if kind == "stft":
        _, n_fft, hop_length, window = key
        if stack.shape[-1] < n_fft:  # librosa warns and misbehaves on clips shorter than n_fft
            stack = np.pad(stack, ((0, 0), (0, n_fft - stack.shape[-1])))
        blocks = [
            np.abs(
                librosa.stft(stack[i : i + _BLOCK], n_fft=n_fft, hop_length=hop_length,
                             window=window, center=True)
            ).astype(np.float32, copy=False)
            for i in range(0, len(stack), _BLOCK)
        ]
        return np.concatenate(blocks)
    if kind == "cqt":
        _, hop_length, fmin, n_bins, bins_per_octave = key
        with warnings.catch_warnings():
            # librosa warns about short clips and silent ones (tuning estimation); both
            # are legitimate input here and give well-defined output.
            warnings.simplefilter("ignore")
            # One call per clip: librosa estimates a single tuning for a whole stack.
            return np.stack([
                np.abs(librosa.cqt(y, sr=sr, hop_length=hop_length, fmin=fmin, n_bins=n_bins,
                                   bins_per_octave=bins_per_octave, tuning=None)
                       ).astype(np.float32)
                for y in stack
            ])
    raise ValueError(f"unknown analysis {key!r}")


class ClipBatch(Sequence):
    """Decoded mono clips at one sample rate, with memoised analyses.

    Produced by :class:`AudioFrontEnd`; consumed by the descriptor families. Indexing
    gives the samples of a clip (``None`` for a clip that failed to load with
    ``on_error="nan"``).

    Parameters
    ----------
    clips : list of ndarray or None
        Mono float32 samples per clip.
    sr : int
        Sample rate in Hz.
    sources : list of str, optional
        Path of each clip, or ``"<array>"``.
    errors : dict of int to str, optional
        Message for each clip that failed to load.

    Attributes
    ----------
    valid : ndarray of bool
        Which clips loaded.
    analysis_count : dict
        How many clips each analysis was computed for (for tests and benchmarks).

    Examples
    --------
    >>> import numpy as np
    >>> from sktimbre.frontend import ClipBatch, stft_analysis
    >>> batch = ClipBatch([np.zeros(4096, np.float32)] * 3 + [np.zeros(100, np.float32)], sr=22050)
    >>> [(idx.tolist(), S.shape) for idx, S in batch.analysis(stft_analysis())]
    [([0, 1, 2], (3, 1025, 9)), ([3], (1, 1025, 5))]
    """

    def __init__(self, clips, *, sr: int, sources=None, errors=None):
        self.clips = list(clips)
        self.sr = int(sr)
        self.sources = list(sources) if sources is not None else ["<array>"] * len(self.clips)
        self.errors = dict(errors or {})
        self.valid = np.array([c is not None for c in self.clips], dtype=bool)
        self._cache: dict[tuple, list] = {}
        self.analysis_count: dict[tuple, int] = defaultdict(int)

    def __len__(self) -> int:
        return len(self.clips)

    def __getitem__(self, i):
        return self.clips[i]

    def __repr__(self) -> str:
        return f"ClipBatch(n_clips={len(self)}, sr={self.sr}, analyses={sorted(self._cache)})"

    def groups(self) -> list[np.ndarray]:
        """Indices of valid clips, grouped by length (in order of first appearance).

        Returns
        -------
        groups : list of ndarray of int
        """
        by_length: dict[int, list[int]] = {}
        for i, clip in enumerate(self.clips):
            if clip is not None:
                by_length.setdefault(len(clip), []).append(i)
        return [np.asarray(idx) for idx in by_length.values()]

    def stack(self, indices) -> np.ndarray:
        """Samples of equal-length clips as a 2-D array ``(len(indices), n_samples)``."""
        return np.stack([self.clips[i] for i in indices])

    def analysis(self, key: tuple) -> list[tuple[np.ndarray, np.ndarray]]:
        """An analysis of every valid clip, computed once and then reused.

        Parameters
        ----------
        key : tuple
            From :func:`stft_analysis` or :func:`cqt_analysis`.

        Returns
        -------
        groups : list of (indices, stack)
            For each group of equal-length clips, their indices in the batch and the
            analysis as an array ``(len(indices), n_bins, n_frames)``.
        """
        if key not in self._cache:
            if key[0] == "f0":  # derived from an STFT, which is shared too
                groups = [(idx, _f0_of_stft(key, S, self.sr))
                          for idx, S in self.analysis(stft_analysis(*key[1:4]))]
            else:
                groups = [(idx, _compute_analysis(key, self.stack(idx), self.sr))
                          for idx in self.groups()]
            self._store(key, groups)
        return self._cache[key]

    def _store(self, key: tuple, groups) -> None:
        # Merge per-chunk results (from parallel workers) into one stack per shape.
        by_shape: dict[tuple, list] = {}
        for idx, values in groups:
            by_shape.setdefault(values.shape[1:], []).append((idx, values))
        merged = []
        for parts in by_shape.values():
            idx = np.concatenate([p[0] for p in parts])
            values = parts[0][1] if len(parts) == 1 else np.concatenate([p[1] for p in parts])
            merged.append((idx, values))
            self.analysis_count[key] += len(idx)
        self._cache[key] = merged

    def report_errors(self) -> None:
        """Warn with :class:`~sktimbre.io.ClipWarning` about every clip that failed."""
        _warn_clip_errors(self.errors, len(self), stacklevel=4)


def _warn_clip_errors(errors: dict, n_clips: int, *, stacklevel: int = 3) -> None:
    if errors:
        lines = "\n".join(f"  {msg}" for _, msg in sorted(errors.items()))
        warnings.warn(
            f"{len(errors)} of {n_clips} clips could not be used and give NaN rows:\n{lines}",
            ClipWarning,
            stacklevel=stacklevel,
        )


def _offset_errors(errors: dict, start: int) -> dict:
    """Error messages of a chunk starting at clip ``start``, numbered in the whole batch."""
    return {i + start: msg.replace(f"clip {i} ", f"clip {i + start} ", 1)
            for i, msg in errors.items()}


def _offset_exception(exc, start: int):
    return type(exc)(exc.index + start, exc.source, exc.reason)


def trim_silence(y: np.ndarray, *, top_db: float = 60.0, frame_length: int = 256) -> np.ndarray:
    """Cut the leading and trailing parts of a clip quieter than ``top_db`` below its peak.

    The sounding part is found on frame RMS (``frame_length`` samples, hop a quarter
    of it), so low background noise does not count as sound; its ends are then
    refined to the first and last sample, within the first and last loud frame,
    whose magnitude is within ``top_db`` of the peak sample. A silent clip is returned
    unchanged.

    Parameters
    ----------
    y : ndarray of shape (n_samples,)
        Mono samples.
    top_db : float, default=60.0
        Threshold in dB below the loudest frame.
    frame_length : int, default=256
        RMS frame in samples (11.6 ms at 22,050 Hz).

    Returns
    -------
    y_trimmed : ndarray
        A view of ``y``.

    Examples
    --------
    >>> import numpy as np
    >>> from sktimbre.frontend import trim_silence
    >>> y = np.concatenate([np.zeros(1000), np.ones(2000), np.zeros(3000)])
    >>> len(trim_silence(y))
    2000
    """
    n = len(y)
    frame = min(frame_length, n)
    hop = max(1, frame // 4)
    energy = np.concatenate([[0.0], np.cumsum(np.square(y, dtype=np.float64))])
    starts = np.unique(np.append(np.arange(0, n - frame + 1, hop), n - frame))
    power = (energy[starts + frame] - energy[starts]) / frame
    peak = power.max(initial=0.0)
    if peak <= 0:
        return y
    loud = np.flatnonzero(power >= peak * 10.0 ** (-top_db / 10.0))
    first, last = starts[loud[0]], starts[loud[-1]] + frame
    threshold = np.abs(y).max() * 10.0 ** (-top_db / 20.0)
    head = np.flatnonzero(np.abs(y[first:first + frame]) >= threshold)
    tail = np.flatnonzero(np.abs(y[last - frame:last]) >= threshold)
    begin = first + (head[0] if head.size else 0)
    stop = last - frame + (tail[-1] + 1 if tail.size else frame)
    return y[begin:stop] if stop > begin else y[first:last]


def _load_chunk(items, start, sr, on_error, analyses, trim_db=None):
    """Worker: decode a chunk of clips and compute the requested analyses for it."""
    from threadpoolctl import threadpool_limits

    # Parallelism is across clips; nested BLAS/FFT threads would only oversubscribe.
    with threadpool_limits(limits=1):
        clips, sources, errors = _load(items, sr, on_error, start, trim_db)
        batch = ClipBatch(clips, sr=sr, sources=sources, errors=errors)
        computed = {key: [(idx + start, v) for idx, v in batch.analysis(key)] for key in analyses}
    return clips, sources, errors, computed


def _load(items, sr, on_error, start, trim_db=None):
    try:
        clips, sources, errors = load_audio(items, sr=sr, on_error=on_error)
    except InvalidClipError as exc:
        raise _offset_exception(exc, start) from None
    if trim_db is not None:
        clips = [None if c is None else trim_silence(c, top_db=trim_db) for c in clips]
    return clips, sources, _offset_errors(errors, start)


def as_clip_batch(X, *, sr: int, on_error: str = "raise", trim_db=None) -> ClipBatch:
    """Return ``X`` if it is a :class:`ClipBatch`, else decode it serially into one."""
    if isinstance(X, ClipBatch):
        return X
    clips, sources, errors = _load(X, sr, on_error, 0, trim_db)
    return ClipBatch(clips, sr=sr, sources=sources, errors=errors)


class AudioFrontEnd(RecordsVersions, TransformerMixin, BaseEstimator, auto_wrap_output_keys=None):
    """Decode and validate clips once, and precompute shared analyses.

    The first step of every timbre embedder. Its output, a :class:`ClipBatch`, is
    what the descriptor families consume: each clip is decoded once and each
    analysis (STFT setting, CQT) computed once, however many families use it.

    Parameters
    ----------
    sr : int, default=22050
        Sample rate in Hz. Files are resampled to it; arrays are assumed to be at it.
    analyses : sequence of tuple, default=()
        Analyses to compute up front, inside the parallel workers (keys from
        :func:`stft_analysis` / :func:`cqt_analysis`). Analyses not listed are still
        computed -- lazily, once, in the calling process -- when a family asks.
    trim_db : float or None, default=None
        Cut each clip's leading and trailing parts quieter than this many dB below
        its loudest frame (:func:`trim_silence`), so that descriptors do not depend
        on how much silence a recording happens to carry before and after the note.
        ``None`` keeps clips as they are.
    on_error : {"raise", "nan"}, default="raise"
        What to do with a clip that cannot be used (missing or undecodable file,
        empty, NaN/Inf samples, ...). ``"raise"``: :class:`~sktimbre.io.InvalidClipError`
        naming the clip. ``"nan"``: the clip's feature rows become NaN and a
        :class:`~sktimbre.io.ClipWarning` lists every failed clip.
    n_jobs : int, default=None
        Processes used to decode and analyse clips (joblib; ``None`` means 1,
        ``-1`` all cores). Results do not depend on it.

    Attributes
    ----------
    n_features_in_ : int
        Clip length in samples, only set when fitted on a 2-D array.

    See Also
    --------
    sktimbre.make_timbre_embedder : Builds a pipeline starting with this step.

    Examples
    --------
    >>> import numpy as np
    >>> from sktimbre import AudioFrontEnd, MFCC
    >>> from sktimbre.frontend import stft_analysis
    >>> X = np.random.default_rng(0).normal(size=(3, 22050)).astype(np.float32)
    >>> batch = AudioFrontEnd(analyses=[stft_analysis()]).fit_transform(X)
    >>> batch
    ClipBatch(n_clips=3, sr=22050, analyses=[('stft', 2048, 512, 'hann')])
    >>> MFCC(n_mfcc=5).fit_transform(batch).shape
    (3, 5)
    """

    _parameter_constraints: dict = {
        "sr": [Interval(Integral, 1, None, closed="left")],
        "analyses": ["array-like", list, tuple],
        "trim_db": [Interval(Real, 0, None, closed="neither"), None],
        "on_error": [StrOptions({"raise", "nan"})],
        "n_jobs": [Integral, None],
    }

    def __init__(self, *, sr=22050, analyses=(), trim_db=None, on_error="raise", n_jobs=None):
        self.sr = sr
        self.analyses = analyses
        self.trim_db = trim_db
        self.on_error = on_error
        self.n_jobs = n_jobs

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
        self.fit_transform(X)
        return self

    def fit_transform(self, X, y=None, **fit_params) -> ClipBatch:
        """Fit, then decode ``X`` once into a :class:`ClipBatch`.

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
        batch : ClipBatch
        """
        self._validate_params()
        if isinstance(X, np.ndarray) and X.ndim == 2:
            self.n_features_in_ = X.shape[1]
        elif hasattr(self, "n_features_in_"):
            del self.n_features_in_
        return self.transform(X)

    def transform(self, X) -> ClipBatch:
        """Decode ``X`` into a :class:`ClipBatch` with the listed analyses computed.

        Parameters
        ----------
        X : clips
            Paths, 1-D arrays, a 2-D array ``(n_clips, n_samples)``, or a ClipBatch
            (returned unchanged if its sample rate matches).

        Returns
        -------
        batch : ClipBatch
        """
        self._validate_params()
        if isinstance(X, ClipBatch):
            if X.sr != self.sr:
                raise ValueError(
                    f"ClipBatch is at {X.sr} Hz but this front end is at {self.sr} Hz"
                )
            return X
        from .io import _as_clip_list

        items = _as_clip_list(X)
        analyses = [tuple(a) for a in self.analyses]
        n_jobs = self.n_jobs or 1
        if n_jobs == 1 or len(items) < 2:
            batch = as_clip_batch(items, sr=self.sr, on_error=self.on_error,
                                  trim_db=self.trim_db)
            for key in analyses:
                batch.analysis(key)
        else:
            n_chunks = min(len(items), 4 * (n_jobs if n_jobs > 0 else 8))
            bounds = np.linspace(0, len(items), n_chunks + 1).astype(int)
            results = Parallel(n_jobs=n_jobs)(
                delayed(_load_chunk)(items[a:b], a, self.sr, self.on_error, analyses,
                                     self.trim_db)
                for a, b in zip(bounds[:-1], bounds[1:], strict=True)
                if b > a
            )
            clips, sources, errors = [], [], {}
            for c, s, e, _ in results:
                clips += c
                sources += s
                errors.update(e)
            if not clips:
                raise ValueError("X contains no clips (0 clips given; at least 1 is required)")
            batch = ClipBatch(clips, sr=self.sr, sources=sources, errors=errors)
            for key in analyses:
                batch._store(key, [g for *_, computed in results for g in computed[key]])
        batch.report_errors()
        return batch

    def get_feature_names_out(self, input_features=None):
        """There are no tabular output features: the output is a :class:`ClipBatch`.

        Returns
        -------
        None
        """
        return None

    def set_output(self, *, transform=None):
        """Accept and ignore an output container: a ClipBatch is never a table.

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
