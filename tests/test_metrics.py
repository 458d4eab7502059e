"""Tests for sktimbre.metrics."""

from collections import Counter

import numpy as np
import pytest
from scipy.spatial.distance import cdist
from sklearn.datasets import make_blobs
from sklearn.decomposition import PCA
from sklearn.linear_model import Ridge
from sklearn.metrics import average_precision_score, r2_score
from sklearn.model_selection import GridSearchCV, KFold, cross_val_score
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import sktimbre.metrics as metrics_module
from sktimbre.metrics import (
    centroid_ranking,
    centroid_topk_accuracy,
    make_retrieval_scorer,
    mean_average_precision,
    nearest_neighbor_accuracy,
    pitch_leakage_r2,
    retrieval_average_precision,
    retrieval_map_scorer,
)

METRICS = ["cosine", "euclidean"]


def _reference_average_precision(embeddings, labels, metric):
    """Per-query AP with sklearn.metrics.average_precision_score, one query at a time."""
    distances = cdist(embeddings, embeddings, metric=metric)
    n = len(labels)
    result = np.full(n, np.nan)
    for i in range(n):
        others = np.arange(n) != i
        relevant = labels[others] == labels[i]
        if relevant.any():
            result[i] = average_precision_score(relevant, -distances[i, others])
    return result


# ---------------------------------------------------------------------------
# retrieval_average_precision / mean_average_precision


@pytest.mark.parametrize("metric", METRICS)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_average_precision_matches_sklearn(metric, seed):
    rng = np.random.RandomState(seed)
    embeddings = rng.normal(size=(60, 5))
    labels = rng.randint(0, 4, size=60)
    expected = _reference_average_precision(embeddings, labels, metric)
    got = retrieval_average_precision(embeddings, labels, metric=metric)
    assert got.shape == (60,)
    np.testing.assert_allclose(got, expected, rtol=1e-10)
    assert mean_average_precision(embeddings, labels, metric=metric) == pytest.approx(
        np.mean(expected)
    )


@pytest.mark.parametrize("metric", METRICS)
def test_average_precision_with_ties_matches_sklearn(metric):
    # Small-integer embeddings with many duplicated rows: many exact ties.
    rng = np.random.RandomState(0)
    base = rng.randint(-2, 3, size=(12, 3)).astype(float)
    base[np.all(base == 0, axis=1)] = 1.0
    embeddings = base[rng.randint(0, 12, size=50)]
    labels = rng.randint(0, 3, size=50)
    expected = _reference_average_precision(embeddings, labels, metric)
    got = retrieval_average_precision(embeddings, labels, metric=metric)
    np.testing.assert_allclose(got, expected, rtol=1e-10)


def test_ties_do_not_depend_on_row_order():
    rng = np.random.RandomState(1)
    embeddings = rng.randint(0, 3, size=(40, 2)).astype(float) + 1
    labels = rng.randint(0, 3, size=40)
    ap = retrieval_average_precision(embeddings, labels)
    perm = rng.permutation(40)
    ap_perm = retrieval_average_precision(embeddings[perm], labels[perm])
    np.testing.assert_allclose(ap_perm, ap[perm], rtol=1e-12)


def test_all_tied_gives_label_frequency():
    # Every other row at the same distance: AP is the precision of the full list.
    embeddings = np.ones((6, 3))
    labels = np.array([0, 0, 0, 1, 1, 2])
    ap = retrieval_average_precision(embeddings, labels)
    np.testing.assert_allclose(ap[:5], [2 / 5, 2 / 5, 2 / 5, 1 / 5, 1 / 5])
    assert np.isnan(ap[5])


@pytest.mark.parametrize("metric", METRICS)
def test_perfect_embeddings_give_map_one(metric):
    rng = np.random.RandomState(0)
    labels = np.repeat(np.arange(5), 7)
    rng.shuffle(labels)
    embeddings = np.eye(5)[labels] * 10 + rng.normal(scale=0.01, size=(35, 5)) + 1
    np.testing.assert_allclose(retrieval_average_precision(embeddings, labels, metric=metric), 1)
    assert mean_average_precision(embeddings, labels, metric=metric) == 1.0


