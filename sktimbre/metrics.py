"""Metrics to evaluate timbre embeddings.

All metrics take embeddings as 2-D arrays with one row per clip. Retrieval and
nearest-neighbour metrics compare rows with the cosine distance by default
(``metric="cosine"``) or with the Euclidean distance (``metric="euclidean"``).
"""

# SPDX-License-Identifier: BSD-3-Clause

from collections.abc import Callable
from numbers import Integral

import numpy as np
from numpy.typing import ArrayLike
from sklearn.base import BaseEstimator
from sklearn.linear_model import RidgeCV
from sklearn.metrics.pairwise import cosine_distances, euclidean_distances
from sklearn.model_selection import KFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler, normalize
from sklearn.utils import check_array, check_consistent_length, column_or_1d

__all__ = [
    "centroid_ranking",
    "centroid_topk_accuracy",
    "make_retrieval_scorer",
    "mean_average_precision",
    "nearest_neighbor_accuracy",
    "pitch_leakage_r2",
    "retrieval_average_precision",
    "retrieval_map_scorer",
]

_METRICS = ("cosine", "euclidean")

# Upper bound on the number of entries of the (chunk of the) distance matrix
# held in memory at once by the retrieval metrics.
_CHUNK_ENTRIES = 2**24


def _check_metric(metric):
    if not isinstance(metric, str) or metric not in _METRICS:
        raise ValueError(f"metric must be one of {_METRICS}, got {metric!r}.")


def _check_embeddings(embeddings, name):
    return check_array(embeddings, dtype=[np.float64, np.float32], input_name=name)


def _check_labels(labels, embeddings, name):
    labels = column_or_1d(labels, warn=True)
    check_consistent_length(embeddings, labels)
    return labels


def _check_k(k):
    if isinstance(k, bool) or not isinstance(k, Integral) or k < 1:
        raise ValueError(f"k must be a positive integer, got {k!r}.")
    return int(k)


def _check_n_features(query, reference):
    if query.shape[1] != reference.shape[1]:
        raise ValueError(
            f"query_embeddings has {query.shape[1]} features but reference_embeddings has "
            f"{reference.shape[1]}."
        )


def _pairwise_distances(A, B, metric):
    if metric == "cosine":
        return cosine_distances(A, B)
    return euclidean_distances(A, B)


