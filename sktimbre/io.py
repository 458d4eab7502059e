"""Turning what users call "audio" into validated mono clips.

Every estimator in sktimbre accepts ``X`` in any of these forms:

* a sequence of file paths (``str``, ``bytes`` or :class:`os.PathLike`), in any
  format that :mod:`soundfile` (libsndfile) decodes, falling back to
  :func:`librosa.load` (audioread) for the rest; multichannel files are averaged
  to mono and other sample rates are resampled to the estimator's ``sr``;
* a sequence of 1-D numeric arrays, possibly of different lengths, at ``sr``;
* a 2-D numeric array ``(n_clips, n_samples)`` of equal-length clips at ``sr``;
* a :class:`~sktimbre.frontend.ClipBatch` produced by
  :class:`~sktimbre.frontend.AudioFrontEnd` (already decoded).

Whatever is wrong with a clip is reported with the clip's index and, for files,
its path -- never as a traceback from deep inside a decoder. A file is checked
before it is decoded: it must be a readable regular file (not a folder, FIFO or
device), and its header's sample rate (1,000-768,000 Hz) and length (at most
``max_duration``) must be plausible; it is then decoded block by block, so that a
small file whose header lies cannot allocate gigabytes. ``docs/bad_input.md``
lists every kind of bad input and what it gives.
"""

from __future__ import annotations

import errno
import math
import os
import stat
import warnings
from collections.abc import Sequence

import numpy as np

__all__ = [
    "InvalidClipError",
    "ClipWarning",
    "load_audio",
    "load_clip",
    "read_manifest",
    "source_name",
]

# Sample rates a file may declare. Below 1 kHz nothing of an instrument's timbre is
# left, and resampling to ``sr`` would multiply the samples (a 100 kB WAV at 1 Hz
# becomes 8.7 GB at 22,050 Hz); above 768 kHz no converter records.
_MIN_FILE_SR = 1_000
_MAX_FILE_SR = 768_000
# Files are decoded this many samples (all channels) at a time and downmixed block by
# block, so memory follows the audio actually decoded, never what a header claims.
_BLOCK_SAMPLES = 1 << 20
# Without max_duration, a header's length is trusted for preallocation up to this
# many frames (64 MB of float32); longer files grow block by block.
_PREALLOCATE_FRAMES = 1 << 24
# libsndfile's frame count for a stream whose header declares no length (SF_COUNT_MAX)
_UNKNOWN_FRAMES = 1 << 62

# Largest sample magnitude accepted: float audio lies within +-1 and 32-bit integer
# PCM within +-2.1e9; far beyond that, the values are not audio at any usual scale
# (and squared spectra would overflow float32 near 1e16).
_MAX_ABS = 1e10

# First bytes of the audio containers libsndfile/audioread read: a file that starts
# like one of these but does not decode is truncated or corrupt, not "not audio".
_AUDIO_MAGIC = (b"RIFF", b"RIFX", b"RF64", b"fLaC", b"OggS", b"FORM", b".snd", b"ID3",
                b"\xff\xfb", b"\xff\xf3", b"\xff\xf2", b"caff", b"wvpk", b"MThd")


class _NonNumeric(ValueError):
    """Internal marker: the samples of a clip are not real numbers."""


class _Refused(ValueError):
    """Internal marker: a file refused by a check of ours, not a decoder's failure."""


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
    """Issued when ``on_error="warn"`` turned unusable clips into NaN rows.

    Examples
    --------
    >>> import warnings
    >>> from sktimbre.io import ClipWarning
    >>> issubclass(ClipWarning, UserWarning)
    True
    """


def _is_path(item) -> bool:
    return isinstance(item, (str, bytes, os.PathLike))


