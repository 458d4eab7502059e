"""A persistent similarity index of a sample library: timbre vectors, paths, file stamps.

:class:`TimbreIndex` embeds a library once (folders of audio files, in-memory
clips, or vectors computed elsewhere), answers "which sounds are most like this
one?" by exact search over its vectors, and is saved to and loaded from a
``.skx`` file that holds data only:

* ``index.json`` -- format and version, parameters, the number and width of the
  vectors, the embedder's description and fingerprint;
* ``vectors.npy`` -- the vectors, float32, read with ``allow_pickle=False``;
* ``ids.json`` -- the item ids: absolute paths for files, else given ids;
* ``stamps.npy`` -- per item the file's size and modification time (ns), which
  :meth:`TimbreIndex.update` compares to re-embed only what changed;
* ``pitch.npy`` -- per item an estimated fundamental in Hz (NaN: none);
* ``embedder.skt`` -- the embedder, in :func:`sktimbre.save`'s safe format, so
  that queries and updates embed new clips exactly as the library was embedded.

Loading refuses any other member, an array of another dtype or shape than
``index.json`` declares, members larger than those declarations allow (a zip
bomb), and classes outside :data:`sktimbre.persistence.TRUSTED_TYPES`.
"""

from __future__ import annotations

import contextlib
import copy
import hashlib
import io
import json
import os
import tempfile
import warnings
import zipfile
from numbers import Integral

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted, validate_data

from ._sklearn_compat import StrOptions, fit_context, validate_estimator_params

__all__ = [
    "TimbreIndex",
    "find_audio_files",
    "AUDIO_EXTENSIONS",
    "INDEX_FORMAT_NAME",
    "INDEX_FORMAT_VERSION",
]

AUDIO_EXTENSIONS = (".wav", ".flac", ".ogg", ".mp3", ".aif", ".aiff", ".au", ".opus")
"""File name endings :class:`TimbreIndex` takes as audio when it searches a folder."""

INDEX_FORMAT_NAME = "sktimbre-index"
INDEX_FORMAT_VERSION = 1

_MEMBERS = ("index.json", "vectors.npy", "ids.json", "stamps.npy", "pitch.npy", "embedder.skt")
# Size limits of a file's members, checked on the sizes the zip declares before
# anything is decompressed: JSON metadata, an npy header, one id, the embedder.
_MAX_JSON_BYTES = 1 << 20
_MAX_NPY_HEADER = 1 << 16
_MAX_ID_BYTES = 1 << 14
_MAX_EMBEDDER_BYTES = 1 << 30
_MAX_ITEMS = 1 << 31
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)  # fixed, so that saving is reproducible
# A 2-D array narrower than this (46 ms at 22.05 kHz) is taken for vectors of the
# wrong width rather than for clips.
_MIN_CLIP_SAMPLES = 1024
# Candidates kept per query beyond k while scanning in float32; their exact
# (float64) distances then decide the order, so that float32 rounding cannot.
_CANDIDATE_MARGIN = 16
# Elements of one block of query-by-item scores (float32): 16 MiB.
_BLOCK_ELEMENTS = 1 << 22