def test_random_embeddings_give_low_map():
    rng = np.random.RandomState(0)
    labels = np.repeat(np.arange(10), 20)
    score = mean_average_precision(rng.normal(size=(200, 16)), labels)
    # Chance level is about the proportion of relevant items, 19/199.
    assert 0.05 < score < 0.2


def test_query_is_excluded_from_its_own_ranking():
    # The only other row with the query's label is the farthest one.
    embeddings = np.array([[0.0], [10.0], [1.0], [2.0], [3.0]])
    labels = np.array([0, 0, 1, 1, 1])
    ap = retrieval_average_precision(embeddings, labels, metric="euclidean")
    assert ap[0] == pytest.approx(1 / 4)
    assert ap[1] == pytest.approx(1 / 4)


def test_singletons_are_nan_and_excluded_from_mean():
    rng = np.random.RandomState(0)
    embeddings = rng.normal(size=(10, 3))
    labels = np.array([0, 0, 0, 1, 1, 1, 1, 2, 3, "x"], dtype=object).astype(str)
    ap = retrieval_average_precision(embeddings, labels)
    assert np.isnan(ap[7:]).all()
    assert not np.isnan(ap[:7]).any()
    assert mean_average_precision(embeddings, labels) == pytest.approx(np.mean(ap[:7]))


def test_map_undefined_raises():
    with pytest.raises(ValueError, match="no label occurs in at least two rows"):
        mean_average_precision(np.eye(3), [0, 1, 2])


def test_chunking_gives_same_result(monkeypatch):
    rng = np.random.RandomState(0)
    embeddings = rng.normal(size=(37, 4))
    labels = rng.randint(0, 3, size=37)
    expected = retrieval_average_precision(embeddings, labels)
    reference = rng.normal(size=(23, 4))
    reference_labels = rng.randint(0, 3, size=23)
    nn_expected = nearest_neighbor_accuracy(embeddings, labels, reference, reference_labels, k=3)
    monkeypatch.setattr(metrics_module, "_CHUNK_ENTRIES", 100)
    np.testing.assert_array_equal(retrieval_average_precision(embeddings, labels), expected)
    assert (
        nearest_neighbor_accuracy(embeddings, labels, reference, reference_labels, k=3)
        == nn_expected
    )


def test_float32_and_list_input():
    rng = np.random.RandomState(0)
    embeddings = rng.normal(size=(20, 3))
    labels = rng.randint(0, 2, size=20)
    expected = retrieval_average_precision(embeddings, labels)
    np.testing.assert_allclose(
        retrieval_average_precision(embeddings.astype(np.float32), labels), expected, rtol=1e-4
    )
    np.testing.assert_allclose(
        retrieval_average_precision(embeddings.tolist(), labels.tolist()), expected
    )


@pytest.mark.parametrize(
    "embeddings, labels, match",
    [
        (np.ones((3, 2)), [0, 1], "inconsistent numbers of samples"),
        (np.ones(3), [0, 1, 0], "2D array"),
        (np.ones((1, 2)), [0], "At least 2"),
        (np.array([[1.0, np.nan], [1.0, 2.0]]), [0, 0], "NaN"),
    ],
)
def test_retrieval_input_validation(embeddings, labels, match):
    with pytest.raises(ValueError, match=match):
        retrieval_average_precision(embeddings, labels)


