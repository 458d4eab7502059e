"""``sktimbre fit``: fit the default embedder on a labelled manifest and save it."""

from __future__ import annotations

import os
import time
import zlib

import numpy as np

from ..embedder import PROJECTIONS
from ._exit import CommandFailed, UsageError, display, say
from ._extract import chunk_size, prepare, transform_chunk
from ._manifest import BadRow, read_manifest
from ._options import RawHelp, add_jobs, add_skip_errors, fill, non_negative
from ._output import OutputFile

NAME = "fit"

_SEED = 0
"""Seed of the augmented copies (with each clip's path): the same manifest gives the same
model."""

UNSUPERVISED = ("pca",)
"""Projections that do not learn from the labels (all others need two or more)."""

EPILOG = """\
The manifest is a UTF-8 CSV file with a header row, a column of audio paths
(relative to the CSV's folder) and a column of labels (instrument names, program
numbers: any text).

Every clip is decoded once. Rows that cannot be used (no path or label, a missing
or undecodable file) are all listed at the end, with their line in the manifest;
without --skip-errors nothing is then saved and the exit status is 1; with it the
model is fitted on the other rows and the skipped ones are recorded in its
metadata (`sktimbre info MODEL` shows them). The model file is written only once
fitting succeeded, through a temporary file next to it.

examples:
  sktimbre fit manifest.csv -o my_model.skt
  sktimbre fit notes.csv --path-column file --label-column instrument -o m.skt -j 2
  sktimbre fit notes.csv --projection pitch-null-lda --skip-errors -o m.skt
  sktimbre embed new/ --model my_model.skt -o new.csv
"""


def add_parser(commands, parents):
    """Add ``fit`` to the ``sktimbre`` parser's subcommands."""
    parser = commands.add_parser(
        NAME, parents=parents, help="fit the default embedder on your labelled clips",
        formatter_class=RawHelp, epilog=EPILOG,
        description=fill("Fit make_timbre_embedder()'s default configuration on the clips a "
                         "CSV lists, plus augmented (re-coloured) copies of each, and save it "
                         "in sktimbre's safe format."))
    parser.add_argument("manifest", metavar="MANIFEST.csv")
    parser.add_argument("-o", "--output", required=True, metavar="MODEL",
                        help="file to save the fitted embedder to (e.g. my_model.skt)")
    parser.add_argument("--path-column", default="path", help="column of paths (default: path)")
    parser.add_argument("--label-column", default="program",
                        help="column of labels (default: program)")
    parser.add_argument("--projection", default="shrinkage-lda", choices=PROJECTIONS,
                        help="the learned projection (default: shrinkage-lda; "
                             "pitch-null-lda also removes what tracks the pitch)")
    parser.add_argument("--augment", type=non_negative, default=2, metavar="N",
                        help="augmented copies of each clip to fit on (default 2; 0 for none)")
    parser.add_argument("--phrases", type=non_negative, default=72, metavar="N",
                        help="legato phrases synthesised per label from its clips, to fit on "
                             "too, so that the model knows the instruments playing, not "
                             "only single notes (default 72, as the pretrained default and "
                             "the benchmark; 0 for none, e.g. when the clips are already "
                             "phrases)")
    add_skip_errors(parser, "fit on the usable rows, recording the others in the model")
    add_jobs(parser)
    parser.set_defaults(run=run)
    return parser