class TimbreIndex(BaseEstimator):
    """A searchable, saveable collection of timbre vectors: a sample library's index.

    Build it from audio (files, folders, arrays: embedded with ``embedder``) or
    from vectors computed elsewhere; :meth:`query` returns the nearest items of
    new clips or vectors by exact search (block-wise matrix products, no
    approximation: about 70 ms for one query among a million items, see
    ``benchmarks/index.py``); :meth:`update` re-embeds only the files that are
    new or changed since and drops those deleted; :meth:`save` and :meth:`load`
    keep it in a ``.skx`` file that holds data only (no pickle). ``sktimbre
    index``, ``sktimbre similar --index`` and ``sktimbre map`` are its command
    line.

    It is a scikit-learn estimator (parameters, ``fit``, ``get_params``) whose
    use is :meth:`query`, like :class:`sklearn.neighbors.NearestNeighbors`.

    Parameters
    ----------
    embedder : "default", estimator or None, default="default"
        Fitted embedder that turns clips into vectors: ``"default"`` is
        :func:`sktimbre.load_pretrained_embedder`; an estimator is copied at
        ``fit`` (wrap it in :class:`sklearn.frozen.FrozenEstimator` to keep it
        fitted through :func:`~sklearn.base.clone`). ``None``: ``fit`` takes
        vectors only, and :meth:`query` vectors only.
    metric : {"cosine", "euclidean"}, default="cosine"
        Distance between vectors: cosine distance ``1 - cos`` (0 for the same
        direction, 1 for orthogonal, up to 2) or Euclidean. It can be changed
        after fitting (``set_params``): the stored vectors do not depend on it.
    pitch : bool, default=True
        Also estimate each clip's fundamental (:class:`sktimbre.PitchEstimate`,
        about a fifth of the embedding time) and keep it in ``pitch_hz_``, for
        the map's tooltips and the command line's listings.
    on_error : {"warn", "raise"}, default="warn"
        A clip that cannot be embedded (missing, undecodable, silent...):
        ``"warn"`` leaves it out of the index, lists it in ``failures_`` and
        issues one :class:`~sktimbre.ClipWarning` naming the failures;
        ``"raise"`` raises :class:`~sktimbre.InvalidClipError` naming it.
    n_jobs : int or None, default=None
        Worker processes for decoding and analysis (the embedder's front end).
    verbose : bool, default=False
        Draw a progress bar on stderr while embedding (when it is a terminal).

    Attributes
    ----------
    vectors_ : ndarray of shape (n_items, n_dims), dtype float32
        The items' timbre vectors.
    ids_ : ndarray of shape (n_items,), dtype object
        The items' ids: absolute paths for files, else the ids given to ``fit``
        (by default the items' positions).
    stamps_ : ndarray of shape (n_items, 2), dtype int64
        Size in bytes and modification time in ns of each file when it was
        embedded; ``-1`` for items that are not files.
    pitch_hz_ : ndarray of shape (n_items,), dtype float32
        Estimated fundamental of each clip in Hz; NaN where unknown (vectors,
        ``pitch=False``).
    embedder_ : estimator or None
        The embedder new clips are embedded with.
    failures_ : list of (str, str)
        ``(id, reason)`` for every clip the last ``fit`` or ``update`` could not
        embed (with ``on_error="warn"``); they are not in the index.
    changes_ : dict of str to list
        What the last ``fit`` or ``update`` did: ids ``"added"``, ``"changed"``
        (re-embedded), ``"removed"``, and ``"failed"``.
    n_features_in_ : int
        Width of the vectors, when fitted from vectors.

    See Also
    --------
    sktimbre.timbre_map.write_map : A 2-D map of an index as one HTML page.
    sklearn.neighbors.NearestNeighbors : Neighbour search without audio or files.

    Notes
    -----
    A file counts as changed when its size or modification time (to the
    nanosecond) differs from its stamp. A file rewritten with the same size whose
    time was set back (``touch -r``, some copy tools) is not noticed: build the
    index anew (``fit``) after such a restore. Folders are searched recursively for
    :data:`AUDIO_EXTENSIONS`, skipping hidden files and folders (such as macOS's
    ``._name.wav`` companions).

    Examples
    --------
    >>> import numpy as np
    >>> from sktimbre import TimbreIndex
    >>> from sktimbre.datasets import make_notes
    >>> X, y = make_notes(n_instruments=3, pitches=[48, 60, 72], random_state=0)
    >>> index = TimbreIndex(pitch=False).fit(list(X), ids=[f"note{i}" for i in range(len(X))])
    >>> index.vectors_.shape
    (18, 31)
    >>> distances, ids = index.query(index.vectors_[:1], k=3)
    >>> ids[0, 0], round(float(distances[0, 0]), 6)
    ('note0', 0.0)

    From vectors computed elsewhere:

    >>> rng = np.random.default_rng(0)
    >>> index = TimbreIndex(embedder=None, metric="euclidean").fit(rng.normal(size=(100, 8)))
    >>> distances, rows = index.query(index.vectors_[[5]], k=2, return_indices=True)
    >>> rows
    array([[5, 4]])
    """

    _parameter_constraints: dict = {
        "embedder": "no_validation",  # "default", None or a fitted embedder: see fit
        "metric": [StrOptions({"cosine", "euclidean"})],
        "pitch": ["boolean"],
        "on_error": [StrOptions({"warn", "raise"})],
        "n_jobs": [Integral, None],
        "verbose": ["boolean"],
    }

    def __init__(self, embedder="default", *, metric="cosine", pitch=True, on_error="warn",
                 n_jobs=None, verbose=False):
        self.embedder = embedder
        self.metric = metric
        self.pitch = pitch
        self.on_error = on_error
        self.n_jobs = n_jobs
        self.verbose = verbose

    # ------------------------------------------------------------------ building

    @fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None, *, ids=None):
        """Build the index: embed clips, or take precomputed vectors.

        Parameters
        ----------
        X : list of clips, or array-like of shape (n_items, n_dims)
            Clips: paths of audio files, folders (searched recursively for
            :data:`AUDIO_EXTENSIONS`), 1-D arrays of samples -- anything the
            embedder takes. Vectors: a 2-D array whose width is the embedder's
            output width (with ``embedder=None``: any 2-D array). A wider 2-D
            array (at least 1024 columns) is embedded as equal-length clips.
        y : None
            Ignored; present for API consistency.
        ids : sequence of str or int, optional
            One id per item of ``X`` (not with folders), returned by
            :meth:`query`. Default: the absolute path of a file, the position
            of any other item.

        Returns
        -------
        self : TimbreIndex
            Fitted.
        """
        self.embedder_ = self._resolve_embedder()
        if self.embedder_ is None and (_is_path(X) or (
                isinstance(X, (list, tuple)) and any(_is_path(item) for item in X))):
            raise ValueError("with embedder=None, fit takes vectors (a 2-D array); give an "
                             "embedder (e.g. 'default') to index audio files")
        if self._reads_as_vectors(X):
            self._fit_vectors(X, ids)
        else:
            if hasattr(self, "n_features_in_"):
                del self.n_features_in_
            items, item_ids = _clip_list(X, ids)
            stamps = [_stamp(item) for item in items]
            vectors, pitch, ok, failures = self._embed(items, item_ids)
            if vectors is None:
                raise ValueError(f"none of the {len(items)} clips could be embedded: "
                                 f"{_describe(failures)}")
            self._warn(failures, len(items))
            self._set_items(vectors, _object_array(item_ids)[ok],
                            np.asarray(stamps, dtype=np.int64).reshape(-1, 2)[ok], pitch)
            self.failures_ = failures
            self.changes_ = {"added": [item_ids[i] for i in np.flatnonzero(ok)], "changed": [],
                             "removed": [], "failed": [f[0] for f in failures]}
        return self

    def _fit_vectors(self, X, ids) -> None:
        vectors = validate_data(self, X, dtype=np.float32)
        n = len(vectors)
        item_ids = _check_ids(ids, n) if ids is not None else list(range(n))
        self._set_items(vectors, _object_array(item_ids),
                        np.full((n, 2), -1, dtype=np.int64),
                        np.full(n, np.nan, dtype=np.float32))
        self.failures_ = []
        self.changes_ = {"added": list(item_ids), "changed": [], "removed": [], "failed": []}

    def update(self, X=None):
        """Bring the index up to date with its files: embed only what is new or changed.

        Parameters
        ----------
        X : list of paths and folders, optional
            The library as it is now. Files listed (or found in the folders) that
            the index lacks are embedded and added; files whose size or
            modification time changed are embedded again; files of the index not
            listed, or deleted, are dropped. ``None``: the index's own files
            (changed ones re-embedded, deleted ones dropped, nothing added).
            Items that are not files (arrays, vectors) are always kept.

        Returns
        -------
        self : TimbreIndex
            Updated; ``changes_`` says what changed.

        Examples
        --------
        >>> import os, tempfile
        >>> import soundfile as sf
        >>> from sktimbre import TimbreIndex
        >>> from sktimbre.datasets import make_notes
        >>> X, y = make_notes(n_instruments=2, pitches=[60], velocities=[1.0], random_state=0)
        >>> folder = tempfile.mkdtemp()
        >>> sf.write(os.path.join(folder, "a.wav"), X[0], 22050)
        >>> index = TimbreIndex(pitch=False).fit([folder])
        >>> sf.write(os.path.join(folder, "b.wav"), X[1], 22050)
        >>> [os.path.basename(p) for p in index.update([folder]).changes_["added"]]
        ['b.wav']
        """
        check_is_fitted(self)
        validate_estimator_params(self)
        is_file = self.stamps_[:, 0] >= 0
        if X is None:
            listing = [p for p, f in zip(self.ids_, is_file, strict=True) if f]
        else:
            items, _ = _clip_list(X, None)
            arrays = [i for i, item in enumerate(items) if not _is_path(item)]
            if arrays:
                raise ValueError(f"update takes paths and folders; item {arrays[0]} of X is "
                                 f"not a path (use fit to index clips given as arrays)")
            listing = items
        listed = set(listing)
        row_of = {item_id: row for row, item_id in enumerate(self.ids_) if is_file[row]}
        keep = ~is_file  # items that are not files stay as they are
        removed = [item_id for item_id in row_of if item_id not in listed]
        todo, todo_stamps = [], []
        for path in listing:
            stamp = _stamp(path)
            row = row_of.get(path)
            if row is not None and stamp[0] < 0:  # deleted (or unreadable) since
                removed.append(path)
            elif row is not None and stamp == tuple(self.stamps_[row]):
                keep[row] = True
            else:  # new, changed, or listed but missing: embedding says which
                todo.append(path)
                todo_stamps.append(stamp)
        if todo and self.embedder_ is None:
            raise ValueError("this index was built from vectors without an embedder; it "
                             "cannot embed new or changed files")
        vectors, pitch, ok, failures = (self._embed(todo, todo) if todo else
                                        (None, None, np.zeros(0, dtype=bool), []))
        self._warn(failures, len(todo))
        if vectors is None:
            vectors = np.empty((0, self.vectors_.shape[1]), dtype=np.float32)
            pitch = np.empty(0, dtype=np.float32)
        done = [p for p, good in zip(todo, ok, strict=True) if good]
        self._set_items(
            np.concatenate([self.vectors_[keep], vectors]),
            np.concatenate([self.ids_[keep], _object_array(done)]),
            np.concatenate([self.stamps_[keep],
                            np.asarray(todo_stamps, dtype=np.int64).reshape(-1, 2)[ok]]),
            np.concatenate([self.pitch_hz_[keep], pitch]))
        self.failures_ = failures
        self.changes_ = {"added": [p for p in done if p not in row_of],
                         "changed": [p for p in done if p in row_of],
                         "removed": sorted(removed),
                         "failed": [f[0] for f in failures]}
        return self

    def _resolve_embedder(self):
        if self.embedder is None:
            return None
        if isinstance(self.embedder, str) and self.embedder == "default":
            from .pretrained import load_pretrained_embedder

            return load_pretrained_embedder()
        if isinstance(self.embedder, str) or not hasattr(self.embedder, "transform"):
            raise ValueError(f"embedder must be 'default', None or a fitted embedder (with "
                             f"a transform method), got {self.embedder!r}")
        if not _is_fitted(self.embedder):
            raise ValueError(f"the embedder {type(self.embedder).__name__} is not fitted; fit "
                             f"it first, or use embedder='default' (the pretrained one)")
        return copy.deepcopy(self.embedder)

    def _reads_as_vectors(self, X) -> bool:
        """Vectors: anything with ``embedder=None``; else a 2-D numeric array of the
        embedder's output width (a 2-D array of clips is wider by far)."""
        if self.embedder_ is None:
            return True
        X = X.to_numpy() if hasattr(X, "to_numpy") else X
        if hasattr(X, "dtype") and getattr(X, "ndim", 0) == 2 and X.dtype.kind in "biuf":
            return _vectors_or_clips(X.shape[1], _output_width(self.embedder_))
        return False

    def _set_items(self, vectors, ids, stamps, pitch) -> None:
        self.vectors_ = np.ascontiguousarray(vectors, dtype=np.float32)
        self.ids_ = ids
        self.stamps_ = stamps
        self.pitch_hz_ = np.asarray(pitch, dtype=np.float32)
        self._row_of = None  # id -> row, built when first needed
        self._sq_norms = None  # squared norms of the vectors, idem

    # ------------------------------------------------------------------ embedding

    @contextlib.contextmanager
    def _configured_embedder(self, on_error: str):
        """The embedder with bad clips turned into NaN rows (its front end says why)
        and the workers set; its own settings are back afterwards, as saved."""
        embedder = self.embedder_
        params = embedder.get_params() if hasattr(embedder, "get_params") else {}
        changed = {}
        for key, value in (("on_error", on_error), ("n_jobs", self.n_jobs)):
            name = next((n for n in (f"frontend__{key}", key) if n in params), None)
            if name is not None:
                changed[name] = params[name]
                embedder.set_params(**{name: value})
        try:
            yield embedder
        finally:
            if changed:
                embedder.set_params(**changed)

    def _embed(self, items, item_ids):
        """Embed clips in chunks; returns ``(vectors, pitch, ok, failures)``, the first two
        ``None`` if no clip could be embedded."""
        from ._progress import ProgressBar

        chunk = 64 * max(_n_workers(self.n_jobs), 1)
        rows, pitches = [], []
        ok = np.zeros(len(items), dtype=bool)
        failures = []
        bar = ProgressBar(len(items), label="embedding", enabled=None if self.verbose else False)
        try:
            with self._configured_embedder("nan") as embedder:
                for start in range(0, len(items), chunk):
                    part = items[start:start + chunk]
                    E, reasons = _embed_chunk(embedder, part)
                    good = np.isfinite(E).all(axis=1)
                    for i in np.flatnonzero(~good):
                        reason = reasons.get(int(i), "the embedder returned a non-finite vector")
                        if self.on_error == "raise":
                            from .io import InvalidClipError

                            raise InvalidClipError(start + int(i), _source(part[i]), reason)
                        failures.append((item_ids[start + int(i)], reason))
                    ok[start:start + len(part)] = good
                    if good.any():
                        kept = [item for item, g in zip(part, good, strict=True) if g]
                        rows.append(E[good])
                        pitches.append(_pitch_hz(kept, self.n_jobs) if self.pitch else
                                       np.full(len(kept), np.nan, dtype=np.float32))
                    bar.update(len(part))
        finally:
            bar.close()
        if not rows:
            return None, None, ok, failures
        vectors = np.concatenate(rows)
        pitch = np.concatenate(pitches)
        return vectors.astype(np.float32), pitch, ok, failures

    @staticmethod
    def _warn(failures, n_clips: int) -> None:
        if failures:
            from .io import ClipWarning

            warnings.warn(f"{len(failures)} of {n_clips} clips could not be embedded and are "
                          f"not in the index: {_describe(failures)}", ClipWarning, stacklevel=3)

    # ------------------------------------------------------------------ searching

    def query(self, X, k: int = 5, *, exclude_self: bool = False,
              return_indices: bool = False):
        """The ``k`` items nearest to each query, nearest first: exact search.

        Parameters
        ----------
        X : clip, list of clips, or array-like of shape (n_queries, n_dims)
            Clips (paths, arrays of samples: embedded with ``embedder_``; a
            file the index holds and that has not changed is not embedded again,
            its stored vector is used), or vectors: a 2-D numeric array with the
            index's width.
        k : int, default=5
            Neighbours per query; fewer if the index holds fewer items.
        exclude_self : bool, default=False
            Leave out, for a query that is a file of the index, that file itself
            (its ``k`` nearest *other* items).
        return_indices : bool, default=False
            Return row positions in the index instead of ids.

        Returns
        -------
        distances : ndarray of shape (n_queries, k), dtype float64
            In the index's ``metric``, ascending along each row.
        ids : ndarray of shape (n_queries, k)
            The neighbours' ids (``ids_``), or their rows with
            ``return_indices=True``.

        Raises
        ------
        sktimbre.InvalidClipError
            If a query clip cannot be embedded, naming it.

        Examples
        --------
        >>> import numpy as np
        >>> from sktimbre import TimbreIndex
        >>> vectors = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
        >>> index = TimbreIndex(embedder=None).fit(vectors, ids=["x", "y", "xy"])
        >>> distances, ids = index.query([[2.0, 0.1]], k=2)
        >>> ids, distances.round(3)
        (array([['x', 'xy']], dtype=object), array([[0.001, 0.258]]))
        """
        check_is_fitted(self)
        if not isinstance(k, Integral) or isinstance(k, bool) or k < 1:
            raise ValueError(f"k must be a positive integer, got {k!r}")
        if self.metric not in ("cosine", "euclidean"):
            raise ValueError(f"metric must be 'cosine' or 'euclidean', got {self.metric!r}")
        queries, self_rows = self._query_vectors(X)
        n = len(self.vectors_)
        extra = 1 if exclude_self and (self_rows >= 0).any() else 0
        n_found = min(int(k) + extra, n)
        if getattr(self, "_sq_norms", None) is None:
            self._sq_norms = np.einsum("ij,ij->i", self.vectors_, self.vectors_)
        distances, rows = _exact_knn(self.vectors_, queries, n_found, self.metric,
                                     sq_norms=self._sq_norms)
        if extra:
            distances, rows = _drop_self(distances, rows, self_rows, min(int(k), n - 1))
        else:
            distances, rows = distances[:, :k], rows[:, :k]
        return distances, (rows if return_indices else self.ids_[rows])

    def _query_vectors(self, X):
        """Query vectors, float64, and per query the row it is in the index (or -1)."""
        width = self.vectors_.shape[1]
        if isinstance(X, (str, os.PathLike)):
            X = [X]
        if self.embedder_ is None or (_is_numeric_2d(X) and _vectors_or_clips(
                np.shape(X)[1], width)):
            Q = np.asarray(X, dtype=np.float64)
            if Q.ndim != 2 or Q.shape[1] != width:
                raise ValueError(f"query vectors must be a 2-D array with {width} columns "
                                 f"(the index's width), got shape {Q.shape}")
            if not np.isfinite(Q).all():
                raise ValueError("query vectors contain NaN or infinite values")
            return Q, np.full(len(Q), -1)
        items = list(X)
        Q = np.empty((len(items), width))
        self_rows = np.full(len(items), -1)
        todo = []
        row_of = self._rows()
        for i, item in enumerate(items):
            row = row_of.get(os.path.abspath(os.fspath(item))) if _is_path(item) else None
            if row is not None and self.stamps_[row, 0] >= 0 and \
                    _stamp(self.ids_[row]) == tuple(self.stamps_[row]):
                Q[i], self_rows[i] = self.vectors_[row], row  # unchanged: not re-embedded
            else:
                todo.append(i)
        if todo:
            with self._configured_embedder("nan") as embedder:
                E, reasons = _embed_chunk(embedder, [items[i] for i in todo])
            for j, i in enumerate(todo):
                if not np.isfinite(E[j]).all():
                    from .io import InvalidClipError

                    raise InvalidClipError(i, _source(items[i]), reasons.get(
                        j, "the embedder returned a non-finite vector"))
            if E.shape[1] != width:
                raise ValueError(f"the embedder makes {E.shape[1]}-dimensional vectors, the "
                                 f"index holds {width}-dimensional ones")
            Q[todo] = E
        return Q, self_rows

    def _rows(self) -> dict:
        if getattr(self, "_row_of", None) is None:
            self._row_of = {item_id: row for row, item_id in enumerate(self.ids_)}
        return self._row_of

    # ------------------------------------------------------------------ files

    def save(self, path, *, trusted=None) -> None:
        """Write the index to a ``.skx`` file: data only, no pickle.

        The file is replaced only once the new one is complete: an interrupted
        save leaves the previous one intact.

        Parameters
        ----------
        path : str or path-like
            File to write (``.skx`` by convention).
        trusted : list of class or str, optional
            Classes of your own in the embedder, as for :func:`sktimbre.save`;
            pass the same list to :meth:`load`.

        Examples
        --------
        >>> import os, tempfile
        >>> import numpy as np
        >>> from sktimbre import TimbreIndex
        >>> index = TimbreIndex(embedder=None).fit(np.eye(3), ids=["a", "b", "c"])
        >>> path = os.path.join(tempfile.mkdtemp(), "library.skx")
        >>> index.save(path)
        >>> TimbreIndex.load(path).query(np.eye(3)[[1]], k=1)[1]
        array([['b']], dtype=object)
        """
        check_is_fitted(self)
        from ._versions import current_versions

        embedder_bytes = None
        embedder_info = None
        if self.embedder_ is not None:
            embedder_bytes = _embedder_bytes(self.embedder_, trusted)
            embedder_info = {
                "name": "default" if isinstance(self.embedder, str) else
                type(self.embedder_).__name__,
                "fingerprint": _fingerprint(embedder_bytes),
            }
        ids = [i.item() if isinstance(i, np.generic) else i for i in self.ids_]
        spec = {
            "format": INDEX_FORMAT_NAME,
            "format_version": INDEX_FORMAT_VERSION,
            "versions": current_versions(),
            "params": {"metric": self.metric, "pitch": bool(self.pitch),
                       "on_error": self.on_error},
            "n_items": int(len(self.vectors_)),
            "n_dims": int(self.vectors_.shape[1]),
            "embedder": embedder_info,
            "n_features_in": int(self.n_features_in_) if hasattr(self, "n_features_in_")
            else None,
        }
        # written beside the target, then renamed over it: an interrupted save (or a
        # full disk) leaves the previous index as it was
        target = os.fspath(path)
        partial = f"{target}.{os.getpid()}.partial"
        try:
            with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as archive:
                _write_member(archive, "index.json", json.dumps(
                    spec, indent=1, sort_keys=True, allow_nan=False).encode())
                _write_member(archive, "vectors.npy", _npy(self.vectors_))
                _write_member(archive, "ids.json", json.dumps(ids).encode())
                _write_member(archive, "stamps.npy", _npy(self.stamps_))
                _write_member(archive, "pitch.npy", _npy(self.pitch_hz_))
                if embedder_bytes is not None:
                    _write_member(archive, "embedder.skt", embedder_bytes)
            os.replace(partial, target)
        finally:
            if os.path.exists(partial):
                os.remove(partial)

    @classmethod
    def load(cls, path, *, trusted=None) -> TimbreIndex:
        """Read an index written by :meth:`save`, refusing anything but data.

        Parameters
        ----------
        path : str or path-like
            A ``.skx`` file.
        trusted : list of class or str, optional
            Classes of your own in its embedder, as for :func:`sktimbre.load`.

        Returns
        -------
        index : TimbreIndex
            Fitted, with the parameters it was saved with (``n_jobs`` and
            ``verbose`` at their defaults) and its own embedder.

        Raises
        ------
        sktimbre.persistence.InvalidModelFileError
            If the file is not an index, holds unexpected members, arrays that
            are not what it declares, or an embedder that
            :func:`sktimbre.load` refuses (:class:`~sktimbre.persistence.UntrustedTypeError`
            for classes that are not trusted).

        Examples
        --------
        >>> import os, tempfile
        >>> import numpy as np
        >>> from sktimbre import TimbreIndex
        >>> path = os.path.join(tempfile.mkdtemp(), "library.skx")
        >>> TimbreIndex(embedder=None, metric="euclidean").fit(np.eye(2)).save(path)
        >>> TimbreIndex.load(path)
        TimbreIndex(embedder=None, metric='euclidean')
        """
        from .persistence import InvalidModelFileError

        where = os.fspath(path)
        try:
            archive = zipfile.ZipFile(path)
        except zipfile.BadZipFile:
            raise InvalidModelFileError(where, "not an sktimbre index file: it is not a zip "
                                               "archive") from None
        with archive:
            sizes = {info.filename: info.file_size for info in archive.infolist()}
            unexpected = sorted(set(sizes) - set(_MEMBERS))
            if unexpected:
                raise InvalidModelFileError(where, f"holds unexpected members {unexpected}; "
                                                   f"refusing to load it")
            for name in _MEMBERS[:5]:
                if name not in sizes:
                    raise InvalidModelFileError(where, f"not an sktimbre index file: no {name}")
            spec = _read_spec(archive, sizes, where)
            n, d = spec["n_items"], spec["n_dims"]
            vectors = _read_npy(archive, sizes, "vectors.npy", np.float32, (n, d), where)
            stamps = _read_npy(archive, sizes, "stamps.npy", np.int64, (n, 2), where)
            pitch = _read_npy(archive, sizes, "pitch.npy", np.float32, (n,), where)
            if sizes["ids.json"] > (n + 1) * _MAX_ID_BYTES:
                raise InvalidModelFileError(where, f"ids.json is larger than {n} ids can be")
            ids = json.loads(archive.read("ids.json").decode("utf-8"))
            if not isinstance(ids, list) or len(ids) != n or not all(
                    isinstance(i, (str, int)) and not isinstance(i, bool) for i in ids):
                raise InvalidModelFileError(where, f"ids.json must list {n} strings or integers")
            embedder = None
            if spec["embedder"] is not None:
                if "embedder.skt" not in sizes:
                    raise InvalidModelFileError(where, "declares an embedder but holds none")
                if sizes["embedder.skt"] > _MAX_EMBEDDER_BYTES:
                    raise InvalidModelFileError(where, "embedder.skt is too large")
                embedder = _load_embedder(archive.read("embedder.skt"), trusted, where)
        params = spec["params"]
        name = (spec["embedder"] or {}).get("name")
        index = cls(embedder=None if embedder is None else
                    ("default" if name == "default" else embedder),
                    metric=params.get("metric", "cosine"), pitch=bool(params.get("pitch")),
                    on_error=params.get("on_error", "warn"))
        try:
            validate_estimator_params(index)
        except ValueError as exc:
            raise InvalidModelFileError(where, f"index.json holds invalid parameters "
                                               f"({exc})") from None
        index.embedder_ = embedder
        index._set_items(vectors, _object_array(ids), stamps, pitch)
        if spec.get("n_features_in") is not None:
            index.n_features_in_ = int(spec["n_features_in"])
        index.failures_ = []
        index.changes_ = {"added": [], "changed": [], "removed": [], "failed": []}
        return index

    def same_embedder(self, embedder) -> bool:
        """Whether ``embedder`` computes the vectors this index holds (same class,
        parameters and fitted arrays, whatever the package versions).

        Parameters
        ----------
        embedder : estimator or "default"
            A fitted embedder, or ``"default"`` for the pretrained one.

        Returns
        -------
        same : bool

        Examples
        --------
        >>> from sktimbre import TimbreIndex, load_pretrained_embedder
        >>> index = TimbreIndex(pitch=False).fit([[0.0] * 100 + [0.5, -0.5] * 4000])
        >>> index.same_embedder("default"), index.same_embedder(load_pretrained_embedder())
        (True, True)
        """
        check_is_fitted(self)
        if isinstance(embedder, str) and embedder == "default":
            from .pretrained import load_pretrained_embedder

            embedder = load_pretrained_embedder()
        if self.embedder_ is None:
            return False
        return _fingerprint(_embedder_bytes(embedder)) == _fingerprint(
            _embedder_bytes(self.embedder_))


