"""Timbre-embedding quality: unseen pitches, unseen sample library, pitch leakage.

Usage::

    python benchmarks/quality.py ../shared/data/fluidr3 ../shared/data/freepats \
        [--phrases-a ../shared/data/phrases/fluidr3 --phrases-b ../shared/data/phrases/freepats] \
        [--transcoding] [--configs seed-raw,default] [--pretrained] [--n-jobs 2] \
        [--markdown results.md]

Each data folder holds ``manifest.csv`` (path, program, family, midi_pitch, ...) and
the audio it lists. The first folder is "library A", the second "library B"; the
phrase folders hold the same libraries *playing* melodies (same manifest columns).

Protocol (cosine distance on the embedding throughout; deterministic):

* **Unseen pitch** (within A): ``block = midi_pitch // 6``; even blocks fit the
  embedder, odd blocks are queries. mAP of retrieving same-program notes among the
  queries (each against all other queries), and 1-NN program accuracy of the
  queries against the fitting notes.
* **Unseen library**: fit on all of A; for every note of B whose program A has,
  rank A's centroids of the programs present in both libraries (mean of
  L2-normalised embeddings; 26 programs, chance top-1 ~ 0.04): top-1 and top-5
  program accuracy and top-1 GM-family accuracy. Also the reverse (fit B, query A).
* **Pitch leakage**: 5-fold CV R^2 of a ridge regression predicting ``midi_pitch``
  from the unseen-pitch query embeddings (lower is better).
* **Robustness to the recording's framing**: A→B top-1 again, with every note of B
  surrounded by silence (0.3 s before, 1 s after), as another library may cut them.

With phrase folders, a second table (an instrument *playing*):

* **Phrases of the unseen library**: fit on A's notes (plus whatever the
  configuration adds: augmented copies, phrases synthesised from A's notes -- never
  a real phrase: both libraries play the same melodies), rank A's note centroids
  for every phrase of B: top-1, top-5, family@1; and the reverse (B→A top-1).
* **Phrase-to-phrase mAP** of B's phrases under the A-fitted embedder.
* **Each library's phrases against its own notes**: A's phrases ranked against
  A's note centroids (fitted on A), and B's against B's (fitted on B).

With ``--transcoding``, a third table (files as people have them): for one note
per program of B (velocity 112, mid-range, with the note an octave up present) and
one phrase per program, each copy of ``benchmarks/transcode.py`` (44.1/48/96 kHz,
24-bit, float, 8-bit, FLAC, MP3, Ogg Vorbis, Opus, low-passed at 8 kHz, a -80 dB
noise floor) is written to a file and embedded through the embedder's own decoder;
reported: the median cosine distance of a copy to its original, beside the median
distance of the original note to the same program's note an octave up, and the
share of clips whose copy is at least half as far as that octave. The embedder is
the configuration fitted on A.

``--pretrained`` adds a row for the shipped pretrained embedder, scored as it is,
without fitting. It was fitted on every note of both libraries, so its numbers
are in-sample (an upper bound, not a test); ``--configs ""`` scores it alone.

Nothing is ever fitted on the notes being scored. Each configuration is a real
:func:`sktimbre.make_timbre_embedder` pipeline; to keep the run short, each
library is decoded once, each distinct descriptor family is computed once per set of
clips and front-end setting (in chunks, to bound memory), then the pipeline's
remaining steps are fitted per configuration and split.
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
import time

import numpy as np
from sklearn.base import clone

from sktimbre import AudioFrontEnd, make_timbre_embedder
from sktimbre.embedder import FamilyUnion
from sktimbre.metrics import (
    centroid_ranking,
    mean_average_precision,
    nearest_neighbor_accuracy,
    pitch_leakage_r2,
)


def load_manifest(folder: str) -> dict[str, np.ndarray]:
    """Read ``manifest.csv`` of a data folder into arrays (paths made absolute)."""
    with open(os.path.join(folder, "manifest.csv"), newline="") as f:
        rows = list(csv.DictReader(f))
    return {
        "path": np.array([os.path.join(folder, r["path"]) for r in rows]),
        "program": np.array([int(r["program"]) for r in rows]),
        "family": np.array([r["family"] for r in rows]),
        "pitch": np.array([int(r["midi_pitch"]) for r in rows]),
        "velocity": np.array([int(r.get("velocity") or 0) for r in rows]),
    }


def configurations() -> dict[str, dict]:
    """Embedder configurations compared by the benchmark, by name.

    Keys other than ``scale``, ``augment`` and ``phrases`` are arguments of
    :func:`sktimbre.make_timbre_embedder`. ``augment`` fits on the fitting notes
    plus augmented copies (:func:`sktimbre.augment.augment_clips` arguments);
    ``phrases`` adds phrases synthesised from the fitting notes
    (:func:`sktimbre.augment.synthesize_phrases` arguments).
    """
    from sklearn.pipeline import FeatureUnion

    from sktimbre import (
        MFCC,
        Chroma,
        HarmonicDescriptors,
        SpectralContrast,
        TemporalEnvelope,
    )
    from sktimbre.embedder import default_feature_union

    with_chroma = default_feature_union()
    with_chroma.transformer_list.append(("chroma", Chroma()))
    return {
        "seed-raw": dict(families="seed", projection=None, scale=False),
        "seed+scaler": dict(families="seed", projection=None),
        "seed+scaler+lda": dict(families="seed", projection="lda"),
        "mfcc40-mean-std+lda": dict(
            families=FeatureUnion([("mfcc", MFCC(n_mfcc=40, deltas=2,
                                                 pooling=["mean", "std"]))]),
            projection="lda"),
        "seed+shrinkage-lda": dict(families="seed", projection="shrinkage-lda"),
        "compact+harmonic+envelope": dict(families=FeatureUnion([
            ("contrast", SpectralContrast()), ("mfcc", MFCC(deltas=2)),
            ("harmonic", HarmonicDescriptors()), ("envelope", TemporalEnvelope())])),
        "default": dict(),
        "default/untrimmed": dict(trim_db=None),
        "default+chroma": dict(families=with_chroma),
        "default/lda": dict(projection="lda"),
        "default/nca": dict(projection="nca"),
        "default/pitch-null-lda": dict(projection="pitch-null-lda"),
        "default+augment(2)": dict(augment=dict(n_copies=2)),
        "default+phrases(24)": dict(phrases=dict(n_per_label=24)),
        "default+augment(2)+phrases(72)": dict(augment=dict(n_copies=2),
                                               phrases=dict(n_per_label=72)),
        "note(0.1)": dict(families="note"),
        "note(0.1)+augment(2)": dict(families="note", augment=dict(n_copies=2)),
        "note(0.1)+augment(2)+phrases(72)": dict(families="note", augment=dict(n_copies=2),
                                                 phrases=dict(n_per_label=72)),
        "default/pitch-null-lda+augment(2)": dict(projection="pitch-null-lda",
                                                  augment=dict(n_copies=2)),
    }


def build(config: dict):
    config = dict(config)
    scale = config.pop("scale", True)
    config.pop("augment", None)
    config.pop("phrases", None)
    embedder = make_timbre_embedder(**config)
    if not scale:
        embedder.set_params(scale="passthrough")
    return embedder


class FeatureCache:
    """Each distinct family (by its parameters) computed once per set of clips.

    Clips are decoded and analysed ``chunk_size`` at a time (the analyses of a whole
    library would not fit in memory next to the others), and only for the families
    not computed yet.
    """

    def __init__(self, clips: dict, *, n_jobs: int = 1, chunk_size: int = 500):
        self.clips, self.n_jobs, self.chunk_size = clips, n_jobs, chunk_size
        self._store = {}

    def features(self, union, tag: str, trim_db) -> np.ndarray:
        families = [family for _, family in union.transformer_list]
        missing = [f for f in families if (tag, trim_db, repr(f)) not in self._store]
        if missing:
            frontend = AudioFrontEnd(trim_db=trim_db, n_jobs=self.n_jobs)
            clips = self.clips[tag]
            parts = {repr(f): [] for f in missing}
            for start in range(0, len(clips), self.chunk_size):
                batch = frontend.transform(clips[start:start + self.chunk_size])
                # all missing families in one pass over the batch (or stream)
                todo = FamilyUnion([(f"f{i}", clone(f)) for i, f in enumerate(missing)])
                F = todo.fit_transform(batch)
                widths = [len(f.get_feature_names_out()) for _, f in todo.transformer_list]
                for family, part in zip(missing, np.split(F, np.cumsum(widths)[:-1], axis=1),
                                        strict=True):
                    parts[repr(family)].append(part)
            for key, blocks in parts.items():
                self._store[tag, trim_db, key] = np.vstack(blocks)
        return np.hstack([self._store[tag, trim_db, repr(f)] for f in families])


def _fit_head(head, F, y, rows, extras=None):
    """Fit on ``F[rows]`` plus what ``extras(rows)`` adds (features and labels)."""
    if extras is None:
        return clone(head).fit(F[rows], y[rows])
    F_extra, y_extra = extras(rows)
    return clone(head).fit(np.vstack([F[rows], F_extra]), np.concatenate([y[rows], y_extra]))


def _centroid_scores(model, F_ref, meta_ref, F_query, meta_query) -> dict[str, float]:
    """Rank the reference library's program centroids for every query clip."""
    shared = np.isin(meta_query["program"], meta_ref["program"])
    ref = np.isin(meta_ref["program"], meta_query["program"])
    E_ref, E_q = model.transform(F_ref[ref]), model.transform(F_query[shared])
    ranking = centroid_ranking(E_q, E_ref, meta_ref["program"][ref])
    truth = meta_query["program"][shared]
    family_of = dict(zip(meta_ref["program"], meta_ref["family"], strict=False))
    predicted_family = np.array([family_of[p] for p in ranking[:, 0]])
    return {"top1": float(np.mean(ranking[:, 0] == truth)),
            "top5": float(np.mean((ranking[:, :5] == truth[:, None]).any(axis=1))),
            "family1": float(np.mean(predicted_family == meta_query["family"][shared]))}


