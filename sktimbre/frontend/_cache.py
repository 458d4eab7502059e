"""Feature rows already computed, kept by the front end that computed them.

A grid search refits the whole pipeline for every candidate and fold, on the same
clips: with ``AudioFrontEnd(cache=True)`` the rows of every (family setting, clip)
pair are computed once and then served from a :class:`RowCache`. The cache belongs
to the front end and is shared with its clones (``sklearn.base.clone``, as
``GridSearchCV`` makes them), never with other front ends, and never pickled.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict

import numpy as np

__all__ = ["RowCache", "clip_key", "family_token"]

# Bookkeeping per entry beyond the row's own bytes (key tuple, dict slot, array header).
_ENTRY_OVERHEAD = 400


class RowCache:
    """A least-recently-used store of feature rows, bounded in bytes, thread-safe.

    Keys are ``(family_token, clip_key)`` pairs (:func:`family_token`,
    :func:`clip_key`); values are 1-D float64 rows.

    Parameters
    ----------
    max_bytes : int, default=256 MiB
        Rows (and bookkeeping) kept at most; the least recently used go first.

    Attributes
    ----------
    nbytes : int
        Bytes held now.

    Examples
    --------
    >>> import numpy as np
    >>> from sktimbre.frontend import RowCache
    >>> cache = RowCache(max_bytes=10_000)
    >>> cache.put(("mfcc", "a.wav"), np.zeros(13))
    >>> cache.get(("mfcc", "a.wav")).shape, cache.get(("mfcc", "b.wav"))
    ((13,), None)
    """

    def __init__(self, max_bytes: int = 256 * 2**20):
        self.max_bytes = int(max_bytes)
        self._rows: OrderedDict = OrderedDict()
        self._lock = threading.Lock()
        self.nbytes = 0

    def __len__(self) -> int:
        return len(self._rows)

    def __repr__(self) -> str:
        return f"RowCache(n_rows={len(self)}, nbytes={self.nbytes}, max_bytes={self.max_bytes})"

    def get(self, key):
        """The row stored under ``key`` (marked as just used), or ``None``."""
        with self._lock:
            row = self._rows.get(key)
            if row is not None:
                self._rows.move_to_end(key)
            return row

    def put(self, key, row: np.ndarray) -> None:
        """Store a copy of ``row`` under ``key``, evicting the least recently used."""
        row = np.array(row, dtype=np.float64)
        size = row.nbytes + _ENTRY_OVERHEAD
        with self._lock:
            old = self._rows.pop(key, None)
            if old is not None:
                self.nbytes -= old.nbytes + _ENTRY_OVERHEAD
            self._rows[key] = row
            self.nbytes += size
            while self.nbytes > self.max_bytes and self._rows:
                _, dropped = self._rows.popitem(last=False)
                self.nbytes -= dropped.nbytes + _ENTRY_OVERHEAD

    def clear(self) -> None:
        """Drop every row."""
        with self._lock:
            self._rows.clear()
            self.nbytes = 0

    def __getstate__(self):
        # Workers and saved models get an empty cache: rows are per process.
        return {"max_bytes": self.max_bytes}

    def __setstate__(self, state):
        self.__init__(state["max_bytes"])


def clip_key(item) -> tuple:
    """Identity of a clip for the row cache.

    A file is identified by its path, size, modification and status-change times in
    nanoseconds, inode and device: rewriting a file changes its status-change time
    even when its size and modification time are kept (``touch -r``, a restored
    backup), so a rewritten file is never served its old rows. An array is
    identified by a hash of its contents.

    Parameters
    ----------
    item : str, os.PathLike or array-like

    Returns
    -------
    key : tuple

    Examples
    --------
    >>> import numpy as np
    >>> from sktimbre.frontend._cache import clip_key
    >>> clip_key(np.zeros(3))[0], clip_key("no/such/file.wav")
    ('array', ('missing', 'no/such/file.wav'))
    """
    from joblib import hash as joblib_hash

    if isinstance(item, str | os.PathLike):
        try:
            st = os.stat(item)
        except OSError:
            return ("missing", os.fspath(item))
        return ("file", os.fspath(item), st.st_size, st.st_mtime_ns, st.st_ctime_ns,
                st.st_ino, st.st_dev)
    array = np.asarray(item)
    return ("array", array.dtype.str, array.shape, joblib_hash(array))


def family_token(family, settings) -> str:
    """Identity of a family's rows: its class, its parameters and the decode settings."""
    from joblib import hash as joblib_hash

    return joblib_hash((type(family).__qualname__, family.get_params(deep=False), settings))