# ---------------------------------------------------------------------------- helpers


def _is_path(item) -> bool:
    return isinstance(item, (str, os.PathLike))


def _source(item) -> str:
    return os.fspath(item) if _is_path(item) else "<array>"


def _describe(failures, limit: int = 5) -> str:
    shown = "; ".join(f"{i}: {r}" for i, r in failures[:limit])
    return shown + (f"; ... ({len(failures)} in all, see failures_)"
                    if len(failures) > limit else "")


def _is_fitted(estimator) -> bool:
    from sklearn.exceptions import NotFittedError

    try:
        check_is_fitted(estimator)
    except NotFittedError:
        return False
    except TypeError:  # not an sklearn estimator: trust it
        return True
    return True


def _n_workers(n_jobs) -> int:
    if n_jobs is None:
        return 1
    return os.cpu_count() or 1 if n_jobs < 0 else int(n_jobs)


def find_audio_files(folder) -> list[str]:
    """The audio files under a folder, recursively, sorted; hidden ones skipped.

    Parameters
    ----------
    folder : str or path-like
        Where to look.

    Returns
    -------
    paths : list of str
        Files whose names end with one of :data:`AUDIO_EXTENSIONS` (any case),
        not starting with a dot and not inside a folder starting with one (macOS's
        ``._name.wav`` companions, ``.git``...).

    Examples
    --------
    >>> import os, tempfile
    >>> from sktimbre.index import find_audio_files
    >>> folder = tempfile.mkdtemp()
    >>> for name in ["b.WAV", "a.flac", "._a.flac", "notes.txt"]:
    ...     open(os.path.join(folder, name), "w").close()
    >>> [os.path.basename(p) for p in find_audio_files(folder)]
    ['a.flac', 'b.WAV']
    """
    found = []
    for root, dirs, names in os.walk(folder):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        found += [os.path.join(root, name) for name in names
                  if not name.startswith(".") and name.lower().endswith(AUDIO_EXTENSIONS)]
    return sorted(found)


