"""The ``sktimbre`` command: embed audio, find similar clips, fit and describe embedders.

``sktimbre embed`` writes one timbre vector per audio file, ``sktimbre similar``
lists the clips that sound most like a query clip, ``sktimbre fit`` fits the
default embedder on a labelled manifest and ``sktimbre info`` describes a saved
one. Models are files of :mod:`sktimbre.persistence`'s safe format (data only,
never a pickle); ``default`` is the pretrained embedder shipped with sktimbre.
"""

from __future__ import annotations

import argparse
import os
import sys
import warnings

import numpy as np

AUDIO_EXTENSIONS = (".wav", ".flac", ".ogg", ".mp3", ".aif", ".aiff", ".au", ".opus")

_EPILOG = """\
examples:
  sktimbre similar examples/audio/piano_C4.flac examples/audio
      the 5 clips under examples/audio that sound most like piano_C4.flac
  sktimbre embed my_samples/ -o embeddings.csv
      one row per audio file under my_samples/ (recursively): path, then the vector
  sktimbre fit manifest.csv --label-column instrument -o my_model.skt
      fit the default embedder on your labelled clips, save it (no pickle)
  sktimbre embed new_clips/ --model my_model.skt -o new.npz
  sktimbre info my_model.skt
  sktimbre index my_samples/ -o library.skx [--update]
      embed a sample library once; --update re-embeds only new and changed files
  sktimbre similar kick.wav --index library.skx --top 10
  sktimbre map --index library.skx -o library.html
      an interactive map of the library: hover, click to play, nearest sounds

Models: files written by `sktimbre fit` or sktimbre.save(), or "default" (the
pretrained embedder that ships with sktimbre). `sktimbre COMMAND --help` says more.
"""


class _UsageError(Exception):
    """Bad input to a command: printed as ``sktimbre: error: ...``, exit status 2."""


# ----------------------------------------------------------------------------- helpers


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
                raise _UsageError(
                    f"no audio files under {item} (looked for {', '.join(AUDIO_EXTENSIONS)})"
                )
            paths += found
        else:
            paths.append(item)
    return paths


def _load_model(model: str | None):
    """The pretrained default, or an embedder saved in the safe format."""
    from .persistence import UntrustedTypeError, load
    from .pretrained import load_pretrained_embedder

    if model in (None, "default"):
        return load_pretrained_embedder()
    if not os.path.isfile(model):
        raise _UsageError(
            f"no model file {model} (give a file from `sktimbre fit` or "
            f"sktimbre.save(), or 'default')"
        )
    try:
        return load(model)
    except UntrustedTypeError as exc:
        raise _UsageError(str(exc)) from None


def _configure(embedder, n_jobs: int | None) -> None:
    """Raise on bad clips (collected per file by the caller); set the workers."""
    params = embedder.get_params() if hasattr(embedder, "get_params") else {}
    for key, value in (("on_error", "raise"), ("n_jobs", n_jobs)):
        for name in (f"frontend__{key}", key):
            if name in params:
                embedder.set_params(**{name: value})
                break


def _reason(exc: Exception) -> str:
    from .io import InvalidClipError

    if isinstance(exc, InvalidClipError):
        return exc.reason
    return f"{type(exc).__name__}: {exc}"


def _transform(embedder, paths: list[str]) -> np.ndarray:
    E = np.asarray(embedder.transform(paths), dtype=np.float64)
    if E.ndim != 2 or len(E) != len(paths):
        raise ValueError(f"the model returned shape {E.shape} for {len(paths)} clips")
    return E


