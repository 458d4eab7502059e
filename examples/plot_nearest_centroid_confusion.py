"""
Identifying instruments by their nearest centroid
=================================================

A simple and robust way to name the instrument of a new note: average the
(L2-normalised) embeddings of each known instrument into a centroid, and pick
the centroid closest to the note. This is the "unseen library" protocol of the
benchmark, here on synthetic notes:

* the embedder and the centroids are fitted on clean notes of twelve
  instruments, on half of the pitch range;
* the queries are the notes of the other half, re-coloured as if recorded
  elsewhere -- another spectral tilt, level, a little detuning and reverb
  (:func:`sktimbre.augment.augment_clip`).
"""

# %%
import matplotlib.pyplot as plt
import numpy as np
from sklearn.metrics import ConfusionMatrixDisplay, accuracy_score
from sklearn.neighbors import NearestCentroid
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import Normalizer

from sktimbre import make_timbre_embedder
from sktimbre.augment import augment_clip
from sktimbre.datasets import make_notes
from sktimbre.metrics import centroid_topk_accuracy
from sktimbre.model_selection import PitchBlockSplit

X, y, pitch = make_notes(n_instruments=12, pitches=range(45, 81, 3), velocities=(0.8,),
                         duration=0.5, noise_level=0.03, random_state=7, return_pitch=True)
fit_idx, query_idx = next(PitchBlockSplit().split(X, y, groups=pitch))
rng = np.random.RandomState(0)
X_query = [augment_clip(X[i], tilt_db_per_octave=(-3.0, 3.0), detune_cents=(-30.0, 30.0),
                        random_state=rng) for i in query_idx]

# %%
# Embedder, then nearest centroid
# -------------------------------
# Cosine distance to a centroid of unit vectors ranks like the Euclidean distance
# after a :class:`~sklearn.preprocessing.Normalizer`, so a plain
# :class:`~sklearn.neighbors.NearestCentroid` does the job.
classifier = make_pipeline(make_timbre_embedder(), Normalizer(), NearestCentroid())
classifier.fit(X[fit_idx], y[fit_idx])
predicted = classifier.predict(X_query)
print(f"top-1 accuracy: {accuracy_score(y[query_idx], predicted):.2f}")

# The same ranking as a metric, also for top-3:
embedder = classifier[0]
E_fit, E_query = embedder.transform(X[fit_idx]), embedder.transform(X_query)
top3 = centroid_topk_accuracy(E_query, y[query_idx], E_fit, y[fit_idx], k=3)
print(f"top-3 accuracy: {top3:.2f}")

# %%
# Which instruments get confused
# ------------------------------
fig, ax = plt.subplots(figsize=(6.5, 5.5), layout="constrained")
ConfusionMatrixDisplay.from_predictions(y[query_idx], predicted, ax=ax, colorbar=False,
                                        cmap="Blues")
ax.set_xlabel("predicted instrument (nearest centroid)")
ax.set_ylabel("true instrument")
ax.set_title("Unseen pitches, re-coloured recordings")
plt.show()