def run(args) -> int:
    """Check, extract every clip's features once, fit the head, save."""
    from .._progress import ProgressBar
    from ..embedder import make_timbre_embedder

    # --- everything that can be checked before decoding
    ext = os.path.splitext(args.output)[1].lower()
    if ext in (".csv", ".npy", ".npz", ".parquet", ".joblib", ".pkl", ".pickle"):
        raise UsageError(f"-o {display(args.output)}: the fitted model is saved in sktimbre's "
                         f"safe format; name it .skt (embeddings are written by `sktimbre "
                         f"embed`)")
    with OutputFile(args.output) as output:
        rows, bad = read_manifest(args.manifest, path_column=args.path_column,
                                  label_column=args.label_column)
        _check_labels([r.label for r in rows], args, f"{display(args.manifest)} has",
                      UsageError)
        n_clips = len(rows) + len(bad)
        embedder = make_timbre_embedder(projection=args.projection)
        n_workers = prepare(embedder, args.jobs, len(rows) * (1 + args.augment))

        # --- one pass over the clips
        start = time.monotonic()
        with ProgressBar(len(rows), label="analysing", unit="clips",
                         enabled=False if args.quiet else None) as progress:
            F, y, used, failed = _features(embedder, rows, args.augment,
                                           chunk_size(n_workers), progress)
        bad = sorted(bad + failed)
        if bad and not args.skip_errors:
            _list_bad(bad, f"{len(bad)} of {n_clips} clips in "
                           f"{display(args.manifest)} cannot be used:")
            raise CommandFailed(f"no model saved: fix or remove these rows, or add "
                                f"--skip-errors to fit on the other {len(used)}")
        if bad:
            _list_bad(bad, f"skipping {len(bad)} clip(s) of {display(args.manifest)}:")
        if not used:
            raise CommandFailed("none of the clips could be used: no model saved")
        _check_labels([r.label for r in used], args, "the usable clips have", CommandFailed)

        # --- phrases synthesised from the usable clips, per label
        n_phrases = 0
        if args.phrases:
            with ProgressBar(len({r.label for r in used}), label="phrases", unit="labels",
                             enabled=False if args.quiet else None) as progress:
                F_phr, y_phr = _phrase_features(embedder, used, args.phrases,
                                                chunk_size(n_workers), progress)
            F, y, n_phrases = np.vstack([F, F_phr]), np.concatenate([y, y_phr]), len(y_phr)

        # --- the head, on the features already computed
        labels = sorted({r.label for r in used})
        say(f"fitting {args.projection} on {len(used)} clips"
            + (f" + {args.augment} augmented copies of each" if args.augment else "")
            + (f" + {n_phrases} synthesised phrases" if n_phrases else "")
            + f" ({len(y)} rows), {len(labels)} labels ...", quiet=args.quiet)
        fit_start = time.monotonic()
        try:
            embedder[:2].fit([_note(embedder.steps[0][1].sr)])  # validates the settings
            embedder[2:].fit(F, y)
        except Exception as exc:
            raise CommandFailed(f"fitting the {args.projection} projection failed: "
                                f"{type(exc).__name__}: {exc}") from exc
        embedder.steps[0][1].set_params(on_error="raise", n_jobs=None)  # library defaults
        say(f"fitted in {time.monotonic() - fit_start:.1f} s "
            f"(total {time.monotonic() - start:.1f} s)", quiet=args.quiet)

        from ..persistence import save

        metadata = {
            "fitted_on": [os.path.basename(args.manifest)],
            "n_clips": len(used),
            "n_augmented_copies": int(args.augment),
            "n_synthesized_phrases": n_phrases,
            "projection": args.projection,
            "path_column": args.path_column,
            "label_column": args.label_column,
            "labels": {label: sum(r.label == label for r in used) for label in labels},
            "skipped": [{"line": b.line, "path": b.name, "reason": b.reason} for b in bad],
        }
        output.write_named(lambda name: save(embedder, name, metadata=metadata))
    say(f"saved -> {display(args.output)} (see `sktimbre info {display(args.output)}`)",
        quiet=args.quiet)
    return 0


def _check_labels(labels: list[str], args, subject: str, error) -> None:
    """What the projection needs of the labels: two or more, and more rows than labels."""
    if args.projection in UNSUPERVISED:
        if not labels:
            raise error(f"{subject} no clips")
        return
    distinct = len(set(labels))
    if distinct < 2:
        raise error(f"{subject} {distinct} distinct label(s) in column "
                    f"'{args.label_column}': {args.projection} needs at least 2")
    n_rows = len(labels) * (1 + args.augment)
    if n_rows <= distinct:
        raise error(f"{subject} {len(labels)} clips for {distinct} labels: {args.projection} "
                    f"needs more rows than labels ({n_rows} with --augment {args.augment}): "
                    f"add clips, or augmented copies with --augment")


