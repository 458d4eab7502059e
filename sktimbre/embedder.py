"""Composing front end, descriptor families, scaling and projection into one Pipeline."""

from __future__ import annotations

from sklearn.base import clone
from sklearn.compose import ColumnTransformer
from sklearn.decomposition import PCA
from sklearn.discriminant_analysis import LinearDiscriminantAnalysis
from sklearn.neighbors import NeighborhoodComponentsAnalysis
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.preprocessing import StandardScaler

from ._sklearn_compat import wrap_data_with_container
from .families import (
    MFCC,
    Chroma,
    FrameHarmonics,
    HarmonicDescriptors,
    NoteEnvelope,
    NoteHarmonics,
    PitchEstimate,
    SpectralContrast,
    SpectralShape,
    TemporalEnvelope,
)
from .families._base import DescriptorFamily
from .frontend import AudioFrontEnd, ClipBatch, ClipStream, as_clips, extract
from .persistence import register_trusted_type
from .projection import PitchNullProjection, TimbreProjection

__all__ = ["make_timbre_embedder", "seed_feature_union", "default_feature_union",
           "note_feature_union", "FamilyUnion",
           "extract_features", "fit_in_chunks", "PROJECTIONS"]

PROJECTIONS = ("pca", "lda", "shrinkage-lda", "nca", "pitch-null-lda")
"""Names accepted by ``make_timbre_embedder(projection=...)`` besides ``None``."""


@register_trusted_type(name="sktimbre.embedder.FamilyUnion")
class FamilyUnion(FeatureUnion):
    """A :class:`~sklearn.pipeline.FeatureUnion` of descriptor families that streams.

    Same parameters, parameter names (``features__mfcc__n_mfcc``) and output as a
    FeatureUnion. The difference is on a :class:`~sktimbre.frontend.ClipStream`
    (what :class:`~sktimbre.AudioFrontEnd` returns for many clips or in parallel):
    a FeatureUnion would let every family decode the stream on its own, while this
    decodes and analyses each chunk once, computes all families' rows from it --
    in the worker process, with ``n_jobs`` on the front end -- and drops it.

    Parameters
    ----------
    transformer_list : list of (str, transformer)
        The families (any transformer; non-families make the stream be decoded whole).
    n_jobs, transformer_weights, verbose, verbose_feature_names_out :
        As :class:`~sklearn.pipeline.FeatureUnion` (``n_jobs`` is not used on a
        stream: parallelism comes from the front end's chunks).

    Examples
    --------
    >>> from sktimbre import AudioFrontEnd, MFCC, SpectralContrast
    >>> from sktimbre.embedder import FamilyUnion
    >>> from sktimbre.datasets import make_notes
    >>> X, y = make_notes(n_instruments=2, pitches=[60, 64, 67], random_state=0)
    >>> union = FamilyUnion([("mfcc", MFCC()), ("contrast", SpectralContrast())])
    >>> union.fit_transform(AudioFrontEnd(batch_size=4).fit_transform(X)).shape
    (12, 20)
    """

    def fit(self, X, y=None, **params):
        """Validate every family (nothing is learned).

        Parameters
        ----------
        X : clips, ClipBatch or ClipStream
        y : None
            Ignored.
        **params : dict
            As :meth:`sklearn.pipeline.FeatureUnion.fit`.

        Returns
        -------
        self : FamilyUnion
        """
        if not self._families_only():
            return super().fit(X, y, **params)
        if not (hasattr(X, "ndim") and X.ndim == 2):  # arrays in memory need no decoding
            X = self._clips(X)
        for _, family, _ in self._iter():
            family.fit(X)
        return self

    def fit_transform(self, X, y=None, **params):
        """Fit every family, then compute all their rows with one pass over ``X``.

        Parameters
        ----------
        X : clips, ClipBatch or ClipStream
        y : None
            Ignored.
        **params : dict
            As :meth:`sklearn.pipeline.FeatureUnion.fit_transform`.

        Returns
        -------
        X_new : ndarray or DataFrame of shape (n_clips, n_features)
        """
        if not self._families_only():
            return super().fit_transform(X, y, **params)
        return self.fit(X).transform(X)

    def transform(self, X, **params):
        """All families' rows, side by side.

        Parameters
        ----------
        X : clips, ClipBatch or ClipStream
        **params : dict
            As :meth:`sklearn.pipeline.FeatureUnion.transform`.

        Returns
        -------
        X_new : ndarray or DataFrame of shape (n_clips, n_features)
        """
        if not self._families_only():
            return super().transform(X, **params)
        steps = list(self._iter())
        rows, _ = extract(self._clips(X), [family for _, family, _ in steps])
        blocks = [wrap_data_with_container("transform", r if w is None else r * w, None, family)
                  for r, (_, family, w) in zip(rows, steps, strict=True)]
        return self._hstack(blocks)

    def _families_only(self) -> bool:
        """Whether every member is a descriptor family (then one pass serves them all)."""
        return all(isinstance(t, DescriptorFamily) for _, t, _ in self._iter())

    def _clips(self, X) -> ClipBatch | ClipStream:
        """``X`` decoded once for all families (raw audio at the first family's ``sr``)."""
        if isinstance(X, ClipBatch | ClipStream):
            return X
        return as_clips(X, sr=next(self._iter())[1].sr)