def _embed_files(embedder, paths: list[str], *, n_jobs: int | None, label: str = "embedding"):
    """Embed files in chunks, with a progress bar on a terminal.

    A chunk that fails is redone file by file, so that one bad file costs only
    itself. Returns ``(E, ok_paths, failures)``, failures as ``(path, reason)``.
    """
    from ._progress import ProgressBar

    _configure(embedder, n_jobs)
    chunk = 16 * max(n_jobs or 1, 1)
    rows, ok, failures = [], [], []
    bar = ProgressBar(len(paths), label=label)
    try:
        for start in range(0, len(paths), chunk):
            part = paths[start : start + chunk]
            try:
                done = list(zip(part, _transform(embedder, part), strict=True))
            except Exception:
                done = []
                for path in part:
                    try:
                        done.append((path, _transform(embedder, [path])[0]))
                    except Exception as exc:
                        failures.append((path, _reason(exc)))
            for path, row in done:
                if np.isfinite(row).all():
                    ok.append(path)
                    rows.append(row)
                else:
                    failures.append((path, "the embedding is not finite"))
            bar.update(len(part))
    finally:
        bar.close()
    E = np.vstack(rows) if rows else np.empty((0, 0))
    return E, ok, failures


def _report_failures(failures, skip_errors: bool) -> int:
    if not failures:
        return 0
    print(f"sktimbre: {len(failures)} file(s) could not be embedded:", file=sys.stderr)
    for path, reason in failures:
        print(f"  {path}: {reason}", file=sys.stderr)
    if skip_errors:
        return 0
    print("sktimbre: (--skip-errors makes this exit status 0)", file=sys.stderr)
    return 1


def _write(path: str, E: np.ndarray, paths: list[str]) -> None:
    """Write embeddings with their paths; the format follows the extension."""
    columns = [f"dim_{i:02d}" for i in range(E.shape[1])]
    ext = os.path.splitext(path)[1].lower()
    if path == "-" or ext == ".csv":
        import csv

        out = sys.stdout if path == "-" else open(path, "w", newline="")
        try:
            writer = csv.writer(out)
            writer.writerow(["path"] + columns)
            for p, row in zip(paths, E, strict=True):
                writer.writerow([p] + [f"{v:.9g}" for v in row])
        finally:
            if out is not sys.stdout:
                out.close()
    elif ext == ".npy":
        np.save(path, E)
        with open(_paths_file(path), "w") as f:
            f.writelines(p + "\n" for p in paths)
    elif ext == ".npz":
        np.savez(path, embeddings=E, paths=np.asarray(paths, dtype=str))
    elif ext == ".parquet":
        try:
            import pandas as pd

            frame = pd.DataFrame(E, columns=columns)
            frame.insert(0, "path", paths)
            frame.to_parquet(path, index=False)
        except ImportError as exc:
            raise _UsageError(
                f"writing .parquet needs pandas and pyarrow ({exc}); "
                f"pip install 'sktimbre[parquet]', or write .csv/.npz"
            ) from None
    else:
        raise _UsageError(
            f"cannot write {path!r}: use .csv, .npy, .npz or .parquet (or - for CSV on stdout)"
        )


def _paths_file(npy_path: str) -> str:
    """``out.npy`` keeps its rows' paths in ``out.paths.txt``, one per line."""
    return os.path.splitext(npy_path)[0] + ".paths.txt"


# ----------------------------------------------------------------------------- commands


def _cmd_embed(args) -> int:
    paths = _expand(args.audio)
    ext = os.path.splitext(args.output)[1].lower()
    if args.output != "-" and ext not in (".csv", ".npy", ".npz", ".parquet"):
        raise _UsageError(f"cannot write {args.output!r}: use .csv, .npy, .npz or .parquet")
    embedder = _load_model(args.model)
    E, ok, failures = _embed_files(embedder, paths, n_jobs=args.jobs)
    if ok:
        _write(args.output, E, ok)
        where = "stdout" if args.output == "-" else args.output
        extra = f" (paths in {_paths_file(args.output)})" if ext == ".npy" else ""
        print(
            f"sktimbre: embedded {len(ok)} of {len(paths)} files into {E.shape[1]} "
            f"dimensions -> {where}{extra}",
            file=sys.stderr,
        )
    status = _report_failures(failures, args.skip_errors)
    return status if ok else 1