def evaluate(embedder, F_a, meta_a, F_b, meta_b, extras_a=None, extras_b=None,
             F_b_padded=None, phrases=None) -> dict[str, float]:
    """All benchmark numbers for one embedder, given its union's features per library.

    ``extras_a``/``extras_b``: callables ``rows -> (features, labels)`` adding to a fit
    on those rows of A's/B's notes (augmented copies of them, phrases synthesised
    from them). ``F_b_padded``: features of B's notes surrounded by silence.
    ``phrases``: ``{"a": (F, meta), "b": (F, meta)}``, the libraries' real phrases
    (queries only).
    """
    head = embedder[2:]  # scaler and projection; features are precomputed
    res = {}
    all_a, all_b = np.ones(len(F_a), dtype=bool), np.ones(len(F_b), dtype=bool)
    # unseen pitch, within A
    fit = (meta_a["pitch"] // 6) % 2 == 0
    model = _fit_head(head, F_a, meta_a["program"], fit, extras_a)
    E_fit, E_q = model.transform(F_a[fit]), model.transform(F_a[~fit])
    res["pitch_map"] = mean_average_precision(E_q, meta_a["program"][~fit])
    res["pitch_1nn"] = nearest_neighbor_accuracy(E_q, meta_a["program"][~fit], E_fit,
                                                 meta_a["program"][fit])
    res["pitch_r2"] = pitch_leakage_r2(E_q, meta_a["pitch"][~fit])
    # unseen library, both directions, fitted on every note of the reference library
    model_a = _fit_head(head, F_a, meta_a["program"], all_a, extras_a)
    model_b = _fit_head(head, F_b, meta_b["program"], all_b, extras_b)
    for key, value in _centroid_scores(model_a, F_a, meta_a, F_b, meta_b).items():
        res[f"ab_{key}"] = value
    res["ba_top1"] = _centroid_scores(model_b, F_b, meta_b, F_a, meta_a)["top1"]
    res["ab_top1_padded"] = np.nan
    if F_b_padded is not None:
        res["ab_top1_padded"] = _centroid_scores(model_a, F_a, meta_a, F_b_padded,
                                                 meta_b)["top1"]
    if phrases:
        (P_a, pm_a), (P_b, pm_b) = phrases["a"], phrases["b"]
        for key, value in _centroid_scores(model_a, F_a, meta_a, P_b, pm_b).items():
            res[f"ab_phr_{key}"] = value
        res["ba_phr_top1"] = _centroid_scores(model_b, F_b, meta_b, P_a, pm_a)["top1"]
        res["b_phr_map"] = mean_average_precision(model_a.transform(P_b), pm_b["program"])
        res["a_phr_own"] = _centroid_scores(model_a, F_a, meta_a, P_a, pm_a)["top1"]
        res["b_phr_own"] = _centroid_scores(model_b, F_b, meta_b, P_b, pm_b)["top1"]
    return res


COLUMNS = [
    ("pitch_map", "unseen-pitch mAP"), ("pitch_1nn", "unseen-pitch 1-NN"),
    ("ab_top1", "A→B top-1"), ("ab_top5", "A→B top-5"), ("ab_family1", "A→B family@1"),
    ("ba_top1", "B→A top-1"), ("pitch_r2", "pitch R²"),
    ("ab_top1_padded", "A→B top-1, B in silence"),
]
"""The notes table: (result key, column title)."""

PHRASE_COLUMNS = [
    ("ab_phr_top1", "A→B phrases top-1"), ("ab_phr_top5", "top-5"),
    ("ab_phr_family1", "family@1"), ("ba_phr_top1", "B→A phrases top-1"),
    ("b_phr_map", "B phrase-to-phrase mAP"), ("a_phr_own", "A phrases → A notes"),
    ("b_phr_own", "B phrases → B notes"),
]
"""The phrases table: (result key, column title)."""


def decode_libraries(library_a: str, library_b: str, phrases_a: str | None = None,
                     phrases_b: str | None = None):
    """Manifests and decoded clips of both libraries, plus B's notes padded with silence.

    Returns ``(meta_a, meta_b, raw)`` with ``raw`` keyed ``"a"``, ``"b"`` and
    ``"b-padded"`` (the robustness queries: B's notes with 0.3 s of silence before
    and 1 s after), and, with phrase folders, ``"a-phr"``/``"b-phr"`` and their
    manifests as ``raw["meta-a-phr"]``/``raw["meta-b-phr"]``.
    """
    meta_a, meta_b = load_manifest(library_a), load_manifest(library_b)
    t0 = time.perf_counter()
    # decoded clips (a serial decode: ~1 ms per clip)
    decoder = AudioFrontEnd(batch_size=10**6)
    raw = {"a": list(decoder.transform(list(meta_a["path"])).clips),
           "b": list(decoder.transform(list(meta_b["path"])).clips)}
    silence = np.zeros(int(0.3 * decoder.sr), np.float32), np.zeros(decoder.sr, np.float32)
    raw["b-padded"] = [np.concatenate([silence[0], c, silence[1]]) for c in raw["b"]]
    for tag, folder in (("a-phr", phrases_a), ("b-phr", phrases_b)):
        if folder:
            raw[f"meta-{tag}"] = load_manifest(folder)
            raw[tag] = list(decoder.transform(list(raw[f"meta-{tag}"]["path"])).clips)
    print(f"# decoded {sum(len(v) for k, v in raw.items() if not k.startswith('meta'))} "
          f"clips in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
    return meta_a, meta_b, raw


def _table(title_columns, rows_by_name, names) -> list[str]:
    header = "| embedder | dims | " + " | ".join(t for _, t in title_columns) + " |"
    lines = [header, "|" + "---|" * (len(title_columns) + 2)]
    lines += [rows_by_name[name] for name in names]
    return lines


def _row(name, dims, res, columns) -> str:
    return f"| {name} | {dims} | " + " | ".join(f"{res[c]:.2f}" for c, _ in columns) + " |"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("library_a", help="data folder fitted on (e.g. .../fluidr3)")
    parser.add_argument("library_b", help="data folder queried (e.g. .../freepats)")
    parser.add_argument("--phrases-a", help="library A playing phrases (e.g. "
                                            ".../phrases/fluidr3): adds the phrases table")
    parser.add_argument("--phrases-b", help="library B playing phrases")
    parser.add_argument("--transcoding", action="store_true",
                        help="also the transcoding table (copies of B's clips as files)")
    parser.add_argument("--transcoding-cases",
                        help="comma-separated cases of benchmarks/transcode.py (default: all)")
    parser.add_argument("--configs", default=",".join(configurations()),
                        help="comma-separated configuration names")
    parser.add_argument("--n-jobs", type=int, default=1)
    parser.add_argument("--markdown", help="also write the tables to this file")
    parser.add_argument("--pretrained", action="store_true",
                        help="also score the shipped pretrained embedder as it is (no "
                             "fitting; in-sample: it was fitted on both libraries)")
    args = parser.parse_args(argv)
    if bool(args.phrases_a) != bool(args.phrases_b):
        parser.error("give both --phrases-a and --phrases-b, or neither")

    all_configs = configurations()
    names = args.configs.split(",") if args.configs else []
    unknown = set(names) - set(all_configs)
    if unknown:
        parser.error(f"unknown configurations {sorted(unknown)}; known: {list(all_configs)}")
    embedders = {name: build(all_configs[name]) for name in names}
    if args.pretrained:
        from sktimbre import load_pretrained_embedder

        # its head is a frozen linear map: "fitting" it in evaluate() leaves it as shipped
        name = "pretrained (in-sample)"
        all_configs[name], embedders[name] = {}, load_pretrained_embedder()
        names.append(name)

    meta_a, meta_b, raw = decode_libraries(args.library_a, args.library_b, args.phrases_a,
                                           args.phrases_b)
    metas = {"a": meta_a, "b": meta_b}
    cache = FeatureCache(raw, n_jobs=args.n_jobs)

    def extras(union, library, trim_db, config):
        """``rows -> (features, labels)`` added to a fit on those rows of a library."""
        meta = metas[library]
        settings = config.get("augment")
        phrases = config.get("phrases")
        if settings is None and phrases is None:
            return None

        def add(rows):
            parts = []
            if settings is not None:
                F_aug, source = _augmented(union, library, trim_db, settings)
                keep = rows[source]
                parts.append((F_aug[keep], meta["program"][source[keep]]))
            if phrases is not None:
                parts.append(_synthetic_phrases(union, library, trim_db, phrases, rows))
            return (np.vstack([F for F, _ in parts]), np.concatenate([y for _, y in parts]))
        return add

    def _augmented(union, library, trim_db, settings):
        from sktimbre.augment import augment_clips

        settings = dict(settings)
        n_copies = settings.pop("n_copies", 1)
        tag = f"{library}+augment{sorted(settings.items())}x{n_copies}"
        if tag not in raw:
            raw[tag] = augment_clips(raw[library], n_copies=n_copies, keep_original=False,
                                     random_state=0, **settings)
        source = np.tile(np.arange(len(raw[library])), n_copies)
        return cache.features(union, tag, trim_db), source

    def _synthetic_phrases(union, library, trim_db, settings, rows):
        from sktimbre.augment import synthesize_phrases

        meta = metas[library]
        tag = f"{library}+phrases{sorted(settings.items())}@{hash(rows.tobytes())}"
        if tag not in raw:
            picked = np.flatnonzero(rows)
            raw[tag], raw[f"labels-{tag}"] = synthesize_phrases(
                [raw[library][i] for i in picked], meta["program"][picked],
                pitches=meta["pitch"][picked], random_state=0, **settings)
        return cache.features(union, tag, trim_db), raw[f"labels-{tag}"]

    tables = {"notes": {}, "phrases": {}}
    for name, emb in embedders.items():
        union = emb.named_steps["features"]
        trim_db = emb.named_steps["frontend"].trim_db
        tags = ["a", "b", "b-padded"] + (["a-phr", "b-phr"] if args.phrases_a else [])
        F = {tag: cache.features(union, tag, trim_db) for tag in tags}
        config = all_configs[name]
        phrases = {"a": (F["a-phr"], raw["meta-a-phr"]),
                   "b": (F["b-phr"], raw["meta-b-phr"])} if args.phrases_a else None
        res = evaluate(emb, F["a"], meta_a, F["b"], meta_b,
                       extras(union, "a", trim_db, config), extras(union, "b", trim_db, config),
                       F_b_padded=F["b-padded"], phrases=phrases)
        dims = clone(emb[2:]).fit(F["a"], meta_a["program"]).transform(F["a"][:1]).shape[1]
        tables["notes"][name] = _row(name, dims, res, COLUMNS)
        print(f"# notes {tables['notes'][name]}", file=sys.stderr, flush=True)
        if phrases:
            tables["phrases"][name] = _row(name, dims, res, PHRASE_COLUMNS)
            print(f"# phrases {tables['phrases'][name]}", file=sys.stderr, flush=True)
        if args.transcoding:
            model = emb if name.startswith("pretrained") else _fitted_embedder(
                emb, F["a"], meta_a["program"], extras(union, "a", trim_db, config))
            tables.setdefault("transcoding", {})[name] = transcoding_table(
                model, raw, meta_b, args.phrases_b,
                args.transcoding_cases.split(",") if args.transcoding_cases else None)
    lines = ["Notes:", ""] + _table(COLUMNS, tables["notes"], names)
    if tables["phrases"]:
        lines += ["", "Phrases:", ""] + _table(PHRASE_COLUMNS, tables["phrases"], names)
    for name, table in tables.get("transcoding", {}).items():
        lines += ["", f"Transcoding ({name}):", ""] + table
    print("\n".join(lines))
    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write("\n".join(lines) + "\n")
    return 0


def _fitted_embedder(emb, F_a, y_a, extras):
    """The embedder with its head fitted on A's features (plus the extras), for files."""
    head = _fit_head(emb[2:], F_a, y_a, np.ones(len(F_a), dtype=bool), extras)
    fitted = clone(emb)
    fitted.steps[2:] = head.steps
    return fitted


def transcoding_table(embedder, raw, meta_b, phrases_b: str | None,
                      cases=None) -> list[str]:
    """The distance of transcoded copies to their originals, beside an octave's distance.

    One note per program of B (velocity 112 where there is one, the mid-range pitch
    with the same program's note an octave up present) and one phrase per program.
    """
    import tempfile

    import soundfile as sf

    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from transcode import CASES, write_copies

    cases = list(CASES) if cases is None else cases
    notes, octaves, programs = [], [], []
    for program in np.unique(meta_b["program"]):
        idx = np.flatnonzero(meta_b["program"] == program)
        loud = idx[meta_b["velocity"][idx] == meta_b["velocity"][idx].max()]
        pitches = meta_b["pitch"][loud]
        candidates = [i for i in loud if (pitches == meta_b["pitch"][i] + 12).any()]
        if not candidates:
            continue
        mid = np.median(pitches)
        i = min(candidates, key=lambda j: abs(meta_b["pitch"][j] + 6 - mid))
        notes.append(i)
        octaves.append(loud[np.flatnonzero(pitches == meta_b["pitch"][i] + 12)[0]])
        programs.append(program)
    clips = {"notes": [meta_b["path"][i] for i in notes]}
    if phrases_b:
        meta_p = raw["meta-b-phr"]
        clips["phrases"] = [meta_p["path"][np.flatnonzero(meta_p["program"] == p)[0]]
                            for p in programs]
    originals = {kind: embedder.transform(paths) for kind, paths in clips.items()}
    octave = _cosine(originals["notes"], embedder.transform([meta_b["path"][i]
                                                             for i in octaves]))
    lines = ["| copy | notes: median distance to the original | phrases: median distance | "
             "notes at ≥ half the octave distance | phrases at ≥ half the octave distance |",
             "|---|---|---|---|---|",
             f"| (the same note an octave up) | {np.median(octave):.3f} | | | |"]
    far = []  # (case, clip, distance, its octave distance): each copy at >= half of it
    with tempfile.TemporaryDirectory() as folder:
        copies = {}
        for kind, paths in clips.items():
            decoded = [sf.read(p, dtype="float32")[0] for p in paths]
            sr = sf.info(paths[0]).samplerate
            copies[kind] = write_copies(decoded, sr, os.path.join(folder, kind), cases)
        for case in cases:
            cells = []
            for kind in ("notes", "phrases"):
                if kind not in clips:
                    cells.append("")
                    continue
                d = _cosine(originals[kind], embedder.transform(copies[kind][case]))
                cells.append((np.median(d), np.mean(d >= 0.5 * octave)))
                far += [(case, os.path.basename(clips[kind][j]), d[j], octave[j])
                        for j in np.flatnonzero(d >= 0.5 * octave)]
            note, phrase = cells
            lines.append(f"| {case} | {note[0]:.3f} | "
                         + (f"{phrase[0]:.3f}" if phrase else "") + f" | {note[1]:.2f} | "
                         + (f"{phrase[1]:.2f}" if phrase else "") + " |")
    if far:  # name them: a median hides the one clip a user will hear about
        lines += ["", "Copies at half their octave distance or more (phrases are compared "
                  "with their note's octave distance):", ""]
        lines += [f"- {case}: {name}, {d:.3f} (octave {o:.3f})" for case, name, d, o in far]
    return lines


def _cosine(A, B) -> np.ndarray:
    A = A / np.linalg.norm(A, axis=1, keepdims=True)
    B = B / np.linalg.norm(B, axis=1, keepdims=True)
    return 1.0 - (A * B).sum(axis=1)


if __name__ == "__main__":
    raise SystemExit(main())
