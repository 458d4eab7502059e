"""User guide figure: the data flow of a timbre embedder (drawn, not computed)."""

import matplotlib.pyplot as plt
from matplotlib.patches import FancyBboxPatch

fig, ax = plt.subplots(figsize=(12, 4.6))
fig.subplots_adjust(left=0.01, right=0.99, bottom=0.01, top=0.99)
ax.set_xlim(0, 12.6)
ax.set_ylim(-0.85, 4.1)
ax.axis("off")


def box(x, y, w, h, title, body="", colour="#dbe9f6"):
    ax.add_patch(FancyBboxPatch((x, y), w, h, boxstyle="round,pad=0.02,rounding_size=0.08",
                                facecolor=colour, edgecolor="#3b5b7d", linewidth=1.0))
    ax.text(x + w / 2, y + h - 0.1, title, ha="center", va="top", fontsize=10,
            fontweight="bold")
    if body:
        ax.text(x + w / 2, y + h - 0.38, body, ha="center", va="top", fontsize=8,
                linespacing=1.25)


def arrow(x0, y0, x1, y1):
    ax.annotate("", xy=(x1, y1), xytext=(x0, y0),
                arrowprops={"arrowstyle": "-|>", "color": "#3b5b7d", "lw": 1.0})


box(0.05, 1.6, 1.15, 1.0, "audio", "paths, arrays\n(any length,\nany rate)", colour="#f2f2f2")
arrow(1.2, 2.1, 1.45, 2.1)
box(1.45, 1.3, 1.6, 1.6, "AudioFrontEnd", "decode + validate\nonce, trim silence\n\n"
    "→ ClipBatch\n  or ClipStream")
arrow(3.05, 2.1, 3.3, 2.1)

# the executor: analyses computed once per clip, shared
ax.add_patch(FancyBboxPatch((3.3, -0.3), 4.55, 4.3, boxstyle="round,pad=0.02",
                            facecolor="#fbf7ea", edgecolor="#b39b4d", linewidth=1.0))
ax.text(5.57, 3.92, "executor: extract(clips, families), per chunk (in workers with n_jobs)",
        ha="center", va="top", fontsize=8.5, style="italic")
analyses = [("STFT 2048/512", 3.0), ("MelSpectrogram", 2.2), ("STFT 8192/2048", 1.4),
            ("F0", 0.6), ("Waveform", -0.2)]
for name, y in analyses:
    box(3.45, y, 1.55, 0.55, name, colour="#f3e7bd")
arrow(4.22, 3.0, 4.22, 2.75)
arrow(4.22, 1.4, 4.22, 1.15)
ax.text(4.22, -0.42, "declared analyses,\ncomputed once per clip", ha="center", va="top",
        fontsize=8)
families = [("contrast", 3.25, [3.27]), ("mfcc", 2.55, [3.27, 2.47]),
            ("shape", 1.85, [3.27]), ("harmonic", 1.15, [1.67, 0.87]),
            ("envelope", 0.45, [0.07])]
for name, y, sources in families:
    box(5.65, y, 2.05, 0.52, name, "describe(sr, **analyses)", colour="#e3f1e1")
    for ys in sources:
        arrow(5.0, ys, 5.65, y + 0.26)
    arrow(7.7, y + 0.26, 8.05, 2.1)

box(8.05, 1.55, 1.3, 1.1, "FamilyUnion", "rows side by side:\n118 columns\n+ failures")
arrow(9.35, 2.1, 9.55, 2.1)
box(9.55, 1.55, 1.0, 1.1, "Standard-\nScaler", "\n\nlearned")
arrow(10.55, 2.1, 10.75, 2.1)
box(10.75, 1.55, 1.05, 1.1, "projection", "shrinkage\nLDA (default)\nlearned")
arrow(11.8, 2.1, 12.0, 2.1)
ax.text(12.03, 2.1, "timbre\nvector", ha="left", va="center", fontsize=9.5, fontweight="bold")
ax.text(10.65, 1.3, "the only fitted steps", ha="center", va="top", fontsize=8.5,
        style="italic")
