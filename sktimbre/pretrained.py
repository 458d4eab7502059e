"""The pretrained default embedder: usable on new audio without fitting anything.

The default embedder's head (scaler, shrinkage LDA) is a linear map of the
descriptor vector, so the fitted one is stored as the default front end and
families followed by that map, frozen
(:class:`~sktimbre.projection.FrozenLinearProjection`: a matrix and an offset),
in ``sktimbre/data/default_embedder.skt`` -- a file of
:mod:`sktimbre.persistence`'s safe format (data only, no pickle; about 30 kB).
It was fitted on every note of the two development libraries (fluidr3 and
freepats; see ``docs/benchmark.md``), two augmented copies of each, 72 phrases per
instrument and library synthesised from those notes (:mod:`sktimbre.augment`), and
the two libraries' recorded phrases: fitting on more, and more varied, sample
libraries -- and on instruments *playing*, not only isolated notes -- generalises
better to a new one.

Regenerate it (the same inputs give the same file) with::

    python -m sktimbre.pretrained ../shared/data/fluidr3 ../shared/data/freepats \
        --phrases ../shared/data/phrases/fluidr3 ../shared/data/phrases/freepats
"""

from __future__ import annotations

import os

import numpy as np

from .persistence import save
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


def _read_library(folder: str) -> dict[str, list]:
    """Paths, programs, MIDI pitches and program names of a library's ``manifest.csv``."""
    import csv

    with open(os.path.join(folder, "manifest.csv"), newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    return {
        "path": [os.path.join(folder, r["path"]) for r in rows],
        "program": [int(r["program"]) for r in rows],
        "pitch": [float(r["midi_pitch"]) if r.get("midi_pitch") else None for r in rows],
        "name": [r.get("program_name") or str(r["program"]) for r in rows],
    }


def fit_pretrained(data_dirs: list[str], output: str = PRETRAINED_PATH, *,
                   phrase_dirs=(), n_copies: int = 2, n_phrases: int = 72,
                   n_jobs: int = 1) -> None:
    """Fit the default embedder on labelled libraries; save it with its head frozen.

    The fitting set, per library: its notes, ``n_copies`` augmented copies of each
    (:func:`sktimbre.augment.augment_clips`), and ``n_phrases`` legato phrases per
    program synthesised from its notes (:func:`sktimbre.augment.synthesize_phrases`:
    the projection must see instruments *playing*, not only isolated notes); plus
    the recorded phrases of ``phrase_dirs``. Everything is seeded: the same inputs
    give the same file.

    Parameters
    ----------
    data_dirs : list of str
        Folders of notes with ``manifest.csv`` (columns ``path``, ``program``, and
        ``midi_pitch``, ``program_name`` when there are). Labels are the programs,
        pooled across folders (same GM program = same class).
    output : str
        The file to write (:func:`sktimbre.save` format).
    phrase_dirs : sequence of str, default=()
        Folders of recorded phrases, with manifests of the same columns.
    n_copies : int, default=2
        Augmented copies per note.
    n_phrases : int, default=72
        Phrases synthesised per program and library (0: none).
    n_jobs : int, default=1
        Worker processes.

    Examples
    --------
    >>> import csv, os, tempfile
    >>> import numpy as np
    >>> import soundfile as sf
    >>> from sktimbre.datasets import make_notes
    >>> from sktimbre.pretrained import fit_pretrained
    >>> X, y, pitch = make_notes(n_instruments=3, pitches=[48, 55, 60], random_state=0,
    ...                          return_pitch=True)
    >>> folder = tempfile.mkdtemp()
    >>> with open(os.path.join(folder, "manifest.csv"), "w", newline="") as f:
    ...     writer = csv.writer(f)
    ...     _ = writer.writerow(["path", "program", "midi_pitch"])
    ...     for i, (clip, label, p) in enumerate(zip(X, y, pitch)):
    ...         sf.write(os.path.join(folder, f"{i}.wav"), clip, 22050)
    ...         _ = writer.writerow([f"{i}.wav", label, p])
    >>> fit_pretrained([folder], os.path.join(folder, "default.skt"), n_copies=1, n_phrases=2)
    >>> from sktimbre.persistence import read_info
    >>> info = read_info(os.path.join(folder, "default.skt"))["metadata"]
    >>> info["n_clips"], info["n_synthesized_phrases"]
    (18, 6)
    """
    from .augment import augment_clips, synthesize_phrases
    from .embedder import fit_in_chunks, make_timbre_embedder

    X, y, names = [], [], {}
    n_notes = n_synthesized = n_recorded = 0
    for folder in data_dirs:
        library = _read_library(folder)
        labels = np.asarray(library["program"])
        notes = augment_clips(library["path"], n_copies=max(n_copies, 1), random_state=0)
        n = len(labels)
        X += notes[: n * (1 + n_copies)]
        y += list(labels) * (1 + n_copies)
        n_notes += n
        names.update(zip(library["program"], library["name"], strict=True))
        if n_phrases:
            known = [p is not None for p in library["pitch"]]
            phrases, phrase_labels = synthesize_phrases(
                notes[:n], labels, pitches=library["pitch"] if all(known) else None,
                n_per_label=n_phrases, random_state=0)
            X += phrases
            y += list(phrase_labels)
            n_synthesized += len(phrases)
    for folder in phrase_dirs:
        library = _read_library(folder)
        X += library["path"]
        y += library["program"]
        n_recorded += len(library["path"])
        names.update(zip(library["program"], library["name"], strict=True))
    embedder = make_timbre_embedder(n_jobs=n_jobs)
    fit_in_chunks(embedder, X, np.asarray(y))
    embedder.set_params(frontend__n_jobs=None)
    n_features = len(embedder.named_steps["features"].get_feature_names_out())
    components, offset = _linearise(embedder[2:], n_features)
    embedder.set_params(scale="passthrough",
                        project=FrozenLinearProjection.from_arrays(components, offset))
    labels, counts = np.unique(y, return_counts=True)
    metadata = {
        "description": "sktimbre's pretrained default embedder",
        "fitted_on": [os.path.basename(os.path.normpath(d)) for d in data_dirs]
        + [f"phrases/{os.path.basename(os.path.normpath(d))}" for d in phrase_dirs],
        "n_clips": n_notes,
        "n_augmented_copies": int(n_copies),
        "n_synthesized_phrases": n_synthesized,
        "n_recorded_phrases": n_recorded,
        "label_column": "program",
        "labels": {str(label): int(count) for label, count in zip(labels, counts, strict=True)},
        "label_names": {str(label): names[label] for label in labels},
    }
    os.makedirs(os.path.dirname(os.path.abspath(output)), exist_ok=True)
    save(embedder, output, metadata=metadata)


if __name__ == "__main__":
    import argparse

    # through the package's module, so that the saved classes carry their real names
    from sktimbre.pretrained import PRETRAINED_PATH as path
    from sktimbre.pretrained import fit_pretrained as fit

    parser = argparse.ArgumentParser(
        prog="python -m sktimbre.pretrained",
        description="Refit the shipped default embedder (deterministic: same data, same file).")
    parser.add_argument("notes", nargs="+", help="folders of notes (manifest.csv)")
    parser.add_argument("--phrases", nargs="*", default=[], help="folders of recorded phrases")
    parser.add_argument("--n-jobs", type=int, default=2)
    args = parser.parse_args()
    fit(args.notes, phrase_dirs=args.phrases, n_jobs=args.n_jobs)
    print(f"wrote {path}")
