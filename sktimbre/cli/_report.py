"""Telling the user which files failed, and what that does to the exit status."""

from __future__ import annotations

import sys

from ._exit import FAILED, SUCCESS, display


def report_failures(failures, *, skip_errors: bool, what: str = "embedded") -> int:
    """List every file that failed (``path: reason``) on stderr; return the exit status.

    Parameters
    ----------
    failures : list of (source, reason)
    skip_errors : bool
        ``--skip-errors``: the failures are reported, and the status is 0.
    what : str
        Past participle for the heading ("could not be embedded").

    Returns
    -------
    status : int
        0 if there were none or ``skip_errors``, else 1.
    """
    if not failures:
        return SUCCESS
    print(f"sktimbre: {len(failures)} file(s) could not be {what}:", file=sys.stderr)
    for source, reason in failures:
        print(f"  {display(source)}: {reason}", file=sys.stderr)
    if skip_errors:
        return SUCCESS
    print("sktimbre: (--skip-errors makes this exit status 0)", file=sys.stderr)
    return FAILED