@pytest.mark.parametrize(
    "func",
    [
        lambda m: retrieval_average_precision(np.eye(3), [0, 0, 1], metric=m),
        lambda m: mean_average_precision(np.eye(3), [0, 0, 1], metric=m),
        lambda m: nearest_neighbor_accuracy(np.eye(3), [0, 0, 1], np.eye(3), [0, 0, 1], metric=m),
        lambda m: centroid_topk_accuracy(np.eye(3), [0, 0, 1], np.eye(3), [0, 0, 1], metric=m),
        lambda m: centroid_ranking(np.eye(3), np.eye(3), [0, 0, 1], metric=m),
        lambda m: make_retrieval_scorer(metric=m),
    ],
)
def test_invalid_metric(func):
    with pytest.raises(ValueError, match="metric must be one of"):
        func("manhattan")


# ---------------------------------------------------------------------------
# nearest_neighbor_accuracy


def _brute_force_knn_accuracy(query, query_labels, reference, reference_labels, metric, k):
    distances = cdist(query, reference, metric=metric)
    correct = 0
    for i in range(len(query)):
        neighbors = sorted(range(len(reference)), key=lambda j: (distances[i, j], j))[:k]
        votes = Counter(reference_labels[j] for j in neighbors)
        best = max(votes.values())
        # Tie between labels: the one of the nearest neighbour among them.
        prediction = next(
            reference_labels[j] for j in neighbors if votes[reference_labels[j]] == best
        )
        correct += prediction == query_labels[i]
    return correct / len(query)


@pytest.mark.parametrize("metric", METRICS)
@pytest.mark.parametrize("k", [1, 2, 3, 4, 7])
def test_nearest_neighbor_accuracy_brute_force(metric, k):
    rng = np.random.RandomState(k)
    reference = rng.normal(size=(40, 4))
    reference_labels = rng.randint(0, 4, size=40)
    query = rng.normal(size=(30, 4))
    query_labels = rng.randint(0, 5, size=30)  # label 4 is absent from the reference
    expected = _brute_force_knn_accuracy(
        query, query_labels, reference, reference_labels, metric, k
    )
    got = nearest_neighbor_accuracy(
        query, query_labels, reference, reference_labels, metric=metric, k=k
    )
    assert got == pytest.approx(expected)


def test_nearest_neighbor_accuracy_with_distance_ties():
    # Duplicated reference rows with different labels: the lower index wins.
    reference = np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    query = np.array([[2.0, 0.1]])
    assert nearest_neighbor_accuracy(query, ["b"], reference, ["b", "a", "c"]) == 1.0
    assert nearest_neighbor_accuracy(query, ["a"], reference, ["b", "a", "c"]) == 0.0
    assert nearest_neighbor_accuracy(query, ["a"], reference, ["a", "b", "c"]) == 1.0
    # Vote tie at k=2 between "a" and "b": the nearest one, "b", wins.
    reference = np.array([[1.0, 0.0], [1.0, 0.2], [0.0, 1.0]])
    assert nearest_neighbor_accuracy(query, ["b"], reference, ["b", "a", "c"], k=2) == 1.0
    # With k=3, the votes are tied at one each; still the nearest.
    assert nearest_neighbor_accuracy(query, ["b"], reference, ["b", "a", "c"], k=3) == 1.0


@pytest.mark.parametrize("metric", METRICS)
def test_nearest_neighbor_accuracy_matches_sklearn_1nn(metric):
    X, y = make_blobs(n_samples=120, centers=4, n_features=6, cluster_std=4.0, random_state=0)
    knn = KNeighborsClassifier(n_neighbors=1, metric=metric, algorithm="brute")
    knn.fit(X[:80], y[:80])
    expected = knn.score(X[80:], y[80:])
    assert 0.3 < expected < 1.0  # non-trivial problem
    got = nearest_neighbor_accuracy(X[80:], y[80:], X[:80], y[:80], metric=metric)
    assert got == pytest.approx(expected)


@pytest.mark.parametrize(
    "k, match", [(0, "positive integer"), (1.0, "positive integer"), (5, "larger")]
)
def test_nearest_neighbor_invalid_k(k, match):
    with pytest.raises(ValueError, match=match):
        nearest_neighbor_accuracy(np.eye(3), [0, 1, 2], np.eye(4)[:, :3], [0, 1, 2, 0], k=k)