def _clip_list(X, ids):
    """Clips with folders expanded and paths made absolute (each file once), and ids."""
    if isinstance(X, (str, os.PathLike)):
        X = [X]
    items = list(X)
    if ids is not None:
        if any(_is_path(item) and os.path.isdir(item) for item in items):
            raise ValueError("ids cannot be given with folders in X (their files are found "
                             "when fitting); give files, or leave ids out")
        ids = _check_ids(ids, len(items))
    out_items, out_ids, seen = [], [], set()
    for i, item in enumerate(items):
        if _is_path(item):
            path = os.path.abspath(os.fspath(item))
            files = find_audio_files(path) if os.path.isdir(path) else [path]
            if os.path.isdir(path) and not files:
                raise ValueError(f"no audio files under {os.fspath(item)} (looked for "
                                 f"{', '.join(AUDIO_EXTENSIONS)})")
            for file in files:
                if file not in seen:
                    seen.add(file)
                    out_items.append(file)
                    out_ids.append(ids[i] if ids is not None else file)
        else:
            out_items.append(item)
            out_ids.append(ids[i] if ids is not None else i)
    if not out_items:
        raise ValueError("X holds no clips")
    return out_items, out_ids


def _check_ids(ids, n: int) -> list:
    values = [i.item() if isinstance(i, np.generic) else i for i in ids]
    if len(values) != n:
        raise ValueError(f"ids has {len(values)} entries for {n} items")
    for i, value in enumerate(values):
        if isinstance(value, os.PathLike):
            values[i] = value = os.fspath(value)
        if not isinstance(value, (str, int)) or isinstance(value, bool):
            raise ValueError(f"ids must be strings or integers; entry {i} is {value!r}")
    if len(set(values)) != len(values):
        seen = set()
        duplicate = next(v for v in values if v in seen or seen.add(v))
        raise ValueError(f"ids must be unique; {duplicate!r} appears more than once")
    return values


