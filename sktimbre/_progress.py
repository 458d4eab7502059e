"""A one-line progress bar for the command line, shown only on a terminal."""

from __future__ import annotations

import shutil
import sys
import time


def _clock(seconds: float) -> str:
    """``0:07``, ``12:34``, ``1:02:03``."""
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes}:{seconds:02d}"


class ProgressBar:
    """Redraw ``label [####------] done/total  pct  rate  ETA`` on one line of a stream.

    As tqdm does: the rate is the average since the start, the ETA the time the
    remaining items take at that rate; once done, the line shows the total time.
    Silent unless the stream is a terminal, so that piped or redirected output
    (and log files) stay clean. Redraws at most ten times a second.

    Parameters
    ----------
    total : int
        Number of items.
    label : str, default=""
        Shown before the bar.
    unit : str, default="files"
        What the items are, for the rate (``12.5 files/s``).
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
    >>> "2/4  50%" in stream.getvalue() and "files/s" in stream.getvalue()
    True
    >>> bar.close()
    >>> ProgressBar(4, stream=io.StringIO()).enabled  # not a terminal
    False
    """

    width = 20
    min_interval = 0.1

    def __init__(self, total: int, label: str = "", *, unit: str = "files", stream=None,
                 enabled: bool | None = None):
        self.total, self.label, self.unit = max(int(total), 0), label, unit
        self.stream = sys.stderr if stream is None else stream
        if enabled is None:
            enabled = bool(getattr(self.stream, "isatty", lambda: False)())
        self.enabled = enabled
        self.done = 0
        self._start = time.monotonic()
        self._last_draw = -float("inf")
        self._drawn = False

    def __enter__(self) -> ProgressBar:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def update(self, n: int = 1) -> None:
        """Count ``n`` more items done and redraw (at most every ``min_interval`` s)."""
        self.done = min(self.done + n, self.total)
        now = time.monotonic()
        finished = self.done == self.total
        if self.enabled and (finished or now - self._last_draw >= self.min_interval):
            self._draw(now)

    def _line(self, now: float) -> str:
        filled = self.width * self.done // max(self.total, 1)
        elapsed = now - self._start
        percent = 100 * self.done // max(self.total, 1)
        line = (f"{self.label} [{'#' * filled}{'-' * (self.width - filled)}] "
                f"{self.done}/{self.total} {percent:3d}%")
        if self.done and elapsed > 0:
            rate = self.done / elapsed
            line += f"  {rate:.3g} {self.unit}/s"
            if self.done < self.total:
                line += f"  ETA {_clock((self.total - self.done) / rate)}"
        if self.done == self.total:
            line += f"  in {_clock(elapsed)}"
        # A line longer than the terminal wraps, and "\r" would then redraw only its end.
        columns = shutil.get_terminal_size((80, 24)).columns
        return line[: max(columns - 1, 20)]

    def _draw(self, now: float) -> None:
        self.stream.write("\r" + self._line(now))
        self.stream.flush()
        self._last_draw = now
        self._drawn = True

    def close(self) -> None:
        """Draw the final state and end the bar's line, if one was drawn."""
        if self._drawn:
            self._draw(time.monotonic())
            self.stream.write("\n")
            self.stream.flush()
            self._drawn = False