def source_name(item) -> str:
    """How a clip is named in messages and ``failures_``: its path, or ``"<array>"``.

    Parameters
    ----------
    item : str, bytes, os.PathLike or array-like
        One clip of ``X``.

    Returns
    -------
    name : str
        The path as text (a ``bytes`` path decoded with :func:`os.fsdecode`, as
        the operating system names the file), or ``"<array>"`` for samples.

    Examples
    --------
    >>> from pathlib import Path
    >>> from sktimbre.io import source_name
    >>> source_name(Path("notes") / "violin.wav"), source_name(b"oboe.flac")
    ('notes/violin.wav', 'oboe.flac')
    >>> source_name([0.0, 0.1])
    '<array>'
    """
    return os.fsdecode(item) if _is_path(item) else "<array>"


_source_name = source_name  # the name other modules of sktimbre 0.1 import


def _too_long(seconds: float, max_duration: float, *, at_least: bool = False) -> str:
    return (
        f"{'at least ' if at_least else ''}{seconds:.1f} s long, above "
        f"max_duration={max_duration} s (each clip is analysed whole; raise "
        "AudioFrontEnd(max_duration=...) or make_timbre_embedder(max_duration=...) to "
        "accept it, or cut it into shorter takes)"
    )


def _check_rate(file_sr) -> None:
    if not _MIN_FILE_SR <= file_sr <= _MAX_FILE_SR:
        raise _Refused(
            f"its sample rate is {file_sr} Hz, outside {_MIN_FILE_SR:,}-{_MAX_FILE_SR:,} Hz "
            "(a damaged or deliberately odd header: audio is never recorded at that rate)"
        )


def _os_error_reason(exc: OSError, path) -> str:
    """What an OS error on a clip's path means to the user (stat or open)."""
    if exc.errno in (errno.EACCES, errno.EPERM):
        folder = _closed_folder(path)
        if folder is not None:
            return f"permission denied: cannot enter the folder {folder}"
        return "permission denied: cannot read the file"
    if exc.errno == errno.ENOENT:
        return "file not found"
    if exc.errno == errno.ENOTDIR:
        return "file not found (a part of its path is a file, not a folder)"
    if exc.errno == errno.ELOOP:
        return "cannot open it: its symbolic links form a loop"
    return f"cannot read file ({exc.strerror or exc})"


def _closed_folder(path) -> str | None:
    """The first folder on ``path`` that this process may not enter, if any."""
    folder = os.path.dirname(os.path.abspath(os.fsdecode(path)))
    parents = []
    while True:
        parents.append(folder)
        parent = os.path.dirname(folder)
        if parent == folder:
            break
        folder = parent
    for folder in reversed(parents):  # from the root down
        if os.path.isdir(folder) and not os.access(folder, os.X_OK):
            return folder
    return None


def _check_file(path) -> None:
    """Refuse what is not a readable, non-empty regular file, without blocking on it."""
    try:
        info = os.stat(path)
    except OSError as exc:
        raise ValueError(_os_error_reason(exc, path)) from None
    except ValueError:  # a NUL character: bytes of audio rather than a path
        raise ValueError(
            "is not a file path (it holds a NUL character); pass audio samples as an "
            "array, or the path of the file") from None
    mode = info.st_mode
    if stat.S_ISDIR(mode):
        raise ValueError("is a directory, not an audio file")
    if stat.S_ISFIFO(mode):
        raise ValueError("is a named pipe (FIFO), not an audio file")
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        raise ValueError("is a device, not an audio file")
    if not stat.S_ISREG(mode):
        raise ValueError("is not a regular file")
    if info.st_size == 0:
        raise ValueError("file is empty (0 bytes)")
    try:
        with open(path, "rb"):
            pass
    except OSError as exc:
        raise ValueError(_os_error_reason(exc, path)) from None


def _libsndfile_path(path):
    # bytes on POSIX: soundfile encodes str paths as UTF-8, which fails for a file
    # name that is not (os.fsencode gives back the exact bytes of the name)
    return os.fsencode(path) if os.name == "posix" else os.fsdecode(path)


