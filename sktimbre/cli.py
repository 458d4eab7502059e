"""Command line: embed audio files, or fit an embedder on labelled audio.

``sktimbre embed AUDIO... -o embeddings.csv`` writes one row per clip (path, then
the embedding) using the pretrained default embedder, or ``--model`` (a fitted
embedder saved by ``sktimbre fit`` or :func:`joblib.dump`).

``sktimbre fit MANIFEST.csv -o model.joblib`` fits the default embedder on the
clips a CSV lists (columns ``path`` and a label column, ``program`` by default;
paths relative to the CSV's folder), plus ``--augment`` re-coloured copies of
each clip (:mod:`sktimbre.augment`).
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
import warnings

import numpy as np

AUDIO_EXTENSIONS = (".wav", ".flac", ".ogg", ".mp3", ".aif", ".aiff", ".au", ".opus")


def _expand(inputs: list[str]) -> list[str]:
    """Files as given; folders searched recursively for audio files (sorted)."""
    paths = []
    for item in inputs:
        if os.path.isdir(item):
            found = sorted(
                os.path.join(root, name)
                for root, _, names in os.walk(item)
                for name in names
                if name.lower().endswith(AUDIO_EXTENSIONS)
            )
            if not found:
                raise SystemExit(f"sktimbre: no audio files under {item}")
            paths += found
        else:
            paths.append(item)
    return paths


def _embed(args) -> int:
    import joblib

    from .embedder import extract_features
    from .pretrained import load_pretrained_embedder

    paths = _expand(args.audio)
    if args.model:
        embedder = joblib.load(args.model)
    else:
        embedder = load_pretrained_embedder()
    embedder.set_params(frontend__on_error=args.on_error, frontend__n_jobs=args.n_jobs)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        E = embedder[2:].transform(extract_features(embedder, paths))
    for w in caught:
        print(f"sktimbre: warning: {w.message}", file=sys.stderr)
    out = open(args.output, "w", newline="") if args.output != "-" else sys.stdout
    try:
        writer = csv.writer(out)
        writer.writerow(["path"] + [f"dim_{i:02d}" for i in range(E.shape[1])])
        for path, row in zip(paths, E, strict=True):
            writer.writerow([path] + [f"{v:.6g}" for v in row])
    finally:
        if out is not sys.stdout:
            out.close()
    n_bad = int(np.isnan(E).any(axis=1).sum())
    print(f"sktimbre: embedded {len(paths) - n_bad} of {len(paths)} clips into "
          f"{E.shape[1]} dimensions -> {args.output}", file=sys.stderr)
    return 0


def _fit(args) -> int:
    import joblib

    from .embedder import fit_in_chunks, make_timbre_embedder
    from .io import read_manifest

    try:
        paths, labels = read_manifest(args.manifest, args.label_column)
    except ValueError as exc:
        raise SystemExit(f"sktimbre: {exc}") from None
    embedder = make_timbre_embedder(n_jobs=args.n_jobs)
    X, y = paths, np.asarray(labels)
    if args.augment:
        from .augment import augment_clips

        X, y = augment_clips(paths, y, n_copies=args.augment, random_state=0)
    fit_in_chunks(embedder, X, y)
    joblib.dump(embedder, args.output)
    print(f"sktimbre: fitted on {len(paths)} clips, {len(set(labels))} labels -> "
          f"{args.output}", file=sys.stderr)
    return 0


def main(argv: list[str] | None = None) -> int:
    """Run the ``sktimbre`` command line.

    Parameters
    ----------
    argv : list of str, optional
        Arguments (default: ``sys.argv[1:]``).

    Returns
    -------
    status : int
        Process exit status.

    Examples
    --------
    >>> import os, tempfile
    >>> import soundfile as sf
    >>> from sktimbre.cli import main
    >>> from sktimbre.datasets import make_notes
    >>> X, y = make_notes(n_instruments=1, pitches=[60], velocities=[1.0], random_state=0)
    >>> folder = tempfile.mkdtemp()
    >>> sf.write(os.path.join(folder, "note.wav"), X[0], 22050)
    >>> main(["embed", folder, "-o", os.path.join(folder, "embeddings.csv")])
    0
    """
    from . import __version__
    from .io import InvalidClipError

    parser = argparse.ArgumentParser(prog="sktimbre", description=__doc__.split("\n\n")[0])
    parser.add_argument("--version", action="version", version=f"sktimbre {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    embed = sub.add_parser("embed", help="write one timbre vector per audio file")
    embed.add_argument("audio", nargs="+", help="audio files or folders")
    embed.add_argument("-o", "--output", default="-", help="CSV file (default: stdout)")
    embed.add_argument("--model", help="fitted embedder (.joblib); default: pretrained")
    embed.add_argument("--on-error", choices=["raise", "nan"], default="raise",
                       help="stop at an unusable file, or write a NaN row and report it")
    embed.add_argument("--n-jobs", type=int, default=1)
    embed.set_defaults(run=_embed)

    fit = sub.add_parser("fit", help="fit the default embedder on labelled clips")
    fit.add_argument("manifest", help="CSV with columns path and a label column")
    fit.add_argument("-o", "--output", required=True, help="where to save (.joblib)")
    fit.add_argument("--label-column", default="program")
    fit.add_argument("--augment", type=int, default=2, metavar="N",
                     help="augmented copies of each clip to fit on (default 2; 0 for none)")
    fit.add_argument("--n-jobs", type=int, default=1)
    fit.set_defaults(run=_fit)

    args = parser.parse_args(argv)
    try:
        return args.run(args)
    except InvalidClipError as exc:
        print(f"sktimbre: error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