def seed_feature_union() -> FeatureUnion:
    """The classic 58-dim vector: chroma-CENS, spectral-contrast and MFCC/delta means.

    Column for column the vector of the snippet users start from::

        np.concatenate([chroma_cens(y, sr).mean(1), spectral_contrast(y, sr).mean(1),
                        m.mean(1), delta(m).mean(1), delta(m, order=2).mean(1)])

    with ``m = mfcc(y, sr, n_mfcc=13)``, all librosa defaults at 22,050 Hz.
    Kept as a reference point: chroma makes it move with pitch.

    Returns
    -------
    union : FamilyUnion

    Examples
    --------
    >>> from sktimbre import seed_feature_union
    >>> [name for name, _ in seed_feature_union().transformer_list]
    ['chroma', 'contrast', 'mfcc']
    """
    return FamilyUnion([
        ("chroma", Chroma(variant="cens")),
        ("contrast", SpectralContrast()),
        ("mfcc", MFCC(n_mfcc=13, deltas=2)),
    ])


def default_feature_union() -> FeatureUnion:
    """The descriptor families of the default embedder (192 columns).

    Chosen on the quality benchmark (``docs/benchmark.md``) for an instrument
    *playing* -- a note, a phrase or a long take, from a library the embedder never
    saw -- and for files as people have them. Everything is read from one
    2048-point STFT (and the samples), band-limited to 8 kHz, with magnitudes floored
    50 dB below each frame's peak (what a lossy codec does to the quiet bins does not
    enter), and every descriptor is frame-local or note-local, pooled by a mean or
    median, so a clip's length and number of notes do not enter:

    * ``contrast``, ``mfcc``, ``shape``: :class:`SpectralContrast` means (7),
      :class:`MFCC` means of coefficients 1-12 and of the deltas and delta-deltas of
      0-12 (38), :class:`SpectralShape` means from 20 Hz (10), over the sounding
      frames;
    * ``contrast_onset``, ``mfcc_onset``, ``shape_onset``: the same over the frames
      at most 0.6 s after a note's onset (attack and early sustain: what an isolated
      note and a note of a melody both have);
    * ``harmonic_frames``: :class:`FrameHarmonics`, every voiced frame at its own f0,
      averaged, and how voiced the sound is (39);
    * ``harmonic_notes``: :class:`NoteHarmonics`, every detected note at its own f0,
      averaged over the notes (37);
    * ``notes``: :class:`NoteEnvelope`, each note's attack and early decay, median
      over the notes (6).

    Returns
    -------
    union : FamilyUnion

    Examples
    --------
    >>> from sktimbre.embedder import default_feature_union
    >>> union = default_feature_union()
    >>> [name for name, _ in union.transformer_list]  # doctest: +NORMALIZE_WHITESPACE
    ['contrast', 'mfcc', 'shape', 'contrast_onset', 'mfcc_onset', 'shape_onset',
     'harmonic_frames', 'harmonic_notes', 'notes']
    """
    spectral = [
        ("contrast", SpectralContrast(band_limit=8000.0, floor_db=50.0, active_db=60.0)),
        ("mfcc", MFCC(n_mfcc=13, include_c0=False, deltas=2, n_mels=64, fmax=8000.0,
                      floor_db=50.0, active_db=60.0)),
        ("shape", SpectralShape(pooling="mean", fmin=20.0, band_limit=8000.0, floor_db=50.0)),
    ]
    onset = [(f"{name}_onset", clone(family).set_params(onset_window=0.6))
             for name, family in spectral]
    return FamilyUnion(spectral + onset + [
        ("harmonic_frames", FrameHarmonics()),
        ("harmonic_notes", NoteHarmonics()),
        ("notes", NoteEnvelope()),
    ])


