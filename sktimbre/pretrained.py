"""The pretrained default embedder: usable on new audio without fitting anything.

The default embedder's head (scaler, shrinkage LDA) is a linear map of the
descriptor vector, so the fitted one is stored as the default front end and
families followed by that map, frozen
(:class:`~sktimbre.projection.FrozenLinearProjection`: a matrix and an offset),
in ``sktimbre/data/default_embedder.skt`` -- a file of
:mod:`sktimbre.persistence`'s safe format (data only, no pickle; about 30 kB).
It was fitted on every clip of the two development libraries (fluidr3 and
freepats; see ``docs/benchmark.md``) plus two augmented copies of each
(:mod:`sktimbre.augment`), because fitting on more, and more varied, sample
libraries generalises better to a new one.

Regenerate it (a few minutes; the same inputs give the same file) with::

    python -m sktimbre.pretrained ../shared/data/fluidr3 ../shared/data/freepats
"""

from __future__ import annotations

import os

import numpy as np

from .projection import FrozenLinearProjection

__all__ = ["load_pretrained_embedder", "fit_pretrained", "PRETRAINED_PATH"]

PRETRAINED_PATH = os.path.join(os.path.dirname(__file__), "data", "default_embedder.skt")
"""The file of the pretrained default embedder (:mod:`sktimbre.persistence` format)."""
_PATH = PRETRAINED_PATH  # 0.1 name


# sktimbre 0.1 saved the pretrained head under this name
_FrozenLinearProjection = FrozenLinearProjection


def _linearise(head, n_features: int) -> tuple[np.ndarray, np.ndarray]:
    """The affine map computed by a fitted linear head, probed on basis vectors."""
    zero = head.transform(np.zeros((1, n_features)))[0]
    basis = head.transform(np.eye(n_features)) - zero
    return basis.T, zero


def load_pretrained_embedder(*, n_jobs: int | None = None, on_error: str = "raise"):
    """The default embedder, already fitted: embed new audio right away.

    Parameters
    ----------
    n_jobs : int or None, default=None
        Worker processes for decoding and analysis.
    on_error : {"raise", "warn", "nan"}, default="raise"
        As in :func:`~sktimbre.make_timbre_embedder`.

    Returns
    -------
    embedder : sklearn.pipeline.Pipeline
        ``frontend``, ``features`` (the default families), ``scale`` (passthrough:
        folded into the projection) and ``project`` (the fitted linear map).
        ``sktimbre info default`` describes it.

    Examples
    --------
    >>> from sktimbre import load_pretrained_embedder
    >>> from sktimbre.datasets import make_notes
    >>> X, y = make_notes(n_instruments=2, pitches=[60], random_state=0)
    >>> E = load_pretrained_embedder().transform(X)
    >>> E.shape[0]
    4
    """
    from .persistence import load

    # The shipped file's versions are those of the release it came with; its head is
    # a plain matrix, so other scikit-learn or numpy versions do not change it.
    embedder = load(PRETRAINED_PATH, check_versions=False)
    embedder.set_params(frontend__n_jobs=n_jobs, frontend__on_error=on_error)
    return embedder


def fit_pretrained(data_dirs: list[str], output: str = PRETRAINED_PATH, *, n_copies: int = 2,
                   n_jobs: int = 1) -> None:
    """Fit the default embedder on labelled libraries; save it with its head frozen.

    Parameters
    ----------
    data_dirs : list of str
        Folders with ``manifest.csv`` (columns ``path``, ``program``). Labels are
        ``"{program}"``, pooled across folders (same GM program = same class).
    output : str
        The file to write (:func:`sktimbre.save` format).
    n_copies : int, default=2
        Augmented copies per clip added to the fitting set
        (:func:`sktimbre.augment.augment_clips`, ``random_state=0``).
    n_jobs : int, default=1
        Worker processes.

    Examples
    --------
    >>> import csv, os, tempfile
    >>> import numpy as np
    >>> import soundfile as sf
    >>> from sktimbre.datasets import make_notes
    >>> from sktimbre.pretrained import fit_pretrained
    >>> X, y = make_notes(n_instruments=3, pitches=[48, 60, 72], random_state=0)
    >>> folder = tempfile.mkdtemp()
    >>> with open(os.path.join(folder, "manifest.csv"), "w", newline="") as f:
    ...     writer = csv.writer(f)
    ...     _ = writer.writerow(["path", "program"])
    ...     for i, (clip, label) in enumerate(zip(X, y)):
    ...         sf.write(os.path.join(folder, f"{i}.wav"), clip, 22050)
    ...         _ = writer.writerow([f"{i}.wav", label])
    >>> fit_pretrained([folder], os.path.join(folder, "default.skt"), n_copies=1)
    >>> from sktimbre.persistence import read_info
    >>> read_info(os.path.join(folder, "default.skt"))["metadata"]["n_clips"]
    18
    """

    from .embedder import fit_in_chunks, make_timbre_embedder
    from .io import read_manifest
    from .persistence import save

    paths, labels = [], []
    for folder in data_dirs:
        folder_paths, programs = read_manifest(os.path.join(folder, "manifest.csv"))
        paths += folder_paths
        labels += [int(p) for p in programs]
    embedder = make_timbre_embedder(n_jobs=n_jobs)
    X, y = paths, np.asarray(labels)
    if n_copies:
        from .augment import augment_clips

        X, y = augment_clips(paths, y, n_copies=n_copies, random_state=0)
    fit_in_chunks(embedder, X, y)
    embedder.set_params(frontend__n_jobs=None)
    n_features = len(embedder.named_steps["features"].get_feature_names_out())
    components, offset = _linearise(embedder[2:], n_features)
    embedder.set_params(scale="passthrough",
                        project=FrozenLinearProjection.from_arrays(components, offset))
    labels, counts = np.unique(labels, return_counts=True)
    metadata = {
        "description": "sktimbre's pretrained default embedder",
        "fitted_on": [os.path.basename(os.path.normpath(d)) for d in data_dirs],
        "n_clips": len(paths),
        "n_augmented_copies": int(n_copies),
        "label_column": "program",
        "labels": {str(label): int(n) for label, n in zip(labels, counts, strict=True)},
    }
    os.makedirs(os.path.dirname(os.path.abspath(output)), exist_ok=True)
    save(embedder, output, metadata=metadata)


if __name__ == "__main__":
    import sys

    # through the package's module, so that the saved classes carry their real names
    from sktimbre.pretrained import PRETRAINED_PATH as path
    from sktimbre.pretrained import fit_pretrained as fit

    fit(sys.argv[1:], n_jobs=2)
    print(f"wrote {path}")
