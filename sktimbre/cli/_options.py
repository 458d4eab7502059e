"""Argument parsing shared by the commands: the parser, value checks, common options."""

from __future__ import annotations

import argparse
import sys
import textwrap

from ._exit import USAGE


class Parser(argparse.ArgumentParser):
    """An ArgumentParser whose usage errors are one line (exit status 2)."""

    def error(self, message: str):
        # argparse prints the whole usage block first; one line says it all and
        # `--help` is there for the rest.
        print(f"{self.prog}: error: {message} (see '{self.prog} --help')", file=sys.stderr)
        raise SystemExit(USAGE)


RawHelp = argparse.RawDescriptionHelpFormatter


def fill(text: str) -> str:
    """A help paragraph wrapped to 79 columns."""
    return textwrap.fill(text, 79)


def jobs(text: str) -> int:
    """``-j``: a number of worker processes as joblib counts them (-1: one per core)."""
    value = _integer(text)
    if value == 0:
        raise argparse.ArgumentTypeError(
            "0 worker processes: give 1 or more, or -1 for one per core")
    return value


def positive(text: str) -> int:
    """A count that must be at least 1."""
    value = _integer(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def non_negative(text: str) -> int:
    """A count that may be 0."""
    value = _integer(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {value}")
    return value


def _integer(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None


def general_options() -> Parser:
    """``--quiet`` and ``--debug``, accepted before and after the command name."""
    parent = Parser(add_help=False)
    group = parent.add_argument_group("general options")
    # SUPPRESS: a subcommand's default must not undo `sktimbre --debug COMMAND`
    group.add_argument("-q", "--quiet", action="store_true", default=argparse.SUPPRESS,
                       help="no progress bar and no summary lines (errors are still shown)")
    group.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                       help="show the Python traceback of an error")
    return parent


def add_model(parser: argparse.ArgumentParser) -> None:
    """``--model FILE``: a saved embedder or ``default``."""
    parser.add_argument(
        "--model", default="default", metavar="FILE",
        help="saved embedder (sktimbre fit / sktimbre.save), or 'default': the pretrained "
             "one (the default)")


def add_jobs(parser: argparse.ArgumentParser) -> None:
    """``-j/--jobs N``."""
    from ._extract import IN_PROCESS_BELOW

    parser.add_argument(
        "-j", "--jobs", "--n-jobs", dest="jobs", type=jobs, default=1, metavar="N",
        help=f"worker processes for decoding and analysis (default 1; -1: one per core); "
             f"fewer than {IN_PROCESS_BELOW} files per worker are done in this process, "
             f"where that is faster")


def add_skip_errors(parser: argparse.ArgumentParser, what: str) -> None:
    """``--skip-errors``."""
    parser.add_argument("--skip-errors", action="store_true", help=what)
