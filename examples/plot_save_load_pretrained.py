"""
Saving, loading, and embedding new audio
========================================

Two ways to get a ready embedder:

* :func:`sktimbre.load_pretrained_embedder` -- the default embedder, already
  fitted on two General MIDI sample libraries (with augmentation); no labels
  needed;
* your own, fitted on your labelled notes and stored with :func:`sktimbre.save`,
  then rebuilt anywhere with :func:`sktimbre.load`.

The saved file holds parameters and numeric arrays only -- no pickle, so loading
a file from someone else cannot run their code -- and :func:`sktimbre.load`
rebuilds only trusted classes (:data:`sktimbre.persistence.TRUSTED_TYPES`).
"""

# %%
# Embed audio files with the pretrained default
# ---------------------------------------------
# The demo clips that ship in ``examples/audio``: any list of paths (WAV, FLAC,
# ...) or of arrays will do.
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from sklearn.metrics.pairwise import cosine_similarity

import sktimbre
from sktimbre.datasets import make_notes
from sktimbre.persistence import read_info

try:
    audio = Path(__file__).resolve().parent / "audio"
except NameError:  # sphinx-gallery runs the examples from their own folder
    audio = Path("audio")
paths = sorted(str(p) for p in audio.glob("*.flac"))
pretrained = sktimbre.load_pretrained_embedder()
E_demo = pretrained.transform(paths)
print(f"{len(paths)} clips -> embeddings of shape {E_demo.shape}")

# %%
# Fit your own, save it, load it back
# -----------------------------------
# A small embedder fitted on six synthetic instruments. ``metadata`` is free-form
# and travels with the file; :func:`~sktimbre.persistence.read_info` reads it (and
# the versions it was saved under) without building anything.
X, y, pitch = make_notes(n_instruments=6, pitches=range(48, 73, 4), velocities=(1.0,),
                         duration=0.5, random_state=0, return_pitch=True)
embedder = sktimbre.make_timbre_embedder().fit(X, y)

path = Path(tempfile.mkdtemp()) / "my_embedder.skt"
sktimbre.save(embedder, path, metadata={"fitted_on": "6 synthetic instruments"})
info = read_info(path)
print(f"{path.name}: {path.stat().st_size / 1024:.0f} KiB, metadata {info['metadata']}")
print("sktimbre version saved:", info["versions"].get("sktimbre"))

loaded = sktimbre.load(path)
print("same embeddings after loading:", np.array_equal(loaded.transform(X), embedder.transform(X)))

# %%
# Embed new notes
# ---------------
# New notes of the same six instruments, at pitches between the fitted ones.
X_new, y_new, pitch_new = make_notes(n_instruments=6, pitches=[50, 58, 66],
                                     velocities=(0.7,), duration=0.5, random_state=0,
                                     return_pitch=True)
E_new = loaded.transform(X_new)

# %%
# Cosine similarities
# -------------------
# Left: the demo clips under the pretrained embedder. Right: the new notes under
# the loaded one, sorted by instrument -- the blocks on the diagonal are the
# instruments, whatever the pitch.
fig, axes = plt.subplots(1, 2, figsize=(10, 4.6), layout="constrained")
names = [Path(p).stem for p in paths]
image = axes[0].imshow(cosine_similarity(E_demo), vmin=-1, vmax=1, cmap="RdBu_r")
axes[0].set_xticks(range(len(names)), names, rotation=90, fontsize=7)
axes[0].set_yticks(range(len(names)), names, fontsize=7)
axes[0].set_title("demo clips, pretrained embedder", fontsize=10)
order = np.lexsort((pitch_new, y_new))
axes[1].imshow(cosine_similarity(E_new[order]), vmin=-1, vmax=1, cmap="RdBu_r")
labels = [f"i{y_new[i]} · {pitch_new[i]}" for i in order]
axes[1].set_xticks(range(len(order)), labels, rotation=90, fontsize=7)
axes[1].set_yticks(range(len(order)), labels, fontsize=7)
axes[1].set_title("new notes, loaded embedder", fontsize=10)
fig.colorbar(image, ax=axes, shrink=0.7, label="cosine similarity")
plt.show()
