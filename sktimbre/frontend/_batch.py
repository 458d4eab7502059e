"""Decoded clips and clips still to decode: :class:`ClipBatch` and :class:`ClipStream`.

What :class:`~sktimbre.AudioFrontEnd` hands to the descriptor families' union:

* a :class:`ClipBatch` holds decoded, validated clips (and, once the executor has
  computed them, their analyses, so a later family asking for the same analysis
  gets it for free);
* a :class:`ClipStream` holds the clips as given (paths, arrays) and the settings
  to decode them with; the executor decodes and describes it chunk by chunk, in
  worker processes if asked, so memory does not grow with the number of clips.

Neither computes anything itself: :mod:`sktimbre.frontend._executor` does.
"""

from __future__ import annotations

import warnings
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .._dsp.silence import trim_silence
from ..io import InvalidClipError, load_clip, source_name
from ._failures import ON_ERROR, ClipFailure, report_failures

__all__ = ["ClipBatch", "ClipStream", "DecodeSettings", "decode_clips"]


@dataclass(frozen=True)
class DecodeSettings:
    """How a front end turns what it is given into analysable clips.

    Parameters
    ----------
    sr : int
        Sample rate in Hz: files are resampled to it, arrays are taken to be at it.
    trim_db : float or None, default=None
        Silence trimming threshold (:func:`sktimbre._dsp.silence.trim_silence`).
    max_duration : float or None, default=None
        Longest clip accepted, in seconds.
    on_error : {"raise", "warn", "nan"}, default="raise"
        What becomes of an unusable clip (see :class:`~sktimbre.AudioFrontEnd`).
    """

    sr: int
    trim_db: float | None = None
    max_duration: float | None = None
    on_error: str = "raise"

    def __post_init__(self):
        # a front end used without fit (it learns nothing) still refuses an unknown policy
        if self.on_error not in ON_ERROR:
            raise ValueError(f"on_error must be one of {list(ON_ERROR)}, got {self.on_error!r}")


def decode_clips(items: Sequence, start: int, settings: DecodeSettings) -> ClipBatch:
    """Decode and validate clips into a :class:`ClipBatch`.

    Parameters
    ----------
    items : sequence of paths or 1-D arrays
        The clips ``X[start:start + len(items)]``.
    start : int
        Position of the first of them in ``X``: failures are numbered in ``X``.
    settings : DecodeSettings

    Returns
    -------
    batch : ClipBatch
        ``None`` in place of each clip that failed (with ``on_error`` ``"warn"`` or
        ``"nan"``), recorded as a :class:`ClipFailure`.

    Raises
    ------
    InvalidClipError
        For the first unusable clip, with ``on_error="raise"``.
    """
    clips, sources, failures = [], [], []
    for offset, item in enumerate(items):
        index = start + offset
        sources.append(source_name(item))
        try:  # a file longer than max_duration is refused from its header, undecoded
            y = load_clip(item, sr=settings.sr, index=index, max_duration=settings.max_duration)
        except InvalidClipError as exc:
            if settings.on_error == "raise":
                raise
            failures.append(ClipFailure.from_error(exc))
            clips.append(None)
            continue
        clips.append(y if settings.trim_db is None else trim_silence(y, top_db=settings.trim_db))
    return ClipBatch(clips, sr=settings.sr, sources=sources, failures=failures, start=start,
                     on_error=settings.on_error)


