"""
A sample library: index it, find similar sounds, map it
=======================================================

Sound designers think in folders of thousands of samples. :class:`sktimbre.TimbreIndex`
embeds such a folder once, answers "what sounds like this?" without embedding it
again, re-embeds only what changed, and :func:`sktimbre.timbre_map.write_map`
draws it as one interactive HTML page. Here the "library" is 48 synthetic notes
(six instruments, eight pitches) written as WAV files; the commands ``sktimbre
index``, ``sktimbre similar --index`` and ``sktimbre map`` do the same from a
shell (see :ref:`explore`).

This is what the map page looks like, on 2,360 real notes of 32 instruments
(hover: name, family, pitch; click: play, and the ten nearest sounds are listed):

.. image:: /_static/map_screenshot.png
   :alt: The timbre map of 2,360 instrument notes coloured by family, with a violin
         note selected and its nearest sounds listed.

`Open a live map <../_static/timbre_map_demo.html>`_ of the example clips that ship
with sktimbre (their audio is in the page).
"""

# sphinx_gallery_thumbnail_path = "_static/map_screenshot.png"

# %%
import os
import tempfile

import matplotlib.pyplot as plt
import soundfile as sf

from sktimbre import TimbreIndex
from sktimbre.datasets import make_notes
from sktimbre.timbre_map import map_layout, write_map

X, y, pitch = make_notes(n_instruments=6, pitches=range(48, 80, 4), velocities=(1.0,),
                         duration=0.5, random_state=0, return_pitch=True)
library = tempfile.mkdtemp(prefix="library-")
instrument = {}
for clip, label, p in zip(X, y, pitch, strict=True):
    path = os.path.join(library, f"instrument{label}", f"note{p}.wav")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    sf.write(path, clip, 22050)
    instrument[path] = f"instrument {label}"

index = TimbreIndex().fit([library])  # the pretrained embedder; folders are searched
print(f"{len(index.ids_)} sounds, {index.vectors_.shape[1]}-dimensional vectors")

# %%
# Similar sounds, without embedding the library again
# ---------------------------------------------------
# A file of the index is not even embedded: its stored vector is the query, and
# ``exclude_self`` leaves it out of its own list. Other clips are embedded with the
# index's own embedder.
query = os.path.join(library, "instrument2", "note60.wav")
distances, rows = index.query([query], k=5, exclude_self=True, return_indices=True)
for d, row in zip(distances[0], rows[0], strict=True):
    name = os.path.relpath(index.ids_[row], library)
    print(f"{d:.3f}  {name}  (pitch estimate {index.pitch_hz_[row]:.0f} Hz)")

# %%
# The nearest sounds are the same instrument at other pitches: the embedding is
# about timbre, not pitch.
#
# Keeping the index up to date
# ----------------------------
# ``update`` compares each file's size and modification time with those stored:
# only new and changed files are embedded, deleted ones are dropped.
index.save(os.path.join(library, "library.skx"))
sf.write(os.path.join(library, "instrument5", "new.wav"), X[-1], 22050)
instrument[os.path.join(library, "instrument5", "new.wav")] = "instrument 5"
os.remove(os.path.join(library, "instrument0", "note48.wav"))
index = TimbreIndex.load(os.path.join(library, "library.skx")).update([library])
print({what: [os.path.relpath(p, library) for p in paths]
       for what, paths in index.changes_.items()})

# %%
# The map
# -------
# One HTML file, no network: open it in a browser. Colours come from the labels
# (here a mapping from path to instrument); audio is found by paths relative to
# the page, or embedded with ``embed_audio=True``.
page = os.path.join(library, "map.html")
write_map(index, page, labels=instrument, label_name="instrument")
print(f"{page}: {os.path.getsize(page) / 1e3:.0f} kB")

# %%
# The page lays the sounds out with t-SNE (:func:`~sktimbre.timbre_map.map_layout`);
# the same layout, drawn with matplotlib:
xy = map_layout(index.vectors_)
labels = [instrument[p] for p in index.ids_]
fig, ax = plt.subplots(figsize=(6, 4.5), layout="constrained")
for name in sorted(set(labels)):
    points = xy[[label == name for label in labels]]
    ax.scatter(*points.T, s=22, label=name)
ax.set_xticks([])
ax.set_yticks([])
ax.set_title("The map's layout: one point per sound")
ax.legend(fontsize=8, loc="best")
plt.show()
