"""
Migrating the 58-dim librosa snippet to sktimbre
================================================

Many projects start from this per-file feature vector: chroma-CENS, spectral
contrast, and the means of 13 MFCCs and their first and second deltas -- 58
numbers per clip.

.. code-block:: python

    def snippet(path):
        y, sr = librosa.load(path)
        m = librosa.feature.mfcc(y=y, sr=sr, n_mfcc=13)
        return np.concatenate([
            librosa.feature.chroma_cens(y=y, sr=sr).mean(1),
            librosa.feature.spectral_contrast(y=y, sr=sr).mean(1),
            m.mean(1), librosa.feature.delta(m).mean(1),
            librosa.feature.delta(m, order=2).mean(1),
        ])

    features = np.stack([snippet(p) for p in paths])

This example replaces it step by step: first by the *same* 58 numbers as a
scikit-learn transformer, then by the default timbre embedder -- and looks at
what happens to each note's nearest neighbours.
"""

# %%
# Step 1: the same 58 numbers, as a transformer
# ---------------------------------------------
# :func:`sktimbre.seed_feature_union` is the snippet as a
# :class:`~sklearn.pipeline.FeatureUnion` of descriptor families, column for
# column. It takes paths or arrays, decodes each clip once and shares one STFT
# between the contrast and MFCC families.
import warnings

import librosa
import matplotlib.pyplot as plt
import numpy as np
from sklearn.metrics import pairwise_distances

from sktimbre import make_timbre_embedder, seed_feature_union
from sktimbre.datasets import make_notes
from sktimbre.model_selection import PitchBlockSplit


def snippet(y, sr=22050):
    with warnings.catch_warnings():  # librosa's CQT warns about its short top octaves
        warnings.simplefilter("ignore", UserWarning)
        chroma = librosa.feature.chroma_cens(y=y, sr=sr)
    m = librosa.feature.mfcc(y=y, sr=sr, n_mfcc=13)
    return np.concatenate([
        chroma.mean(1),
        librosa.feature.spectral_contrast(y=y, sr=sr).mean(1),
        m.mean(1), librosa.feature.delta(m).mean(1), librosa.feature.delta(m, order=2).mean(1),
    ])


X, y, pitch = make_notes(n_instruments=6, pitches=range(45, 81, 3), velocities=(1.0,),
                         duration=1.0, noise_level=0.03, random_state=2, return_pitch=True)

union = seed_feature_union()
F_sktimbre = union.fit_transform(X[:4])
F_librosa = np.stack([snippet(clip) for clip in X[:4]])
print("shape:", F_sktimbre.shape)
print("same numbers as the snippet:", np.allclose(F_sktimbre, F_librosa, atol=1e-4))
print("first columns:", list(union.get_feature_names_out()[[0, 12, 19, 32, 45]]))

# %%
# Step 2: a timbre embedder
# -------------------------
# The snippet vector is not a good timbre vector: chroma *is* pitch, and MFCC
# means move with the note played. :func:`sktimbre.make_timbre_embedder` swaps
# in pitch-robust families and learns a projection from labelled notes. It is
# fitted here on half of the pitch range; the neighbours below are searched among
# the notes of the other half, which it never saw.
fit_idx, query_idx = next(PitchBlockSplit().split(X, y, groups=pitch))
embedder = make_timbre_embedder().fit(X[fit_idx], y[fit_idx])

X_q, y_q, pitch_q = X[query_idx], y[query_idx], pitch[query_idx]
embeddings = {
    "librosa snippet (58 raw numbers)": seed_feature_union().fit_transform(X_q),
    "sktimbre default embedder": embedder.transform(X_q),
}

# %%
# What changes in the neighbours
# ------------------------------
# For a few notes, their five nearest other notes by cosine distance. Green: the
# same instrument. With the snippet, neighbours are mostly *other* instruments
# at nearby pitches; with the embedder, the same instrument at other pitches.
queries = np.arange(0, len(X_q), max(1, len(X_q) // 8))[:8]
fig, axes = plt.subplots(1, 2, figsize=(9, 4.2), layout="constrained")
for ax, (name, E) in zip(axes, embeddings.items(), strict=True):
    D = pairwise_distances(E, metric="cosine")
    np.fill_diagonal(D, np.inf)
    neighbours = np.argsort(D, axis=1, kind="stable")[:, :5]
    same = y_q[neighbours] == y_q[:, None]
    ax.imshow(same[queries], cmap="RdYlGn", vmin=-0.3, vmax=1.3, aspect="auto")
    for r, q in enumerate(queries):
        for c, n in enumerate(neighbours[q]):
            ax.text(c, r, f"i{y_q[n]} · {pitch_q[n]}", ha="center", va="center", fontsize=8)
    ax.set_yticks(range(len(queries)),
                  [f"i{y_q[q]} · {pitch_q[q]}" for q in queries], fontsize=8)
    ax.set_xticks(range(5), [f"#{k}" for k in range(1, 6)])
    ax.set_title(f"{name}\nsame instrument in top 5: {same.mean():.0%}", fontsize=10)
axes[0].set_ylabel("query (instrument · MIDI pitch)")
plt.show()

# %%
# In code, the migration is::
#
#     from sktimbre import make_timbre_embedder
#
#     embedder = make_timbre_embedder().fit(train_paths, train_instruments)
#     features = embedder.transform(paths)   # instead of np.stack([snippet(p) ...])
#
# or, without labels, ``sktimbre.load_pretrained_embedder().transform(paths)``.