def note_feature_union() -> FeatureUnion:
    """The default families of sktimbre 0.1 (118 columns): descriptors of one isolated note.

    Each clip is read as one note, with one f0 (:class:`HarmonicDescriptors`) and
    one attack and decay (:class:`TemporalEnvelope`); on a melody these read the
    wrong thing, which is why :func:`default_feature_union` replaced them. Kept to
    reproduce 0.1 embedders and as a baseline.

    Returns
    -------
    union : FamilyUnion

    Examples
    --------
    >>> from sktimbre.embedder import note_feature_union
    >>> len(note_feature_union().get_feature_names_out())
    118
    """
    return FamilyUnion([
        ("contrast", SpectralContrast()),
        ("mfcc", MFCC(n_mfcc=13, include_c0=False, deltas=2)),
        ("harmonic", HarmonicDescriptors()),
        ("envelope", TemporalEnvelope()),
        ("shape", SpectralShape()),
    ])


def _pitch_null_lda(n_components):
    """Shrinkage LDA on every column but the last (the pitch), then pitch-null."""
    lda = LinearDiscriminantAnalysis(solver="eigen", shrinkage="auto", n_components=n_components)
    return Pipeline([
        ("split", ColumnTransformer([("lda", lda, slice(0, -1)),
                                     ("pitch", "passthrough", [-1])])),
        ("null", PitchNullProjection(pitch_column=-1, degree=1, standardize=False)),
    ])


def _projection_step(projection, n_components):
    step = _projection(projection, n_components)
    # the clips that failed with on_error="warn"/"nan" keep NaN rows; the others are embedded
    return step if isinstance(step, str) else TimbreProjection(step)


def _projection(projection, n_components):
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
    if projection == "pitch-null-lda":
        return _pitch_null_lda(n_components)
    if hasattr(projection, "fit") and hasattr(projection, "transform"):
        return projection
    raise ValueError(
        f"projection must be None, one of {list(PROJECTIONS)} or a transformer, "
        f"got {projection!r}"
    )


