"""``sktimbre similar``: the clips that sound most like a query clip.

With ``--index`` the candidates are a :class:`~sktimbre.TimbreIndex` (``sktimbre
index``): nothing in the library is embedded again, and every positional argument
is a query."""

from __future__ import annotations

import os

import numpy as np

from ._exit import CommandFailed, UsageError, display
from ._extract import embed_paths, prepare, transform_chunk
from ._inputs import expand, refuse_non_audio
from ._library import load_index, print_neighbours, shown
from ._models import DEFAULT, load_embedder
from ._options import RawHelp, add_jobs, add_model, add_skip_errors, fill, positive
from ._report import report_failures

NAME = "similar"

EPILOG = """\
The query is embedded first: if it cannot be, nothing else is. Files that cannot
be embedded are left out of the table and listed after it; the exit status is then
1, unless --skip-errors.

With --index INDEX, the clips are those of an index (`sktimbre index`): nothing
in it is embedded again, a query that is one of its files (unchanged) is not
embedded either and is left out of its own list, and the table shows each clip's
pitch estimate. --format csv or json writes absolute paths, for scripts.

examples:
  sktimbre similar examples/audio/piano_C4.flac examples/audio
  sktimbre similar mystery.wav library/ --top 10 --model my_model.skt
  sktimbre similar kick.wav snare.wav --index library.skx --format csv
"""


def add_parser(commands, parents):
    """Add ``similar`` to the ``sktimbre`` parser's subcommands."""
    parser = commands.add_parser(
        NAME, parents=parents, help="list the clips that sound most like a query clip",
        formatter_class=RawHelp, epilog=EPILOG,
        description=fill("Rank clips by cosine distance to QUERY in the embedding "
                         "(0: same direction; 1: unrelated; up to 2)."))
    parser.add_argument("query", metavar="QUERY", help="the audio file to match")
    parser.add_argument("paths", nargs="*", metavar="PATH",
                        help="audio files or folders to search (QUERY itself is skipped); "
                             "with --index, more queries")
    parser.add_argument("-k", "--top", type=positive, default=5, metavar="K",
                        help="how many nearest clips to list (default 5)")
    parser.add_argument("--index", metavar="INDEX",
                        help="search this index (sktimbre index) instead of PATHs")
    parser.add_argument("--metric", choices=("cosine", "euclidean"), default=None,
                        help="distance (default: cosine, or the index's)")
    parser.add_argument("--format", choices=("table", "csv", "json"), default="table",
                        help="a table per query (default), or CSV / JSON for scripts")
    add_skip_errors(parser, "exit with status 0 even if some files could not be embedded")
    add_model(parser)
    add_jobs(parser)
    parser.set_defaults(run=run)
    return parser


def run(args) -> int:
    """Embed the query, then the candidates; print the nearest."""
    from .._progress import ProgressBar

    if args.index is not None:
        return _run_index(args)
    if not args.paths:
        raise UsageError("give the clips or folders to search (PATH...), or --index INDEX")
    query = args.query
    if os.path.isdir(query):
        raise UsageError(f"the query {display(query)} is a folder: give one audio file")
    refuse_non_audio(query, NAME)
    candidates, unreadable = expand(args.paths, NAME)
    candidates = [p for p in candidates if os.path.realpath(p) != os.path.realpath(query)]
    if not candidates and not unreadable:
        raise UsageError("no clips to compare the query with (the query itself is skipped)")
    embedder = load_embedder(args.model)
    frontend = embedder.steps[0][1]

    prepare(embedder, 1, 1)
    q, failed = transform_chunk(embedder.transform, frontend, [query])
    if failed:
        raise CommandFailed(f"the query {display(query)} could not be embedded: "
                            f"{failed[0].reason}")
    n_workers = prepare(embedder, args.jobs, len(candidates))
    with ProgressBar(len(candidates), label="comparing",
                     enabled=False if args.quiet else None) as progress:
        E, failures = embed_paths(embedder.transform, frontend, candidates,
                                  n_workers=n_workers, progress=progress)
    failures = [(candidates[f.index], f.reason) for f in failures]
    failed = {path for path, _ in failures}
    ok = [i for i, path in enumerate(candidates) if path not in failed]
    if not ok:
        report_failures(unreadable + failures, skip_errors=True)
        raise CommandFailed("none of the clips to compare the query with could be embedded")
    metric = args.metric or "cosine"
    distance = (_cosine_distance(q[0], E[ok]) if metric == "cosine"
                else np.linalg.norm(E[ok] - q[0], axis=1))

    order = np.argsort(distance, kind="stable")[: args.top]
    print_neighbours([(query, distance[order], [candidates[ok[i]] for i in order])],
                     fmt=args.format, metric=metric, source=f"model: {display(args.model)}")
    return report_failures(unreadable + failures, skip_errors=args.skip_errors)


def _run_index(args) -> int:
    """The neighbours of each query among an index's items."""
    from ..io import InvalidClipError

    index = load_index(args.index)
    if args.metric is not None:
        index.set_params(metric=args.metric)
    if args.model != DEFAULT:
        raise UsageError("--model does not apply with --index: the index embeds queries "
                         "with its own embedder")
    index.set_params(n_jobs=args.jobs)
    results = []
    for query in [args.query] + list(args.paths):
        if os.path.isdir(query):
            raise UsageError(f"the query {display(query)} is a folder: give audio files")
        refuse_non_audio(query, NAME)
        try:
            distances, ids = index.query([query], k=args.top, exclude_self=True)
        except InvalidClipError as exc:
            raise CommandFailed(f"the query {display(query)} could not be embedded: "
                                f"{exc.reason}") from None
        results.append((query, distances[0], list(ids[0])))
    row_of = {item_id: row for row, item_id in enumerate(index.ids_)}
    known = bool(np.isfinite(index.pitch_hz_).any())

    def pitch(path):
        hz = index.pitch_hz_[row_of[path]]
        return round(float(hz), 1) if np.isfinite(hz) else None

    print_neighbours(results, fmt=args.format, metric=index.metric,
                     source=f"index {display(args.index)}", pitch=pitch if known else None,
                     name=shown)
    return 0


def _cosine_distance(query: np.ndarray, E: np.ndarray) -> np.ndarray:
    """``1 - cos`` between ``query`` and each row, in [0, 2].

    Rounding can put the distance of two equal directions a hair below 0, which
    would print as ``-0.000``: the clip to [0, 2] is exact arithmetic's range.
    """
    unit = E / np.linalg.norm(E, axis=1, keepdims=True)
    return np.clip(1.0 - unit @ (query / np.linalg.norm(query)), 0.0, 2.0)
