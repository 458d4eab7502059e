"""Turning what users call "audio" into validated mono clips.

Every estimator in sktimbre accepts ``X`` in any of these forms:

* a sequence of file paths (``str`` or :class:`os.PathLike`), in any format that
  :mod:`soundfile` (libsndfile) decodes, falling back to :func:`librosa.load`
  (audioread) for the rest; multichannel files are averaged to mono and other
  sample rates are resampled to the estimator's ``sr``;
* a sequence of 1-D numeric arrays, possibly of different lengths, at ``sr``;
* a 2-D numeric array ``(n_clips, n_samples)`` of equal-length clips at ``sr``;
* a :class:`~sktimbre.frontend.ClipBatch` produced by
  :class:`~sktimbre.frontend.AudioFrontEnd` (already decoded).

Whatever is wrong with a clip is reported with the clip's index and, for files,
its path -- never as a traceback from deep inside a decoder.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Sequence

import numpy as np

__all__ = ["InvalidClipError", "ClipWarning", "load_audio", "load_clip", "read_manifest"]


class _NonNumeric(ValueError):
    """Internal marker: the samples of a clip are not real numbers."""


class InvalidClipError(ValueError):
    """A clip could not be used: missing, undecodable, empty, non-finite or mis-shaped.

    The message names the clip by its position in ``X`` and, for files, by path.

    Attributes
    ----------
    index : int
        Position of the offending clip in ``X``.
    source : str
        The clip's path, or ``"<array>"`` for in-memory clips.
    reason : str
        What was wrong.

    Examples
    --------
    >>> from sktimbre.io import InvalidClipError, load_audio
    >>> try:
    ...     load_audio([[0.0, float("nan")]], sr=22050)
    ... except InvalidClipError as err:
    ...     print(err)
    clip 0 (<array>): contains NaN or infinite samples
    """

    def __init__(self, index: int, source: str, reason: str):
        self.index = index
        self.source = source
        self.reason = reason
        super().__init__(f"clip {index} ({source}): {reason}")

    def __reduce__(self):
        # Keep the exception picklable across joblib workers.
        return (type(self), (self.index, self.source, self.reason))


class _NonNumericClipError(InvalidClipError, TypeError):
    """Samples that are not numbers: both a ValueError and a TypeError, as NumPy's own."""


class ClipWarning(UserWarning):
    """Issued when ``on_error="nan"`` turned unusable clips into NaN rows.

    Examples
    --------
    >>> import warnings
    >>> from sktimbre.io import ClipWarning
    >>> issubclass(ClipWarning, UserWarning)
    True
    """


def _is_path(item) -> bool:
    return isinstance(item, (str, os.PathLike))


def _source_name(item) -> str:
    return os.fspath(item) if _is_path(item) else "<array>"


def _decode_file(path: str, sr: int) -> np.ndarray:
    """Decode one file to mono float32 at ``sr`` Hz, or raise ``ValueError``."""
    if not os.path.exists(path):
        raise ValueError("file not found")
    if os.path.isdir(path):
        raise ValueError("is a directory, not an audio file")
    try:
        import soundfile as sf

        data, file_sr = sf.read(path, dtype="float32", always_2d=True)
        y = data.mean(axis=1, dtype=np.float32)
    except Exception as sf_error:  # libsndfile cannot read it: try audioread
        try:
            import librosa

            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                y, file_sr = librosa.load(path, sr=None, mono=True, dtype=np.float32)
        except Exception:
            raise ValueError(f"cannot decode audio ({sf_error})") from None
    if file_sr != sr and y.size:
        import librosa

        y = librosa.resample(y, orig_sr=file_sr, target_sr=sr).astype(np.float32, copy=False)
    return y


