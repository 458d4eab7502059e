"""Timbre-embedding quality: unseen pitches, unseen sample library, pitch leakage.

Usage::

    python benchmarks/quality.py ../shared/data/fluidr3 ../shared/data/freepats \
        [--configs seed-raw,default] [--pretrained] [--n-jobs 2] [--markdown results.md]

Each data folder holds ``manifest.csv`` (path, program, family, midi_pitch, ...) and
the audio it lists. The first folder is "library A", the second "library B".

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
    }


def configurations() -> dict[str, dict]:
    """Embedder configurations compared by the benchmark, by name.

    Keys other than ``scale`` and ``augment`` are arguments of
    :func:`sktimbre.make_timbre_embedder`. ``augment`` fits on the fitting notes
    plus augmented copies (:func:`sktimbre.augment.augment_clips` arguments).
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
        "default/pitch-null-lda+augment(2)": dict(projection="pitch-null-lda",
                                                  augment=dict(n_copies=2)),
    }


def build(config: dict):
    config = dict(config)
    scale = config.pop("scale", True)
    config.pop("augment", None)
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


def _fit_head(head, F, y, aug, rows):
    """Fit on ``F[rows]``, plus the augmented copies of those rows if any."""
    if aug is None:
        return clone(head).fit(F[rows], y[rows])
    F_aug, source = aug
    extra = rows[source]
    return clone(head).fit(np.vstack([F[rows], F_aug[extra]]),
                           np.concatenate([y[rows], y[source[extra]]]))


