"""What ``sktimbre index``, ``similar --index`` and ``map`` share: loading and building
a :class:`~sktimbre.TimbreIndex`, and printing neighbours as a table, CSV or JSON."""

from __future__ import annotations

import csv
import json
import os
import sys
import warnings

import numpy as np

from ._exit import UsageError, display

NOTE_NAMES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")


def load_index(path: str):
    """The index in ``path``; :class:`UsageError` if there is none or it is unusable."""
    from ..index import TimbreIndex
    from ..persistence import InvalidModelFileError

    if not os.path.isfile(path):
        raise UsageError(f"no index file {display(path)} (make one with `sktimbre index DIR "
                         f"-o {display(path)}`)")
    try:
        return TimbreIndex.load(path)
    except InvalidModelFileError as exc:
        raise UsageError(str(exc)) from None


def embedder_for(model: str | None):
    """``"default"``, or the fitted embedder of audio that ``--model FILE`` holds."""
    from ._models import DEFAULT, load_embedder

    return DEFAULT if model in (None, DEFAULT) else load_embedder(model)


def build_index(paths: list[str], *, model, pitch: bool, metric: str, jobs: int,
                quiet: bool):
    """A TimbreIndex of the files (failures in ``failures_``, reported by the caller)."""
    from ..index import TimbreIndex
    from ..io import ClipWarning

    index = TimbreIndex(embedder=embedder_for(model), metric=metric, pitch=pitch,
                        n_jobs=jobs, verbose=not quiet)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ClipWarning)  # listed by report_failures instead
        try:
            index.fit(paths)
        except ValueError as exc:  # e.g. none of the files could be embedded
            from ._exit import CommandFailed

            raise CommandFailed(str(exc)) from None
    return index


def shown(path) -> str:
    """A path as people read it: relative to the current folder when inside it."""
    if not isinstance(path, str):
        return str(path)
    relative = os.path.relpath(path)
    return display(path if relative.startswith(os.pardir) else relative)


def note_name(hz) -> str:
    """``C4`` for 261.6 Hz; ``-`` when unknown."""
    if hz is None or not hz > 0:
        return "-"
    midi = int(round(69 + 12 * np.log2(hz / 440.0)))
    return f"{NOTE_NAMES[midi % 12]}{midi // 12 - 1}"


def print_neighbours(results, *, fmt: str, metric: str, source: str, pitch=None,
                     name=display) -> None:
    """Neighbours of each query, as a table per query, CSV or JSON, on stdout.

    ``results`` holds ``(query, distances, paths)``; ``pitch`` maps a path to its
    pitch estimate in Hz (or None), if known; ``name`` shows a path in the table.
    """
    out = sys.stdout
    pitch_of = pitch or (lambda path: None)
    if fmt == "json":
        json.dump([{"query": q, "metric": metric, "neighbours": [
            {"rank": r, "path": p, "distance": float(d), "pitch_hz": pitch_of(p)}
            for r, (d, p) in enumerate(zip(dist, paths, strict=True), start=1)]}
            for q, dist, paths in results], out, indent=1)
        out.write("\n")
    elif fmt == "csv":
        writer = csv.writer(out)
        writer.writerow(["query", "rank", "distance", "path", "pitch_hz"])
        for q, dist, paths in results:
            for r, (d, p) in enumerate(zip(dist, paths, strict=True), start=1):
                hz = pitch_of(p)
                writer.writerow([q, r, f"{d:.6g}", p, "" if hz is None else hz])
    else:
        for n, (q, dist, paths) in enumerate(results):
            if n:
                out.write("\n")
            out.write(f"nearest to {display(q)} ({metric} distance; {source})\n")
            out.write(f"{'rank':>4}  {'distance':>8}  " + ("pitch  " if pitch else "") + "clip\n")
            for r, (d, p) in enumerate(zip(dist, paths, strict=True), start=1):
                note = f"{note_name(pitch_of(p)):<5}  " if pitch else ""
                out.write(f"{r:>4}  {d:8.3f}  {note}{name(p)}\n")
    out.flush()
