"""Composing front end, descriptor families, scaling and projection into one Pipeline."""

from __future__ import annotations

from sklearn.decomposition import PCA
from sklearn.discriminant_analysis import LinearDiscriminantAnalysis
from sklearn.neighbors import NeighborhoodComponentsAnalysis
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.preprocessing import StandardScaler

from .families import MFCC, Chroma, SpectralContrast
from .frontend import AudioFrontEnd

__all__ = ["make_timbre_embedder", "seed_feature_union", "default_feature_union",
           "PROJECTIONS"]

PROJECTIONS = ("pca", "lda", "shrinkage-lda", "nca")
"""Names accepted by ``make_timbre_embedder(projection=...)`` besides ``None``."""


def seed_feature_union() -> FeatureUnion:
    """The classic 58-dim vector: chroma-CENS, spectral-contrast and MFCC/delta means.

    Column for column the vector of the snippet users start from::

        np.concatenate([chroma_cens(y, sr).mean(1), spectral_contrast(y, sr).mean(1),
                        m.mean(1), delta(m).mean(1), delta(m, order=2).mean(1)])

    with ``m = mfcc(y, sr, n_mfcc=13)``, all librosa defaults at 22,050 Hz.
    Kept as a reference point: chroma makes it move with pitch.

    Returns
    -------
    union : sklearn.pipeline.FeatureUnion

    Examples
    --------
    >>> from sktimbre import seed_feature_union
    >>> [name for name, _ in seed_feature_union().transformer_list]
    ['chroma', 'contrast', 'mfcc']
    """
    return FeatureUnion([
        ("chroma", Chroma(variant="cens")),
        ("contrast", SpectralContrast()),
        ("mfcc", MFCC(n_mfcc=13, deltas=2)),
    ])


def default_feature_union() -> FeatureUnion:
    """The descriptor families of the default embedder.

    Returns
    -------
    union : sklearn.pipeline.FeatureUnion

    Examples
    --------
    >>> from sktimbre.embedder import default_feature_union
    >>> [name for name, _ in default_feature_union().transformer_list]
    ['contrast', 'mfcc']
    """
    return FeatureUnion([
        ("contrast", SpectralContrast()),
        ("mfcc", MFCC(n_mfcc=13, deltas=2)),
    ])


def _projection_step(projection, n_components):
    if projection is None:
        return "passthrough"
    if projection == "pca":
        return PCA(n_components=n_components, random_state=0)
    if projection == "lda":
        return LinearDiscriminantAnalysis(n_components=n_components)
    if projection == "shrinkage-lda":
        return LinearDiscriminantAnalysis(solver="eigen", shrinkage="auto",
                                          n_components=n_components)
    if projection == "nca":
        return NeighborhoodComponentsAnalysis(n_components=n_components, random_state=0)
    if hasattr(projection, "fit") and hasattr(projection, "transform"):
        return projection
    raise ValueError(
        f"projection must be None, one of {list(PROJECTIONS)} or a transformer, "
        f"got {projection!r}"
    )


def _union_analyses(union: FeatureUnion) -> list[tuple]:
    """Distinct analyses the union's families will ask for, in first-use order."""
    keys: list[tuple] = []
    for _, family in union.transformer_list:
        for key in getattr(family, "_analyses", list)():
            if key not in keys:
                keys.append(key)
    return keys


def make_timbre_embedder(
    families: FeatureUnion | list | str = "default",
    *,
    projection=None,
    n_components: int | None = None,
    sr: int = 22050,
    on_error: str = "raise",
    n_jobs: int | None = None,
) -> Pipeline:
    """Build a timbre embedder: front end, descriptor families, scaler, projection.

    The result is a plain :class:`~sklearn.pipeline.Pipeline`::

        AudioFrontEnd -> FeatureUnion(families) -> StandardScaler -> projection

    so it clones, pickles, grid-searches and ``set_output``\\ s like any pipeline.
    The front end decodes every clip once and precomputes, in ``n_jobs`` worker
    processes, each distinct analysis the families need.

    Parameters
    ----------
    families : "default", "seed", FeatureUnion or list of (name, transformer)
        The descriptor families. ``"seed"`` is :func:`seed_feature_union`.
    projection : None, {"pca", "lda", "shrinkage-lda", "nca"} or transformer, default=None
        Final projection. Supervised ones (LDA, NCA) need instrument labels in ``fit``.
        ``"shrinkage-lda"`` is LDA with Ledoit-Wolf shrinkage of the within-class
        covariance, which copes with many correlated descriptors.
    n_components : int or None, default=None
        Output dimensions of the projection (``None``: the projection's own default).
    sr : int, default=22050
        Analysis sample rate in Hz; files are resampled to it.
    on_error : {"raise", "nan"}, default="raise"
        Unusable clips raise :class:`~sktimbre.io.InvalidClipError`, or become NaN
        rows reported by a :class:`~sktimbre.io.ClipWarning`.
    n_jobs : int or None, default=None
        Worker processes for decoding and analysis.

    Returns
    -------
    embedder : sklearn.pipeline.Pipeline
        Steps ``frontend``, ``features``, ``scale``, ``project``.

    Examples
    --------
    >>> from sktimbre import make_timbre_embedder
    >>> from sktimbre.datasets import make_notes
    >>> X, y = make_notes(n_instruments=3, pitches=range(48, 72, 3), random_state=0)
    >>> embedder = make_timbre_embedder("seed", projection="lda").fit(X, y)
    >>> embedder.transform(X).shape
    (48, 2)
    >>> list(embedder.named_steps)
    ['frontend', 'features', 'scale', 'project']
    """
    if isinstance(families, str):
        builders = {"default": default_feature_union, "seed": seed_feature_union}
        if families not in builders:
            raise ValueError(f"families must be 'default', 'seed', a FeatureUnion or a list "
                             f"of (name, transformer), got {families!r}")
        union = builders[families]()
    elif isinstance(families, FeatureUnion):
        union = families
    else:
        union = FeatureUnion(list(families))
    frontend = AudioFrontEnd(sr=sr, analyses=_union_analyses(union), on_error=on_error,
                             n_jobs=n_jobs)
    return Pipeline([
        ("frontend", frontend),
        ("features", union),
        ("scale", StandardScaler()),
        ("project", _projection_step(projection, n_components)),
    ])