def _stamp(path) -> tuple[int, int]:
    """``(size, mtime_ns)`` of a file; ``(-1, -1)`` if it is not one (or is gone)."""
    if not _is_path(path):
        return (-1, -1)
    try:
        st = os.stat(path)
    except OSError:
        return (-1, -1)
    return (int(st.st_size), int(st.st_mtime_ns))


def _is_numeric_2d(X) -> bool:
    """A 2-D numeric array (numpy, pandas): vectors, or equal-length clips."""
    X = X.to_numpy() if hasattr(X, "to_numpy") else X
    return hasattr(X, "dtype") and getattr(X, "ndim", 0) == 2 and X.dtype.kind in "biuf"


def _vectors_or_clips(n_columns: int, width: int) -> bool:
    """Whether a 2-D array is vectors (its width is the embedder's) or clips (rows of
    samples; refused when too short to be audio, as a mistake about the width)."""
    if n_columns == width:
        return True
    if n_columns < _MIN_CLIP_SAMPLES:
        raise ValueError(f"X has {n_columns} columns but the embedder makes {width}-"
                         f"dimensional vectors (and {n_columns} samples are too short to be "
                         f"clips); pass clips of any length as a list")
    return False


def _object_array(values) -> np.ndarray:
    """A 1-D object array of ids (never a 2-D array of characters)."""
    out = np.empty(len(values), dtype=object)
    out[:] = list(values)
    return out