def _check_samples(y) -> np.ndarray:
    """Validate an in-memory clip and return it as a contiguous float32 1-D array."""
    try:
        arr = np.asarray(y)
    except Exception as exc:  # ragged nested lists and the like
        raise ValueError(f"cannot be converted to an array ({exc})") from None
    if arr.dtype.kind == "O":  # e.g. a pandas object column holding numbers
        try:
            arr = arr.astype(np.float64)
        except (TypeError, ValueError) as exc:
            raise _NonNumeric(f"samples must be real numbers ({exc})") from None
    if arr.dtype.kind == "c":
        raise _NonNumeric("samples must be real numbers: Complex data not supported")
    if arr.dtype.kind not in "biuf":
        raise _NonNumeric(f"samples must be real numbers, got dtype {arr.dtype}")
    if arr.ndim != 1:
        raise ValueError(
            f"a clip must be a 1-D array of samples, got shape {arr.shape}; "
            "downmix multichannel audio to mono first"
        )
    arr = np.ascontiguousarray(arr, dtype=np.float32)
    if arr.size and not np.isfinite(arr).all():
        raise ValueError("contains NaN or infinite samples")
    return arr


def load_clip(item, *, sr: int = 22050, index: int = 0) -> np.ndarray:
    """Load one clip (a path or an array of samples) as validated mono float32.

    Parameters
    ----------
    item : str, os.PathLike or array-like of shape (n_samples,)
        A path to an audio file, or samples at ``sr`` Hz.
    sr : int, default=22050
        Target sample rate in Hz. Files at other rates are resampled.
    index : int, default=0
        Position of the clip in its batch, used in error messages.

    Returns
    -------
    y : ndarray of shape (n_samples,), dtype float32
        The clip, mono.

    Raises
    ------
    InvalidClipError
        If the file is missing or undecodable, or the clip is empty, non-finite,
        non-numeric or not one-dimensional.

    Examples
    --------
    >>> import numpy as np
    >>> from sktimbre.io import load_clip
    >>> load_clip(np.zeros(4, dtype=np.int16)).dtype
    dtype('float32')
    """
    source = _source_name(item)
    try:
        y = _decode_file(os.fspath(item), sr) if _is_path(item) else _check_samples(item)
        if y.size == 0:
            raise ValueError("is empty (0 samples)")
        if not np.isfinite(y).all():
            raise ValueError("contains NaN or infinite samples")
    except _NonNumeric as exc:
        raise _NonNumericClipError(index, source, str(exc)) from None
    except ValueError as exc:
        raise InvalidClipError(index, source, str(exc)) from None
    return y


def _as_clip_list(X) -> list:
    """Split ``X`` into a list of per-clip items (paths or arrays), checking its form."""
    if _is_path(X):
        raise TypeError("X must be a sequence of clips; wrap a single path in a list: [path]")
    if hasattr(X, "tocsr") or hasattr(X, "todense"):  # scipy.sparse
        raise TypeError(
            "A sparse matrix was passed, but dense data is required: clips are dense arrays "
            "of samples"
        )
    if isinstance(X, np.ndarray):
        if X.ndim == 2:
            if X.shape[1] == 0:
                raise ValueError(
                    f"X holds clips of 0 samples: 0 feature(s) (shape={X.shape}) while a "
                    "minimum of 1 is required."
                )
            return list(X)
        if X.ndim == 1 and X.dtype.kind in "biuf":
            raise ValueError(
                "X is a 1-D array of samples, expected a batch of clips. Reshape your data: "
                "pass a list of clips ([y]) or a 2-D array (n_clips, n_samples)"
            )
        if X.ndim != 1:
            raise ValueError(
                f"X must be 2-D (n_clips, n_samples) or a sequence of clips, got shape {X.shape}"
            )
        return list(X)
    if hasattr(X, "iloc") and hasattr(X, "to_numpy"):  # pandas DataFrame/Series
        return _as_clip_list(X.to_numpy())
    if hasattr(X, "__array__") and not isinstance(X, (list, tuple)):  # array-likes
        return _as_clip_list(np.asarray(X))
    if isinstance(X, Sequence) or hasattr(X, "__iter__"):
        return list(X)
    raise TypeError(f"X must be a sequence of clips, got {type(X).__name__}")