def test_feature_mismatch():
    with pytest.raises(ValueError, match="3 features but reference_embeddings has 4"):
        nearest_neighbor_accuracy(np.eye(3), [0, 1, 2], np.eye(4), [0, 1, 2, 3])
    with pytest.raises(ValueError, match="3 features but reference_embeddings has 4"):
        centroid_topk_accuracy(np.eye(3), [0, 1, 2], np.eye(4), [0, 1, 2, 3])


# ---------------------------------------------------------------------------
# centroid_ranking / centroid_topk_accuracy


def _brute_force_centroid_ranking(query, reference, reference_labels, metric):
    classes = sorted(set(reference_labels.tolist()))
    centroids = []
    for c in classes:
        rows = [
            r / np.linalg.norm(r)
            for r, lab in zip(reference, reference_labels, strict=True)
            if lab == c
        ]
        centroids.append(np.mean(rows, axis=0))
    rankings = []
    for q in query:
        if metric == "cosine":
            dists = [1 - q @ c / (np.linalg.norm(q) * np.linalg.norm(c)) for c in centroids]
        else:
            dists = [np.linalg.norm(q / np.linalg.norm(q) - c) for c in centroids]
        order = sorted(range(len(classes)), key=lambda i: (dists[i], i))
        rankings.append([classes[i] for i in order])
    return rankings


def _brute_force_centroid_accuracy(query, query_labels, reference, reference_labels, metric, k):
    rankings = _brute_force_centroid_ranking(query, reference, reference_labels, metric)
    known = set(reference_labels.tolist())
    hits = [
        lab in ranking[:k]
        for lab, ranking in zip(query_labels, rankings, strict=True)
        if lab in known
    ]
    return np.mean(hits)


@pytest.mark.parametrize("metric", METRICS)
@pytest.mark.parametrize("k", [1, 2, 3])
def test_centroid_topk_accuracy_brute_force(metric, k):
    rng = np.random.RandomState(k)
    reference = rng.normal(size=(50, 3)) + 0.5
    reference_labels = rng.randint(0, 5, size=50)
    query = rng.normal(size=(40, 3)) * 3 + 0.5  # queries of various norms
    query_labels = rng.randint(0, 6, size=40)  # label 5 is absent from the reference
    expected = _brute_force_centroid_accuracy(
        query, query_labels, reference, reference_labels, metric, k
    )
    got = centroid_topk_accuracy(
        query, query_labels, reference, reference_labels, k=k, metric=metric
    )
    assert got == pytest.approx(expected)
    ranking = centroid_ranking(query, reference, reference_labels, metric=metric)
    assert ranking.shape == (40, 5)
    np.testing.assert_array_equal(
        ranking, _brute_force_centroid_ranking(query, reference, reference_labels, metric)
    )


def test_centroid_uses_normalised_references():
    # Label "a" has one huge and one small reference vector: with raw means the
    # centroid would point along the huge one; with normalised means it is
    # halfway, which is closer to the query than the centroid of label "b".
    reference = np.array([[100.0, 0.0], [0.0, 1.0], [1.0, 1.3]])
    labels = np.array(["a", "a", "b"])
    query = np.array([[1.0, 1.0]])
    # Independent check of the claim above.
    unit = reference / np.linalg.norm(reference, axis=1, keepdims=True)
    a_centroid = unit[:2].mean(axis=0)
    assert cdist(query, [a_centroid], "cosine") < cdist(query, reference[2:], "cosine")
    assert cdist(query, [reference[:2].mean(axis=0)], "cosine") > cdist(
        query, reference[2:], "cosine"
    )
    np.testing.assert_array_equal(centroid_ranking(query, reference, labels), [["a", "b"]])
    assert centroid_topk_accuracy(query, ["a"], reference, labels) == 1.0


