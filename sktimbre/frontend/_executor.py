"""The executor: from clips to each family's rows, computing every analysis once.

One clip's path through sktimbre, read downward::

    extract(X, families)                  X: a ClipBatch, or a ClipStream in chunks
      decode_clips(chunk)                 load, validate, trim  -> ClipBatch + failures
      describe_batch(batch, families)
        for each family:
          iter_inputs(batch, family.required_analyses())
            analysis_groups(batch, analysis)      computed once per clip, memoised
              Analysis.compute(...)  -> sktimbre._dsp
          family.describe(sr=..., **inputs)       pure: analyses in, rows out
      -> Extraction(rows, failures)

Families declare what they need (:meth:`DescriptorFamily.required_analyses`) and
turn it into rows (:meth:`DescriptorFamily.describe`); they never see a batch or a
stream, and nothing calls back up. Clips are computed in stacks of equal shape
(at most 16: larger stacks outgrow the CPU caches) so that the DSP is vectorised
over clips.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from functools import partial
from typing import NamedTuple

import numpy as np

from ..io import InvalidClipError, source_name
from ._analyses import Analysis
from ._batch import ClipBatch, ClipStream, DecodeSettings, decode_clips
from ._cache import RowCache, clip_key, family_token
from ._failures import ClipFailure, check_fit_failures, report_failures
from ._parallel import effective_n_jobs, run_chunks, single_blas_thread

__all__ = ["Extraction", "extract", "describe_batch", "analysis_groups", "iter_inputs"]

ANALYSIS_BUDGET = 2 * 2**30
"""Bytes the analyses of one clip may take (2 GiB): a clip whose declared analyses
would take more -- a very long clip, or settings such as ``hop_length=1`` -- is
refused before any is computed, as an unusable clip (``on_error``)."""

# Clips analysed (and described) together at most: larger stacks of spectrograms
# outgrow the CPU caches, and the float64 intermediates of the families then cost
# more in memory traffic than the vectorisation saves.
_STACK = 16


class Extraction(NamedTuple):
    """What :func:`extract` returns: every family's rows, and the clips that failed.

    Attributes
    ----------
    rows : list of ndarray
        One ``(n_clips, n_features)`` block per family, in the families' order; NaN
        rows for the failed clips.
    failures : list of ClipFailure
        The failed clips, numbered in ``X``.
    """

    rows: list
    failures: list


def extract(X: ClipBatch | ClipStream, families: Sequence) -> Extraction:
    """Every family's rows for every clip of a batch or stream, in one pass.

    Parameters
    ----------
    X : ClipBatch or ClipStream
        From :class:`~sktimbre.AudioFrontEnd`.
    families : sequence of DescriptorFamily

    Returns
    -------
    extraction : Extraction

    Raises
    ------
    InvalidClipError
        A stream's first unusable clip with ``on_error="raise"``, or every failed
        clip of a stream made for fitting.

    Examples
    --------
    >>> import numpy as np
    >>> from sktimbre import AudioFrontEnd, MFCC, SpectralContrast
    >>> from sktimbre.frontend import extract
    >>> X = [np.random.default_rng(0).normal(size=8000), np.array([np.nan])]
    >>> batch = AudioFrontEnd(on_error="nan").transform(X)
    >>> rows, failures = extract(batch, [MFCC(n_mfcc=5), SpectralContrast()])
    >>> [r.shape for r in rows], failures[0].reason
    ([(2, 5), (2, 7)], 'contains NaN or infinite samples')
    """
    families = list(families)
    if isinstance(X, ClipStream):
        return _extract_stream(X, families)
    with single_blas_thread():
        return Extraction(describe_batch(X, families), X.failures())


def describe_batch(batch: ClipBatch, families: Sequence) -> list[np.ndarray]:
    """Rows of each family for the clips of a decoded batch (NaN for failed clips).

    Parameters
    ----------
    batch : ClipBatch
    families : sequence of DescriptorFamily

    Returns
    -------
    rows : list of ndarray of shape (len(batch), n_features)
    """
    _refuse_oversized(batch, families)
    blocks = []
    for family in families:
        block = np.full((len(batch), len(family.get_feature_names_out())), np.nan)
        for idx, inputs in iter_inputs(batch, family.required_analyses()):
            block[idx] = family.describe(sr=batch.sr, **inputs)
        blocks.append(block)
    return blocks


def declared_analyses(families: Sequence) -> list[Analysis]:
    """Every analysis the families declare, and those they are computed from, inputs first.

    What the executor computes for one chunk of clips, each analysis once, in an
    order in which every analysis comes after the ones it requires.

    Parameters
    ----------
    families : sequence of DescriptorFamily

    Returns
    -------
    analyses : list of Analysis
        Without repetitions.

    Examples
    --------
    >>> from sktimbre import MFCC, SpectralContrast
    >>> from sktimbre.frontend import declared_analyses
    >>> [type(a).__name__ for a in declared_analyses([MFCC(), SpectralContrast()])]
    ['STFT', 'MelSpectrogram', 'FrameDescriptors', 'FrameEnergy', 'FrameDescriptors']
    """
    found: list[Analysis] = []

    def visit(analysis):
        if analysis not in found:
            for required in analysis.requires():
                visit(required)
            found.append(analysis)

    for family in families:
        for analysis in family.required_analyses().values():
            visit(analysis)
    return found


def _refuse_oversized(batch: ClipBatch, families: Sequence) -> None:
    """Refuse, before computing anything, the clips whose analyses would not fit the budget."""
    pending = [a for a in declared_analyses(families) if a not in batch._computed]
    needs: dict[int, int] = {}  # bytes by clip length: many clips share one
    for i, clip in enumerate(batch.clips):
        if clip is None:
            continue
        if len(clip) not in needs:
            needs[len(clip)] = sum(a.nbytes(len(clip)) for a in pending)
        need = needs[len(clip)]
        if need > ANALYSIS_BUDGET:
            batch.refuse(i, (
                f"analysing it would take {need / 2**30:.1f} GiB, above the "
                f"{ANALYSIS_BUDGET / 2**30:.0f} GiB a clip may take ({len(clip) / batch.sr:.0f}"
                " s with these analysis settings; a small hop_length multiplies the frames): "
                "cut the clip, or raise hop_length"))


def analysis_groups(batch: ClipBatch, analysis: Analysis) -> list[tuple[np.ndarray, np.ndarray]]:
    """An analysis of every valid clip of a batch, computed once and then reused.

    Parameters
    ----------
    batch : ClipBatch
    analysis : Analysis

    Returns
    -------
    groups : list of (indices, stack)
        For each group of clips computed together, their indices in the batch and
        the analysis as an array ``(len(indices), ...)``.
    """
    if analysis not in batch._computed:
        requires = analysis.requires()
        if requires:
            groups = [(idx, analysis.compute(tuple(inputs.values()), batch.sr))
                      for idx, inputs in iter_inputs(batch, dict(enumerate(requires)))]
        else:
            groups = [(idx, analysis.compute((_padded_stack(batch, idx),), batch.sr))
                      for idx in _source_groups(batch, analysis)]
        batch._computed[analysis] = groups
        batch.analysis_count[analysis] += sum(len(idx) for idx, _ in groups)
    return batch._computed[analysis]


def iter_inputs(batch: ClipBatch, analyses: Mapping) -> Iterator[tuple[np.ndarray, dict]]:
    """Groups of clips with every requested analysis stacked alike.

    Parameters
    ----------
    batch : ClipBatch
    analyses : mapping of name to Analysis
        What a family asks for (:meth:`DescriptorFamily.required_analyses`).

    Yields
    ------
    indices : ndarray of int
        Clips of the group, indices in the batch.
    inputs : dict of name to ndarray
        Each analysis of those clips, stacked along the first axis. Where the
        clips were computed as one stack, that stack itself (no copy).
    """
    names = list(analyses)
    if not names:
        return
    all_groups = [analysis_groups(batch, analyses[name]) for name in names]
    # where[j][clip] = (group, row) of the clip in the j-th analysis
    where = [{int(c): (g, r) for g, (idx, _) in enumerate(groups) for r, c in enumerate(idx)}
             for groups in all_groups]
    together: dict[tuple, list[int]] = {}  # clips in the same group of every analysis
    for idx, _ in all_groups[0]:
        for clip in idx.tolist():
            together.setdefault(tuple(w[clip][0] for w in where), []).append(clip)
    for key, clips in together.items():
        inputs = {}
        for name, groups, w, g in zip(names, all_groups, where, key, strict=True):
            idx, stack = groups[g]
            rows = [w[c][1] for c in clips]
            if len(rows) == len(idx):
                inputs[name] = stack
            elif rows == list(range(rows[0], rows[0] + len(rows))):
                inputs[name] = stack[rows[0]:rows[0] + len(rows)]
            else:
                inputs[name] = stack[rows]
        yield np.asarray(clips), inputs


def _source_groups(batch: ClipBatch, analysis: Analysis) -> list[np.ndarray]:
    """Valid clips grouped by the analysis' group key, in stacks of at most 16.

    A group of more is split into stacks of nearly equal sizes (19 clips: 10 and 9,
    not 16 and 3): every analysis and family call has a fixed cost, which clips alone
    in their stack pay in full.
    """
    by_key: dict = {}
    for i, clip in enumerate(batch.clips):
        if clip is not None:
            by_key.setdefault(analysis.group_key(len(clip)), []).append(i)
    return [np.asarray(part) for idx in by_key.values()
            for part in np.array_split(idx, -(-len(idx) // _STACK))]


def _padded_stack(batch: ClipBatch, indices) -> np.ndarray:
    if len(indices) == 1:  # a clip alone: itself, not a copy (analyses only read it)
        return np.asarray(batch.clips[indices[0]], dtype=np.float32)[None]
    length = max(len(batch.clips[i]) for i in indices)
    out = np.empty((len(indices), length), dtype=np.float32)  # only the padding is zeroed
    for row, i in zip(out, indices, strict=True):
        n = len(batch.clips[i])
        row[:n] = batch.clips[i]
        row[n:] = 0.0
    return out


# ----------------------------------------------------------------------------- streams


def _extract_stream(stream: ClipStream, families: list) -> Extraction:
    settings = stream.settings
    if isinstance(stream.cache, RowCache):
        rows, failures = _cached_rows(stream, families, stream.cache)
    else:
        rows, failures = _stream_rows(stream.items, settings, families, stream.n_jobs,
                                      stream.batch_size)
    stream._failures[:] = failures
    if stream.for_fit:
        check_fit_failures(failures, len(stream))
    report_failures(failures, len(stream), settings.on_error, stacklevel=5)
    return Extraction(rows, failures)


def _chunk_bounds(n: int, batch_size: int, n_jobs) -> list[tuple[int, int]]:
    """``[start, stop)`` of chunks of at most ``batch_size`` items, of nearly equal sizes.

    Equal sizes rather than a short last chunk: clips are stacked within a chunk, and a
    chunk of a few clips stacks badly.
    """
    size = batch_size
    if n_jobs not in (None, 1):  # enough chunks to keep every worker busy
        workers = n_jobs if n_jobs > 0 else 8
        size = max(1, min(size, -(-n // (4 * workers))))
    n_chunks = -(-n // size)
    bounds = [n * k // n_chunks for k in range(n_chunks + 1)] if n_chunks else [0]
    return list(zip(bounds[:-1], bounds[1:], strict=True))


def _stream_rows(items: list, settings: DecodeSettings, families: list, n_jobs,
                 batch_size: int) -> tuple[list, list]:
    """Rows and failures of ``items``, chunk by chunk, in workers if asked."""
    n_jobs = effective_n_jobs(n_jobs)
    chunks = [(items[a:b], a, settings, families)
              for a, b in _chunk_bounds(len(items), batch_size, n_jobs)]
    if n_jobs in (None, 1):
        results = [_describe_chunk(*chunk) for chunk in chunks]
    else:  # workers return only the rows; a worker that dies is isolated, not fatal
        results = run_chunks(_describe_chunk, chunks, n_jobs=n_jobs,
                             on_crash=partial(_crashed_clip, settings=settings,
                                              families=families))
    rows = [np.concatenate([r[j] for r, _ in results]) for j in range(len(families))]
    return rows, [f for _, chunk_failures in results for f in chunk_failures]


def _describe_chunk(items, start: int, settings: DecodeSettings, families):
    """Worker: decode and describe one chunk; return the rows (small) and failures."""
    with single_blas_thread():
        batch = decode_clips(items, start, settings)
        return describe_batch(batch, families), batch.failures()


def _crashed_clip(item, index: int, reason: str, *, settings, families):
    """A clip that killed its worker: raise, or NaN rows recorded as a failure."""
    failure = ClipFailure(index, source_name(item), reason)
    if settings.on_error == "raise":
        raise failure.error()
    rows = [np.full((1, len(f.get_feature_names_out())), np.nan) for f in families]
    return rows, [failure]


def _cached_rows(stream: ClipStream, families: list, cache: RowCache) -> tuple[list, list]:
    """Rows from the cache; only the families missing for some clip are computed, for those."""
    keys = [clip_key(item) for item in stream.items]
    tokens = [family_token(f, stream.settings) for f in families]
    blocks = [np.empty((len(keys), len(f.get_feature_names_out()))) for f in families]
    missing = set()  # families with a clip to compute
    todo = set()  # clips with a missing family
    for j, token in enumerate(tokens):
        for i, key in enumerate(keys):
            row = cache.get((token, key))
            if row is None:
                missing.add(j)
                todo.add(i)
            else:
                blocks[j][i] = row
    failures = []
    if todo:
        todo, missing = sorted(todo), sorted(missing)
        try:
            rows, sub_failures = _stream_rows([stream.items[i] for i in todo], stream.settings,
                                              [families[j] for j in missing], stream.n_jobs,
                                              stream.batch_size)
        except InvalidClipError as exc:  # numbered in the sub-list: renumber in X
            raise InvalidClipError(todo[exc.index], exc.source, exc.reason) from None
        failures = [f._replace(index=todo[f.index]) for f in sub_failures]
        failed = {f.index for f in failures}
        for j, fresh in zip(missing, rows, strict=True):
            blocks[j][todo] = fresh
            for i, row in zip(todo, fresh, strict=True):
                if i not in failed:
                    cache.put((tokens[j], keys[i]), row)
    return blocks, failures