def _cmd_fit(args) -> int:
    from .embedder import fit_in_chunks, make_timbre_embedder
    from .io import read_manifest
    from .persistence import save

    try:
        paths, labels = read_manifest(
            args.manifest, args.label_column, path_column=args.path_column
        )
    except (OSError, ValueError) as exc:
        raise _UsageError(str(exc)) from None
    values, counts = np.unique(labels, return_counts=True)
    if len(values) < 2:
        raise _UsageError(
            f"column '{args.label_column}' of {args.manifest} has "
            f"{len(values)} distinct label(s); fitting needs at least 2"
        )
    embedder = make_timbre_embedder(n_jobs=args.jobs)
    X, y = paths, np.asarray(labels)
    if args.augment:
        from .augment import augment_clips

        X, y = augment_clips(paths, y, n_copies=args.augment, random_state=0)
    print(
        f"sktimbre: fitting on {len(paths)} clips ({len(X)} with augmented copies), "
        f"{len(values)} labels ...",
        file=sys.stderr,
    )
    fit_in_chunks(embedder, X, y)
    embedder.set_params(frontend__n_jobs=None)
    metadata = {
        "fitted_on": [os.path.basename(args.manifest)],
        "n_clips": len(paths),
        "n_augmented_copies": int(args.augment),
        "label_column": args.label_column,
        "labels": {str(v): int(n) for v, n in zip(values, counts, strict=True)},
    }
    save(embedder, args.output, metadata=metadata)
    print(f"sktimbre: saved -> {args.output} (see `sktimbre info {args.output}`)", file=sys.stderr)
    return 0


def _output_dims(embedder) -> int | None:
    """Width of the embedding, found by embedding one synthetic note."""
    t = np.arange(22050) / 22050.0
    note = (np.sin(2 * np.pi * 220.0 * t) * np.exp(-3 * t)).astype(np.float32)
    try:
        return int(np.asarray(embedder.transform([note])).shape[1])
    except Exception:
        return None


def _describe(embedder) -> list[str]:
    from sklearn.pipeline import FeatureUnion, Pipeline

    lines = []
    if isinstance(embedder, Pipeline):
        steps = [type(s).__name__.lstrip("_") for _, s in embedder.steps if s != "passthrough"]
        lines.append("pipeline:   " + " -> ".join(steps))
        frontend = embedder.steps[0][1]
        if hasattr(frontend, "trim_db"):
            trim = (
                "no silence trimming"
                if frontend.trim_db is None
                else f"trims silence {frontend.trim_db:g} dB below the peak"
            )
            lines.append(f"front end:  {frontend.sr} Hz, {trim}")
        union = embedder.named_steps.get("features")
        if isinstance(union, FeatureUnion):
            parts = []
            for name, family in union.transformer_list:
                try:
                    width = len(family.get_feature_names_out())
                except Exception:
                    width = "?"
                parts.append((name, type(family).__name__, width))
            total = sum(w for *_, w in parts if isinstance(w, int))
            lines.append(f"families:   {len(parts)}, {total} descriptors")
            lines += [f"  {n:<12}{c:<22}{w:>4}" for n, c, w in parts]
    else:
        lines.append(f"embedder:   {type(embedder).__name__}")
    dims = _output_dims(embedder)
    lines.append(f"output:     {dims if dims is not None else '?'} dimensions")
    return lines


def _fitted_on(embedder, metadata: dict) -> str:
    if metadata.get("n_clips"):
        text = f"{metadata['n_clips']} clips"
        if metadata.get("n_augmented_copies"):
            text += f" + {metadata['n_augmented_copies']} augmented copies of each"
        if metadata.get("fitted_on"):
            text += f", from {', '.join(metadata['fitted_on'])}"
        labels = metadata.get("labels") or {}
        if all(k.lstrip("-").isdigit() for k in labels):  # JSON sorted them as text
            labels = dict(sorted(labels.items(), key=lambda kv: int(kv[0])))
        if labels:
            shown = ", ".join(f"{k} ({v})" for k, v in list(labels.items())[:12])
            more = f", ... ({len(labels)} in all)" if len(labels) > 12 else ""
            text += f"\n            {len(labels)} labels"
            if metadata.get("label_column"):
                text += f" (column {metadata['label_column']})"
            text += f": {shown}{more}"
        return text
    # saved from Python without metadata: what the fitted steps know
    steps = [s for _, s in getattr(embedder, "steps", [])] or [embedder]
    n = next((int(s.n_samples_seen_) for s in steps if hasattr(s, "n_samples_seen_")), None)
    classes = next((list(s.classes_) for s in reversed(steps) if hasattr(s, "classes_")), None)
    if n is None and classes is None:
        return "not recorded"
    text = f"{n} clips" if n is not None else "? clips"
    if classes is not None:
        text += f", {len(classes)} labels: {', '.join(map(str, classes[:12]))}"
    return text