def _features(embedder, rows, n_copies: int, size: int, progress):
    """Descriptor rows of every clip and of its augmented copies, each file decoded once.

    The rows come out in the same order whatever the chunking (originals in manifest
    order, then the first copy of each, ...), and each clip's copies depend only on
    its own path: the fit does not depend on ``-j`` nor on which other rows failed.

    Returns
    -------
    F : ndarray of shape (n_rows, n_features)
        Originals and copies of the usable clips.
    y : ndarray of shape (n_rows,)
    used : list of Row
        The usable manifest rows.
    failed : list of BadRow
        The others, with the front end's (or decoder's) reason.
    """
    frontend = embedder.steps[0][1]
    features = embedder[:2].transform
    size = max(1, size // (1 + n_copies))
    blocks, keys, used, failed = [], [], [], []
    for start in range(0, len(rows), size):
        chunk = rows[start:start + size]
        if n_copies:
            good, failed_here, items = _decode_and_augment(chunk, n_copies, frontend.sr)
            failed += failed_here
        else:
            good, items = chunk, [r.path for r in chunk]
        if items:
            F, failures = transform_chunk(features, frontend, items)
            # item j is the original (j < len(good)) or a copy of good[j % len(good)]
            bad_rows = {}
            for f in failures:
                bad_rows.setdefault(f.index % len(good), f.reason)
            failed += [BadRow(good[j].line, good[j].name, reason)
                       for j, reason in sorted(bad_rows.items())]
            kept = [k for k in range(len(good)) if k not in bad_rows]
            position = {k: len(used) + n for n, k in enumerate(kept)}  # among all used rows
            keep = [j for j in range(len(items)) if j % len(good) in position]
            blocks.append(F[keep])
            keys += [(j // len(good), position[j % len(good)], good[j % len(good)].label)
                     for j in keep]
            used += [good[k] for k in kept]
        progress.update(len(chunk))
    if not blocks:
        return np.empty((0, 0)), np.empty(0), used, failed
    order = sorted(range(len(keys)), key=lambda i: keys[i][:2])
    F = np.vstack(blocks)[order]
    return F, np.asarray([keys[i][2] for i in order]), used, failed


def _phrase_features(embedder, used, n_per_label: int, size: int, progress):
    """Features of ``n_per_label`` phrases synthesised from each label's usable clips.

    A label's clips are decoded again (one label at a time, so memory holds one
    instrument), their pitches estimated, and its phrases seeded by the label: the
    same manifest gives the same phrases whatever ``-j``.
    """
    from ..augment import synthesize_phrases
    from ..io import load_clip

    frontend = embedder.steps[0][1]
    features = embedder[:2].transform
    blocks, labels = [], []
    by_label: dict[str, list] = {}
    for row in used:
        by_label.setdefault(row.label, []).append(row)
    for label, rows in sorted(by_label.items()):
        clips = [load_clip(row.path, sr=frontend.sr) for row in rows]
        rng = np.random.RandomState([_SEED, zlib.crc32(label.encode("utf-8", "replace"))])
        phrases, _ = synthesize_phrases(clips, [label] * len(clips), n_per_label=n_per_label,
                                        sr=frontend.sr, random_state=rng)
        for start in range(0, len(phrases), size):
            F, failures = transform_chunk(features, frontend, phrases[start:start + size])
            failed = {f.index for f in failures}
            keep = [j for j in range(len(F)) if j not in failed]
            blocks.append(F[keep])
            labels += [label] * len(keep)
        progress.update(1)
    return np.vstack(blocks), np.asarray(labels)


def _decode_and_augment(chunk, n_copies: int, sr: int):
    """Decode each file of ``chunk`` once; the usable ones, then their copies, as arrays.

    Items come as ``clip 0..g-1, copy 1 of clip 0..g-1, copy 2 ...``; a clip's
    copies are seeded by its path.
    """
    from ..augment import augment_clip
    from ..io import InvalidClipError, load_clip

    good, clips, failed = [], [], []
    for row in chunk:
        try:
            clips.append(load_clip(row.path, sr=sr))
        except InvalidClipError as exc:
            failed.append(BadRow(row.line, row.name, exc.reason))
            continue
        good.append(row)
    rngs = [np.random.RandomState([_SEED, zlib.crc32(row.name.encode("utf-8", "replace"))])
            for row in good]
    copies = [augment_clip(clip, sr=sr, random_state=rng)
              for _ in range(n_copies) for clip, rng in zip(clips, rngs, strict=True)]
    return good, failed, clips + copies


def _note(sr: int) -> np.ndarray:
    """A synthetic decaying note: the front end and families learn nothing, and their
    ``fit`` only validates the settings -- no file needs decoding again for it."""
    t = np.arange(sr // 2) / sr
    return (np.sin(2 * np.pi * 220.0 * t) * np.exp(-3 * t)).astype(np.float32)


def _list_bad(bad: list[BadRow], heading: str) -> None:
    import sys

    print(f"sktimbre: {heading}", file=sys.stderr)
    for row in bad:
        print(f"  line {row.line}: {display(row.name) or '(no path)'}: {row.reason}",
              file=sys.stderr)
