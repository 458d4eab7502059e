"""Fit a timbre embedder on some pitches, retrieve instruments at pitches it never saw.

Usage::

    python examples/unseen_pitch_retrieval.py

Synthetic instruments from :func:`sktimbre.datasets.make_notes`; the pitch-block
splitter keeps fitting and query pitches apart. Prints retrieval quality of the
raw 58-dim snippet vector, the same with shrinkage LDA, and the default embedder.
"""

import numpy as np

from sktimbre import make_timbre_embedder
from sktimbre.datasets import make_notes
from sktimbre.metrics import mean_average_precision, nearest_neighbor_accuracy, pitch_leakage_r2
from sktimbre.model_selection import PitchBlockSplit

X, y, pitch = make_notes(n_instruments=8, pitches=range(36, 84, 3), velocities=(1.0,),
                         duration=0.5, random_state=0, return_pitch=True)
fit_idx, query_idx = next(PitchBlockSplit().split(X, y, groups=pitch))

embedders = {
    "raw snippet vector (58)": make_timbre_embedder("seed", projection=None).set_params(
        scale="passthrough"),
    "snippet + shrinkage LDA": make_timbre_embedder("seed"),
    "default": make_timbre_embedder(),
}
print(f"{'embedder':28s} {'mAP':>6s} {'1-NN':>6s} {'pitch R2':>9s}")
for name, embedder in embedders.items():
    embedder.fit(X[fit_idx], y[fit_idx])
    E_fit, E_query = embedder.transform(X[fit_idx]), embedder.transform(X[query_idx])
    print(f"{name:28s} {mean_average_precision(E_query, y[query_idx]):6.3f} "
          f"{nearest_neighbor_accuracy(E_query, y[query_idx], E_fit, y[fit_idx]):6.3f} "
          f"{pitch_leakage_r2(E_query, pitch[query_idx]):9.3f}")
assert np.isfinite(E_query).all()