def make_timbre_embedder(
    families: FeatureUnion | list | str = "default",
    *,
    projection="shrinkage-lda",
    n_components: int | None = None,
    sr: int = 22050,
    trim_db: float | None = 60.0,
    on_error: str = "raise",
    n_jobs: int | None = None,
    batch_size: int = 256,
    max_duration: float | None = 600.0,
    cache: bool = False,
) -> Pipeline:
    """Build a timbre embedder: front end, descriptor families, scaler, projection.

    The result is a plain :class:`~sklearn.pipeline.Pipeline`::

        AudioFrontEnd -> FeatureUnion(families) -> StandardScaler -> projection

    so it clones, pickles, grid-searches and ``set_output``\\ s like any pipeline.
    The front end decodes every clip once; each distinct analysis the families
    declare is computed once per clip, in ``n_jobs`` worker processes.

    Parameters
    ----------
    families : "default", "note", "seed", FeatureUnion or list of (name, transformer)
        The descriptor families: ``"default"`` is :func:`default_feature_union`,
        ``"note"`` the 0.1 default (:func:`note_feature_union`), ``"seed"``
        :func:`seed_feature_union`.
    projection : None, str or transformer, default="shrinkage-lda"
        Final projection. Supervised ones (all LDA variants, NCA) need instrument
        labels in ``fit``.

        - ``"shrinkage-lda"``: LDA with Ledoit-Wolf shrinkage of the within-class
          covariance, which copes with many correlated descriptors (the default);
        - ``"lda"``: plain LDA; ``"pca"``: PCA (unsupervised); ``"nca"``:
          neighbourhood components analysis (metric learning);
        - ``"pitch-null-lda"``: shrinkage LDA, then
          :class:`~sktimbre.projection.PitchNullProjection` removes the direction
          that correlates with the estimated pitch; a :class:`PitchEstimate`
          column is appended to the families for it. Much less pitch in the
          embedding, at a small cost in cross-library accuracy (see the docs).
    n_components : int or None, default=None
        Output dimensions of the projection (``None``: the projection's own default).
    sr : int, default=22050
        Analysis sample rate in Hz; files are resampled to it.
    trim_db : float or None, default=60.0
        Trim each clip's leading and trailing parts quieter than this many dB below
        its peak before analysis (``None``: keep clips whole). Recordings differ in
        how much silence surrounds the note; trimming keeps that out of the vector.
    on_error : {"raise", "warn", "nan"}, default="raise"
        What ``transform`` does with an unusable clip: raise
        :class:`~sktimbre.io.InvalidClipError` naming it, or give it a NaN row, with
        one :class:`~sktimbre.io.ClipWarning` listing the failures (``"warn"``) or
        silently (``"nan"``). The failures of the last call are in
        ``embedder.named_steps["frontend"].failures_``. ``fit`` always raises if a
        clip fails (see :class:`~sktimbre.AudioFrontEnd`).
    n_jobs : int or None, default=None
        Worker processes for decoding, analysis and descriptors (``None``: one,
        unless a ``joblib.parallel_config`` such as a Dask backend is active).
    batch_size : int, default=256
        Clips decoded and analysed at a time; memory depends on it, not on the
        number of clips (see :class:`~sktimbre.AudioFrontEnd`).
    max_duration : float or None, default=600.0
        Longest clip accepted, in seconds (``None``: no limit).
    cache : bool, default=False
        Remember every clip's descriptor rows in this process, so a grid search
        (which refits on the same clips for every candidate) extracts each clip
        once per family setting (see :class:`~sktimbre.AudioFrontEnd`).

    Returns
    -------
    embedder : sklearn.pipeline.Pipeline
        Steps ``frontend``, ``features``, ``scale``, ``project``. The projection is
        held by a :class:`~sktimbre.projection.TimbreProjection`, which passes the
        NaN rows of failed clips through and names the output columns
        ``timbre_00``, ``timbre_01``, ...; its parameters are the projection's own
        (``project__n_components``, ``project__shrinkage``), the fitted projection
        is ``named_steps["project"].projection_``.

    Examples
    --------
    >>> from sktimbre import make_timbre_embedder
    >>> from sktimbre.datasets import make_notes
    >>> X, y = make_notes(n_instruments=3, pitches=range(48, 72, 3), random_state=0)
    >>> embedder = make_timbre_embedder().fit(X, y)
    >>> embedder.transform(X).shape
    (48, 2)
    >>> list(embedder.named_steps)
    ['frontend', 'features', 'scale', 'project']
    >>> seed = make_timbre_embedder("seed", projection=None).fit(X)
    >>> seed.transform(X).shape
    (48, 58)
    """
    if isinstance(families, str):
        builders = {"default": default_feature_union, "seed": seed_feature_union,
                    "note": note_feature_union}
        if families not in builders:
            raise ValueError(f"families must be 'default', 'note', 'seed', a FeatureUnion or "
                             f"a list of (name, transformer), got {families!r}")
        union = builders[families]()
    elif isinstance(families, FamilyUnion):
        union = families
    elif isinstance(families, FeatureUnion):  # same settings, one pass over a stream
        union = FamilyUnion(**families.get_params(deep=False))
    else:
        union = FamilyUnion(list(families))
    if projection == "pitch-null-lda":
        union = clone(union)
        union.transformer_list = union.transformer_list + [("pitch", PitchEstimate())]
    frontend = AudioFrontEnd(sr=sr, trim_db=trim_db, on_error=on_error, n_jobs=n_jobs,
                             batch_size=batch_size,
                             max_duration=max_duration, cache=cache)
    return Pipeline([
        ("frontend", frontend),
        ("features", union),
        ("scale", StandardScaler()),
        ("project", _projection_step(projection, n_components)),
    ])


