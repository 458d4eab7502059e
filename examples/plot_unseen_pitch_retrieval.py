"""
Retrieving instruments at pitches the embedder never saw
=========================================================

A timbre vector earns its name when notes of one instrument stay together at
pitches that were not in the fitting data. Here three embedders are fitted on
half of the pitch range of eight synthetic instruments
(:func:`sktimbre.datasets.make_notes`) and scored on the other half, with the
pitch-block splitter :class:`sktimbre.model_selection.PitchBlockSplit` keeping
the two apart:

* the raw 58-dim librosa snippet vector (:func:`sktimbre.seed_feature_union`),
* the same vector, standardised and projected by shrinkage LDA,
* the default embedder, :func:`sktimbre.make_timbre_embedder`.

Three numbers per embedder: retrieval mAP among the held-out notes, the accuracy
of each held-out note's nearest fitted note, and how well a ridge regression
predicts the MIDI pitch from the embedding (pitch R², lower is better).
"""

# %%
# Notes, and a split that keeps pitch ranges apart
# ------------------------------------------------
# ``groups`` is the MIDI pitch: blocks of six semitones alternate between the
# fitting and the query half.
import matplotlib.pyplot as plt
import numpy as np
from sklearn.pipeline import make_pipeline

from sktimbre import make_timbre_embedder
from sktimbre.datasets import make_notes
from sktimbre.metrics import mean_average_precision, nearest_neighbor_accuracy, pitch_leakage_r2
from sktimbre.model_selection import PitchBlockSplit

X, y, pitch = make_notes(n_instruments=8, pitches=range(36, 84, 3), velocities=(1.0,),
                         duration=0.5, noise_level=0.03, random_state=0, return_pitch=True)
fit_idx, query_idx = next(PitchBlockSplit().split(X, y, groups=pitch))
print("fitting pitches:", sorted({int(p) for p in pitch[fit_idx]}))
print("query pitches:  ", sorted({int(p) for p in pitch[query_idx]}))

# %%
# Three embedders
# ---------------
# Every embedder is ``Pipeline(frontend, features, scale, project)``. The first
# two steps learn nothing, so the snippet's 58 columns (``"seed"``) are computed
# once and only the heads -- nothing, or scaler and shrinkage LDA -- differ.
seed = make_timbre_embedder("seed")
F_fit, F_query = seed[:2].transform(X[fit_idx]), seed[:2].transform(X[query_idx])
heads = {
    "raw snippet (58)": make_pipeline("passthrough"),
    "snippet + shrinkage LDA": seed[2:],
}
default = make_timbre_embedder().fit(X[fit_idx], y[fit_idx])


def score(E_fit, E_query):
    assert np.isfinite(E_query).all()
    return {
        "mAP": mean_average_precision(E_query, y[query_idx]),
        "1-NN": nearest_neighbor_accuracy(E_query, y[query_idx], E_fit, y[fit_idx]),
        "pitch R²": pitch_leakage_r2(E_query, pitch[query_idx]),
    }


scores = {}
for name, head in heads.items():
    head.fit(F_fit, y[fit_idx])
    scores[name] = score(head.transform(F_fit), head.transform(F_query))
scores["sktimbre default"] = score(default.transform(X[fit_idx]), default.transform(X[query_idx]))
for name, row in scores.items():
    print(f"{name:24s} " + "  ".join(f"{k} {v:6.3f}" for k, v in row.items()))

# %%
# The scores side by side
# -----------------------
# Higher is better for mAP and 1-NN; pitch R² near (or below) zero means the
# embedding says nothing linear about the pitch.
metrics = ["mAP", "1-NN", "pitch R²"]
fig, ax = plt.subplots(figsize=(7, 3.5), layout="constrained")
width = 0.26
for i, (name, row) in enumerate(scores.items()):
    positions = np.arange(len(metrics)) + (i - 1) * width
    bars = ax.bar(positions, [row[m] for m in metrics], width, label=name)
    ax.bar_label(bars, fmt="%.2f", fontsize=8)
ax.axhline(0, color="black", linewidth=0.8)
ax.set_xticks(np.arange(len(metrics)), metrics)
ax.set_ylim(min(-0.2, *(r["pitch R²"] - 0.1 for r in scores.values())), 1.15)
ax.set_title("Held-out pitches, 8 synthetic instruments")
ax.legend(loc="upper right", fontsize=8)
plt.show()
