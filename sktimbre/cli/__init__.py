"""The ``sktimbre`` command: embed audio, find similar clips, fit and describe embedders.

``sktimbre embed`` writes one timbre vector per audio file, ``sktimbre similar``
lists the clips that sound most like a query clip, ``sktimbre fit`` fits the
default embedder on a labelled manifest and ``sktimbre info`` describes a saved
one; ``sktimbre index`` embeds a sample library into an index file (for
``similar --index``) and ``sktimbre map`` draws it as an interactive page.
Models are files of :mod:`sktimbre.persistence`'s safe format (data only,
never a pickle); ``default`` is the pretrained embedder shipped with sktimbre.

Each command is one module (``_embed``, ``_similar``, ``_fit``, ``_info``,
``_index``, ``_map``) with an
``add_parser(commands, parents)`` that registers its arguments and its ``run(args)``
(returning the exit status); :data:`COMMANDS` lists them in the order ``--help``
shows. Adding a command is a new module and one entry there.
"""

from __future__ import annotations

import sys
import warnings

from . import _embed, _fit, _index, _info, _map, _similar
from ._exit import FAILED, INTERRUPTED, USAGE, CommandFailed, UsageError, error

__all__ = ["main"]

COMMANDS = (_embed, _similar, _fit, _info, _index, _map)
"""The command modules, in the order of ``sktimbre --help``."""

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

exit status: 0 done; 1 some files could not be used (unless --skip-errors) or the
work failed; 2 usage error (bad arguments, an unusable model, manifest or output
path: found before any audio is decoded); 130 interrupted (Ctrl-C).
"""


def _parser():
    from .._versions import __version__
    from ._options import Parser, RawHelp, general_options

    general = general_options()
    parser = Parser(
        prog="sktimbre", epilog=_EPILOG, formatter_class=RawHelp, parents=[general],
        description="Timbre vectors for recordings of instrument notes: embed audio files,\n"
                    "find the clips that sound alike, fit an embedder on your own labelled\n"
                    "clips, describe a saved one; index and map a sample library.")
    parser.add_argument("--version", action="version", version=f"sktimbre {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in COMMANDS:
        command.add_parser(commands, [general])
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
        Process exit status: 0 on success; 1 if files could not be used (without
        ``--skip-errors``) or the work failed; 2 on a usage error, found before
        any audio is decoded; 130 if interrupted. Errors are one line on stderr;
        ``--debug`` adds the traceback.

    Examples
    --------
    >>> import os, tempfile
    >>> import soundfile as sf
    >>> from sktimbre.cli import main
    >>> from sktimbre.datasets import make_notes
    >>> X, y = make_notes(n_instruments=1, pitches=[60], velocities=[1.0], random_state=0)
    >>> folder = tempfile.mkdtemp()
    >>> sf.write(os.path.join(folder, "note.wav"), X[0], 22050)
    >>> main(["embed", folder, "-o", os.path.join(folder, "embeddings.csv"), "--quiet"])
    0
    """
    args = _parser().parse_args(argv)
    args.quiet = getattr(args, "quiet", False)
    debug = getattr(args, "debug", False)
    with warnings.catch_warnings():
        warnings.showwarning = _show_warning
        try:
            return args.run(args)
        except UsageError as exc:
            error(str(exc))
            _traceback(exc, debug)
            return USAGE
        except CommandFailed as exc:
            error(str(exc))
            _traceback(exc, debug)
            return FAILED
        except KeyboardInterrupt:
            if debug:
                raise
            print("sktimbre: interrupted; nothing was written", file=sys.stderr)
            return INTERRUPTED
        except BrokenPipeError:
            # the reader of stdout went away (`| head`): not an error worth a traceback
            from ._output import silence_stdout

            silence_stdout()
            return FAILED
        except Exception as exc:
            if debug:
                raise
            error(f"{type(exc).__name__}: {exc} (sktimbre --debug shows the traceback; "
                  f"please report it if it is not about your files)")
            return FAILED


def _traceback(exc: BaseException, debug: bool) -> None:
    if debug:
        import traceback

        traceback.print_exception(exc)