def _cmd_info(args) -> int:
    from ._versions import current_versions
    from .persistence import read_info

    if args.model == "default":
        from .pretrained import _PATH as path
    else:
        path = args.model
    embedder = _load_model(args.model)
    info = read_info(path)
    print(f"model:      {args.model}" + (f" ({path})" if path != args.model else ""))
    print(f"format:     sktimbre safe format, version {info['format_version']}")
    for line in _describe(embedder):
        print(line)
    print(f"fitted on:  {_fitted_on(embedder, info['metadata'])}")
    now = current_versions()
    saved = {k: info["versions"][k] for k in now if k in info["versions"]}
    print("saved with: " + ", ".join(f"{k} {v}" for k, v in saved.items()))
    if any(now.get(k) != v for k, v in saved.items()):
        print("running:    " + ", ".join(f"{k} {v}" for k, v in now.items()))
    return 0


# ----------------------------------------------------------------------------- parser


def _fill(text: str) -> str:
    import textwrap

    return textwrap.fill(text, 79)


def _parser() -> argparse.ArgumentParser:
    from . import __version__
    from ._library_cli import add_library_commands, add_similar_options, cmd_similar

    raw = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(
        prog="sktimbre",
        epilog=_EPILOG,
        formatter_class=raw,
        description="Timbre vectors for recordings of instrument notes: embed audio files,\n"
        "find the clips that sound alike, fit an embedder on your own labelled\n"
        "clips, describe a saved one; index and map a sample library.",
    )
    parser.add_argument("--version", action="version", version=f"sktimbre {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def common(p, *, model=True):
        if model:
            p.add_argument(
                "--model",
                default="default",
                metavar="FILE",
                help="saved embedder (sktimbre fit / sktimbre.save), or "
                "'default': the pretrained one (the default)",
            )
        p.add_argument(
            "-j",
            "--jobs",
            "--n-jobs",
            dest="jobs",
            type=int,
            default=1,
            metavar="N",
            help="worker processes for decoding and analysis (default 1; -1: all cores)",
        )

    embed = sub.add_parser(
        "embed",
        help="write one timbre vector per audio file",
        formatter_class=raw,
        description=_fill(
            "Embed audio files (folders are searched recursively for "
            f"{', '.join(AUDIO_EXTENSIONS)}): one row per file, with its path."
        ),
        epilog="""\
output formats (by extension of -o):
  .csv      columns path, dim_00, dim_01, ...   (default: CSV on stdout)
  .npz      arrays 'embeddings' and 'paths' (np.load(f)['paths'], no pickle needed)
  .npy      the embeddings; their paths, one per line, in the sidecar OUT.paths.txt
  .parquet  like .csv; needs pandas and pyarrow (pip install 'sktimbre[parquet]')

Files that cannot be embedded are left out of the output and listed at the end
with the reason; the exit status is then 1, unless --skip-errors.

examples:
  sktimbre embed examples/audio -o embeddings.csv
  sktimbre embed a.wav b.flac samples/ --model my_model.skt -o vectors.npz -j 2
""",
    )
    embed.add_argument("audio", nargs="+", metavar="PATH", help="audio files or folders")
    embed.add_argument(
        "-o",
        "--output",
        default="-",
        metavar="OUT",
        help="output file: .csv, .npy, .npz or .parquet (default: CSV on stdout)",
    )
    embed.add_argument(
        "--skip-errors",
        action="store_true",
        help="exit with status 0 even if some files could not be embedded",
    )
    common(embed)
    embed.set_defaults(run=_cmd_embed)

    similar = sub.add_parser(
        "similar",
        help="list the clips that sound most like a query clip",
        formatter_class=raw,
        description=_fill(
            "Rank clips by cosine distance to QUERY in the embedding "
            "(0: same direction; 1: unrelated; up to 2)."
        ),
        epilog="""\
examples:
  sktimbre similar examples/audio/piano_C4.flac examples/audio
  sktimbre similar mystery.wav library/ --top 10 --model my_model.skt
  sktimbre similar a.wav b.wav --index library.skx --format csv
""",
    )
    similar.add_argument("query", metavar="QUERY", help="the audio file to match")
    similar.add_argument(
        "paths",
        nargs="*",
        metavar="PATH",
        help="audio files or folders to search (QUERY itself is skipped); with --index, "
        "more queries",
    )
    similar.add_argument(
        "-k",
        "--top",
        type=int,
        default=5,
        metavar="K",
        help="how many nearest clips to list (default 5)",
    )
    similar.add_argument(
        "--skip-errors",
        action="store_true",
        help="exit with status 0 even if some files could not be embedded",
    )
    common(similar)
    # ---- sample libraries (issue 15): --index, --metric, --format; `index`, `map`
    add_similar_options(similar)
    similar.set_defaults(run=cmd_similar)

    fit = sub.add_parser(
        "fit",
        help="fit the default embedder on your labelled clips",
        formatter_class=raw,
        description=_fill(
            "Fit make_timbre_embedder()'s default configuration on the clips "
            "a CSV lists, plus augmented (re-coloured) copies of each, and "
            "save it in sktimbre's safe format."
        ),
        epilog="""\
The manifest is a CSV with a column of audio paths (relative to the CSV's folder)
and a column of labels (instrument names, program numbers: any text).

examples:
  sktimbre fit manifest.csv -o my_model.skt
  sktimbre fit notes.csv --path-column file --label-column instrument -o m.skt -j 2
  sktimbre embed new/ --model my_model.skt -o new.csv
""",
    )
    fit.add_argument("manifest", metavar="MANIFEST.csv")
    fit.add_argument(
        "-o",
        "--output",
        required=True,
        metavar="MODEL",
        help="file to save the fitted embedder to (e.g. my_model.skt)",
    )
    fit.add_argument("--path-column", default="path", help="column of paths (default: path)")
    fit.add_argument(
        "--label-column", default="program", help="column of labels (default: program)"
    )
    fit.add_argument(
        "--augment",
        type=int,
        default=2,
        metavar="N",
        help="augmented copies of each clip to fit on (default 2; 0 for none)",
    )
    common(fit, model=False)
    fit.set_defaults(run=_cmd_fit)

    info = sub.add_parser(
        "info",
        help="describe a saved embedder",
        formatter_class=raw,
        description=_fill(
            "Families, dimensions, versions and what a saved embedder was fitted on."
        ),
        epilog="examples:\n  sktimbre info my_model.skt\n  sktimbre info default\n",
    )
    info.add_argument("model", metavar="MODEL", help="a saved embedder, or 'default'")
    info.set_defaults(run=_cmd_info, jobs=None)
    add_library_commands(sub, common, raw)  # sample libraries (issue 15): index, map
    return parser


def _show_warning(message, category, filename, lineno, file=None, line=None):
    print(f"sktimbre: warning: {message}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    """Run the ``sktimbre`` command line.

    Parameters
    ----------
    argv : list of str, optional
        Arguments (default: ``sys.argv[1:]``).

    Returns
    -------
    status : int
        Process exit status: 0 on success, 1 if files could not be embedded
        (without ``--skip-errors``), 2 on a usage error.

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
    args = _parser().parse_args(argv)
    with warnings.catch_warnings():
        warnings.showwarning = _show_warning
        try:
            return args.run(args)
        except _UsageError as exc:
            print(f"sktimbre: error: {exc}", file=sys.stderr)
            return 2


if __name__ == "__main__":
    # `python -m sktimbre.cli`: run the package's module, not this __main__ copy of it,
    # so that its helpers (used by sktimbre._library_cli) and its errors are one class
    from sktimbre.cli import main as _main

    raise SystemExit(_main())
