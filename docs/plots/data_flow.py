"""User guide figure: the data flow of a timbre embedder (drawn, not computed)."""

import matplotlib.pyplot as plt
from matplotlib.patches import FancyBboxPatch

fig, ax = plt.subplots(figsize=(11, 4.0))
fig.subplots_adjust(left=0.01, right=0.99, bottom=0.01, top=0.99)
ax.set_xlim(0, 11.3)
ax.set_ylim(-0.35, 4.0)
ax.axis("off")


def box(x, y, w, h, title, body="", colour="#dbe9f6"):
    ax.add_patch(FancyBboxPatch((x, y), w, h, boxstyle="round,pad=0.02,rounding_size=0.08",
                                facecolor=colour, edgecolor="#3b5b7d", linewidth=1.0))
    ax.text(x + w / 2, y + h - 0.12, title, ha="center", va="top", fontsize=11,
            fontweight="bold")
    if body:
        ax.text(x + w / 2, y + h - 0.42, body, ha="center", va="top", fontsize=9,
                linespacing=1.3)


def arrow(x0, y0, x1, y1, label=""):
    ax.annotate("", xy=(x1, y1), xytext=(x0, y0),
                arrowprops={"arrowstyle": "-|>", "color": "#3b5b7d", "lw": 1.1})
    if label:
        ax.text((x0 + x1) / 2, (y0 + y1) / 2 + 0.1, label, ha="center", va="bottom",
                fontsize=7, color="#3b5b7d")


# audio and front end
box(0.05, 1.55, 1.25, 1.1, "audio", "paths, 1-D arrays\nor a 2-D array\n(one row per clip)",
    colour="#f2f2f2")
arrow(1.3, 2.1, 1.6, 2.1)
box(1.6, 1.2, 1.9, 1.8, "AudioFrontEnd",
    "decode + validate once,\ntrim silence (trim_db),\nn_jobs workers\n\n"
    "→ ClipBatch: memoised\nSTFT per setting, CQT, f0")

# families, each pooling its frames
families = [("MFCC", "c1–c12 means + deltas"), ("SpectralContrast", "7 octave bands"),
            ("HarmonicDescriptors", "f0-relative, clip level"),
            ("TemporalEnvelope", "attack, decay, AM"), ("SpectralShape", "centroid … flux")]
top = 3.95
for i, (name, what) in enumerate(families):
    y = top - 0.72 * (i + 1) + 0.05
    box(4.0, y, 2.2, 0.62, name, what, colour="#e3f1e1")
    arrow(3.5, 2.1, 4.0, y + 0.31)
    arrow(6.2, y + 0.31, 6.6, 2.1)
ax.text(5.1, -0.3, "descriptor families: frames → pooling\n(mean, std, …) → one row per clip",
        ha="center", va="bottom", fontsize=9, style="italic")

# union, scaler, projection
box(6.6, 1.55, 1.45, 1.1, "FeatureUnion", "concatenate:\n118 columns")
arrow(8.05, 2.1, 8.25, 2.1)
box(8.25, 1.55, 1.0, 1.1, "Standard-\nScaler", "\n\nlearned")
arrow(9.25, 2.1, 9.45, 2.1)
box(9.45, 1.55, 1.0, 1.1, "projection", "shrinkage LDA\n(default)\nlearned")
arrow(10.45, 2.1, 10.75, 2.1)
ax.text(10.8, 2.1, "timbre\nvector", ha="left", va="center", fontsize=10, fontweight="bold")
ax.text(8.85, 1.3, "the only fitted steps", ha="center", va="top", fontsize=9,
        style="italic")
