"""sktimbre: timbre vectors for instrument recordings, as scikit-learn transformers.

Each descriptor family is a transformer from audio to one row per clip; an
:class:`AudioFrontEnd` decodes clips and shares their spectral analyses among
families; :func:`make_timbre_embedder` composes them with scaling and a projection
into a plain :class:`sklearn.pipeline.Pipeline`; :func:`save` and :func:`load`
store a fitted one in a file that holds data only (no pickle).
"""

from ._versions import __version__
from .embedder import make_timbre_embedder, seed_feature_union
from .families import (
    MFCC,
    Chroma,
    FrameHarmonics,
    HarmonicDescriptors,
    MelBands,
    NoteEnvelope,
    NoteHarmonics,
    PitchEstimate,
    SpectralContrast,
    SpectralShape,
    TemporalEnvelope,
)
from .frontend import AudioFrontEnd, ClipBatch, ClipFailure
from .io import ClipWarning, InvalidClipError
from .persistence import InvalidModelFileError, load, save

# Submodules reachable as attributes after `import sktimbre`, imported on first access
# (as scikit-learn and scipy do): `sktimbre.augment.augment_clips(...)` works without
# `import sktimbre.augment`, and `import sktimbre` stays as fast as it is. `neural`
# imports PyTorch only when a model is fitted or used.
_SUBMODULES = (
    "augment", "cli", "datasets", "embedder", "families", "frontend", "index", "io",
    "metrics", "model_selection", "neural", "persistence", "pooling", "pretrained",
    "projection", "timbre_map",
)


def __getattr__(name):
    if name in _SUBMODULES:
        import importlib

        return importlib.import_module(f"{__name__}.{name}")
    # Imported on first use, so that `python -m sktimbre.pretrained` runs cleanly.
    if name == "load_pretrained_embedder":
        from .pretrained import load_pretrained_embedder

        return load_pretrained_embedder
    if name == "TimbreIndex":  # issue 15: the similarity index of a sample library
        from .index import TimbreIndex

        return TimbreIndex
    raise AttributeError(f"module 'sktimbre' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_SUBMODULES) | {"load_pretrained_embedder",
                                                        "TimbreIndex"})

__all__ = [
    "AudioFrontEnd",
    "ClipBatch",
    "ClipFailure",
    "MFCC",
    "MelBands",
    "SpectralContrast",
    "Chroma",
    "SpectralShape",
    "TemporalEnvelope",
    "HarmonicDescriptors",
    "FrameHarmonics",
    "NoteHarmonics",
    "NoteEnvelope",
    "PitchEstimate",
    "make_timbre_embedder",
    "seed_feature_union",
    "load_pretrained_embedder",
    "TimbreIndex",
    "save",
    "load",
    "InvalidClipError",
    "ClipWarning",
    "InvalidModelFileError",
    "__version__",
]