def evaluate(embedder, F_a, meta_a, F_b, meta_b, aug_a=None, aug_b=None,
             F_b_padded=None) -> dict[str, float]:
    """All benchmark numbers for one embedder, given its union's features per library.

    ``aug_a``/``aug_b``: features of augmented copies of A's/B's notes and the index
    of each copy's source note; copies join the fitting set with their source.
    ``F_b_padded``: features of B's notes surrounded by silence (robustness queries).
    """
    head = embedder[2:]  # scaler and projection; features are precomputed
    res = {}
    # unseen pitch, within A
    fit = (meta_a["pitch"] // 6) % 2 == 0
    model = _fit_head(head, F_a, meta_a["program"], aug_a, fit)
    E_fit, E_q = model.transform(F_a[fit]), model.transform(F_a[~fit])
    res["pitch_map"] = mean_average_precision(E_q, meta_a["program"][~fit])
    res["pitch_1nn"] = nearest_neighbor_accuracy(E_q, meta_a["program"][~fit], E_fit,
                                                 meta_a["program"][fit])
    res["pitch_r2"] = pitch_leakage_r2(E_q, meta_a["pitch"][~fit])
    # unseen library, both directions
    for tag, (Fr, mr, Fq, mq, aug) in {"ab": (F_a, meta_a, F_b, meta_b, aug_a),
                                        "ba": (F_b, meta_b, F_a, meta_a, aug_b)}.items():
        # fitted on every note of the reference library
        model = _fit_head(head, Fr, mr["program"], aug, np.ones(len(Fr), dtype=bool))
        # queries and centroids: the programs both libraries have (chance = 1 / 26)
        shared = np.isin(mq["program"], mr["program"])
        ref = np.isin(mr["program"], mq["program"])
        E_ref, E_q = model.transform(Fr[ref]), model.transform(Fq[shared])
        ranking = centroid_ranking(E_q, E_ref, mr["program"][ref])
        truth = mq["program"][shared]
        res[f"{tag}_top1"] = float(np.mean(ranking[:, 0] == truth))
        res[f"{tag}_top5"] = float(np.mean((ranking[:, :5] == truth[:, None]).any(axis=1)))
        family_of = dict(zip(mr["program"], mr["family"], strict=False))
        predicted_family = np.array([family_of[p] for p in ranking[:, 0]])
        res[f"{tag}_family1"] = float(np.mean(predicted_family == mq["family"][shared]))
        if tag == "ab":
            res["ab_top1_padded"] = np.nan
            if F_b_padded is not None:
                padded = centroid_ranking(model.transform(F_b_padded[shared]), E_ref,
                                          mr["program"][ref])
                res["ab_top1_padded"] = float(np.mean(padded[:, 0] == truth))
    return res


COLUMNS = [
    ("pitch_map", "unseen-pitch mAP"), ("pitch_1nn", "unseen-pitch 1-NN"),
    ("ab_top1", "A→B top-1"), ("ab_top5", "A→B top-5"), ("ab_family1", "A→B family@1"),
    ("ba_top1", "B→A top-1"), ("pitch_r2", "pitch R²"),
    ("ab_top1_padded", "A→B top-1, B in silence"),
]


def decode_libraries(library_a: str, library_b: str):
    """Manifests and decoded clips of both libraries, plus B's notes padded with silence.

    Returns ``(meta_a, meta_b, raw)`` with ``raw`` keyed ``"a"``, ``"b"`` and
    ``"b-padded"`` (the robustness queries: B's notes with 0.3 s of silence before
    and 1 s after).
    """
    meta_a, meta_b = load_manifest(library_a), load_manifest(library_b)
    t0 = time.perf_counter()
    # one ClipBatch of decoded clips (a serial decode: ~1 ms per clip)
    decoder = AudioFrontEnd(batch_size=len(meta_a["path"]) + len(meta_b["path"]))
    raw = {"a": list(decoder.transform(list(meta_a["path"])).clips),
           "b": list(decoder.transform(list(meta_b["path"])).clips)}
    silence = np.zeros(int(0.3 * decoder.sr), np.float32), np.zeros(decoder.sr, np.float32)
    raw["b-padded"] = [np.concatenate([silence[0], c, silence[1]]) for c in raw["b"]]
    print(f"# decoded {len(raw['a'])} + {len(raw['b'])} clips in "
          f"{time.perf_counter() - t0:.0f} s", file=sys.stderr)
    return meta_a, meta_b, raw


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("library_a", help="data folder fitted on (e.g. .../fluidr3)")
    parser.add_argument("library_b", help="data folder queried (e.g. .../freepats)")
    parser.add_argument("--configs", default=",".join(configurations()),
                        help="comma-separated configuration names")
    parser.add_argument("--n-jobs", type=int, default=1)
    parser.add_argument("--markdown", help="also write the table to this file")
    parser.add_argument("--pretrained", action="store_true",
                        help="also score the shipped pretrained embedder as it is (no "
                             "fitting; in-sample: it was fitted on both libraries)")
    args = parser.parse_args(argv)

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

    meta_a, meta_b, raw = decode_libraries(args.library_a, args.library_b)

    cache = FeatureCache(raw, n_jobs=args.n_jobs)

    def augmented_features(union, library, trim_db, settings):
        from sktimbre.augment import augment_clips

        settings = dict(settings)
        n_copies = settings.pop("n_copies", 1)
        tag = f"{library}+augment{sorted(settings.items())}x{n_copies}"
        if tag not in raw:
            raw[tag] = augment_clips(raw[library], n_copies=n_copies, keep_original=False,
                                     random_state=0, **settings)
        source = np.tile(np.arange(len(raw[library])), n_copies)
        return cache.features(union, tag, trim_db), source

    header = "| embedder | dims | " + " | ".join(c[1] for c in COLUMNS) + " |"
    lines = [header, "|" + "---|" * (len(COLUMNS) + 2)]
    print(lines[0])
    print(lines[1])
    rows = {}
    for name, emb in embedders.items():
        union = emb.named_steps["features"]
        trim_db = emb.named_steps["frontend"].trim_db
        F = {tag: cache.features(union, tag, trim_db) for tag in ("a", "b", "b-padded")}
        settings = all_configs[name].get("augment")
        augs = [None, None] if settings is None else [
            augmented_features(union, library, trim_db, settings) for library in ("a", "b")]
        res = evaluate(emb, F["a"], meta_a, F["b"], meta_b, *augs, F_b_padded=F["b-padded"])
        dims = clone(emb[2:]).fit(F["a"], meta_a["program"]).transform(F["a"][:1]).shape[1]
        rows[name] = f"| {name} | {dims} | " + " | ".join(f"{res[c]:.2f}" for c, _ in COLUMNS)
        rows[name] += " |"
        print(rows[name], flush=True)
    lines += [rows[name] for name in names]  # the table in the order asked for
    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