class ClipBatch(Sequence):
    """Decoded mono clips at one sample rate, with the analyses computed for them.

    Produced by :class:`~sktimbre.AudioFrontEnd` (and, chunk by chunk, by the
    executor for a :class:`ClipStream`); consumed by the descriptor families through
    :func:`sktimbre.frontend.extract`. Indexing gives the samples of a clip
    (``None`` for a clip that failed with ``on_error="warn"`` or ``"nan"``).

    Parameters
    ----------
    clips : list of ndarray or None
        Mono float32 samples per clip.
    sr : int
        Sample rate in Hz.
    sources : list of str, optional
        Path of each clip, or ``"<array>"``.
    failures : list of ClipFailure, optional
        The clips that failed to load, numbered in the ``X`` they came from.
    errors : dict of int to str, optional
        Deprecated (0.1): messages of failed clips; use ``failures``.
    start : int, default=0
        Position in ``X`` of the first clip (a chunk of a stream starts later).
    on_error : {"raise", "warn", "nan"}, default="raise"
        What becomes of a clip the executor cannot analyse (see
        :class:`~sktimbre.AudioFrontEnd`).

    Attributes
    ----------
    valid : ndarray of bool
        Which clips loaded.
    analysis_count : dict
        How many clips each analysis was computed for (for tests and benchmarks).

    Examples
    --------
    >>> import numpy as np
    >>> from sktimbre.frontend import STFT, ClipBatch, analysis_groups
    >>> batch = ClipBatch([np.zeros(4096, np.float32)] * 3 + [np.zeros(100, np.float32)], sr=22050)
    >>> [(idx.tolist(), S.shape) for idx, S in analysis_groups(batch, STFT())]
    [([0, 1, 2], (3, 1025, 9)), ([3], (1, 1025, 5))]
    """

    def __init__(self, clips, *, sr: int, sources=None, failures=None, errors=None, start=0,
                 on_error="raise"):
        self.clips = list(clips)
        self.sr = int(sr)
        self.start = int(start)
        self.on_error = on_error
        self.sources = list(sources) if sources is not None else ["<array>"] * len(self.clips)
        self._failures = sorted(failures or [])
        if errors:
            warnings.warn("ClipBatch(errors=...) is deprecated since 0.2; pass failures=[...] "
                          "of ClipFailure", FutureWarning, stacklevel=2)
            self._failures += [ClipFailure(i, self.sources[i], msg) for i, msg in errors.items()]
        self.valid = np.array([c is not None for c in self.clips], dtype=bool)
        self._computed: dict = {}  # Analysis -> list of (indices, stack), filled by the executor
        self.analysis_count: dict = defaultdict(int)

    def __len__(self) -> int:
        return len(self.clips)

    def __getitem__(self, i):
        return self.clips[i]

    def __repr__(self) -> str:
        return f"ClipBatch(n_clips={len(self)}, sr={self.sr}, analyses={list(self._computed)})"

    @property
    def errors(self) -> dict[int, str]:
        """Message of each failed clip, by its index in ``X`` (as 0.1 had it)."""
        return {f.index: str(f.error()) for f in self._failures}

    def failures(self) -> list[ClipFailure]:
        """The clips that failed to load, in order.

        Returns
        -------
        failures : list of ClipFailure
        """
        return list(self._failures)

    def refuse(self, i: int, reason: str) -> None:
        """Take clip ``i`` (position in the batch) out, as a failure, per ``on_error``.

        Raises
        ------
        InvalidClipError
            With ``on_error="raise"``.
        """
        failure = ClipFailure(self.start + i, self.sources[i], reason)
        if self.on_error == "raise":
            raise failure.error()
        self.clips[i] = None
        self.valid[i] = False
        self._failures = sorted(self._failures + [failure])

    def report_errors(self) -> None:
        """Warn with :class:`~sktimbre.io.ClipWarning` about every clip that failed."""
        report_failures(self._failures, len(self), "warn", stacklevel=3)


class ClipStream(Sequence):
    """Clips to be decoded and described chunk by chunk, as the families consume them.

    What :class:`~sktimbre.AudioFrontEnd` returns for more than ``batch_size`` clips,
    in parallel, or with its row cache: nothing is decoded up front. The executor
    (:func:`sktimbre.frontend.extract`, called by a family or by
    :class:`~sktimbre.embedder.FamilyUnion` for all of its families at once) decodes
    each chunk of ``batch_size`` clips, analyses it and reduces it to feature rows --
    inside a joblib worker when ``n_jobs`` asks for it, so only the small rows
    travel back -- and drops it. Memory therefore depends on ``batch_size``, not on
    the number of clips.

    Parameters
    ----------
    items : list
        Paths or 1-D arrays.
    sr : int
        Sample rate in Hz.
    settings : DecodeSettings or dict
        How to decode (a dict with ``trim_db``, ``on_error``, ``max_duration``, as in
        0.1, is accepted).
    n_jobs : int or None
        Worker processes (joblib; also honours ``joblib.parallel_config``).
    batch_size : int, default=256
        Clips per chunk.
    cache : RowCache or None, default=None
        Rows already computed, reused instead of computed again (see
        :class:`~sktimbre.frontend.RowCache`).

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

    def __init__(self, items, *, sr: int, settings, n_jobs=None, batch_size: int = 256,
                 cache=None):
        self.items = list(items)
        self.sr = int(sr)
        if isinstance(settings, dict):  # 0.1's settings dict
            settings = DecodeSettings(sr=self.sr, trim_db=settings.get("trim_db"),
                                      max_duration=settings.get("max_duration"),
                                      on_error=settings.get("on_error", "raise"))
        self.settings = settings
        self.n_jobs = n_jobs
        self.batch_size = int(batch_size)
        self.cache = cache if cache is not False else None
        # Failures are known once the stream is described; a stream made for fitting
        # refuses them (nothing is fitted on NaN rows).
        self._failures: list[ClipFailure] = []
        self.for_fit = False

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, i):
        return self.items[i]

    def __repr__(self) -> str:
        return f"ClipStream(n_clips={len(self)}, sr={self.sr}, batch_size={self.batch_size})"

    @property
    def sources(self) -> list[str]:
        """Path of each clip, or ``"<array>"``."""
        return [source_name(item) for item in self.items]

    def failures(self) -> list[ClipFailure]:
        """The clips that failed when the stream was last described, in order.

        Returns
        -------
        failures : list of ClipFailure
            Empty until the stream is described.
        """
        return list(self._failures)
