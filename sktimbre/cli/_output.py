"""Output files: checked and reserved before the work, written atomically after it.

A command that runs for an hour must not find out at the end that it cannot
write, and must never leave a half-written file that looks complete (a full disk,
Ctrl-C, a crash). So the output's folder is checked by creating the temporary file
the output is written to -- next to it, so that :func:`os.replace` can move it into
place in one step -- before any audio is decoded; if anything goes wrong the
temporary file is removed and an existing file of that name is left as it was.
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
import tempfile
import warnings

import numpy as np

from ._exit import CommandFailed, UsageError, display

EMBEDDING_FORMATS = (".csv", ".npy", ".npz", ".parquet")
"""Extensions ``sktimbre embed -o`` writes (any case); ``-`` is CSV on stdout."""

PATHS_SIDECAR = ".paths.jsonl"
"""A ``.npy`` file's rows' paths go to ``OUT.paths.jsonl``: one JSON string per line, so
that a file name holding a newline cannot shift the lines against the rows."""


class OutputFile:
    """A file to be written at the end of a command, reserved at the start.

    Parameters
    ----------
    path : str
        Where the file goes. An existing file is replaced only once the new one is
        complete; a device or pipe (``/dev/stdout``, a FIFO) is written in place.

    Raises
    ------
    UsageError
        The path is a folder, its folder does not exist, or a file cannot be
        created there (permissions, a read-only file system).
    """

    def __init__(self, path: str):
        self.path = path
        self._temporary = None
        if os.path.isdir(path):
            raise UsageError(f"cannot write {display(path)}: it is a folder")
        if os.path.exists(path) and not os.path.isfile(path):
            self._target = path  # not a regular file: nothing to replace atomically
            return
        self._target = os.path.realpath(path)  # through a symlink, not over it
        folder = os.path.dirname(self._target)
        if not os.path.isdir(folder):
            raise UsageError(f"cannot write {display(path)}: there is no folder "
                             f"{display(os.path.dirname(os.path.abspath(path)))}")
        try:
            fd, self._temporary = tempfile.mkstemp(
                dir=folder, prefix=f".{os.path.basename(self._target)}.", suffix=".part")
        except OSError as exc:
            raise UsageError(f"cannot write {display(path)}: {exc.strerror or exc} (in folder "
                             f"{display(folder)})") from None
        os.close(fd)

    def __enter__(self) -> OutputFile:
        return self

    def __exit__(self, *exc) -> None:
        self.discard()

    def write(self, write_to) -> None:
        """Write the file with ``write_to(binary_file)``, then move it into place.

        Raises
        ------
        CommandFailed
            If writing fails (a full disk, an I/O error): nothing is left behind.
        """
        self._commit(lambda name: _write_file(name, write_to))

    def write_named(self, write_to_path) -> None:
        """As :meth:`write`, for writers that take a file name (``sktimbre.save``)."""
        self._commit(write_to_path)

    def _commit(self, write) -> None:
        if self._temporary is None:  # a device or pipe
            try:
                write(self._target)
            except OSError as exc:
                raise CommandFailed(f"could not write {display(self.path)}: "
                                    f"{exc.strerror or exc}") from exc
            return
        try:
            write(self._temporary)
            os.chmod(self._temporary, 0o666 & ~_umask())  # mkstemp made it private
            os.replace(self._temporary, self._target)
        except OSError as exc:
            self.discard()
            raise CommandFailed(f"could not write {display(self.path)}: "
                                f"{exc.strerror or exc}; nothing was written") from exc
        except BaseException:
            self.discard()
            raise
        self._temporary = None

    def discard(self) -> None:
        """Remove the temporary file, if the output was not written."""
        if self._temporary is not None:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self._temporary)
            self._temporary = None


def _write_file(name: str, write_to) -> None:
    with open(name, "wb") as f:
        write_to(f)
        f.flush()
        with contextlib.suppress(OSError):  # not on every file system, nor on a pipe
            os.fsync(f.fileno())


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


class EmbeddingsOutput:
    """What ``sktimbre embed -o OUT`` writes: checked and reserved up front.

    The format follows the extension, in any case (``OUT.NPY`` is ``.npy``), and the
    file written is the one named.

    Parameters
    ----------
    path : str
        ``.csv``, ``.npy`` (plus the sidecar ``.paths.jsonl``), ``.npz`` or
        ``.parquet``; ``-`` for CSV on stdout.
    """

    def __init__(self, path: str):
        self.path = path
        self.format = ".csv" if path == "-" else os.path.splitext(path)[1].lower()
        if self.format not in EMBEDDING_FORMATS:
            raise UsageError(f"cannot write {display(path)}: use .csv, .npy, .npz or .parquet "
                             f"(or - for CSV on stdout)")
        if self.format == ".parquet":
            try:
                import pandas  # noqa: F401
                import pyarrow  # noqa: F401
            except ImportError as exc:
                raise UsageError(f"writing .parquet needs pandas and pyarrow ({exc}): pip "
                                 f"install 'sktimbre[parquet]', or write .csv or .npz") from None
        self._files: list[OutputFile] = []
        try:
            if path != "-":
                self._files.append(OutputFile(path))
            if self.format == ".npy":
                self._files.append(OutputFile(self.sidecar))
        except UsageError:
            self.discard()
            raise

    @property
    def sidecar(self) -> str:
        """``OUT.paths.jsonl`` for a ``.npy`` output."""
        return os.path.splitext(self.path)[0] + PATHS_SIDECAR

    def __enter__(self) -> EmbeddingsOutput:
        return self

    def __exit__(self, *exc) -> None:
        self.discard()

    def discard(self) -> None:
        """Remove what was reserved and not written."""
        for file in self._files:
            file.discard()

    def describe(self) -> str:
        """Where the embeddings went, for the summary line."""
        if self.path == "-":
            return "stdout"
        if self.format == ".npy":
            return f"{display(self.path)} (paths in {display(self.sidecar)})"
        return display(self.path)

    def write(self, E: np.ndarray, paths: list[str], columns=None) -> None:
        """Write the embeddings and their paths, under the model's column names."""
        if columns is None or len(columns) != E.shape[1]:
            from ..projection import timbre_dimension_names

            columns = timbre_dimension_names(E.shape[1])
        columns = [str(c) for c in columns]
        if self.path == "-":
            try:
                _write_csv(sys.stdout.buffer, E, paths, columns)
                sys.stdout.buffer.flush()
            except BrokenPipeError:
                raise  # the reader went away: not an error to report
            except OSError as exc:
                silence_stdout()
                raise CommandFailed(f"could not write to stdout: {exc.strerror or exc}") from exc
        elif self.format == ".csv":
            self._files[0].write(lambda f: _write_csv(f, E, paths, columns))
        elif self.format == ".npz":
            self._files[0].write(lambda f: np.savez(
                f, embeddings=E, paths=np.asarray(paths, dtype=str)))
        elif self.format == ".npy":
            self._files[0].write(lambda f: np.save(f, E, allow_pickle=False))
            self._files[1].write(lambda f: _write_json_lines(f, paths))
        else:
            self._files[0].write(lambda f: _write_parquet(f, E, paths, columns))


