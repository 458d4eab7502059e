"""
Choosing feature settings with GridSearchCV
===========================================

An embedder is a :class:`~sklearn.pipeline.Pipeline`, so its feature settings
are hyper-parameters like any other. Two things make the search favour
*pitch-robust* settings:

* the cross-validator :class:`sktimbre.model_selection.PitchBlockSplit` (pass
  the MIDI pitch as ``groups``) never puts notes of the same pitch range in the
  training and the test fold;
* the scorer :func:`sktimbre.metrics.retrieval_map_scorer` measures retrieval mAP
  among the held-out notes: a transformer has no ``predict``, so accuracy would
  not do.
"""

# %%
# Data and a small embedder
# -------------------------
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import FeatureUnion

from sktimbre import MFCC, SpectralContrast, make_timbre_embedder
from sktimbre.datasets import make_notes
from sktimbre.metrics import retrieval_map_scorer
from sktimbre.model_selection import PitchBlockSplit

X, y, pitch = make_notes(n_instruments=8, pitches=range(40, 80, 3), velocities=(1.0,),
                         duration=0.5, noise_level=0.05, random_state=1, return_pitch=True)
union = FeatureUnion([("contrast", SpectralContrast()), ("mfcc", MFCC())])
embedder = make_timbre_embedder(union, projection="shrinkage-lda")

# %%
# The search
# ----------
# Parameters of a family are reached through the pipeline step ``features`` and
# the family's name in the union.
grid = {
    "features__mfcc__n_mfcc": [13, 20],
    "features__mfcc__deltas": [0, 2],
    "features__mfcc__pooling": [["mean"], ["mean", "std"]],
}
search = GridSearchCV(embedder, grid, cv=PitchBlockSplit(block_size=6),
                      scoring=retrieval_map_scorer, n_jobs=1)
search.fit(X, y, groups=pitch)
print("best settings:", search.best_params_)
print(f"held-out-pitch mAP: {search.best_score_:.3f}")

# %%
# Every setting's score
# ---------------------
# The mean and spread over the two pitch folds.
results = pd.DataFrame(search.cv_results_)
labels = [f"n_mfcc={p['features__mfcc__n_mfcc']}, deltas={p['features__mfcc__deltas']}, "
          f"{'+'.join(p['features__mfcc__pooling'])}" for p in results["params"]]
order = np.argsort(results["mean_test_score"].to_numpy())
fig, ax = plt.subplots(figsize=(7, 3.8), layout="constrained")
ax.barh(np.arange(len(order)), results["mean_test_score"].to_numpy()[order],
        xerr=results["std_test_score"].to_numpy()[order], color="tab:blue", alpha=0.8)
ax.set_yticks(np.arange(len(order)), [labels[i] for i in order], fontsize=8)
ax.set_xlabel("retrieval mAP on held-out pitches")
low = results["mean_test_score"].min() - 2 * results["std_test_score"].max()
ax.set_xlim(max(0.0, low - 0.02), 1.0)
ax.set_title("GridSearchCV with PitchBlockSplit")
plt.show()
