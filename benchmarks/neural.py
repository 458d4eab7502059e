"""The GMVAE embedder (sktimbre.neural) on the quality benchmark, beside the default.

Usage::

    python benchmarks/neural.py ../shared/data/fluidr3 ../shared/data/freepats \
        [--n-threads 2] [--n-jobs 2] [--param max_epochs=60 ...] [--markdown out.md]

Two tables:

1. The protocol and metrics of ``benchmarks/quality.py`` (its functions, imported):
   unseen pitch within library A, unseen library A→B and B→A, pitch leakage, and A→B
   with B's notes surrounded by silence -- for the handcrafted default embedder and for
   :class:`~sktimbre.neural.GMVAEEmbedder`. The GMVAE is trained on the audio of the
   fitting notes with their program labels; its pitch targets come from the package's
   own f0 estimate (``--true-pitch``: the manifest's MIDI pitch instead).
2. The paper's measure of disentanglement: accuracy of a logistic regression (5-fold
   CV) predicting the program, resp. the MIDI pitch, from the timbre latent and from the
   pitch latent, on notes the GMVAE never saw: A's unseen-pitch queries (model fitted
   on A's even pitch blocks) and all of B (model fitted on all of A). The handcrafted
   default embedding, fitted the same way, is given for comparison.
"""

from __future__ import annotations

import argparse
import ast
import os
import sys
import time

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import KFold, cross_val_score
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from quality import (  # noqa: E402
    COLUMNS,
    FeatureCache,
    build,
    configurations,
    decode_libraries,
    evaluate,
)

from sktimbre.neural import GMVAEEmbedder  # noqa: E402

# Decoded clips by library tag ("a", "b", "b-padded"); the GMVAE head below reads its
# "features" -- (library, clip index) pairs -- from here, so that quality.evaluate,
# which fits and transforms feature rows, trains the GMVAE on the clips' audio.
CLIPS: dict[int, list] = {}
TAGS = {"a": 0, "b": 1, "b-padded": 2}
# Fitted GMVAEs by their training rows, reused for the disentanglement table.
FITTED: dict[bytes, GMVAEEmbedder] = {}


class ClipIndexGMVAE(TransformerMixin, BaseEstimator):
    """A GMVAEEmbedder fitted on the clips that rows ``(library, index)`` point to."""

    def __init__(self, gmvae=None, pitch=None):
        self.gmvae = gmvae
        self.pitch = pitch

    def _clips(self, F):
        return [CLIPS[int(lib)][int(i)] for lib, i in F]

    def fit(self, F, y):
        key = np.asarray(F, dtype=np.int64).tobytes()
        if key not in FITTED:
            t0 = time.perf_counter()
            from sklearn.base import clone

            pitch = None if self.pitch is None else [self.pitch[int(lib)][int(i)]
                                                     for lib, i in F]
            FITTED[key] = clone(self.gmvae).fit(self._clips(F), y, pitch=pitch)
            print(f"# GMVAE fitted on {len(F)} clips in {time.perf_counter() - t0:.0f} s, "
                  f"{FITTED[key].n_epochs_} epochs (best {FITTED[key].best_epoch_})",
                  file=sys.stderr, flush=True)
        self.model_ = FITTED[key]
        return self

    def transform(self, F):
        return self.model_.transform(self._clips(F))


def _rows(tag: str, n: int) -> np.ndarray:
    return np.column_stack([np.full(n, TAGS[tag]), np.arange(n)])


def _accuracy(Z, target) -> float:
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=3000))
    return float(cross_val_score(model, Z, target, cv=KFold(5, shuffle=True, random_state=0))
                 .mean())