def test_centroid_ranking_ties_follow_label_order():
    reference = np.array([[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0]])
    ranking = centroid_ranking([[0.0, 1.0]], reference, ["z", "m", "a"])
    # "a" and "z" are both at cosine distance 1: sorted label order.
    np.testing.assert_array_equal(ranking, [["m", "a", "z"]])


def test_centroid_topk_excludes_unknown_labels():
    reference = np.array([[1.0, 0.0], [0.0, 1.0]])
    query = np.array([[1.0, 0.1], [0.1, 1.0], [1.0, 1.0], [5.0, 0.0]])
    # The 3rd and 4th queries have labels absent from the reference.
    score = centroid_topk_accuracy(query, [0, 0, 7, 8], reference, [0, 1])
    assert score == 0.5


def test_centroid_topk_errors():
    reference = np.array([[1.0, 0.0], [0.0, 1.0]])
    with pytest.raises(ValueError, match="None of the query labels"):
        centroid_topk_accuracy(reference, [2, 3], reference, [0, 1])
    with pytest.raises(ValueError, match="larger than the number of reference labels"):
        centroid_topk_accuracy(reference, [0, 1], reference, [0, 1], k=3)
    with pytest.raises(ValueError, match="positive integer"):
        centroid_topk_accuracy(reference, [0, 1], reference, [0, 1], k=0)


def test_centroid_perfect_embeddings():
    rng = np.random.RandomState(0)
    labels = np.repeat(np.arange(4), 10)
    embeddings = np.eye(4)[labels] + rng.normal(scale=0.05, size=(40, 4))
    assert centroid_topk_accuracy(embeddings, labels, embeddings, labels) == 1.0


# ---------------------------------------------------------------------------
# scorers


def test_retrieval_map_scorer_value():
    X, y = make_blobs(n_samples=50, centers=3, n_features=6, cluster_std=3.0, random_state=0)
    pipe = make_pipeline(StandardScaler(), PCA(n_components=2, random_state=0)).fit(X[:30])
    expected = mean_average_precision(pipe.transform(X[30:]), y[30:])
    assert retrieval_map_scorer(pipe, X[30:], y[30:]) == pytest.approx(expected)
    euclidean = make_retrieval_scorer("euclidean")
    expected = mean_average_precision(pipe.transform(X[30:]), y[30:], metric="euclidean")
    assert euclidean(pipe, X[30:], y[30:]) == pytest.approx(expected)
    assert repr(euclidean) == "make_retrieval_scorer(metric='euclidean')"


def test_scorer_requires_labels():
    pipe = PCA(n_components=1).fit(np.random.RandomState(0).normal(size=(5, 2)))
    with pytest.raises(ValueError, match="needs the labels"):
        retrieval_map_scorer(pipe, np.ones((5, 2)), None)


@pytest.mark.parametrize("scoring", [retrieval_map_scorer, make_retrieval_scorer("euclidean")])
def test_scorer_in_grid_search_on_transformer_pipeline(scoring):
    # Informative directions have a smaller variance than noise directions, so
    # that the number of PCA components matters.
    rng = np.random.RandomState(0)
    y = np.repeat(np.arange(3), 30)
    informative = np.eye(3)[y] * 2 + rng.normal(scale=0.3, size=(90, 3))
    X = np.c_[informative, rng.normal(scale=3.0, size=(90, 3))]
    pipe = make_pipeline(StandardScaler(with_std=False), PCA(random_state=0))
    assert not hasattr(pipe, "predict")
    cv = KFold(3, shuffle=True, random_state=0)
    search = GridSearchCV(pipe, {"pca__n_components": [1, 3, 6]}, scoring=scoring, cv=cv)
    search.fit(X, y)
    # Independent recomputation of the grid-search scores.
    for i, n_components in enumerate([1, 3, 6]):
        fold_scores = []
        for train, test in cv.split(X):
            model = make_pipeline(
                StandardScaler(with_std=False), PCA(n_components, random_state=0)
            ).fit(X[train])
            fold_scores.append(scoring(model, X[test], y[test]))
        assert search.cv_results_["mean_test_score"][i] == pytest.approx(np.mean(fold_scores))
    scores = cross_val_score(pipe, X, y, scoring=scoring, cv=cv)
    assert scores.shape == (3,)
    # Only the full space contains the (low-variance) informative directions.
    assert search.best_params_ == {"pca__n_components": 6}


