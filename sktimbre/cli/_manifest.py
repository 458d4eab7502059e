"""The manifest of ``sktimbre fit``: a CSV of clip paths and labels, read with care.

What is wrong with the file itself (not UTF-8, not a table, no such column, no
rows) is a usage error, said in one line before anything is decoded. What is wrong
with a row (an empty path or label) makes that row bad, reported with the rows
whose files cannot be decoded, all at once.
"""

from __future__ import annotations

import csv
import io
import os
from typing import NamedTuple

from ._exit import UsageError, display


class Row(NamedTuple):
    """One clip of the manifest: where it is in the CSV, its path as written and resolved."""

    line: int
    name: str
    path: str
    label: str


class BadRow(NamedTuple):
    """A row that cannot be used, and why."""

    line: int
    name: str
    reason: str


def read_manifest(manifest: str, *, path_column: str,
                  label_column: str) -> tuple[list[Row], list[BadRow]]:
    """The rows of ``manifest``; paths relative to its folder.

    Returns
    -------
    rows : list of Row
        The usable rows, in file order.
    bad : list of BadRow
        Rows without a path or a label.

    Raises
    ------
    UsageError
        The file is missing, is not UTF-8 text, is not a CSV table, lacks one of
        the columns (the message lists the columns it has) or lists no clips.
    """
    name = display(manifest)
    if not os.path.isfile(manifest):
        what = "it is a folder" if os.path.isdir(manifest) else "no such file"
        raise UsageError(f"cannot read the manifest {name}: {what}")
    with open(manifest, "rb") as f:
        data = f.read()
    text = _decode(data, name)
    reader = csv.reader(io.StringIO(text, newline=""))
    records, line = [], 1  # (line on which the record starts, cells); blank lines skipped
    try:
        for record in reader:
            if any(cell.strip() for cell in record):
                records.append((line, record))
            line = reader.line_num + 1  # a quoted cell may span lines
    except csv.Error as exc:
        raise UsageError(f"{name} is not a CSV table (line {reader.line_num}: {exc})") from None
    if not records:
        raise UsageError(f"{name} is empty: a manifest is a CSV file with a header row naming "
                         f"its columns (e.g. {path_column},{label_column}) and one row per clip")
    (_, header), records = records[0], records[1:]
    header = [cell.strip() for cell in header]
    missing = [c for c in (path_column, label_column) if c not in header]
    if missing:
        hint = ""
        if len(header) == 1 and any(s in header[0] for s in ";\t|"):
            hint = " (is it separated by something else than commas? a CSV uses commas)"
        raise UsageError(
            f"{name} has no column {' and no column '.join(repr(c) for c in missing)}; its "
            f"columns are {', '.join(repr(c) for c in header)}{hint}: choose them with "
            f"--path-column and --label-column")
    if not records:
        raise UsageError(f"{name} lists no clips: it has a header row and nothing else")
    folder = os.path.dirname(os.path.abspath(manifest))
    at_path, at_label = header.index(path_column), header.index(label_column)
    rows, bad = [], []
    for line, record in records:
        cells = record + [""] * (len(header) - len(record))
        path, label = cells[at_path].strip(), cells[at_label].strip()
        if not path:
            bad.append(BadRow(line, "", f"no path in column '{path_column}'"))
        elif not label:
            bad.append(BadRow(line, path, f"no label in column '{label_column}'"))
        else:
            rows.append(Row(line, path, os.path.join(folder, path), label))
    return rows, bad


def _decode(data: bytes, name: str) -> str:
    if b"\0" in data[:8192]:
        raise UsageError(f"{name} is not a CSV file: it holds binary data (a manifest is a "
                         f"text table of clip paths and labels)")
    try:
        return data.decode("utf-8-sig")  # a byte order mark, as spreadsheets write, is fine
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise UsageError(
            f"{name} is not UTF-8 text (byte 0x{data[exc.start]:02x} on line {line}): save it "
            f"as UTF-8 (\"CSV UTF-8\" in spreadsheet programs)") from None