def silence_stdout() -> None:
    """Point stdout at /dev/null, so that Python's final flush of what could not be
    written does not fail a second time with its own message."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)


def _write_csv(f, E, paths, columns) -> None:
    import csv

    # Paths are written as the file system gives them: a name that is not UTF-8 keeps
    # its bytes (surrogateescape), so the path in the table opens that file.
    text = io.TextIOWrapper(f, encoding="utf-8", errors="surrogateescape", newline="")
    writer = csv.writer(text)  # quotes a name holding a comma, quote or newline
    writer.writerow(["path"] + columns)
    for path, row in zip(paths, E, strict=True):
        writer.writerow([path] + [f"{v:.9g}" for v in row])
    text.flush()
    text.detach()


def _write_json_lines(f, paths) -> None:
    import json

    # ensure_ascii: a name that is not UTF-8 is written as \udcXX escapes, which
    # json.loads turns back into the str that os.fsencode maps to the same bytes.
    f.write("".join(json.dumps(p) + "\n" for p in paths).encode("ascii"))


def _write_parquet(f, E, paths, columns) -> None:
    import pandas as pd

    text = [os.fsencode(p).decode("utf-8", "backslashreplace") for p in paths]
    changed = sum(a != b for a, b in zip(text, paths, strict=True))
    if changed:  # Parquet text is UTF-8: such names can only be written escaped
        warnings.warn(f"{changed} file name(s) are not valid UTF-8 and are written with "
                      f"\\x escapes in the Parquet file (.csv and .npz keep them exactly)",
                      stacklevel=2)
    frame = pd.DataFrame(E, columns=columns)
    frame.insert(0, "path", text)
    frame.to_parquet(f, index=False)
