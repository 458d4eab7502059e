"""The command line of a sample library: ``sktimbre index``, ``similar``, ``map``.

Thin: the work is :class:`sktimbre.TimbreIndex` and :func:`sktimbre.timbre_map.write_map`;
this module parses, reports and sets exit statuses the way :mod:`sktimbre.cli` does
(``add_library_commands`` registers the commands on its parser).
"""

from __future__ import annotations

import csv
import json
import os
import sys
import warnings

import numpy as np

_INDEX_EPILOG = """\
The index stores each file's vector, absolute path, size and modification time,
and the embedder itself, in one file of sktimbre's safe format (data only, no
pickle). With --update, an existing index embeds only files that are new or
changed since (size or modification time) and drops files that are gone; a
missing index is built.

examples:
  sktimbre index ~/Samples -o samples.skx -j 2
  sktimbre index ~/Samples ~/Downloads/kits -o samples.skx --update
  sktimbre similar kick.wav --index samples.skx --top 10
  sktimbre map --index samples.skx -o samples.html
"""

_MAP_EPILOG = """\
The page is one HTML file that loads nothing from the network. Audio is found by
paths relative to the page's folder (keep it beside the library, or move both),
or, with --embed-audio, inlined as MP3 previews of the first seconds of each
file (about 5 kB per second of preview).

Layout: t-SNE keeps neighbourhoods and shows clusters; above 5000 sounds it is
fitted on 5000 of them (one to two minutes on one core) and the others are placed
among their nearest fitted neighbours. PCA is instant but blurs clusters.

examples:
  sktimbre map ~/Samples -o samples.html
  sktimbre map --index samples.skx -o samples.html --labels manifest.csv --label-column family
  sktimbre map examples/audio -o demo.html --embed-audio
"""


def add_library_commands(sub, common, raw) -> None:
    """Register ``index`` and ``map`` on the subparsers of ``sktimbre``; ``similar``
    gains ``--index``, ``--metric`` and ``--format`` through :func:`add_similar_options`."""
    index = sub.add_parser(
        "index",
        help="embed a sample library once into an index file (then --update)",
        formatter_class=raw,
        description="Embed every audio file under the folders into an index file, for "
                    "`sktimbre similar --index` and `sktimbre map --index`.",
        epilog=_INDEX_EPILOG,
    )
    index.add_argument("folders", nargs="+", metavar="DIR", help="folders (or files) to index")
    index.add_argument("-o", "--output", required=True, metavar="INDEX",
                       help="the index file to write (library.skx)")
    index.add_argument("--update", action="store_true",
                       help="update INDEX if it exists: embed only new and changed files")
    index.add_argument("--model", default=None, metavar="FILE",
                       help="saved embedder, or 'default' (the pretrained one; the default). "
                            "With --update: must be the index's own")
    index.add_argument("--no-pitch", dest="pitch", action="store_false",
                       help="skip the pitch estimate of each file (about 20%% faster)")
    index.add_argument("--metric", choices=("cosine", "euclidean"), default="cosine",
                       help="default distance of the index (default cosine)")
    index.add_argument("--skip-errors", action="store_true",
                       help="exit with status 0 even if some files could not be embedded")
    common(index, model=False)
    index.set_defaults(run=cmd_index)

    library_map = sub.add_parser(
        "map",
        help="write an interactive 2-D map of a sample library (one HTML file)",
        formatter_class=raw,
        description="A map of the sounds, near where they sound alike: hover for the "
                    "name, click to play and list the nearest sounds, search by name or "
                    "label.",
        epilog=_MAP_EPILOG,
    )
    library_map.add_argument("folders", nargs="*", metavar="DIR",
                             help="folders (or files) to embed and map (or give --index)")
    library_map.add_argument("--index", metavar="INDEX", help="map this index (sktimbre index)")
    library_map.add_argument("-o", "--output", required=True, metavar="HTML",
                             help="the page to write (map.html)")
    library_map.add_argument("--labels", metavar="MANIFEST.csv",
                             help="CSV of paths (relative to it) and labels to colour by "
                                  "(default: clusters of the vectors)")
    library_map.add_argument("--label-column", default="label",
                             help="column of labels in --labels (default: label)")
    library_map.add_argument("--path-column", default="path",
                             help="column of paths in --labels (default: path)")
    library_map.add_argument("--projection", choices=("tsne", "pca"), default="tsne",
                             help="layout: t-SNE (default) or PCA")
    library_map.add_argument("--neighbours", type=int, default=10, metavar="K",
                             help="nearest sounds listed for the clicked one (default 10)")
    library_map.add_argument("--embed-audio", action="store_true",
                             help="put MP3 previews in the page (it then plays anywhere)")
    library_map.add_argument("--preview-seconds", type=float, default=3.0, metavar="S",
                             help="length of the embedded previews (default 3)")
    library_map.add_argument("--title", help="title of the page")
    library_map.add_argument("--save-index", metavar="INDEX",
                             help="also save the index built from DIR (for --index later)")
    common(library_map)
    library_map.set_defaults(run=cmd_map)