def _output_width(embedder) -> int:
    """Width of an embedder's vectors, from one synthetic note."""
    t = np.arange(22050) / 22050.0
    note = (np.sin(2 * np.pi * 220.0 * t) * np.exp(-3 * t)).astype(np.float32)
    return int(np.asarray(embedder.transform([note])).shape[1])


def _embed_chunk(embedder, items) -> tuple[np.ndarray, dict]:
    """Vectors of some clips (NaN rows for failures) and why each failure failed.

    The front end reports bad clips as NaN rows with a reason in ``failures_``;
    an embedder without one that raises is retried clip by clip, so that one bad
    clip costs only itself."""
    try:
        E = np.asarray(embedder.transform(items), dtype=np.float64)
    except Exception:
        if len(items) == 1:
            raise
        rows, reasons = [], {}
        for i, item in enumerate(items):
            try:
                row, why = _embed_chunk(embedder, [item])
                if why:
                    reasons[i] = next(iter(why.values()))
                rows.append(row[0])
            except Exception as exc:
                reasons[i] = _reason(exc)
                rows.append(None)
        width = next((len(r) for r in rows if r is not None), None)
        if width is None:
            return np.full((len(items), 1), np.nan), reasons
        return np.vstack([np.full(width, np.nan) if r is None else r for r in rows]), reasons
    if E.ndim != 2 or len(E) != len(items):
        raise ValueError(f"the embedder returned shape {E.shape} for {len(items)} clips")
    frontend = getattr(embedder, "named_steps", {}).get("frontend")
    reasons = {int(f.index): f.reason for f in getattr(frontend, "failures_", None) or []}
    return E, reasons


