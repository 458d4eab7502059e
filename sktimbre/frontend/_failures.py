"""The batch policy for unusable clips: what ``on_error`` does with a failure.

Every entry point treats a bad clip the same way:

* ``"raise"``: the first unusable clip raises :class:`~sktimbre.io.InvalidClipError`;
* ``"warn"``: its rows become NaN, and one :class:`~sktimbre.io.ClipWarning` lists
  every failed clip of the call;
* ``"nan"``: its rows become NaN, silently; the failures are only recorded.

A failure travels as a :class:`ClipFailure` object from where it happens (decoding,
a worker that died) to the front end's ``failures_``: never as a message to be
parsed back. Fitting never uses NaN rows: :func:`check_fit_failures` turns recorded
failures into an error that lists them all.
"""

from __future__ import annotations

import warnings
from typing import NamedTuple

from ..io import ClipWarning, InvalidClipError

__all__ = ["ON_ERROR", "ClipFailure", "check_fit_failures", "report_failures"]

ON_ERROR = ("raise", "warn", "nan")
"""Accepted values of ``on_error``."""


class ClipFailure(NamedTuple):
    """One clip that could not be used: its position in ``X``, its path, and why.

    Examples
    --------
    >>> from sktimbre.frontend import ClipFailure
    >>> failure = ClipFailure(3, "gone.wav", "file not found")
    >>> failure.shifted(100).index
    103
    >>> str(failure.error())
    'clip 3 (gone.wav): file not found'
    """

    index: int
    source: str
    reason: str

    @classmethod
    def from_error(cls, error: InvalidClipError) -> ClipFailure:
        """The failure an :class:`~sktimbre.io.InvalidClipError` reports."""
        return cls(int(error.index), error.source, error.reason)

    def shifted(self, start: int) -> ClipFailure:
        """The same failure numbered in a batch where its chunk starts at ``start``."""
        return self._replace(index=self.index + start)

    def error(self) -> InvalidClipError:
        """This failure as the error ``on_error="raise"`` raises."""
        return InvalidClipError(self.index, self.source, self.reason)


def _describe(failures, limit: int = 20) -> str:
    lines = [f"  clip {f.index} ({f.source}): {f.reason}" for f in failures[:limit]]
    if len(failures) > limit:
        lines.append(f"  ... and {len(failures) - limit} more")
    return "\n".join(lines)


def report_failures(failures, n_clips: int, on_error: str, *, stacklevel: int = 3) -> None:
    """Warn once about every failed clip if ``on_error="warn"``; otherwise stay quiet.

    Parameters
    ----------
    failures : list of ClipFailure
    n_clips : int
        Clips in the call.
    on_error : {"raise", "warn", "nan"}
    stacklevel : int, default=3
        As :func:`warnings.warn`.
    """
    if failures and on_error == "warn":
        warnings.warn(
            f"{len(failures)} of {n_clips} clips could not be used and give NaN rows:\n"
            + _describe(failures, limit=len(failures)),
            ClipWarning,
            stacklevel=stacklevel,
        )


def check_fit_failures(failures, n_clips: int) -> None:
    """Refuse to fit on NaN rows: raise :class:`InvalidClipError` listing every failed clip.

    Parameters
    ----------
    failures : list of ClipFailure
    n_clips : int
        Clips in the call.

    Raises
    ------
    InvalidClipError
        Naming the first failed clip, with every failure listed in the message.
    """
    if not failures:
        return
    first = failures[0]
    others = f"\n{len(failures)} of {n_clips} clips failed:\n{_describe(failures)}"
    raise InvalidClipError(
        first.index,
        first.source,
        f"{first.reason}; cannot fit on a clip that failed (on_error only lets transform "
        f"continue past bad clips): remove the failed clips from X and y, then fit again"
        + (others if len(failures) > 1 else ""),
    )
