"""A one-line progress bar for the command line, shown only on a terminal."""

from __future__ import annotations

import sys
import time


class ProgressBar:
    """Redraw ``label [#####.....] done/total  elapsed`` on one line of a stream.

    Silent unless the stream is a terminal, so that piped or redirected output
    (and log files) stay clean.

    Parameters
    ----------
    total : int
        Number of items.
    label : str, default=""
        Shown before the bar.
    stream : file, default=sys.stderr
    enabled : bool or None, default=None
        Force on or off; ``None``: on when ``stream.isatty()``.

    Examples
    --------
    >>> import io
    >>> from sktimbre._progress import ProgressBar
    >>> stream = io.StringIO()
    >>> bar = ProgressBar(4, label="embedding", stream=stream, enabled=True)
    >>> bar.update(2)
    >>> stream.getvalue().split("]")[0]
    '\\rembedding [##########----------'
    >>> bar.close()
    >>> ProgressBar(4, stream=io.StringIO()).enabled  # not a terminal
    False
    """

    width = 20

    def __init__(self, total: int, label: str = "", *, stream=None, enabled=None):
        self.total, self.label = max(int(total), 0), label
        self.stream = sys.stderr if stream is None else stream
        if enabled is None:
            enabled = bool(getattr(self.stream, "isatty", lambda: False)())
        self.enabled = enabled
        self.done = 0
        self._start = time.monotonic()
        self._drawn = False

    def update(self, n: int = 1) -> None:
        """Count ``n`` more items done and redraw."""
        self.done = min(self.done + n, self.total)
        if not self.enabled:
            return
        filled = self.width * self.done // max(self.total, 1)
        elapsed = time.monotonic() - self._start
        self.stream.write(f"\r{self.label} [{'#' * filled}{'-' * (self.width - filled)}] "
                          f"{self.done}/{self.total}  {elapsed:.0f} s")
        self.stream.flush()
        self._drawn = True

    def close(self) -> None:
        """End the bar's line, if one was drawn."""
        if self._drawn:
            self.stream.write("\n")
            self.stream.flush()
            self._drawn = False