def _reason(exc: Exception) -> str:
    from .io import InvalidClipError

    if isinstance(exc, InvalidClipError):
        return exc.reason
    return f"{type(exc).__name__}: {exc}"


def _pitch_hz(items, n_jobs) -> np.ndarray:
    """Estimated f0 in Hz of clips that embedded fine; NaN where it fails."""
    from .families import PitchEstimate

    def estimate(part):
        try:
            return (2.0 ** PitchEstimate().fit_transform(part)[:, 0]).astype(np.float32)
        except Exception:  # the embedding worked: a failure here only costs the pitch
            return np.full(len(part), np.nan, dtype=np.float32)

    workers = min(_n_workers(n_jobs), len(items))
    if workers <= 1:
        return estimate(items)
    from joblib import Parallel, delayed

    parts = np.array_split(np.arange(len(items)), workers)
    out = Parallel(n_jobs=workers)(delayed(estimate)([items[i] for i in p]) for p in parts)
    return np.concatenate(out)


def _exact_knn(vectors: np.ndarray, queries: np.ndarray, k: int, metric: str, *,
               sq_norms: np.ndarray | None = None):
    """The ``k`` nearest rows of ``vectors`` to each query, nearest first.

    Scores come from float32 matrix products over blocks of rows; each query keeps
    its best ``k + margin`` candidates so far, and a later block contributes only
    the scores below the worst of them. The survivors' distances are then computed
    exactly in float64 and sorted (ties by row), so that the result is that of a
    float64 brute-force search."""
    n, m = len(vectors), len(queries)
    keep = min(n, k + _CANDIDATE_MARGIN)
    Q = queries.astype(np.float32)
    sq_norm = np.einsum("ij,ij->i", vectors, vectors) if sq_norms is None else sq_norms
    if metric == "cosine":
        Q /= np.maximum(np.linalg.norm(Q, axis=1, keepdims=True), 1e-30)
        norms = np.sqrt(sq_norm)
        weight = np.divide(-1.0, norms, out=np.zeros_like(norms), where=norms > 0)
    q_block = max(1, min(m, 1024))
    r_block = max(8192, _BLOCK_ELEMENTS // q_block)
    distances = np.empty((m, k))
    rows = np.empty((m, k), dtype=np.int64)
    for q0 in range(0, m, q_block):
        Qb = Q[q0:q0 + q_block]
        best_score = np.empty((len(Qb), 0), dtype=np.float32)
        best_row = np.empty((len(Qb), 0), dtype=np.int64)
        for r0 in range(0, n, r_block):
            S = Qb @ vectors[r0:r0 + r_block].T
            if metric == "cosine":  # -cos: lower is nearer
                S *= weight[r0:r0 + r_block]
            else:  # |v|^2 - 2 q.v: |q - v|^2 less the query's own |q|^2
                S *= -2.0
                S += sq_norm[r0:r0 + r_block]
            if best_score.shape[1] == keep:
                # only scores below each query's worst kept one can enter: few, once a
                # block or two has been seen (a comparison is far cheaper than a
                # partition of the whole block)
                hit_q, hit_r = np.nonzero(S < best_score.max(axis=1, keepdims=True))
                if not len(hit_q):
                    continue
                counts = np.bincount(hit_q, minlength=len(Qb))
                slot = np.arange(len(hit_q)) - (np.cumsum(counts) - counts)[hit_q]
                new_score = np.full((len(Qb), counts.max()), np.inf, dtype=np.float32)
                new_row = np.zeros((len(Qb), counts.max()), dtype=np.int64)
                new_score[hit_q, slot] = S[hit_q, hit_r]
                new_row[hit_q, slot] = hit_r + r0
            elif S.shape[1] > keep:
                new_row = np.argpartition(S, keep - 1, axis=1)[:, :keep]
                new_score = np.take_along_axis(S, new_row, axis=1)
                new_row += r0
            else:
                new_score = S
                new_row = np.broadcast_to(np.arange(r0, r0 + S.shape[1]), S.shape)
            best_score = np.concatenate([best_score, new_score], axis=1)
            best_row = np.concatenate([best_row, new_row], axis=1)
            if best_score.shape[1] > keep:
                top = np.argpartition(best_score, keep - 1, axis=1)[:, :keep]
                best_score = np.take_along_axis(best_score, top, axis=1)
                best_row = np.take_along_axis(best_row, top, axis=1)
        exact = _exact_distances(vectors, queries[q0:q0 + q_block], best_row, metric)
        order = np.lexsort((best_row, exact), axis=1)[:, :k]
        distances[q0:q0 + q_block] = np.take_along_axis(exact, order, axis=1)
        rows[q0:q0 + q_block] = np.take_along_axis(best_row, order, axis=1)
    return distances, rows


def _exact_distances(vectors, queries, rows, metric) -> np.ndarray:
    """float64 distances from each query to its candidate rows."""
    V = vectors[rows].astype(np.float64)  # (m, c, d)
    Q = np.asarray(queries, dtype=np.float64)[:, None, :]
    if metric == "euclidean":
        diff = V - Q
        return np.sqrt(np.einsum("mcd,mcd->mc", diff, diff))
    dots = np.einsum("mcd,mcd->mc", V, np.broadcast_to(Q, V.shape))
    norms = np.linalg.norm(V, axis=2) * np.linalg.norm(Q, axis=2)
    cos = np.divide(dots, norms, out=np.zeros_like(dots), where=norms > 0)
    return 1.0 - np.clip(cos, -1.0, 1.0)


def _drop_self(distances, rows, self_rows, k):
    """Remove each query's own row from its neighbours (or the farthest if absent)."""
    out_d = np.empty((len(rows), k))
    out_r = np.empty((len(rows), k), dtype=np.int64)
    for i, (d, r) in enumerate(zip(distances, rows, strict=True)):
        mask = r != self_rows[i]
        out_d[i], out_r[i] = d[mask][:k], r[mask][:k]
    return out_d, out_r


# ---------------------------------------------------------------------------- file format


def _npy(a: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, np.ascontiguousarray(a), allow_pickle=False)
    return buffer.getvalue()


def _write_member(archive: zipfile.ZipFile, name: str, data: bytes) -> None:
    info = zipfile.ZipInfo(name, date_time=_ZIP_DATE)
    # JSON (paths) compresses well; float vectors hardly do, and are read faster stored
    info.compress_type = zipfile.ZIP_DEFLATED if name.endswith(".json") else \
        zipfile.ZIP_STORED
    info.external_attr = 0o644 << 16
    archive.writestr(info, data)


def _read_spec(archive, sizes, where) -> dict:
    from .persistence import InvalidModelFileError

    if sizes["index.json"] > _MAX_JSON_BYTES:
        raise InvalidModelFileError(where, "index.json is too large")
    try:
        spec = json.loads(archive.read("index.json").decode("utf-8"))
    except ValueError as exc:
        raise InvalidModelFileError(where, f"index.json is not valid JSON ({exc})") from None
    if not isinstance(spec, dict) or spec.get("format") != INDEX_FORMAT_NAME:
        raise InvalidModelFileError(where, "not an sktimbre index file")
    if not isinstance(spec.get("format_version"), int) or \
            spec["format_version"] > INDEX_FORMAT_VERSION:
        raise InvalidModelFileError(where, f"uses index format version "
                                           f"{spec.get('format_version')!r}, newer than this "
                                           f"sktimbre reads ({INDEX_FORMAT_VERSION}); upgrade "
                                           f"sktimbre")
    n, d = spec.get("n_items"), spec.get("n_dims")
    if not (isinstance(n, int) and isinstance(d, int) and 0 <= n <= _MAX_ITEMS
            and 0 < d <= 1 << 16) or not isinstance(spec.get("params"), dict) or \
            not isinstance(spec.get("embedder"), (dict, type(None))):
        raise InvalidModelFileError(where, "index.json is malformed")
    return spec


def _read_npy(archive, sizes, name, dtype, shape, where) -> np.ndarray:
    from .persistence import InvalidModelFileError, UntrustedTypeError

    expected = int(np.prod(shape)) * np.dtype(dtype).itemsize
    if sizes[name] > expected + _MAX_NPY_HEADER:
        raise InvalidModelFileError(where, f"{name} is larger than the {shape} array it "
                                           f"should hold")
    try:
        a = np.lib.format.read_array(io.BytesIO(archive.read(name)), allow_pickle=False)
    except ValueError as exc:
        raise UntrustedTypeError(where, f"{name} cannot be read without pickle "
                                        f"({exc})") from None
    if a.dtype != np.dtype(dtype) or a.shape != tuple(shape):
        raise InvalidModelFileError(where, f"{name} holds a {a.dtype} array of shape "
                                           f"{a.shape}, not {np.dtype(dtype)} {tuple(shape)}")
    return a


def _embedder_bytes(embedder, trusted=None) -> bytes:
    from .persistence import save

    buffer = io.BytesIO()
    save(embedder, buffer, trusted=trusted)
    return buffer.getvalue()


def _load_embedder(data: bytes, trusted, where):
    from .persistence import InvalidModelFileError, load

    handle, tmp = tempfile.mkstemp(suffix=".skt")
    try:
        with os.fdopen(handle, "wb") as f:
            f.write(data)
        try:
            return load(tmp, trusted=trusted)
        except InvalidModelFileError as exc:  # the same kind, about the index file
            raise type(exc)(where, f"its embedder: {exc.reason}") from None
    finally:
        os.remove(tmp)


def _fingerprint(skt: bytes) -> str:
    """SHA-256 of a saved embedder's object tree and arrays, not of the versions
    recorded with it: the same model gives the same fingerprint under any release."""
    digest = hashlib.sha256()
    with zipfile.ZipFile(io.BytesIO(skt)) as archive:
        spec = json.loads(archive.read("spec.json"))
        digest.update(json.dumps(spec.get("root"), sort_keys=True).encode())
        for name in sorted(n for n in archive.namelist() if n != "spec.json"):
            digest.update(name.encode())
            digest.update(archive.read(name))
    return digest.hexdigest()
