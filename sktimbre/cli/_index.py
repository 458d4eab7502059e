"""``sktimbre index``: embed a sample library once into an index file; ``--update`` it."""

from __future__ import annotations

import os
import warnings

from ._exit import CommandFailed, UsageError, display, say
from ._inputs import expand
from ._library import build_index, embedder_for, load_index
from ._options import RawHelp, add_jobs, add_skip_errors, fill
from ._report import report_failures

NAME = "index"

EPILOG = """\
The index holds each file's vector, absolute path, size and modification time,
pitch estimate, and the embedder itself, in one file of sktimbre's safe format
(data only, no pickle). With --update, an existing index embeds only the files
that are new or changed since (size or modification time) and drops those that
are gone or no longer under the folders given; a missing index is built. The
file is replaced only when the new one is complete.

Files that cannot be embedded are left out and listed at the end with the reason;
the index is written all the same, and the exit status is 1 unless --skip-errors.

examples:
  sktimbre index ~/Samples -o samples.skx -j 2
  sktimbre index ~/Samples ~/Downloads/kits -o samples.skx --update
  sktimbre similar kick.wav --index samples.skx --top 10
  sktimbre map --index samples.skx -o samples.html
"""


def add_parser(commands, parents):
    """Add ``index`` to the ``sktimbre`` parser's subcommands."""
    parser = commands.add_parser(
        NAME, parents=parents, formatter_class=RawHelp, epilog=EPILOG,
        help="embed a sample library once into an index file (then --update it)",
        description=fill("Embed every audio file under the folders into an index file, for "
                         "`sktimbre similar --index` and `sktimbre map --index`."))
    parser.add_argument("folders", nargs="+", metavar="DIR", help="folders (or files) to index")
    parser.add_argument("-o", "--output", required=True, metavar="INDEX",
                        help="the index file to write (library.skx)")
    parser.add_argument("--update", action="store_true",
                        help="update INDEX if it exists: embed only new and changed files")
    parser.add_argument("--model", default=None, metavar="FILE",
                        help="saved embedder, or 'default': the pretrained one (the "
                             "default); with --update it must be the index's own")
    parser.add_argument("--no-pitch", dest="pitch", action="store_false",
                        help="skip the pitch estimate of each file (about 20%% faster)")
    parser.add_argument("--metric", choices=("cosine", "euclidean"), default="cosine",
                        help="the index's default distance (default cosine)")
    add_skip_errors(parser, "exit with status 0 even if some files could not be embedded")
    add_jobs(parser)
    parser.set_defaults(run=run)
    return parser


def run(args) -> int:
    """Build or update the index, save it, report."""
    from ..io import ClipWarning

    if os.path.isdir(args.output):
        raise UsageError(f"{display(args.output)} is a folder: -o names the index file")
    for folder in args.folders:
        if not os.path.exists(folder):
            raise UsageError(f"no such folder or file: {display(folder)}")
    paths, unreadable = expand(args.folders, NAME)
    if args.update and os.path.exists(args.output):
        index = load_index(args.output)
        if args.model is not None and not index.same_embedder(embedder_for(args.model)):
            raise UsageError(f"{display(args.output)} was built with another embedder than "
                             f"--model {display(args.model)}; to switch, build it anew "
                             f"(without --update)")
        index.set_params(n_jobs=args.jobs, verbose=not args.quiet)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ClipWarning)  # listed by report_failures
            try:
                index.update(paths)
            except ValueError as exc:
                raise CommandFailed(str(exc)) from None
        changes = index.changes_
        what = (f"{len(changes['added'])} added, {len(changes['changed'])} re-embedded, "
                f"{len(changes['removed'])} removed")
    else:
        index = build_index(paths, model=args.model, pitch=args.pitch, metric=args.metric,
                            jobs=args.jobs, quiet=args.quiet)
        what = f"{len(index.ids_)} embedded"
    index.set_params(n_jobs=None, verbose=False)
    index.save(args.output)
    say(f"{what}; {len(index.ids_)} sounds, {index.vectors_.shape[1]} dimensions -> "
        f"{display(args.output)}", quiet=args.quiet)
    return report_failures(unreadable + list(index.failures_), skip_errors=args.skip_errors)