def add_similar_options(similar) -> None:
    """``--index``, ``--metric`` and ``--format`` of ``sktimbre similar``."""
    similar.add_argument("--index", metavar="INDEX",
                         help="search this index (sktimbre index) instead of PATHs: every "
                              "positional argument is then a query, and nothing in the "
                              "library is embedded again")
    similar.add_argument("--metric", choices=("cosine", "euclidean"), default=None,
                         help="distance (default: cosine, or the index's)")
    similar.add_argument("--format", choices=("table", "csv", "json"), default="table",
                         help="output: a table per query (default), or CSV/JSON for scripts")


# ----------------------------------------------------------------------------- helpers


def _usage_error(message: str):
    from .cli import _UsageError

    return _UsageError(message)


def _load_index(path: str):
    from . import TimbreIndex
    from .persistence import InvalidModelFileError

    if not os.path.isfile(path):
        raise _usage_error(f"no index file {path} (make one with `sktimbre index DIR -o "
                           f"{path}`)")
    try:
        return TimbreIndex.load(path)
    except InvalidModelFileError as exc:
        raise _usage_error(str(exc)) from None


def _embedder(model):
    """``"default"`` or the embedder a model file holds (through the CLI's loader)."""
    from .cli import _load_model
    from .persistence import InvalidModelFileError

    if model in (None, "default"):
        return "default"
    try:
        return _load_model(model)
    except InvalidModelFileError as exc:  # corrupt or tampered with, not only untrusted
        raise _usage_error(str(exc)) from None


def _build(items, *, model, pitch, metric, n_jobs):
    """A TimbreIndex of files and folders; failures are reported by the caller."""
    from . import ClipWarning, TimbreIndex

    index = TimbreIndex(embedder=_embedder(model), metric=metric, pitch=pitch, n_jobs=n_jobs,
                        verbose=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ClipWarning)  # listed by _report instead
        try:
            index.fit(items)
        except ValueError as exc:
            raise _usage_error(str(exc)) from None
    return index


def _report(index, skip_errors: bool) -> int:
    from .cli import _report_failures

    return _report_failures(index.failures_, skip_errors)


def _shown(path) -> str:
    """A path as people read it: relative to the current folder when inside it."""
    if not isinstance(path, str):
        return str(path)
    relative = os.path.relpath(path)
    return path if relative.startswith(os.pardir) else relative


# ----------------------------------------------------------------------------- commands


def cmd_index(args) -> int:
    """``sktimbre index DIR... -o INDEX [--update]``."""
    from . import ClipWarning

    for folder in args.folders:
        if not os.path.exists(folder):
            raise _usage_error(f"no such folder or file: {folder}")
    if args.update and os.path.exists(args.output):
        index = _load_index(args.output)
        if args.model is not None and not index.same_embedder(_embedder(args.model)):
            raise _usage_error(f"{args.output} was built with another embedder than "
                               f"--model {args.model}; to switch, build it anew (without "
                               f"--update)")
        index.set_params(n_jobs=args.jobs, verbose=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ClipWarning)
            try:
                index.update(args.folders)
            except ValueError as exc:
                raise _usage_error(str(exc)) from None
        changes = index.changes_
        what = (f"{len(changes['added'])} added, {len(changes['changed'])} re-embedded, "
                f"{len(changes['removed'])} removed")
    else:
        index = _build(args.folders, model=args.model, pitch=args.pitch, metric=args.metric,
                       n_jobs=args.jobs)
        what = f"{len(index.ids_)} embedded"
    index.set_params(n_jobs=None, verbose=False)
    index.save(args.output)
    print(f"sktimbre: {what}; {len(index.ids_)} sounds, {index.vectors_.shape[1]} dimensions "
          f"-> {args.output}", file=sys.stderr)
    return _report(index, args.skip_errors)


def cmd_similar(args) -> int:
    """``sktimbre similar QUERY... --index INDEX`` or ``sktimbre similar QUERY PATH...``."""
    from .io import InvalidClipError

    if args.top < 1:
        raise _usage_error(f"--top must be at least 1, got {args.top}")
    status = 0
    if args.index is not None:
        index = _load_index(args.index)
        if args.metric is not None:
            index.set_params(metric=args.metric)
        queries = [args.query] + list(args.paths)
        source = f"index {args.index}"
    else:
        if not args.paths:
            raise _usage_error("give the clips or folders to search (PATH...), or --index")
        from .cli import _expand

        query = os.path.realpath(args.query)
        candidates = [p for p in _expand(args.paths) if os.path.realpath(p) != query]
        if not candidates:
            raise _usage_error("no clips to compare the query with")
        index = _build(candidates, model=args.model, pitch=False,
                       metric=args.metric or "cosine", n_jobs=args.jobs)
        queries = [args.query]
        source = f"model: {args.model or 'default'}"
        status = _report(index, args.skip_errors)
    results = []
    for query in queries:
        try:
            distances, ids = index.query([query], k=args.top, exclude_self=True)
        except InvalidClipError as exc:
            print(f"sktimbre: error: the query {query} could not be embedded: {exc.reason}",
                  file=sys.stderr)
            return 1
        results.append((query, distances[0], ids[0]))
    _print_neighbours(index, results, args.format, source)
    return status