def _chance(target) -> float:
    return float(np.unique(target, return_counts=True)[1].max() / len(target))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("library_a", help="data folder fitted on (e.g. .../fluidr3)")
    parser.add_argument("library_b", help="data folder queried (e.g. .../freepats)")
    parser.add_argument("--n-jobs", type=int, default=1, help="processes decoding audio")
    parser.add_argument("--n-threads", type=int, default=1, help="torch threads")
    parser.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                        help="GMVAEEmbedder parameter (repeatable), e.g. max_epochs=60")
    parser.add_argument("--true-pitch", action="store_true",
                        help="train on the manifest's MIDI pitch, not the f0 estimate")
    parser.add_argument("--skip-default", action="store_true",
                        help="leave out the handcrafted default (faster)")
    parser.add_argument("--markdown", help="also write both tables to this file")
    args = parser.parse_args(argv)

    params = dict(random_state=0, n_threads=args.n_threads, n_jobs=args.n_jobs, verbose=1)
    for item in args.param:
        name, _, value = item.partition("=")
        try:
            params[name] = ast.literal_eval(value)
        except (ValueError, SyntaxError):
            params[name] = value
    gmvae = GMVAEEmbedder(**params)

    meta_a, meta_b, raw = decode_libraries(args.library_a, args.library_b)
    for tag, clips in raw.items():
        CLIPS[TAGS[tag]] = clips
    pitch = ({TAGS["a"]: meta_a["pitch"], TAGS["b"]: meta_b["pitch"]} if args.true_pitch
             else None)

    embedders, features = {}, {}
    if not args.skip_default:
        default = build(configurations()["default"])
        cache = FeatureCache(raw, n_jobs=args.n_jobs)
        union, trim_db = default.named_steps["features"], default.named_steps["frontend"].trim_db
        embedders["default"] = default
        features["default"] = {tag: cache.features(union, tag, trim_db) for tag in raw}
    embedders["gmvae"] = Pipeline([("frontend", "passthrough"), ("features", "passthrough"),
                                   ("gmvae", ClipIndexGMVAE(gmvae, pitch))])
    features["gmvae"] = {tag: _rows(tag, len(clips)) for tag, clips in raw.items()}

    lines = ["| embedder | dims | " + " | ".join(c[1] for c in COLUMNS) + " |",
             "|" + "---|" * (len(COLUMNS) + 2)]
    results = {}
    for name, emb in embedders.items():
        F = features[name]
        t0 = time.perf_counter()
        res = evaluate(emb, F["a"], meta_a, F["b"], meta_b, F_b_padded=F["b-padded"])
        dims = (emb[2:].fit(F["a"], meta_a["program"]).transform(F["a"][:1]).shape[1]
                if name == "default" else gmvae.latent_dim)
        results[name] = res
        lines.append(f"| {name} | {dims} | " + " | ".join(f"{res[c]:.2f}" for c, _ in COLUMNS)
                     + " |")
        print(lines[-1], f"({time.perf_counter() - t0:.0f} s)", file=sys.stderr, flush=True)

    # the paper's measure, on notes the models never saw
    fit_a = (meta_a["pitch"] // 6) % 2 == 0
    splits = {"A unseen pitches": ("a", meta_a, ~fit_a, _rows("a", len(raw["a"]))[fit_a]),
              "B (unseen library)": ("b", meta_b, np.ones(len(raw["b"]), bool),
                                     _rows("a", len(raw["a"])))}
    table = ["| query notes | representation | → instrument (program) | → MIDI pitch |",
             "|---|---|---|---|"]
    for split, (tag, meta, query, fit_rows) in splits.items():
        model = FITTED[np.asarray(fit_rows, dtype=np.int64).tobytes()]
        clips = [c for c, q in zip(raw[tag], query, strict=True) if q]
        programs, pitches = meta["program"][query], meta["pitch"][query]
        reps = {"GMVAE timbre latent": model.transform(clips),
                "GMVAE pitch latent": model.transform_pitch(clips)}
        if "default" in features:
            head = embedders["default"][2:]
            fit_mask = fit_a if tag == "a" else np.ones(len(raw["a"]), bool)
            fitted = head.fit(features["default"]["a"][fit_mask], meta_a["program"][fit_mask])
            reps["handcrafted default"] = fitted.transform(features["default"][tag][query])
        for rep, Z in reps.items():
            table.append(f"| {split} | {rep} | {_accuracy(Z, programs):.2f} | "
                         f"{_accuracy(Z, pitches):.2f} |")
        table.append(f"| {split} | chance (majority class) | {_chance(programs):.2f} | "
                     f"{_chance(pitches):.2f} |")
    print("\n".join(lines) + "\n\n" + "\n".join(table))
    print(f"# GMVAEEmbedder{tuple(sorted(params.items()))}", file=sys.stderr)
    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write("\n".join(lines) + "\n\n" + "\n".join(table) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