def extract_features(embedder: Pipeline, X, *, chunk_size: int = 500):
    """Descriptor features of ``X`` (front end and families), in bounded memory.

    ``embedder[:2].transform(X)`` with the front end's ``batch_size`` set to
    ``chunk_size``: the front end streams (see :class:`~sktimbre.frontend.ClipStream`),
    so this is what any ``transform`` of many clips does; kept for a chunk size
    chosen per call.

    Parameters
    ----------
    embedder : Pipeline
        A timbre embedder (steps ``frontend`` and ``features`` first).
    X : clips
        Paths, 1-D arrays or a 2-D array ``(n_clips, n_samples)``.
    chunk_size : int, default=500
        Clips per chunk.

    Returns
    -------
    features : ndarray of shape (n_clips, n_features)
        NaN rows for failed clips (``on_error="warn"`` or ``"nan"``), recorded,
        numbered in ``X``, in the front end's ``failures_``.

    Examples
    --------
    >>> import numpy as np
    >>> from sktimbre import make_timbre_embedder
    >>> from sktimbre.datasets import make_notes
    >>> from sktimbre.embedder import extract_features
    >>> X, y = make_notes(n_instruments=2, pitches=[60, 64], random_state=0)
    >>> embedder = make_timbre_embedder()
    >>> F = extract_features(embedder, X, chunk_size=3)
    >>> np.allclose(F, embedder[:2].transform(X))
    True
    """
    if int(chunk_size) < 1:
        raise ValueError(f"chunk_size must be positive, got {chunk_size}")
    # the front end streams: chunks of chunk_size clips, all families per chunk
    frontend = clone(embedder[0]).set_params(batch_size=int(chunk_size))
    F = embedder[1].transform(frontend.transform(X))
    embedder[0].failures_ = frontend.failures_  # failures of the whole of X, numbered in X
    return F


def fit_in_chunks(embedder: Pipeline, X, y, *, chunk_size: int = 500) -> Pipeline:
    """Fit an embedder on many clips in bounded memory (see :func:`extract_features`).

    Equivalent to ``embedder.fit(X, y)``: the front end and families learn nothing,
    so their features are computed chunk by chunk and the scaler and projection
    are fitted on all of them at once.

    Parameters
    ----------
    embedder : Pipeline
        A timbre embedder.
    X : clips
        Paths, 1-D arrays or a 2-D array ``(n_clips, n_samples)``.
    y : array-like of shape (n_clips,)
        Labels (instrument of each clip).
    chunk_size : int, default=500
        Clips per chunk.

    Returns
    -------
    embedder : Pipeline
        The same object, fitted.

    Examples
    --------
    >>> import numpy as np
    >>> from sktimbre import make_timbre_embedder
    >>> from sktimbre.datasets import make_notes
    >>> from sktimbre.embedder import fit_in_chunks
    >>> X, y = make_notes(n_instruments=3, pitches=range(48, 72, 4), random_state=0)
    >>> a = fit_in_chunks(make_timbre_embedder(), X, y, chunk_size=10).transform(X)
    >>> b = make_timbre_embedder().fit(X, y).transform(X)
    >>> np.allclose(a, b)
    True
    """
    import warnings

    from .frontend._failures import check_fit_failures
    from .io import ClipWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ClipWarning)  # the error below lists them
        features = extract_features(embedder, X, chunk_size=chunk_size)
    check_fit_failures(embedder[0].failures_, len(features))  # never fit on NaN rows
    for _, step in embedder.steps[:2]:
        if step != "passthrough":
            step.fit(X[:1] if hasattr(X, "shape") else list(X)[:1])
    embedder[2:].fit(features, y)
    return embedder
