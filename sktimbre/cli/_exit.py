"""Exit statuses, the errors that end a command, and printing for people.

The statuses follow pip and POSIX shells: 0 done, 1 something failed (some files
could not be used, a write failed), 2 the command line or a file named on it is
unusable (nothing was done), 130 interrupted by Ctrl-C.
"""

from __future__ import annotations

import os
import sys

SUCCESS = 0
FAILED = 1
USAGE = 2
INTERRUPTED = 130  # 128 + SIGINT, what shells report for a process ended by Ctrl-C


class UsageError(Exception):
    """Unusable arguments or input named on the command line; exit status 2.

    Raised before any audio is decoded, whenever that can be known up front.
    """


class CommandFailed(Exception):
    """The work could not be completed (nothing written); exit status 1."""


def display(path) -> str:
    r"""A path as one printable line: bytes that are not UTF-8 and control characters
    (newlines, terminal escapes) are shown as backslash escapes.

    File names are bytes on POSIX; Python keeps those that are not UTF-8 as lone
    surrogates, which a terminal cannot show and a strict stream refuses to encode.

    Examples
    --------
    >>> import os
    >>> from sktimbre.cli._exit import display
    >>> display(os.fsdecode(b"caf\xe9.wav")), display("a\nb.wav"), display("ok.wav")
    ('caf\\xe9.wav', 'a\\nb.wav', 'ok.wav')
    """
    text = os.fsencode(path).decode("utf-8", "backslashreplace")
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii")
                   for c in text)


def say(message: str, *, quiet: bool = False) -> None:
    """One informational line on stderr (``sktimbre: ...``), unless ``quiet``."""
    if not quiet:
        print(f"sktimbre: {message}", file=sys.stderr)


def error(message: str) -> None:
    """One error line on stderr: ``sktimbre: error: ...``."""
    print(f"sktimbre: error: {message}", file=sys.stderr)