# ---------------------------------------------------------------------------
# pitch_leakage_r2


def _reference_leakage(embeddings, pitch, cv, random_state):
    scores = []
    for train, test in KFold(cv, shuffle=True, random_state=random_state).split(embeddings):
        mean = embeddings[train].mean(axis=0)
        std = embeddings[train].std(axis=0)
        std[std == 0] = 1.0
        Z_train = (embeddings[train] - mean) / std
        Z_test = (embeddings[test] - mean) / std
        # Alpha chosen by leave-one-out error, as RidgeCV does.
        best_alpha, best_error = None, np.inf
        for alpha in np.logspace(-3, 3, 7):
            errors = []
            for i in range(len(train)):
                keep = np.arange(len(train)) != i
                model = Ridge(alpha=alpha).fit(Z_train[keep], pitch[train][keep])
                errors.append((model.predict(Z_train[i : i + 1])[0] - pitch[train][i]) ** 2)
            if np.mean(errors) < best_error:
                best_alpha, best_error = alpha, np.mean(errors)
        model = Ridge(alpha=best_alpha).fit(Z_train, pitch[train])
        scores.append(r2_score(pitch[test], model.predict(Z_test)))
    return np.mean(scores)


def test_pitch_leakage_matches_independent_computation():
    rng = np.random.RandomState(0)
    pitch = np.tile(np.arange(48, 60), 3).astype(float)
    embeddings = np.c_[0.1 * pitch + rng.normal(size=36), rng.normal(size=(36, 3))]
    expected = _reference_leakage(embeddings, pitch, cv=4, random_state=3)
    got = pitch_leakage_r2(embeddings, pitch, cv=4, random_state=3)
    assert got == pytest.approx(expected, rel=1e-6)


def test_pitch_leakage_high_vs_low():
    rng = np.random.RandomState(0)
    pitch = np.repeat(np.arange(48, 73, 2), 8)
    leaky = np.c_[np.log2(440 * 2 ** ((pitch - 69) / 12)), rng.normal(size=(len(pitch), 7))]
    assert pitch_leakage_r2(leaky, pitch) > 0.95
    clean = rng.normal(size=(len(pitch), 8))
    assert pitch_leakage_r2(clean, pitch) < 0.05


def test_pitch_leakage_deterministic_and_seed_dependent():
    rng = np.random.RandomState(0)
    pitch = np.repeat(np.arange(48, 73, 2), 4)
    embeddings = np.c_[pitch + rng.normal(scale=5, size=len(pitch)), rng.normal(size=(52, 3))]
    a = pitch_leakage_r2(embeddings, pitch)
    assert pitch_leakage_r2(embeddings, pitch) == a
    assert pitch_leakage_r2(embeddings, pitch, random_state=1) != a


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(cv=1), "cv must be"),
        (dict(cv=100), "cv must be"),
        (dict(cv=2.5), "cv must be"),
        (dict(pitch=np.full(20, 60)), "constant"),
        (dict(pitch=np.arange(19)), "inconsistent numbers of samples"),
    ],
)
def test_pitch_leakage_errors(kwargs, match):
    embeddings = np.random.RandomState(0).normal(size=(20, 2))
    pitch = kwargs.pop("pitch", np.arange(20))
    with pytest.raises(ValueError, match=match):
        pitch_leakage_r2(embeddings, pitch, **kwargs)