def _chunks(n_rows, n_cols):
    """Yield slices of rows so that a chunk holds at most ~_CHUNK_ENTRIES entries."""
    step = max(1, _CHUNK_ENTRIES // max(n_cols, 1))
    for start in range(0, n_rows, step):
        yield slice(start, min(start + step, n_rows))


def _stable_argsort_rows(distances):
    """Argsort every row by increasing distance; ties keep the column order."""
    return np.argsort(distances, axis=1, kind="stable")


def _average_precision_rows(distances, relevant):
    """Average precision of every row of a distance matrix.

    Items at exactly the same distance form one threshold, as in
    :func:`sklearn.metrics.average_precision_score`: each relevant item of a
    tie block gets the precision reached at the end of the block, so the
    result does not depend on how ties are ordered. Rows without any relevant
    item get NaN.
    """
    n_rows, n_cols = distances.shape
    order = _stable_argsort_rows(distances)
    sorted_dist = np.take_along_axis(distances, order, axis=1)
    sorted_rel = np.take_along_axis(relevant, order, axis=1)
    hits = np.cumsum(sorted_rel, axis=1)
    # Index of the last position of the tie block every position belongs to.
    positions = np.broadcast_to(np.arange(n_cols), (n_rows, n_cols))
    is_block_end = np.ones((n_rows, n_cols), dtype=bool)
    is_block_end[:, :-1] = sorted_dist[:, 1:] != sorted_dist[:, :-1]
    block_end = np.where(is_block_end, positions, n_cols - 1)
    block_end = np.minimum.accumulate(block_end[:, ::-1], axis=1)[:, ::-1]
    precision = np.take_along_axis(hits, block_end, axis=1) / (block_end + 1)
    n_relevant = hits[:, -1]
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(sorted_rel, precision, 0.0).sum(axis=1) / n_relevant


def retrieval_average_precision(
    embeddings: ArrayLike, labels: ArrayLike, *, metric: str = "cosine"
) -> np.ndarray:
    """Compute the retrieval average precision of every clip used as a query.

    Each row of `embeddings` in turn is used as a query; all the *other* rows
    are ranked by increasing distance to it, and the rows sharing its label
    are the relevant items. The average precision (AP) of a query is

    .. math::
        \\text{AP} = \\sum_n (R_n - R_{n-1}) P_n

    where :math:`P_n` and :math:`R_n` are the precision and recall at the nth
    distance threshold, exactly as in
    :func:`sklearn.metrics.average_precision_score` with the negated distances
    as scores. In particular, rows at the same distance from the query form a
    single threshold, so ties are handled deterministically and independently
    of the order of the rows.

    Parameters
    ----------
    embeddings : array-like of shape (n_samples, n_features)
        Embeddings, one row per clip. At least two rows are required.

    labels : array-like of shape (n_samples,)
        Label (e.g. instrument) of every clip.

    metric : {"cosine", "euclidean"}, default="cosine"
        Distance used to rank the rows.

    Returns
    -------
    average_precision : ndarray of shape (n_samples,)
        AP of every query. It is NaN for the queries whose label occurs in no
        other row, for which AP is undefined.

    See Also
    --------
    mean_average_precision : Mean of the defined per-query APs.

    Examples
    --------
    >>> import numpy as np
    >>> from sktimbre.metrics import retrieval_average_precision
    >>> embeddings = np.array([[1.0, 0.0], [0.9, 0.1], [0.0, 1.0], [0.2, 0.8], [0.5, 0.5]])
    >>> labels = np.array([0, 0, 1, 1, 2])
    >>> retrieval_average_precision(embeddings, labels)
    array([ 1.,  1.,  1.,  1., nan])
    >>> retrieval_average_precision(embeddings, [0, 1, 0, 1, 1]).round(3)
    array([0.25 , 0.583, 0.25 , 0.583, 1.   ])
    """
    _check_metric(metric)
    embeddings = _check_embeddings(embeddings, "embeddings")
    labels = _check_labels(labels, embeddings, "labels")
    n_samples = embeddings.shape[0]
    if n_samples < 2:
        raise ValueError(f"At least 2 embeddings are required, got {n_samples}.")

    average_precision = np.empty(n_samples, dtype=np.float64)
    for rows in _chunks(n_samples, n_samples):
        n_rows = rows.stop - rows.start
        distances = _pairwise_distances(embeddings[rows], embeddings, metric)
        # Drop every query's own column: it is ranked against the other rows.
        others = np.ones((n_rows, n_samples), dtype=bool)
        others[np.arange(n_rows), np.arange(rows.start, rows.stop)] = False
        distances = distances[others].reshape(n_rows, n_samples - 1)
        relevant = (labels[rows, None] == labels[None, :])[others].reshape(n_rows, n_samples - 1)
        average_precision[rows] = _average_precision_rows(distances, relevant)
    return average_precision


def mean_average_precision(
    embeddings: ArrayLike, labels: ArrayLike, *, metric: str = "cosine"
) -> float:
    """Compute the mean retrieval average precision (mAP) over all queries.

    Every clip is used as a query against all the other clips, see
    :func:`retrieval_average_precision`. Queries whose label occurs in no other
    row have an undefined AP and are excluded from the mean.

    Parameters
    ----------
    embeddings : array-like of shape (n_samples, n_features)
        Embeddings, one row per clip.

    labels : array-like of shape (n_samples,)
        Label (e.g. instrument) of every clip.

    metric : {"cosine", "euclidean"}, default="cosine"
        Distance used to rank the rows.

    Returns
    -------
    score : float
        Mean AP of the queries with at least one other same-label row. It is
        1.0 when, for every query, all the same-label rows are strictly closer
        than all the other rows.

    Raises
    ------
    ValueError
        If no label occurs at least twice, so that no query can be scored.

    See Also
    --------
    retrieval_average_precision : The per-query APs.
    retrieval_map_scorer : Scorer computing this metric on a transformer's output.

    Examples
    --------
    >>> import numpy as np
    >>> from sktimbre.metrics import mean_average_precision
    >>> embeddings = np.array([[1.0, 0.0], [0.9, 0.1], [0.0, 1.0], [0.2, 0.8]])
    >>> mean_average_precision(embeddings, [0, 0, 1, 1])
    1.0
    >>> round(mean_average_precision(embeddings, [0, 1, 0, 1]), 3)
    0.417
    """
    average_precision = retrieval_average_precision(embeddings, labels, metric=metric)
    defined = ~np.isnan(average_precision)
    if not defined.any():
        raise ValueError(
            "Mean average precision is undefined: no label occurs in at least two rows."
        )
    return float(average_precision[defined].mean())


def nearest_neighbor_accuracy(
    query_embeddings: ArrayLike,
    query_labels: ArrayLike,
    reference_embeddings: ArrayLike,
    reference_labels: ArrayLike,
    *,
    metric: str = "cosine",
    k: int = 1,
) -> float:
    """Compute the accuracy of k-nearest-neighbour classification of queries.

    Each query is assigned the majority label among its `k` nearest reference
    rows. The accuracy is the fraction of queries assigned their true label;
    queries whose label is absent from the reference count as errors.

    Ties are broken deterministically: reference rows at the same distance are
    ordered by their index in `reference_embeddings`, and a tie between labels
    in the vote goes to the label of the nearest neighbour among the tied
    labels.

    Parameters
    ----------
    query_embeddings : array-like of shape (n_queries, n_features)
        Embeddings of the query clips.

    query_labels : array-like of shape (n_queries,)
        True labels of the query clips.

    reference_embeddings : array-like of shape (n_references, n_features)
        Embeddings of the labelled reference clips.

    reference_labels : array-like of shape (n_references,)
        Labels of the reference clips.

    metric : {"cosine", "euclidean"}, default="cosine"
        Distance used to find the neighbours.

    k : int, default=1
        Number of neighbours voting, at most `n_references`.

    Returns
    -------
    accuracy : float
        Fraction of correctly classified queries.

    Notes
    -----
    The query is not excluded from the reference: to evaluate a single set of
    clips in a leave-one-out fashion, use :func:`mean_average_precision` or
    pass disjoint query and reference sets.

    Examples
    --------
    >>> import numpy as np
    >>> from sktimbre.metrics import nearest_neighbor_accuracy
    >>> reference = np.array([[1.0, 0.0], [0.8, 0.2], [0.0, 1.0]])
    >>> queries = np.array([[0.9, 0.1], [0.1, 0.9], [0.6, 0.4]])
    >>> nearest_neighbor_accuracy(queries, [0, 1, 1], reference, [0, 0, 1])
    0.6666666666666666
    >>> nearest_neighbor_accuracy(queries, [0, 1, 1], reference, [0, 0, 1], k=3)
    0.3333333333333333
    """
    _check_metric(metric)
    k = _check_k(k)
    query = _check_embeddings(query_embeddings, "query_embeddings")
    query_labels = _check_labels(query_labels, query, "query_labels")
    reference = _check_embeddings(reference_embeddings, "reference_embeddings")
    reference_labels = _check_labels(reference_labels, reference, "reference_labels")
    _check_n_features(query, reference)
    if k > reference.shape[0]:
        raise ValueError(
            f"k={k} is larger than the number of reference rows ({reference.shape[0]})."
        )

    classes, reference_codes = np.unique(reference_labels, return_inverse=True)
    n_classes = classes.shape[0]
    predicted = np.empty(query.shape[0], dtype=np.intp)
    for rows in _chunks(query.shape[0], reference.shape[0]):
        distances = _pairwise_distances(query[rows], reference, metric)
        neighbor_codes = reference_codes[_stable_argsort_rows(distances)[:, :k]]
        n_rows = neighbor_codes.shape[0]
        row_index = np.repeat(np.arange(n_rows), k)
        flat_codes = neighbor_codes.ravel()
        votes = np.zeros((n_rows, n_classes), dtype=np.intp)
        np.add.at(votes, (row_index, flat_codes), 1)
        # Rank (0 = nearest) at which every label first appears, k if absent.
        first_rank = np.full((n_rows, n_classes), k, dtype=np.intp)
        np.minimum.at(first_rank, (row_index, flat_codes), np.tile(np.arange(k), n_rows))
        # More votes first, then the label appearing first among the neighbours.
        predicted[rows] = (votes * (k + 1) + (k - first_rank)).argmax(axis=1)
    return float(np.mean(classes[predicted] == query_labels))


def _centroid_distances(query, reference, reference_labels, metric):
    """Distances from the queries to the per-label reference centroids."""
    classes, codes = np.unique(reference_labels, return_inverse=True)
    unit_reference = normalize(reference)
    centroids = np.zeros((classes.shape[0], reference.shape[1]), dtype=np.float64)
    np.add.at(centroids, codes, unit_reference)
    centroids /= np.bincount(codes, minlength=classes.shape[0])[:, None]
    if metric == "euclidean":
        # Put the queries on the same scale as the centroids of unit vectors.
        query = normalize(query)
    return classes, _pairwise_distances(query, centroids, metric)


def centroid_ranking(
    query_embeddings: ArrayLike,
    reference_embeddings: ArrayLike,
    reference_labels: ArrayLike,
    *,
    metric: str = "cosine",
) -> np.ndarray:
    """Rank the reference labels by distance of their centroid to every query.

    The centroid of a label is the mean of the L2-normalised reference
    embeddings with that label. With ``metric="euclidean"`` the queries are
    L2-normalised too, so that they live on the same scale as the centroids.
    Labels whose centroids are at the same distance from a query are ranked in
    sorted label order.

    Parameters
    ----------
    query_embeddings : array-like of shape (n_queries, n_features)
        Embeddings of the query clips.

    reference_embeddings : array-like of shape (n_references, n_features)
        Embeddings of the labelled reference clips.

    reference_labels : array-like of shape (n_references,)
        Labels of the reference clips.

    metric : {"cosine", "euclidean"}, default="cosine"
        Distance between queries and centroids.

    Returns
    -------
    ranking : ndarray of shape (n_queries, n_labels)
        For every query, the distinct reference labels from the nearest to the
        farthest centroid.

    See Also
    --------
    centroid_topk_accuracy : Top-k accuracy of this ranking.

    Examples
    --------
    >>> import numpy as np
    >>> from sktimbre.metrics import centroid_ranking
    >>> reference = np.array([[1.0, 0.0], [3.0, 1.0], [0.0, 2.0], [-1.0, -1.0]])
    >>> labels = np.array(["flute", "flute", "oboe", "tuba"])
    >>> centroid_ranking([[2.0, 0.1], [0.1, 5.0]], reference, labels)
    array([['flute', 'oboe', 'tuba'],
           ['oboe', 'flute', 'tuba']], dtype='<U5')
    """
    _check_metric(metric)
    query = _check_embeddings(query_embeddings, "query_embeddings")
    reference = _check_embeddings(reference_embeddings, "reference_embeddings")
    reference_labels = _check_labels(reference_labels, reference, "reference_labels")
    _check_n_features(query, reference)
    classes, distances = _centroid_distances(query, reference, reference_labels, metric)
    return classes[_stable_argsort_rows(distances)]


def centroid_topk_accuracy(
    query_embeddings: ArrayLike,
    query_labels: ArrayLike,
    reference_embeddings: ArrayLike,
    reference_labels: ArrayLike,
    *,
    k: int = 1,
    metric: str = "cosine",
) -> float:
    """Compute the top-k accuracy of nearest-centroid label ranking.

    One centroid per reference label is built as the mean of the
    L2-normalised reference embeddings with that label, the centroids are
    ranked by distance to every query (see :func:`centroid_ranking`), and the
    score is the fraction of queries whose true label is among the `k`
    nearest centroids.

    Queries whose label does not occur in the reference cannot be ranked
    correctly and are excluded from the score.

    Parameters
    ----------
    query_embeddings : array-like of shape (n_queries, n_features)
        Embeddings of the query clips.

    query_labels : array-like of shape (n_queries,)
        True labels of the query clips.

    reference_embeddings : array-like of shape (n_references, n_features)
        Embeddings of the labelled reference clips.

    reference_labels : array-like of shape (n_references,)
        Labels of the reference clips.

    k : int, default=1
        Number of top-ranked labels considered, at most the number of distinct
        reference labels.

    metric : {"cosine", "euclidean"}, default="cosine"
        Distance between queries and centroids.

    Returns
    -------
    accuracy : float
        Fraction of the (retained) queries whose label is in the top `k`.

    Raises
    ------
    ValueError
        If no query label occurs in the reference labels.

    See Also
    --------
    centroid_ranking : The full ranking of labels for every query.
    nearest_neighbor_accuracy : Nearest-neighbour rather than nearest-centroid.

    Examples
    --------
    >>> import numpy as np
    >>> from sktimbre.metrics import centroid_topk_accuracy
    >>> reference = np.array([[1.0, 0.0], [3.0, 1.0], [0.0, 2.0], [-1.0, -1.0]])
    >>> labels = np.array(["flute", "flute", "oboe", "tuba"])
    >>> queries = np.array([[2.0, 0.1], [0.1, 5.0], [1.0, 1.5]])
    >>> centroid_topk_accuracy(queries, ["flute", "flute", "oboe"], reference, labels)
    0.6666666666666666
    >>> centroid_topk_accuracy(queries, ["flute", "flute", "oboe"], reference, labels, k=2)
    1.0
    """
    _check_metric(metric)
    k = _check_k(k)
    query = _check_embeddings(query_embeddings, "query_embeddings")
    query_labels = _check_labels(query_labels, query, "query_labels")
    reference = _check_embeddings(reference_embeddings, "reference_embeddings")
    reference_labels = _check_labels(reference_labels, reference, "reference_labels")
    _check_n_features(query, reference)

    known = np.isin(query_labels, reference_labels)
    if not known.any():
        raise ValueError("None of the query labels occurs in reference_labels.")
    n_classes = np.unique(reference_labels).shape[0]
    if k > n_classes:
        raise ValueError(f"k={k} is larger than the number of reference labels ({n_classes}).")
    ranking = centroid_ranking(query[known], reference, reference_labels, metric=metric)
    hits = (ranking[:, :k] == query_labels[known, None]).any(axis=1)
    return float(hits.mean())


class _RetrievalScorer:
    """Scorer computing the retrieval mAP of ``estimator.transform(X)``."""

    def __init__(self, metric):
        self._metric = metric

    def __call__(self, estimator, X, y, **kwargs):
        if y is None:
            raise ValueError("The retrieval scorer needs the labels y of the clips in X.")
        embeddings = estimator.transform(X)
        return mean_average_precision(embeddings, y, metric=self._metric)

    def __repr__(self):
        return f"make_retrieval_scorer(metric={self._metric!r})"


def make_retrieval_scorer(
    metric: str = "cosine",
) -> Callable[[BaseEstimator, ArrayLike, ArrayLike], float]:
    """Make a scorer computing the retrieval mAP of a transformer's output.

    The scorer is a callable ``scorer(estimator, X, y)`` that embeds `X` with
    ``estimator.transform(X)`` and returns the
    :func:`mean_average_precision` of the embeddings with labels `y`, every
    clip of `X` being a query against the other clips of `X`. It can be used
    as ``scoring`` in :class:`~sklearn.model_selection.GridSearchCV` or
    :func:`~sklearn.model_selection.cross_validate` for estimators, such as
    transformer pipelines, that have no ``predict``. Greater is better.

    Parameters
    ----------
    metric : {"cosine", "euclidean"}, default="cosine"
        Distance used to rank the clips.

    Returns
    -------
    scorer : callable
        The scorer ``scorer(estimator, X, y) -> float``.

    See Also
    --------
    retrieval_map_scorer : The scorer with the cosine distance.

    Examples
    --------
    >>> from sklearn.datasets import make_blobs
    >>> from sklearn.decomposition import PCA
    >>> from sktimbre.metrics import make_retrieval_scorer
    >>> X, y = make_blobs(n_samples=30, centers=3, n_features=4, random_state=0)
    >>> scorer = make_retrieval_scorer(metric="euclidean")
    >>> scorer
    make_retrieval_scorer(metric='euclidean')
    >>> round(scorer(PCA(n_components=2).fit(X), X, y), 3)
    0.998
    """
    _check_metric(metric)
    return _RetrievalScorer(metric)


def retrieval_map_scorer(estimator: BaseEstimator, X: ArrayLike, y: ArrayLike) -> float:
    """Score a transformer by the retrieval mAP of its embeddings (cosine).

    Embeds `X` with ``estimator.transform(X)`` and returns
    ``mean_average_precision(estimator.transform(X), y)``: every clip of `X`
    is a query ranked against the other clips of `X` by cosine distance.
    Pass it as ``scoring`` to :class:`~sklearn.model_selection.GridSearchCV`
    to tune transformer pipelines that have no ``predict``. Greater is better.
    Use :func:`make_retrieval_scorer` for the Euclidean distance.

    Parameters
    ----------
    estimator : object
        Fitted estimator with a ``transform`` method.

    X : array-like of shape (n_samples, ...)
        Clips (or features) to embed, passed to ``estimator.transform``.

    y : array-like of shape (n_samples,)
        Labels of the clips.

    Returns
    -------
    score : float
        Mean average precision of the embeddings.

    Examples
    --------
    >>> from sklearn.datasets import make_blobs
    >>> from sklearn.decomposition import PCA
    >>> from sklearn.model_selection import GridSearchCV
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from sktimbre.metrics import retrieval_map_scorer
    >>> X, y = make_blobs(
    ...     n_samples=60, centers=3, n_features=8, cluster_std=2.0, random_state=0
    ... )
    >>> pipe = make_pipeline(StandardScaler(), PCA(random_state=0))
    >>> search = GridSearchCV(
    ...     pipe, {"pca__n_components": [1, 2, 8]}, scoring=retrieval_map_scorer, cv=3
    ... ).fit(X, y)
    >>> search.best_params_
    {'pca__n_components': 2}
    >>> search.cv_results_["mean_test_score"].round(2)
    array([0.7 , 1.  , 0.97])
    """
    return _RetrievalScorer("cosine")(estimator, X, y)


def pitch_leakage_r2(
    embeddings: ArrayLike, pitch: ArrayLike, *, cv: int = 5, random_state: int = 0
) -> float:
    """Measure how well pitch can be linearly predicted from embeddings.

    A timbre embedding should carry as little pitch information as possible.
    This function returns the mean cross-validated coefficient of
    determination (R^2) of a ridge regression predicting the pitch from the
    embeddings: features are standardised and the regularisation strength is
    chosen by :class:`~sklearn.linear_model.RidgeCV` among
    ``alphas=np.logspace(-3, 3, 7)``. The folds come from a shuffled
    :class:`~sklearn.model_selection.KFold`, so the result is deterministic
    for a given `random_state`.

    Parameters
    ----------
    embeddings : array-like of shape (n_samples, n_features)
        Embeddings, one row per clip.

    pitch : array-like of shape (n_samples,)
        Pitch of every clip (e.g. MIDI note number).

    cv : int, default=5
        Number of folds, at least 2 and at most `n_samples`.

    random_state : int, default=0
        Seed of the shuffling of the folds.

    Returns
    -------
    r2 : float
        Mean R^2 over the folds: close to 1 when the pitch is linearly
        decodable, around 0 (possibly negative) when it is not.

    Examples
    --------
    >>> import numpy as np
    >>> from sktimbre.metrics import pitch_leakage_r2
    >>> rng = np.random.RandomState(0)
    >>> pitch = np.tile(np.arange(48, 72), 4)
    >>> leaky = np.c_[pitch + rng.normal(scale=0.5, size=96), rng.normal(size=(96, 3))]
    >>> pitch_leakage_r2(leaky, pitch) > 0.95
    True
    >>> pitch_leakage_r2(rng.normal(size=(96, 4)), pitch) < 0.1
    True
    """
    embeddings = _check_embeddings(embeddings, "embeddings")
    pitch = column_or_1d(pitch, dtype=np.float64, warn=True)
    check_consistent_length(embeddings, pitch)
    n_samples = embeddings.shape[0]
    if isinstance(cv, bool) or not isinstance(cv, Integral) or not 2 <= cv <= n_samples:
        raise ValueError(f"cv must be an integer between 2 and n_samples={n_samples}, got {cv!r}.")
    if not np.all(np.isfinite(pitch)):
        raise ValueError("pitch must contain only finite values.")
    if np.ptp(pitch) == 0:
        raise ValueError("pitch is constant: R^2 is undefined.")
    model = make_pipeline(StandardScaler(), RidgeCV(alphas=np.logspace(-3, 3, 7)))
    folds = KFold(n_splits=int(cv), shuffle=True, random_state=random_state)
    scores = cross_val_score(model, embeddings, pitch, cv=folds, scoring="r2")
    return float(np.mean(scores))