def _decode_file(path, sr: int, max_duration: float | None = None) -> np.ndarray:
    """Decode one file to mono float32 at ``sr`` Hz, or raise ``ValueError``.

    The header's sample rate and length are checked before anything is decoded;
    the samples are then decoded block by block, so a header that lies cannot make
    it allocate more than the audio that is there (and ``max_duration`` allows).
    """
    _check_file(path)
    native = _libsndfile_path(path)
    try:
        import soundfile as sf

        with sf.SoundFile(native) as f:
            file_sr, frames, channels = f.samplerate, f.frames, f.channels
            _check_rate(file_sr)
            if frames >= _UNKNOWN_FRAMES:  # the header declares no length
                frames = 0
            elif max_duration is not None and frames > max_duration * file_sr:
                raise _Refused("its header says it is " + _too_long(frames / file_sr,
                                                                      max_duration))
            try:
                y = _read_mono(f, max_duration)
            except MemoryError:
                length = f"{frames / file_sr:.1f} s at " if frames else ""
                raise _Refused(f"not enough memory to decode it ({length}{file_sr} Hz, "
                               f"{channels} channel(s), by its header)") from None
    except _Refused:
        raise
    except MemoryError:
        raise _Refused("not enough memory to open it") from None
    except Exception as sf_error:  # libsndfile cannot read it: try audioread
        y, file_sr = _decode_with_audioread(path, max_duration, sf_error, native)
    if file_sr != sr and y.size:
        import librosa

        try:
            y = librosa.resample(y, orig_sr=file_sr, target_sr=sr).astype(np.float32,
                                                                          copy=False)
        except MemoryError:
            raise _Refused(f"not enough memory to resample it from {file_sr} to {sr} Hz "
                             f"({len(y) / file_sr:.1f} s)") from None
    return y