def _print_neighbours(index, results, fmt: str, source: str) -> None:
    row_of = index._rows()
    pitch = index.pitch_hz_

    def pitch_of(item_id):
        value = pitch[row_of[item_id]]
        return None if not np.isfinite(value) else round(float(value), 1)

    if fmt == "json":
        json.dump([{"query": q, "metric": index.metric, "neighbours": [
            {"rank": r, "path": i, "distance": float(d), "pitch_hz": pitch_of(i)}
            for r, (d, i) in enumerate(zip(dist, ids, strict=True), start=1)]}
            for q, dist, ids in results], sys.stdout, indent=1)
        print()
    elif fmt == "csv":
        writer = csv.writer(sys.stdout)
        writer.writerow(["query", "rank", "distance", "path", "pitch_hz"])
        for q, dist, ids in results:
            for r, (d, i) in enumerate(zip(dist, ids, strict=True), start=1):
                p = pitch_of(i)
                writer.writerow([q, r, f"{d:.6g}", i, "" if p is None else p])
    else:
        with_pitch = bool(np.isfinite(pitch).any())
        for n, (q, dist, ids) in enumerate(results):
            if n:
                print()
            print(f"nearest to {q} ({index.metric} distance; {source})")
            print(f"{'rank':>4}  {'distance':>8}  " + ("pitch  " if with_pitch else "") + "clip")
            for r, (d, i) in enumerate(zip(dist, ids, strict=True), start=1):
                note = f"{_note(pitch_of(i)):<5}  " if with_pitch else ""
                print(f"{r:>4}  {d:8.3f}  {note}{_shown(i)}")


def _note(hz) -> str:
    if hz is None or hz <= 0:
        return "-"
    midi = int(round(69 + 12 * np.log2(hz / 440.0)))
    names = ["C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B"]
    return f"{names[midi % 12]}{midi // 12 - 1}"


def cmd_map(args) -> int:
    """``sktimbre map DIR... | --index INDEX -o map.html``."""
    from .timbre_map import MAX_TSNE_POINTS, write_map

    if bool(args.folders) == bool(args.index):
        raise _usage_error("give folders to map, or --index INDEX (not both)")
    if not args.output.lower().endswith((".html", ".htm")):
        raise _usage_error(f"the map is an HTML page: name it .html, not {args.output}")
    if args.neighbours < 1:
        raise _usage_error(f"--neighbours must be at least 1, got {args.neighbours}")
    status = 0
    if args.index:
        index = _load_index(args.index)
    else:
        index = _build(args.folders, model=args.model, pitch=True, metric="cosine",
                       n_jobs=args.jobs)
        status = _report(index, skip_errors=True)  # the map shows what could be embedded
        if args.save_index:
            index.set_params(n_jobs=None, verbose=False)
            index.save(args.save_index)
    labels = None
    if args.labels:
        labels = _manifest_labels(args, index)
    n = len(index.ids_)
    if args.projection == "tsne":
        print(f"sktimbre: laying out {n} sounds with t-SNE"
              + (f" (fitted on {MAX_TSNE_POINTS} of them)" if n > MAX_TSNE_POINTS else "")
              + " ...", file=sys.stderr)
    with warnings.catch_warnings():
        warnings.simplefilter("always")
        write_map(index, args.output, labels=labels, label_name=args.label_column,
                  title=args.title, projection=args.projection, n_neighbors=args.neighbours,
                  embed_audio=args.embed_audio, preview_seconds=args.preview_seconds)
    size = os.path.getsize(args.output)
    size = f"{size / 1e6:.1f} MB" if size >= 1e6 else f"{size / 1e3:.0f} kB"
    print(f"sktimbre: map of {n} sounds -> {args.output} ({size}); open it in a browser",
          file=sys.stderr)
    return status


def _manifest_labels(args, index) -> dict:
    from .io import read_manifest

    try:
        paths, labels = read_manifest(args.labels, args.label_column,
                                      path_column=args.path_column)
    except (OSError, ValueError) as exc:
        raise _usage_error(str(exc)) from None
    mapping = {os.path.abspath(p): label for p, label in zip(paths, labels, strict=True)}
    matched = sum(1 for i in index.ids_ if i in mapping)
    if not matched:
        raise _usage_error(f"none of the {len(mapping)} paths of {args.labels} is in the map "
                           f"(paths are relative to the CSV's folder; --path-column "
                           f"{args.path_column})")
    if matched < len(index.ids_):
        print(f"sktimbre: warning: {len(index.ids_) - matched} of {len(index.ids_)} sounds "
              f"have no label in {args.labels}", file=sys.stderr)
    return mapping