def load_audio(X, *, sr: int = 22050, on_error: str = "raise"):
    """Load a batch of clips as validated mono float32 arrays.

    Parameters
    ----------
    X : sequence of paths, sequence of 1-D arrays, or ndarray of shape (n_clips, n_samples)
        The clips. See the module docstring for the accepted forms.
    sr : int, default=22050
        Sample rate in Hz of in-memory clips, and target rate for files.
    on_error : {"raise", "nan"}, default="raise"
        ``"raise"`` stops at the first unusable clip with :class:`InvalidClipError`;
        ``"nan"`` replaces it by ``None`` and reports it in ``errors``.

    Returns
    -------
    clips : list of ndarray or None
        One float32 array per clip (``None`` for a failed clip with ``on_error="nan"``).
    sources : list of str
        The path of each clip, or ``"<array>"``.
    errors : dict of int to str
        Index of each failed clip to its error message (empty unless ``on_error="nan"``).

    Raises
    ------
    InvalidClipError
        For the first unusable clip, if ``on_error="raise"``.
    ValueError
        If ``X`` is empty or not a batch of clips.

    Examples
    --------
    >>> import numpy as np
    >>> from sktimbre.io import load_audio
    >>> clips, sources, errors = load_audio([np.ones(3), np.ones(5)], sr=22050)
    >>> [len(c) for c in clips], sources, errors
    ([3, 5], ['<array>', '<array>'], {})
    >>> clips, sources, errors = load_audio([np.ones(3), []], on_error="nan")
    >>> clips[1] is None, errors
    (True, {1: 'clip 1 (<array>): is empty (0 samples)'})
    """
    if on_error not in ("raise", "nan"):
        raise ValueError(f"on_error must be 'raise' or 'nan', got {on_error!r}")
    items = _as_clip_list(X)
    if not items:
        raise ValueError("X contains no clips (0 clips given; at least 1 is required)")
    clips, sources, errors = [], [], {}
    for i, item in enumerate(items):
        sources.append(_source_name(item))
        try:
            clips.append(load_clip(item, sr=sr, index=i))
        except InvalidClipError as exc:
            if on_error == "raise":
                raise
            clips.append(None)
            errors[i] = str(exc)
    return clips, sources, errors


def read_manifest(
    path: str, label_column: str = "program", *, path_column: str = "path"
) -> tuple[list[str], list[str]]:
    r"""Read a CSV listing labelled clips: a path column and a label column.

    Parameters
    ----------
    path : str
        The CSV file. Clip paths in it are relative to its folder.
    label_column : str, default="program"
        Column holding each clip's label.
    path_column : str, default="path"
        Column holding each clip's path.

    Returns
    -------
    paths : list of str
        Clip paths, joined to the CSV's folder.
    labels : list of str
        The label column, as text.

    Raises
    ------
    ValueError
        If the file lists no clips or lacks one of the two columns.

    Examples
    --------
    >>> import os, tempfile
    >>> from sktimbre.io import read_manifest
    >>> folder = tempfile.mkdtemp()
    >>> with open(os.path.join(folder, "manifest.csv"), "w") as f:
    ...     _ = f.write("path,program\nviolin.wav,40\n")
    >>> paths, labels = read_manifest(os.path.join(folder, "manifest.csv"))
    >>> os.path.basename(paths[0]), labels
    ('violin.wav', ['40'])
    """
    import csv

    folder = os.path.dirname(os.path.abspath(path))
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    if not rows or path_column not in rows[0] or label_column not in rows[0]:
        raise ValueError(f"{path} needs columns '{path_column}' and '{label_column}' and at "
                         f"least one row")
    return [os.path.join(folder, r[path_column]) for r in rows], [r[label_column] for r in rows]
