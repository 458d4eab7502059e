"""
A map of the embedding: by instrument, and by pitch
===================================================

What does an embedding organise its notes by? Colour the same 2-D map once by
instrument and once by pitch: in a timbre space, the first colouring forms
clusters and the second is mixed within every cluster.

Ten synthetic instruments (:func:`sktimbre.datasets.make_notes`) over three
octaves. The embedders are fitted on half of the pitch range, and the map shows
the notes of the *other* half -- pitches the embedders never saw -- projected to
two dimensions by PCA. Top: MFCC means (the most common "timbre" vector),
standardised, no projection. Bottom: the default sktimbre embedder.
"""

# %%
import matplotlib.pyplot as plt
from sklearn.decomposition import PCA
from sklearn.pipeline import FeatureUnion

from sktimbre import MFCC, make_timbre_embedder
from sktimbre.datasets import make_notes
from sktimbre.model_selection import PitchBlockSplit

X, y, pitch = make_notes(n_instruments=10, pitches=range(42, 80, 2), velocities=(1.0,),
                         duration=0.5, noise_level=0.03, random_state=3, return_pitch=True)
fit_idx, query_idx = next(PitchBlockSplit().split(X, y, groups=pitch))

embedders = {
    "MFCC means, standardised": make_timbre_embedder(
        FeatureUnion([("mfcc", MFCC(n_mfcc=20))]), projection=None),
    "sktimbre default": make_timbre_embedder(),
}

# %%
# Two colourings of the same points
# ---------------------------------
fig, axes = plt.subplots(2, 2, figsize=(8, 7.5), layout="constrained")
for row, (name, embedder) in zip(axes, embedders.items(), strict=True):
    embedder.fit(X[fit_idx], y[fit_idx])
    xy = PCA(n_components=2).fit_transform(embedder.transform(X[query_idx]))
    by_instrument = row[0].scatter(*xy.T, c=y[query_idx], cmap="tab10", s=18)
    by_pitch = row[1].scatter(*xy.T, c=pitch[query_idx], cmap="viridis", s=18)
    row[0].set_ylabel(name)
    for ax in row:
        ax.set_xticks([])
        ax.set_yticks([])
axes[0, 0].set_title("coloured by instrument")
axes[0, 1].set_title("coloured by pitch (MIDI)")
fig.colorbar(by_pitch, ax=axes[:, 1], shrink=0.6, label="MIDI pitch")
fig.colorbar(by_instrument, ax=axes[:, 0], shrink=0.6, label="instrument")
plt.show()

# %%
# The MFCC vector spreads each instrument along the pitch gradient, which is
# why its nearest neighbours are often other instruments at the same pitch.
# The default embedder's families describe the spectrum relative to the note's
# own fundamental (:class:`~sktimbre.HarmonicDescriptors`), its envelope
# (:class:`~sktimbre.TemporalEnvelope`) and its shape on an octave axis
# (:class:`~sktimbre.SpectralShape`), and shrinkage LDA keeps the directions
# that separate instruments: the clusters hold across the unseen pitches.
