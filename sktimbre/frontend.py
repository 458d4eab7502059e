"""The front end: decode each clip once, analyse it once per setting, share the result.

Data flow of a timbre embedder::

    X (paths | arrays) --AudioFrontEnd--> ClipBatch | ClipStream --FamilyUnion--> features

:class:`AudioFrontEnd` decodes and validates the clips. Up to ``batch_size`` clips
in one process, it returns a :class:`ClipBatch`: a memoising view over the decoded
clips. When a descriptor family asks it for an *analysis* -- a magnitude STFT for a
given ``(n_fft, hop_length, window)``, or a constant-Q transform -- the batch
computes it the first time, vectorised over stacks of clips, and hands the same
arrays to every later family that asks for the same setting. For more clips, or in
parallel, it returns a :class:`ClipStream` instead: nothing is decoded until a
consumer maps its families over it, chunk by chunk (in joblib workers with
``n_jobs``, or on a Dask cluster through joblib's backend); each chunk becomes a
ClipBatch, is reduced to feature rows and dropped, so memory does not grow with
the number of clips. :class:`~sktimbre.embedder.FamilyUnion` does this for all of
its families in one pass. Each family also accepts raw audio and then builds its
own batch, so it works alone as well as in a union.
"""

from __future__ import annotations

import warnings
from collections import OrderedDict, defaultdict
from collections.abc import Sequence
from functools import lru_cache, partial
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils._param_validation import Interval, StrOptions

from . import _errors
from ._versions import RecordsVersions
from .io import ClipWarning, InvalidClipError, _source_name, load_audio

__all__ = ["AudioFrontEnd", "ClipBatch", "ClipStream", "stft_analysis", "cqt_analysis",
           "f0_analysis", "trim_silence", "stft_magnitude"]

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
    # Average spectra as one product (a mean over the short frame axis of each of
    # thousands of bins costs about 8x more), in the analysis' float32.
    means = S @ np.full(S.shape[-1], 1.0 / S.shape[-1], dtype=S.dtype)
    return np.array([estimate_f0(m, freqs, fmin=fmin, fmax=fmax) for m in means])


@lru_cache(maxsize=16)
def _window(window, n_fft: int) -> np.ndarray:
    from scipy.signal import get_window

    w = get_window(window, n_fft, fftbins=True)
    w.setflags(write=False)
    return w


# Shortest analysis transformed in float32 (see stft_magnitude).
_FLOAT32_FFT_FROM = 4096


