"""Getting started figure: the same instrument at two pitches vs two instruments at one.

Run by the ``plot`` directive at build time, on synthetic notes.
"""

import librosa
import matplotlib.pyplot as plt
import numpy as np
from sklearn.metrics.pairwise import cosine_similarity
from sklearn.pipeline import FeatureUnion

from sktimbre import MFCC, make_timbre_embedder
from sktimbre.datasets import make_notes
from sktimbre.model_selection import PitchBlockSplit

SR = 22050
X, y, pitch = make_notes(n_instruments=6, pitches=range(45, 82, 3), velocities=(1.0,),
                         duration=0.5, noise_level=0.02, random_state=0, return_pitch=True)

fig, (ax_spec, ax_sim) = plt.subplots(1, 2, figsize=(10, 3.6), width_ratios=[1.5, 1],
                                      layout="constrained")

# (a) spectra: instrument 0 at two pitches, instrument 1 at the lower one
for inst, midi, colour, style, label in [(0, 48, "tab:blue", "-", "instrument A, C3"),
                                         (0, 72, "tab:cyan", "-", "instrument A, C5"),
                                         (1, 48, "tab:orange", "--", "instrument B, C3")]:
    clip = X[(y == inst) & (pitch == midi)][0]
    S = np.abs(librosa.stft(clip, n_fft=4096, hop_length=1024)).mean(axis=1)
    level = 20 * np.log10(S + 1e-9)
    ax_spec.plot(librosa.fft_frequencies(sr=SR, n_fft=4096)[1:], level[1:] - level.max(),
                 style, color=colour, linewidth=1.0, label=label)
ax_spec.set_xscale("log")
ax_spec.set_xlim(80, 8000)
ax_spec.set_ylim(-75, 5)
ax_spec.set_xlabel("frequency (Hz)")
ax_spec.set_ylabel("level (dB re peak)")
ax_spec.set_title("Spectra: the harmonics follow the pitch", fontsize=10)
ax_spec.legend(fontsize=8, loc="upper right")

# (b) similarity: same instrument an octave or more apart vs other instrument, same pitch
fit_idx, query_idx = next(PitchBlockSplit().split(X, y, groups=pitch))
vectors = {
    "MFCC means\n(standardised)": make_timbre_embedder(
        FeatureUnion([("mfcc", MFCC(n_mfcc=20))]), projection=None),
    "sktimbre\nembedder": make_timbre_embedder(),
}
yq, pq = y[query_idx], pitch[query_idx]
same_instrument_far = (yq[:, None] == yq[None]) & (np.abs(pq[:, None] - pq[None]) >= 12)
other_instrument_same_pitch = (yq[:, None] != yq[None]) & (pq[:, None] == pq[None])
bars = {"same instrument, ≥ 1 octave apart": [], "other instrument, same pitch": []}
for embedder in vectors.values():
    S = cosine_similarity(embedder.fit(X[fit_idx], y[fit_idx]).transform(X[query_idx]))
    bars["same instrument, ≥ 1 octave apart"].append(S[same_instrument_far].mean())
    bars["other instrument, same pitch"].append(S[other_instrument_same_pitch].mean())
positions = np.arange(len(vectors))
for i, (label, values) in enumerate(bars.items()):
    drawn = ax_sim.bar(positions + (i - 0.5) * 0.38, values, 0.38, label=label)
    ax_sim.bar_label(drawn, fmt="%.2f", fontsize=8)
ax_sim.axhline(0, color="black", linewidth=0.8)
ax_sim.set_xticks(positions, list(vectors))
ax_sim.set_ylabel("mean cosine similarity")
ax_sim.set_ylim(-0.4, 1.45)
ax_sim.set_title("Which notes does a vector call similar?", fontsize=10)
ax_sim.legend(fontsize=8, loc="upper left")
