"""The versions a fitted embedder was made with, and a warning when they differ.

Descriptors depend on librosa and numpy, projections on scikit-learn, and every
part on sktimbre itself: an embedder saved under one set of versions may give
(slightly) different vectors under another. :class:`RecordsVersions`, mixed into
:class:`~sktimbre.AudioFrontEnd` (the first step of every embedder), records them
in the pickled state and warns, naming both, when a pickle is loaded elsewhere.
:mod:`sktimbre.persistence` records the same versions in its files.
"""

from __future__ import annotations

import warnings

__all__ = ["VersionWarning", "RecordsVersions", "current_versions", "version_mismatch"]

# sktimbre's own version (``sktimbre.__version__``), here at the bottom of the house
# so that the modules that record it need not import the package's face.
__version__ = "0.1.0"

# Distribution names, as users install them.
PACKAGES = ("sktimbre", "scikit-learn", "librosa", "numpy")


class VersionWarning(UserWarning):
    """An embedder saved under other package versions was loaded.

    Its vectors may differ slightly from those it gave when it was saved; refit
    it, or install the versions named in the message, to be sure.

    Examples
    --------
    >>> from sktimbre._versions import VersionWarning
    >>> issubclass(VersionWarning, UserWarning)
    True
    """


def current_versions() -> dict[str, str]:
    """The installed versions of the packages an embedder's output depends on.

    Returns
    -------
    versions : dict of str to str
        ``{"sktimbre": ..., "scikit-learn": ..., "librosa": ..., "numpy": ...}``.

    Examples
    --------
    >>> from sktimbre._versions import current_versions
    >>> sorted(current_versions())
    ['librosa', 'numpy', 'scikit-learn', 'sktimbre']
    """
    import librosa
    import numpy
    import sklearn

    return {
        "sktimbre": __version__,
        "scikit-learn": sklearn.__version__,
        "librosa": librosa.__version__,
        "numpy": numpy.__version__,
    }


def version_mismatch(recorded: dict, what: str) -> str | None:
    """A message naming every package whose recorded version differs, or None.

    Parameters
    ----------
    recorded : dict of str to str
        Versions recorded when ``what`` was saved.
    what : str
        What was loaded, for the message (e.g. a file name).

    Returns
    -------
    message : str or None

    Examples
    --------
    >>> from sktimbre._versions import current_versions, version_mismatch
    >>> version_mismatch(current_versions(), "model.skt") is None
    True
    >>> print(version_mismatch({"numpy": "0.1"}, "model.skt"))  # doctest: +ELLIPSIS
    model.skt was saved with numpy 0.1, but this is numpy ...; its embeddings may differ ...
    """
    now = current_versions()
    diffs = [
        (name, str(recorded[name]), now[name])
        for name in PACKAGES
        if name in recorded and str(recorded[name]) != now[name]
    ]
    if not diffs:
        return None
    saved = ", ".join(f"{name} {old}" for name, old, _ in diffs)
    here = ", ".join(f"{name} {new}" for name, _, new in diffs)
    return (
        f"{what} was saved with {saved}, but this is {here}; its embeddings may differ "
        f"from those it gave then. Refit it under these versions (or install those) "
        f"to be sure."
    )


class RecordsVersions:
    """Mixin for estimators: pickles record the package versions, unpickling checks them.

    Extends :meth:`sklearn.base.BaseEstimator.__getstate__` / ``__setstate__``
    (which already warn about scikit-learn's own version for its estimators): the
    state gains ``_sktimbre_versions``, the versions of :func:`current_versions`
    in the process that pickles it (as scikit-learn does for its own version).
    Loading under other versions issues a :class:`VersionWarning` naming both.

    Examples
    --------
    >>> import pickle
    >>> from sktimbre import AudioFrontEnd
    >>> state = AudioFrontEnd().__getstate__()
    >>> sorted(state["_sktimbre_versions"])
    ['librosa', 'numpy', 'scikit-learn', 'sktimbre']
    """

    def __getstate__(self):
        state = super().__getstate__()
        state["_sktimbre_versions"] = current_versions()
        return state

    def __setstate__(self, state):
        state = dict(state)
        recorded = state.pop("_sktimbre_versions", None)
        if recorded:
            message = version_mismatch(
                recorded, f"The unpickled {type(self).__name__} (and the embedder it starts)"
            )
            if message:
                warnings.warn(message, VersionWarning, stacklevel=2)
        super().__setstate__(state)