def _read_mono(f, max_duration: float | None) -> np.ndarray:
    """The samples of an open SoundFile, downmixed block by block; refused if too long."""
    channels = f.channels
    max_frames = None if max_duration is None else math.floor(max_duration * f.samplerate)
    block = max(1, _BLOCK_SAMPLES // channels)
    declared = f.frames if 0 < f.frames < _UNKNOWN_FRAMES else 0
    # the header is trusted as far as max_duration (or, without one, 64 MB) allows;
    # pages of this buffer that no decoded sample reaches are never touched
    cap = _PREALLOCATE_FRAMES if max_frames is None else max_frames + 1
    out = np.empty(min(declared, cap), dtype=np.float32)
    filled, extra, n_extra = 0, [], 0
    while True:
        data = f.read(block, dtype="float32", always_2d=True)
        if not len(data):
            break
        # the mean over one channel is the channel itself, bit for bit
        mono = data[:, 0] if channels == 1 else data.mean(axis=1, dtype=np.float32)
        room = min(len(out) - filled, len(mono))
        out[filled : filled + room] = mono[:room]
        filled += room
        if room < len(mono):  # more than the header said: grow block by block
            extra.append(np.array(mono[room:]))
            n_extra += len(mono) - room
        if max_frames is not None and filled + n_extra > max_frames:
            raise _Refused(_too_long((filled + n_extra) / f.samplerate, max_duration,
                                     at_least=True))
    y = out[:filled]
    if extra:
        y = np.concatenate([y, *extra])
    elif filled < len(out) // 2:
        y = y.copy()  # do not keep a buffer the header made too big
    return y


def _decode_with_audioread(path, max_duration, sf_error: Exception, native):
    """Decode what libsndfile cannot with audioread, length bounded by ``max_duration``."""
    try:
        import audioread
        import librosa

        reader = audioread.audio_open(os.fsdecode(path))
    except Exception:
        raise ValueError(_decode_failure(path, sf_error, native)) from None
    try:
        _check_rate(reader.samplerate)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            # no reliable length in every header: decode at most 1 s beyond the limit
            y, file_sr = librosa.load(
                reader, sr=None, mono=True, dtype=np.float32,
                duration=None if max_duration is None else max_duration + 1.0,
            )
    except _Refused:
        raise
    except MemoryError:
        raise _Refused("not enough memory to decode it") from None
    except Exception:
        raise ValueError(_decode_failure(path, sf_error, native)) from None
    finally:
        reader.close()
    if max_duration is not None and len(y) > max_duration * file_sr:
        raise _Refused(_too_long(len(y) / file_sr, max_duration, at_least=True))
    return y, file_sr


def _decode_failure(path, error: Exception, native=None) -> str:
    """Why a file did not decode, in a user's words, with the decoder's own after it."""
    detail = str(error)
    for name in (path, native):
        detail = detail.replace(f"Error opening {name!r}: ", "")
    detail = detail.strip()
    try:
        with open(path, "rb") as f:
            head = f.read(4)
    except OSError as exc:  # e.g. no permission to read it
        return _os_error_reason(exc, path)
    if not head.startswith(_AUDIO_MAGIC):
        return ("cannot decode audio: file is not audio (or in a format neither libsndfile "
                f"nor audioread reads; {detail})")
    return f"cannot decode audio: file is truncated or corrupt ({detail})"


def _check_range(arr: np.ndarray) -> None:
    """Reject non-finite and absurdly large samples, before any cast to float32."""
    if not arr.size or arr.dtype.kind not in "iuf":
        return
    high, low = float(arr.max()), float(arr.min())  # NaN propagates to both
    if not (math.isfinite(high) and math.isfinite(low)):
        raise ValueError("contains NaN or infinite samples")
    peak = max(abs(high), abs(low))
    if peak > _MAX_ABS:
        raise ValueError(_too_large(peak))


def _too_large(peak) -> str:
    return (f"samples reach {float(peak):.3g} in magnitude, beyond any audio scale "
            f"(float audio lies within +-1, integer PCM within +-2.1e9; limit {_MAX_ABS:g})")


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
    _check_range(arr)
    return np.ascontiguousarray(arr, dtype=np.float32)


def load_clip(item, *, sr: int = 22050, index: int = 0,
              max_duration: float | None = None) -> np.ndarray:
    """Load one clip (a path or an array of samples) as validated mono float32.

    Parameters
    ----------
    item : str, bytes, os.PathLike or array-like of shape (n_samples,)
        A path to an audio file, or samples at ``sr`` Hz.
    sr : int, default=22050
        Target sample rate in Hz. Files at other rates are resampled.
    index : int, default=0
        Position of the clip in its batch, used in error messages.
    max_duration : float or None, default=None
        Longest clip accepted, in seconds. A file whose header declares more is
        refused before any of it is decoded; a file without a reliable length in
        its header is decoded to at most one second beyond it. None: no limit.

    Returns
    -------
    y : ndarray of shape (n_samples,), dtype float32
        The clip, mono.

    Raises
    ------
    InvalidClipError
        If the file is missing, unreadable (permission denied), not a regular file
        (a folder, a FIFO, a device), empty, not audio or corrupt, declares a sample
        rate outside 1,000-768,000 Hz, is longer than ``max_duration``, or cannot be
        decoded in the memory available; or if the clip is empty, non-finite,
        beyond any audio scale (samples above 1e10 in magnitude), non-numeric or
        not one-dimensional.
    ValueError
        If ``max_duration`` is not a positive number or None.

    Notes
    -----
    Samples are converted to float32 as they are: integer arrays are *not* rescaled
    to +-1 (an int16 array holds values up to 32767). Clips shorter than an analysis
    frame are valid: analyses zero-pad them.

    Examples
    --------
    >>> import numpy as np
    >>> from sktimbre.io import load_clip
    >>> load_clip(np.zeros(4, dtype=np.int16)).dtype
    dtype('float32')
    >>> load_clip(np.zeros(3 * 22050), max_duration=2.0)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    sktimbre.io.InvalidClipError: clip 0 (<array>): 3.0 s long, above max_duration=2.0 s ...
    """
    _check_max_duration(max_duration)
    source = source_name(item)
    try:
        if _is_path(item):
            y = _decode_file(os.fspath(item), sr, max_duration)
            _check_range(y)
        else:
            y = _check_samples(item)  # range checked before the cast to float32
        if y.size == 0:
            raise ValueError("is empty (0 samples)")
        if max_duration is not None and len(y) > max_duration * sr:
            raise ValueError(_too_long(len(y) / sr, max_duration))
    except _NonNumeric as exc:
        raise _NonNumericClipError(index, source, str(exc)) from None
    except ValueError as exc:
        raise InvalidClipError(index, source, str(exc)) from None
    except MemoryError:  # one clip too big for this machine: the batch goes on without it
        raise InvalidClipError(index, source, "not enough memory to load it") from None
    return y


def _check_max_duration(max_duration) -> None:
    if max_duration is not None and not (
        isinstance(max_duration, (int, float, np.integer, np.floating))
        and not isinstance(max_duration, bool) and max_duration > 0
    ):
        raise ValueError(
            f"max_duration must be a positive number of seconds or None, got {max_duration!r}")


def _check_orientation(shape: tuple) -> None:
    """Catch one multichannel clip passed as ``(n_samples, n_channels)``.

    Read as a batch it would be thousands of clips of a few samples each, which
    no analysis can use; no real batch looks like that.
    """
    n_rows, n_cols = shape
    if n_cols <= 8 and n_rows > 1000:
        raise ValueError(
            f"X has shape {shape}: that looks like one clip of {n_rows} samples and "
            f"{n_cols} channel(s), channels last, not {n_rows} clips of {n_cols} samples. "
            "A 2-D X is (n_clips, n_samples) of mono clips: pass [y.mean(axis=1)] to "
            "downmix the clip to mono"
        )


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
            _check_orientation(X.shape)
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


def load_audio(X, *, sr: int = 22050, on_error: str = "raise",
               max_duration: float | None = None):
    """Load a batch of clips as validated mono float32 arrays.

    Parameters
    ----------
    X : sequence of paths, sequence of 1-D arrays, or ndarray of shape (n_clips, n_samples)
        The clips. See the module docstring for the accepted forms.
    sr : int, default=22050
        Sample rate in Hz of in-memory clips, and target rate for files.
    on_error : {"raise", "warn", "nan"}, default="raise"
        ``"raise"`` stops at the first unusable clip with :class:`InvalidClipError`;
        ``"warn"`` and ``"nan"`` replace it by ``None`` and report it in ``errors``
        (warning, if at all, is the caller's business).
    max_duration : float or None, default=None
        Longest clip accepted, in seconds (see :func:`load_clip`); longer clips
        fail like any unusable clip, files before they are decoded. None: no limit.

    Returns
    -------
    clips : list of ndarray or None
        One float32 array per clip (``None`` for a failed clip unless ``on_error="raise"``).
    sources : list of str
        The path of each clip, or ``"<array>"`` (:func:`source_name`).
    errors : dict of int to str
        Index of each failed clip to its error message (empty with ``on_error="raise"``).

    Raises
    ------
    InvalidClipError
        For the first unusable clip, if ``on_error="raise"``.
    ValueError
        If ``X`` is empty or not a batch of clips, or ``max_duration`` is not a
        positive number or None.

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
    if on_error not in ("raise", "warn", "nan"):
        raise ValueError(f"on_error must be 'raise', 'warn' or 'nan', got {on_error!r}")
    _check_max_duration(max_duration)
    items = _as_clip_list(X)
    if not items:
        raise ValueError("X contains no clips (0 clips given; at least 1 is required)")
    clips, sources, errors = [], [], {}
    for i, item in enumerate(items):
        sources.append(source_name(item))
        try:
            clips.append(load_clip(item, sr=sr, index=i, max_duration=max_duration))
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