def stft_magnitude(stack: np.ndarray, n_fft: int, hop_length: int, window="hann") -> np.ndarray:
    """Magnitude STFT of equal-length clips, as ``abs(librosa.stft(...))``, in float32.

    Centred frames (``n_fft // 2`` zeros padded at both ends, librosa's default
    ``pad_mode="constant"``) on a strided view, the window built once per setting,
    clip by clip so the working set stays in cache. Like librosa, the windowed
    frames of analyses shorter than 4096 samples are transformed in float64: a
    float32 FFT would be faster, but its rounding noise (~1e-7 of a frame's level)
    shifts the dB level of the quietest bins, which spectral contrast's valleys are
    made of, by up to 1 dB on clean tones. Longer analyses are the ones that resolve
    harmonics (:class:`~sktimbre.HarmonicDescriptors`, :class:`~sktimbre.PitchEstimate`),
    whose descriptors read peaks and band energies floored at -80 dB, far above that
    noise: they are transformed in float32, about 1.5x faster (magnitudes within
    ~2e-7 of the frame's largest; pitch estimates move by < 1e-8, harmonic levels
    by < 1e-4 dB, except where two bins nearly tie for a weak harmonic's peak in a
    frame: 0.02 dB on a -40 dB harmonic, in 1 of 200 FreePats notes).

    Parameters
    ----------
    stack : ndarray of shape (n_clips, n_samples)
        Samples, at least ``n_fft`` per clip.
    n_fft, hop_length : int
        FFT length and frame advance in samples.
    window : str or tuple, default="hann"
        As :func:`scipy.signal.get_window`.

    Returns
    -------
    S : ndarray of float32, shape (n_clips, 1 + n_fft // 2, n_frames)

    Examples
    --------
    >>> import numpy as np, librosa
    >>> from sktimbre.frontend import stft_magnitude
    >>> y = np.random.default_rng(0).normal(size=(2, 5000)).astype(np.float32)
    >>> S = stft_magnitude(y, 1024, 256)
    >>> S.shape, np.allclose(S, np.abs(librosa.stft(y, n_fft=1024, hop_length=256)), atol=1e-4)
    ((2, 513, 20), True)
    """
    from scipy.fft import rfft

    stack = np.asarray(stack, dtype=np.float32)
    pad = n_fft // 2
    padded = np.pad(stack, ((0, 0), (pad, pad)))
    frames = np.lib.stride_tricks.sliding_window_view(padded, n_fft, axis=-1)[:, ::hop_length]
    precision = np.float32 if n_fft >= _FLOAT32_FFT_FROM else np.float64
    w = _window(window, n_fft).astype(precision, copy=False)
    out = np.empty((len(stack), n_fft // 2 + 1, frames.shape[1]), dtype=np.float32)
    # One windowed-frames buffer for the whole stack (fresh megabyte-sized arrays
    # cost page faults), and the magnitude written straight into the output.
    windowed = np.empty(frames.shape[1:], dtype=precision)
    for i, clip_frames in enumerate(frames):
        np.multiply(clip_frames, w, out=windowed)
        np.abs(rfft(windowed, axis=-1, overwrite_x=True).T, out=out[i])
    return out


def _compute_analysis(key: tuple, stack: np.ndarray, sr: int) -> np.ndarray:
    """Compute one analysis for a stack of equal-length clips ``(n_clips, n_samples)``."""
    import librosa

    kind = key[0]
    if kind == "stft":
        _, n_fft, hop_length, window = key
        if stack.shape[-1] < n_fft:  # librosa warns and misbehaves on clips shorter than n_fft
            stack = np.pad(stack, ((0, 0), (0, n_fft - stack.shape[-1])))
        return stft_magnitude(stack, n_fft, hop_length, window)
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


# Clips analysed (and described) together at most: larger stacks of spectrograms
# outgrow the CPU caches, and the float64 intermediates of the families then cost
# more in memory traffic than the vectorisation saves.
_STACK = 16


def _blocks(groups) -> list[np.ndarray]:
    return [np.asarray(idx[i : i + _STACK]) for idx in groups for i in range(0, len(idx), _STACK)]


class ClipBatch(Sequence):
    """Decoded mono clips at one sample rate, with memoised analyses.

    Produced by :class:`AudioFrontEnd`; consumed by the descriptor families. Indexing
    gives the samples of a clip (``None`` for a clip that failed to load with
    ``on_error="warn"`` or ``"nan"``).

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
            At most 16 clips each (more stay in the CPU caches no longer).
        """
        by_length: dict[int, list[int]] = {}
        for i, clip in enumerate(self.clips):
            if clip is not None:
                by_length.setdefault(len(clip), []).append(i)
        return _blocks(by_length.values())

    def stack(self, indices) -> np.ndarray:
        """Samples of equal-length clips as a 2-D array ``(len(indices), n_samples)``."""
        return np.stack([self.clips[i] for i in indices])

    def _frame_groups(self, key: tuple) -> list[np.ndarray]:
        """Valid clips grouped by their number of STFT frames under ``key``."""
        _, n_fft, hop_length, _ = key
        by_frames: dict[int, list[int]] = {}
        for i, clip in enumerate(self.clips):
            if clip is not None:
                n = max(len(clip), n_fft) + 2 * (n_fft // 2)
                by_frames.setdefault(1 + (n - n_fft) // hop_length, []).append(i)
        return _blocks(by_frames.values())

    def _padded_stack(self, indices) -> np.ndarray:
        # Clips with the same frame count differ in length by less than a hop: the
        # zeros appended here are the zeros centred framing pads them with anyway, so
        # every frame -- and the STFT -- is exactly that of the clip alone.
        length = max(len(self.clips[i]) for i in indices)
        out = np.zeros((len(indices), length), dtype=np.float32)
        for row, i in zip(out, indices, strict=True):
            row[: len(self.clips[i])] = self.clips[i]
        return out

    def analysis(self, key: tuple) -> list[tuple[np.ndarray, np.ndarray]]:
        """An analysis of every valid clip, computed once and then reused.

        Parameters
        ----------
        key : tuple
            From :func:`stft_analysis` or :func:`cqt_analysis`.

        Returns
        -------
        groups : list of (indices, stack)
            For each group of clips analysed together (equal frame counts for an
            STFT, equal lengths otherwise), their indices in the batch and the
            analysis as an array ``(len(indices), n_bins, n_frames)``.
        """
        if key not in self._cache:
            if key[0] == "f0":  # derived from an STFT, which is shared too
                groups = [(idx, _f0_of_stft(key, S, self.sr))
                          for idx, S in self.analysis(stft_analysis(*key[1:4]))]
            elif key[0] == "stft":
                groups = [(idx, _compute_analysis(key, self._padded_stack(idx), self.sr))
                          for idx in self._frame_groups(key)]
            else:
                groups = [(idx, _compute_analysis(key, self.stack(idx), self.sr))
                          for idx in self.groups()]
            self._store(key, groups)
        return self._cache[key]

    def _store(self, key: tuple, groups) -> None:
        self._cache[key] = list(groups)
        for idx, _ in self._cache[key]:
            self.analysis_count[key] += len(idx)

    def report_errors(self) -> None:
        """Warn with :class:`~sktimbre.io.ClipWarning` about every clip that failed."""
        _errors.report_failures(self.failures(), len(self), "warn", stacklevel=4)

    def failures(self) -> list:
        """The clips that failed to load, as ``(index, source, reason)`` tuples in order.

        Returns
        -------
        failures : list of ClipFailure
        """
        return _errors.failures_from_errors(self.errors, self.sources)


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
    starts = np.unique(np.append(np.arange(0, n - frame + 1, hop), n - frame))
    power = _frame_power(y, starts, frame, hop)
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


def _frame_power(y: np.ndarray, starts: np.ndarray, frame: int, hop: int) -> np.ndarray:
    """Mean power of the frames ``y[s:s + frame]``, from per-hop block energies.

    Summing hop-sized blocks once (instead of a float64 cumulative sum over every
    sample) is the cheap way when the frame is a whole number of hops.
    """
    if frame % hop:
        energy = np.concatenate([[0.0], np.cumsum(np.square(y, dtype=np.float64))])
        return (energy[starts + frame] - energy[starts]) / frame
    n_blocks = len(y) // hop
    blocks = np.square(y[:n_blocks * hop]).reshape(n_blocks, hop).sum(axis=1, dtype=np.float64)
    cum = np.concatenate([[0.0], np.cumsum(blocks)])
    per = frame // hop
    aligned = starts[starts % hop == 0] // hop
    power = np.empty(len(starts))
    power[: len(aligned)] = (cum[aligned + per] - cum[aligned]) / frame
    if len(aligned) < len(starts):  # the last frame, flush with the end of the clip
        power[len(aligned):] = np.square(y[-frame:], dtype=np.float64).sum() / frame
    return power


def _load(items, sr, on_error, start, trim_db=None, max_duration=None):
    try:
        clips, sources, errors = load_audio(items, sr=sr, on_error=on_error)
        if max_duration is not None:
            clips = _refuse_long_clips(clips, sources, errors, sr, on_error, max_duration)
    except InvalidClipError as exc:
        raise _offset_exception(exc, start) from None
    if trim_db is not None:
        clips = [None if c is None else trim_silence(c, top_db=trim_db) for c in clips]
    return clips, sources, _offset_errors(errors, start)


def _refuse_long_clips(clips, sources, errors, sr, on_error, max_duration):
    """Stop a clip longer than ``max_duration`` seconds before any analysis of it."""
    clips = list(clips)
    for i, clip in enumerate(clips):
        if clip is not None and len(clip) > max_duration * sr:
            exc = InvalidClipError(
                i, sources[i],
                f"{len(clip) / sr:.1f} s long, above max_duration={max_duration} s (each clip "
                "is analysed whole; raise AudioFrontEnd(max_duration=...) or "
                "make_timbre_embedder(max_duration=...) to accept it, or cut it into notes)",
            )
            if on_error == "raise":
                raise exc
            errors[i], clips[i] = str(exc), None
    return clips


def as_clip_batch(X, *, sr: int, on_error: str = "raise", trim_db=None) -> ClipBatch:
    """Return ``X`` if it is a :class:`ClipBatch`, else decode it serially into one."""
    if isinstance(X, ClipBatch):
        return X
    clips, sources, errors = _load(X, sr, on_error, 0, trim_db)
    return ClipBatch(clips, sr=sr, sources=sources, errors=errors)


def _effective_n_jobs(n_jobs) -> int | None:
    """``n_jobs``, or the one set by ``joblib.parallel_config`` (e.g. a Dask backend)."""
    if n_jobs is not None:
        return n_jobs
    from joblib.parallel import get_active_backend

    backend, config_n_jobs = get_active_backend()
    if config_n_jobs not in (None, 1):
        return config_n_jobs
    # a backend chosen with parallel_config(backend="dask"/...) without n_jobs: use it all
    return None if type(backend).__name__ in ("LokyBackend", "SequentialBackend") else -1


def _chunk_rows(items, start, settings, families):
    """Worker: decode and analyse one chunk, return each family's rows (small) and errors."""
    from threadpoolctl import threadpool_limits

    # Parallelism is across chunks; nested BLAS/FFT threads would only oversubscribe.
    with threadpool_limits(limits=1):
        clips, sources, errors = _load(items, settings["sr"], settings["on_error"], start,
                                       settings["trim_db"], settings["max_duration"])
        batch = ClipBatch(clips, sr=settings["sr"], sources=sources, errors=errors)
        rows = [family._rows(batch) for family in families]
    return rows, errors


# Feature rows already computed in this process, by (family and front-end settings,
# clip): a grid search re-fits the pipeline many times on the same clips. Bounded LRU.
_ROW_CACHE: OrderedDict = OrderedDict()
_ROW_CACHE_SIZE = 200_000


def _clip_key(item) -> tuple:
    """Identity of a clip: a file by path, size and modification time; an array by content."""
    import os

    from joblib import hash as joblib_hash

    if isinstance(item, str | os.PathLike):
        try:
            st = os.stat(item)
        except OSError:
            return ("missing", os.fspath(item))
        return ("file", os.fspath(item), st.st_size, st.st_mtime_ns)
    return ("array", joblib_hash(np.asarray(item)))


def _family_token(family, settings) -> str:
    from joblib import hash as joblib_hash

    return joblib_hash((type(family).__qualname__, family.get_params(deep=False), settings))


class ClipStream(Sequence):
    """Clips to be decoded and analysed chunk by chunk, as the families consume them.

    What :class:`AudioFrontEnd` returns for more than ``batch_size`` clips, or when
    it runs in parallel: nothing is decoded up front. A consumer (a descriptor
    family, or :class:`~sktimbre.embedder.FamilyUnion` for all of its families at
    once) hands :meth:`map_families` its families; each chunk of ``batch_size``
    clips is then decoded, analysed and reduced to feature rows -- inside a joblib
    worker when ``n_jobs`` asks for it, so only the small rows travel back -- and
    dropped. Memory therefore depends on ``batch_size``, not on the number of clips.

    Parameters
    ----------
    items : list
        Paths or 1-D arrays.
    sr : int
        Sample rate in Hz.
    settings : dict
        The front end's ``analyses``, ``trim_db``, ``on_error``, ``max_duration``.
    n_jobs : int or None
        Worker processes (joblib; also honours ``joblib.parallel_config``).
    batch_size : int
        Clips per chunk.
    cache : bool, default=False
        Keep every family's rows in this process (bounded LRU, keyed by the family's
        and the front end's settings and the clip's path, size and mtime, or its
        samples) and reuse them instead of computing them again. Only with
        ``on_error="raise"``.

    Examples
    --------
    >>> import numpy as np
    >>> from sktimbre import AudioFrontEnd, MFCC
    >>> X = np.random.default_rng(0).normal(size=(5, 4096)).astype(np.float32)
    >>> stream = AudioFrontEnd(batch_size=2).fit_transform(X)
    >>> stream
    ClipStream(n_clips=5, sr=22050, batch_size=2)
    >>> MFCC(n_mfcc=4).fit_transform(stream).shape
    (5, 4)
    """

    def __init__(self, items, *, sr: int, settings: dict, n_jobs=None, batch_size: int = 256,
                 cache: bool = False):
        self.items = list(items)
        self.sr = int(sr)
        self.settings = {**settings, "sr": self.sr}
        self.n_jobs = n_jobs
        self.batch_size = int(batch_size)
        self.cache = cache
        # Failures are known only once the stream is consumed; this list is shared
        # with the front end's ``failures_``. A stream made for fitting refuses them.
        self._failures: list = []
        self.refuse_failures = False

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, i):
        return self.items[i]

    def __repr__(self) -> str:
        return f"ClipStream(n_clips={len(self)}, sr={self.sr}, batch_size={self.batch_size})"

    @property
    def sources(self) -> list[str]:
        """Path of each clip, or ``"<array>"``."""
        from .io import _source_name

        return [_source_name(item) for item in self.items]

    def failures(self) -> list:
        """The clips that failed in the last consumption, as ``(index, source, reason)``.

        Returns
        -------
        failures : list of ClipFailure
            The stream's own list (empty until the stream is consumed), so that a
            front end holding it as ``failures_`` sees the failures once they are known.
        """
        return self._failures

    def _bounds(self, n_jobs) -> list[tuple[int, int]]:
        n = len(self.items)
        size = self.batch_size
        if n_jobs not in (None, 1):  # enough chunks to keep every worker busy
            workers = n_jobs if n_jobs > 0 else 8
            size = max(1, min(size, -(-n // (4 * workers))))
        return [(a, min(a + size, n)) for a in range(0, n, size)]

    def map_families(self, families) -> list[np.ndarray]:
        """Rows of every family for every clip, computed chunk by chunk.

        Parameters
        ----------
        families : list of DescriptorFamily
            Fitted (validated) families.

        Returns
        -------
        rows : list of ndarray
            One array ``(n_clips, n_features)`` per family; NaN rows for clips
            that failed with ``on_error="nan"`` (reported by one
            :class:`~sktimbre.io.ClipWarning` for the whole stream).
        """
        if self.cache and self.settings["on_error"] == "raise":  # no NaN rows to remember
            return self._cached_rows(families)
        return self._compute_rows(families)

    def _cached_rows(self, families) -> list[np.ndarray]:
        """Rows from the process cache; only the missing (family, clip) pairs are computed."""
        keys = [_clip_key(item) for item in self.items]
        tokens = [_family_token(f, self.settings) for f in families]
        missing = [j for j, t in enumerate(tokens) if any((t, k) not in _ROW_CACHE for k in keys)]
        todo = [i for i, k in enumerate(keys)
                if any((tokens[j], k) not in _ROW_CACHE for j in missing)]
        computed = {}
        if todo:
            sub = ClipStream([self.items[i] for i in todo], sr=self.sr, settings=self.settings,
                             n_jobs=self.n_jobs, batch_size=self.batch_size)
            try:  # clips are numbered in the sub-stream; name them as in this one
                rows = sub._compute_rows([families[j] for j in missing])
            except InvalidClipError as exc:
                raise type(exc)(todo[exc.index], exc.source, exc.reason) from None
            computed = dict(zip(missing, rows, strict=True))
        out = []
        for j, (family, token) in enumerate(zip(families, tokens, strict=True)):
            block = np.empty((len(keys), len(family._feature_names())))
            fresh = computed.get(j)
            where = {i: r for r, i in enumerate(todo)} if fresh is not None else {}
            for i, key in enumerate(keys):
                if i in where:
                    block[i] = fresh[where[i]]
                    _ROW_CACHE[(token, key)] = block[i].copy()
                else:
                    block[i] = _ROW_CACHE[(token, key)]
                    _ROW_CACHE.move_to_end((token, key))
            out.append(block)
        while len(_ROW_CACHE) > _ROW_CACHE_SIZE:
            _ROW_CACHE.popitem(last=False)
        return out

    def _compute_rows(self, families) -> list[np.ndarray]:
        from threadpoolctl import threadpool_limits

        n_jobs = _effective_n_jobs(self.n_jobs)
        chunks = [(self.items[a:b], a, self.settings, families) for a, b in self._bounds(n_jobs)]
        if n_jobs in (None, 1):
            with threadpool_limits(limits=1):
                results = [_chunk_rows(*chunk) for chunk in chunks]
        else:  # workers return only the rows; a worker that dies is isolated, not fatal
            results = _errors.run_chunks(_chunk_rows, chunks, n_jobs=n_jobs,
                                         on_crash=partial(self._on_crash, families=families))
        blocks: list[list] = [[] for _ in families]
        errors: dict = {}
        for rows, chunk_errors in results:
            for block, r in zip(blocks, rows, strict=True):
                block.append(r)
            errors.update(chunk_errors)
        self._failures[:] = _errors.failures_from_errors(errors, self.sources)
        if self.refuse_failures:
            _errors.check_fit_failures(self._failures, len(self))
        _errors.report_failures(self._failures, len(self), self.settings["on_error"],
                                stacklevel=5)
        return [np.concatenate(block) for block in blocks]

    def _on_crash(self, item, index, reason, *, families):
        """A clip that killed its worker: raise, or NaN rows recorded as a failure."""
        if self.settings["on_error"] == "raise":
            _errors.raise_crash(item, index, reason)
        rows = [np.full((1, len(f._feature_names())), np.nan) for f in families]
        return rows, {index: f"clip {index} ({_source_name(item)}): {reason}"}


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
        Processes used to decode and analyse clips (joblib; ``None`` means 1 unless
        a ``joblib.parallel_config`` -- e.g. a Dask backend -- says otherwise,
        ``-1`` all cores). Results do not depend on it.
    batch_size : int, default=256
        Clips decoded and analysed at a time. Up to this many clips (with
        ``n_jobs=1``) the output is a :class:`ClipBatch`, decoded at once; beyond
        it, or in parallel, a :class:`ClipStream` whose chunks the families decode
        and reduce to rows one at a time, so memory does not grow with the corpus.
    max_duration : float or None, default=600.0
        Longest clip accepted, in seconds (every clip is analysed whole, so a very
        long one needs memory in proportion). Longer clips are refused with an
        :class:`~sktimbre.io.InvalidClipError` (or a NaN row with
        ``on_error="nan"``); ``None`` accepts any length.
    cache : bool, default=False
        Remember the families' rows of every clip in this process and reuse them
        when the same clips come again with the same settings -- as in a grid
        search, which refits the pipeline on the same clips for every candidate
        (see :class:`ClipStream`). Output is then always a :class:`ClipStream`.

    Attributes
    ----------
    n_features_in_ : int
        Clip length in samples, only set when fitted on a 2-D array.
    failures_ : list of ClipFailure
        The clips of the last :meth:`transform` call that could not be used, as
        named tuples ``(index, source, reason)`` (empty if all were fine). In an
        embedder, ``embedder.named_steps["frontend"].failures_``.

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
        "on_error": [StrOptions(set(_errors.ON_ERROR))],
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

    def __setstate__(self, state):
        super().__setstate__({**self._NEW_PARAMS, **state})

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

        Raises
        ------
        InvalidClipError
            If any clip failed, whatever ``on_error``: nothing is fitted on NaN rows.
        """
        self._validate_params()
        if isinstance(X, np.ndarray) and X.ndim == 2:
            self.n_features_in_ = X.shape[1]
        elif hasattr(self, "n_features_in_"):
            del self.n_features_in_
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ClipWarning)  # the error below lists them
            batch = self.transform(X)
        if isinstance(batch, ClipStream):
            batch.refuse_failures = True  # its failures are known once it is consumed
        _errors.check_fit_failures(self.failures_, len(batch))
        return batch

    def transform(self, X) -> ClipBatch | ClipStream:
        """Decode ``X`` into a :class:`ClipBatch`, or wrap it in a :class:`ClipStream`.

        Parameters
        ----------
        X : clips
            Paths, 1-D arrays, a 2-D array ``(n_clips, n_samples)``, or a ClipBatch
            or ClipStream (returned unchanged if its sample rate matches).

        Returns
        -------
        batch : ClipBatch or ClipStream
            A ClipBatch with the listed analyses computed for up to ``batch_size``
            clips and ``n_jobs=1``; otherwise a ClipStream, decoded chunk by chunk
            as the families consume it.
        """
        self._validate_params()
        self.failures_ = []
        if isinstance(X, ClipBatch | ClipStream):
            if X.sr != self.sr:
                raise ValueError(
                    f"ClipBatch is at {X.sr} Hz but this front end is at {self.sr} Hz"
                )
            self.failures_ = X.failures()
            return X
        from .io import _as_clip_list

        items = _as_clip_list(X)
        if not items:
            raise ValueError("X contains no clips (0 clips given; at least 1 is required)")
        analyses = [tuple(a) for a in self.analyses]
        n_jobs = _effective_n_jobs(self.n_jobs)
        if self.cache or len(items) > self.batch_size or n_jobs not in (None, 1):
            settings = {"analyses": analyses, "trim_db": self.trim_db,
                        "on_error": self.on_error, "max_duration": self.max_duration}
            stream = ClipStream(items, sr=self.sr, settings=settings, n_jobs=self.n_jobs,
                                batch_size=self.batch_size, cache=self.cache)
            self.failures_ = stream.failures()  # filled in as the families consume it
            return stream
        from threadpoolctl import threadpool_limits

        clips, sources, errors = _load(items, self.sr, self.on_error, 0, self.trim_db,
                                       self.max_duration)
        batch = ClipBatch(clips, sr=self.sr, sources=sources, errors=errors)
        with threadpool_limits(limits=1):  # multi-threaded BLAS only slows small products
            for key in analyses:
                batch.analysis(key)
        self.failures_ = batch.failures()
        _errors.report_failures(self.failures_, len(batch), self.on_error)
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
