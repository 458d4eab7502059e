"""``sktimbre embed``: one timbre vector per audio file, written with its path."""

from __future__ import annotations

from ._exit import FAILED, say
from ._extract import embed_paths, prepare
from ._inputs import AUDIO_EXTENSIONS, expand
from ._models import column_names, load_embedder
from ._options import RawHelp, add_jobs, add_model, add_skip_errors, fill
from ._output import EmbeddingsOutput
from ._report import report_failures

NAME = "embed"

EPILOG = """\
output formats (by extension of -o, in any case):
  .csv      columns path, timbre_00, timbre_01, ...   (default: CSV on stdout)
  .npz      arrays 'embeddings' and 'paths' (np.load(f)['paths'], no pickle needed)
  .npy      the embeddings; their paths in the sidecar OUT.paths.jsonl, one JSON
            string per line ([json.loads(line) for line in open(...)])
  .parquet  like .csv; needs pandas and pyarrow (pip install 'sktimbre[parquet]')

The output is written when all files are done, through a temporary file next to
it: an interrupted or failed run leaves no partial file. Files that cannot be
embedded are left out of the output and listed at the end with the reason; the
exit status is then 1, unless --skip-errors.

examples:
  sktimbre embed examples/audio -o embeddings.csv
  sktimbre embed a.wav b.flac samples/ --model my_model.skt -o vectors.npz -j 2
"""


def add_parser(commands, parents):
    """Add ``embed`` to the ``sktimbre`` parser's subcommands."""
    parser = commands.add_parser(
        NAME, parents=parents, help="write one timbre vector per audio file",
        formatter_class=RawHelp, epilog=EPILOG,
        description=fill("Embed audio files (folders are searched recursively for "
                         f"{', '.join(AUDIO_EXTENSIONS)}): one row per file, with its path."))
    parser.add_argument("audio", nargs="+", metavar="PATH", help="audio files or folders")
    parser.add_argument("-o", "--output", default="-", metavar="OUT",
                        help="output file: .csv, .npy, .npz or .parquet (default: CSV on stdout)")
    add_skip_errors(parser, "exit with status 0 even if some files could not be embedded")
    add_model(parser)
    add_jobs(parser)
    parser.set_defaults(run=run)
    return parser


def run(args) -> int:
    """Check the output and the model, embed every file, write, report."""
    from .._progress import ProgressBar

    with EmbeddingsOutput(args.output) as output:  # checked before any decoding
        embedder = load_embedder(args.model)
        paths, unreadable = expand(args.audio, NAME)
        n_workers = prepare(embedder, args.jobs, len(paths))
        with ProgressBar(len(paths), label="embedding", enabled=False if args.quiet else None) \
                as progress:
            E, failures = embed_paths(embedder.transform, embedder.steps[0][1], paths,
                                      n_workers=n_workers, progress=progress)
        failed = {f.index for f in failures}
        ok = [i for i in range(len(paths)) if i not in failed]
        if ok:
            output.write(E[ok], [paths[i] for i in ok], column_names(embedder))
            say(f"embedded {len(ok)} of {len(paths)} files into {E.shape[1]} dimensions -> "
                f"{output.describe()}", quiet=args.quiet)
        else:
            say(f"no file could be embedded: nothing written to {output.describe()}")
    status = report_failures(unreadable + [(paths[f.index], f.reason) for f in failures],
                             skip_errors=args.skip_errors)
    return status if ok else FAILED
