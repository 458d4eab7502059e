"""``sktimbre map``: a sample library as one interactive HTML page."""

from __future__ import annotations

import os

from ._exit import UsageError, display, say
from ._inputs import expand
from ._library import build_index, load_index
from ._options import RawHelp, add_jobs, add_model, fill, positive
from ._report import report_failures

NAME = "map"

EPILOG = """\
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


def add_parser(commands, parents):
    """Add ``map`` to the ``sktimbre`` parser's subcommands."""
    parser = commands.add_parser(
        NAME, parents=parents, formatter_class=RawHelp, epilog=EPILOG,
        help="write an interactive 2-D map of a sample library (one HTML file)",
        description=fill("A map of the sounds, near where they sound alike: hover for the "
                         "name, click to play and list the nearest sounds, search by name "
                         "or label."))
    parser.add_argument("folders", nargs="*", metavar="DIR",
                        help="folders (or files) to embed and map (or give --index)")
    parser.add_argument("--index", metavar="INDEX", help="map this index (sktimbre index)")
    parser.add_argument("-o", "--output", required=True, metavar="HTML",
                        help="the page to write (map.html)")
    parser.add_argument("--labels", metavar="MANIFEST.csv",
                        help="CSV of paths (relative to it) and labels to colour by "
                             "(default: clusters of the vectors)")
    parser.add_argument("--label-column", default="label",
                        help="column of labels in --labels (default: label)")
    parser.add_argument("--path-column", default="path",
                        help="column of paths in --labels (default: path)")
    parser.add_argument("--projection", choices=("tsne", "pca"), default="tsne",
                        help="layout: t-SNE (default) or PCA")
    parser.add_argument("--neighbours", type=positive, default=10, metavar="K",
                        help="nearest sounds listed for the clicked one (default 10)")
    parser.add_argument("--embed-audio", action="store_true",
                        help="put MP3 previews in the page (it then plays anywhere)")
    parser.add_argument("--preview-seconds", type=float, default=3.0, metavar="S",
                        help="length of the embedded previews (default 3)")
    parser.add_argument("--title", help="title of the page")
    parser.add_argument("--save-index", metavar="INDEX",
                        help="also save the index built from DIR (for --index later)")
    add_model(parser)
    add_jobs(parser)
    parser.set_defaults(run=run)
    return parser


def run(args) -> int:
    """Load or build the index, lay it out, write the page."""
    from ..timbre_map import MAX_TSNE_POINTS, write_map

    if bool(args.folders) == bool(args.index):
        raise UsageError("give folders to map, or --index INDEX (not both)")
    if not args.output.lower().endswith((".html", ".htm")):
        raise UsageError(f"the map is an HTML page: name it .html, not {display(args.output)}")
    if not args.preview_seconds > 0:
        raise UsageError(f"--preview-seconds must be positive, got {args.preview_seconds}")
    status = 0
    if args.index:
        index = load_index(args.index)
    else:
        paths, unreadable = expand(args.folders, NAME)
        index = build_index(paths, model=args.model, pitch=True, metric="cosine",
                            jobs=args.jobs, quiet=args.quiet)
        # the map shows what could be embedded; the rest is listed
        status = report_failures(unreadable + list(index.failures_), skip_errors=True)
        if args.save_index:
            index.set_params(n_jobs=None, verbose=False)
            index.save(args.save_index)
    labels = _manifest_labels(args, index) if args.labels else None
    n = len(index.ids_)
    if args.projection == "tsne":
        subset = f" (fitted on {MAX_TSNE_POINTS} of them)" if n > MAX_TSNE_POINTS else ""
        say(f"laying out {n} sounds with t-SNE{subset} ...", quiet=args.quiet)
    write_map(index, args.output, labels=labels, label_name=args.label_column,
              title=args.title, projection=args.projection, n_neighbors=args.neighbours,
              embed_audio=args.embed_audio, preview_seconds=args.preview_seconds)
    size = os.path.getsize(args.output)
    size = f"{size / 1e6:.1f} MB" if size >= 1e6 else f"{size / 1e3:.0f} kB"
    say(f"map of {n} sounds -> {display(args.output)} ({size}); open it in a browser",
        quiet=args.quiet)
    return status


def _manifest_labels(args, index) -> dict:
    """Path -> label from the manifest; every sound of the map it names, or an error."""
    from ..io import read_manifest

    try:
        paths, labels = read_manifest(args.labels, args.label_column,
                                      path_column=args.path_column)
    except (OSError, ValueError) as exc:
        raise UsageError(str(exc)) from None
    mapping = {os.path.abspath(p): label for p, label in zip(paths, labels, strict=True)}
    matched = sum(1 for i in index.ids_ if i in mapping)
    if not matched:
        raise UsageError(f"none of the {len(mapping)} paths of {display(args.labels)} is in "
                         f"the map (paths are relative to the CSV's folder; --path-column "
                         f"{args.path_column})")
    if matched < len(index.ids_):
        say(f"warning: {len(index.ids_) - matched} of {len(index.ids_)} sounds have no label "
            f"in {display(args.labels)}")
    return mapping
