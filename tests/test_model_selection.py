"""Tests for sktimbre.model_selection."""

import numpy as np
import pytest
import sklearn
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, check_cv, cross_validate

from sktimbre.model_selection import PitchBlockSplit


def _random_pitches(n_samples=200, low=36, high=90, seed=0):
    return np.random.RandomState(seed).randint(low, high, size=n_samples)


@pytest.mark.parametrize("n_splits", [2, 3, 4])
@pytest.mark.parametrize("block_size", [1, 5, 6, 12])
def test_splits_are_disjoint_in_pitch_blocks_and_cover_everything(n_splits, block_size):
    pitch = _random_pitches()
    X = np.zeros((pitch.shape[0], 2))
    cv = PitchBlockSplit(n_splits, block_size=block_size)
    splits = list(cv.split(X, groups=pitch))
    assert len(splits) == cv.get_n_splits() == n_splits

    times_in_test = np.zeros(pitch.shape[0], dtype=int)
    for fold, (train, test) in enumerate(splits):
        assert train.size > 0 and test.size > 0
        # Sorted indices, train and test partition the samples.
        assert np.all(np.diff(train) > 0) and np.all(np.diff(test) > 0)
        assert np.intersect1d(train, test).size == 0
        np.testing.assert_array_equal(np.union1d(train, test), np.arange(pitch.shape[0]))
        # No pitch block (hence no pitch) is on both sides.
        train_blocks = set((pitch[train] // block_size).tolist())
        test_blocks = set((pitch[test] // block_size).tolist())
        assert not train_blocks & test_blocks
        assert not set(pitch[train].tolist()) & set(pitch[test].tolist())
        # Brute force: the test set is exactly the blocks b with b % n_splits == fold.
        expected = [i for i, p in enumerate(pitch) if (p // block_size) % n_splits == fold]
        np.testing.assert_array_equal(test, expected)
        times_in_test[test] += 1
    # Every sample is tested exactly once.
    np.testing.assert_array_equal(times_in_test, 1)


def test_two_splits_are_even_versus_odd_blocks_both_ways():
    pitch = np.arange(48, 73)
    X = np.zeros((pitch.shape[0], 1))
    (train0, test0), (train1, test1) = PitchBlockSplit().split(X, groups=pitch)
    assert set((pitch[test0] // 6) % 2) == {0}
    assert set((pitch[train0] // 6) % 2) == {1}
    np.testing.assert_array_equal(test0, train1)
    np.testing.assert_array_equal(train0, test1)
    # MIDI 48-53 is block 8 (even), 54-59 block 9 (odd), ...
    np.testing.assert_array_equal(
        pitch[test0], [48, 49, 50, 51, 52, 53, 60, 61, 62, 63, 64, 65, 72]
    )


def test_negative_and_float_integral_pitches():
    pitch = np.array([-7.0, -1.0, 0.0, 5.0, 6.0, 13.0])
    X = np.zeros((6, 1))
    tests = [test for _, test in PitchBlockSplit(block_size=6).split(X, groups=pitch)]
    # Blocks: -2, -1, 0, 0, 1, 2 -> folds 0, 1, 0, 0, 1, 0.
    np.testing.assert_array_equal(tests[0], [0, 2, 3, 5])
    np.testing.assert_array_equal(tests[1], [1, 4])


def test_groups_as_list():
    splits = list(PitchBlockSplit(block_size=1).split([[0], [1], [2]], groups=[60, 61, 62]))
    np.testing.assert_array_equal(splits[0][1], [0, 2])
    np.testing.assert_array_equal(splits[1][1], [1])


def test_get_n_splits():
    assert PitchBlockSplit().get_n_splits() == 2
    assert PitchBlockSplit(5).get_n_splits(np.zeros((3, 1)), groups=[1, 2, 3]) == 5


def test_repr():
    assert repr(PitchBlockSplit()) == "PitchBlockSplit(block_size=6, n_splits=2)"
    assert repr(PitchBlockSplit(3, block_size=12)) == "PitchBlockSplit(block_size=12, n_splits=3)"


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(n_splits=1), "at least two folds"),
        (dict(n_splits=2.0), "Integral"),
        (dict(n_splits=True), "Integral"),
        (dict(block_size=0), "block_size"),
        (dict(block_size=1.5), "block_size"),
    ],
)
def test_invalid_constructor_parameters(kwargs, match):
    with pytest.raises(ValueError, match=match):
        PitchBlockSplit(**kwargs)


@pytest.mark.parametrize(
    "groups, match",
    [
        (None, "should not be None"),
        (np.array([60.0, 60.5, 61.0, 70.0]), "integer MIDI"),
        (np.array(["C4", "D4", "E4", "F4"]), "integer MIDI"),
        (np.array([True, False, True, False]), "integer MIDI"),
        (np.array([60, 61, 62]), "inconsistent numbers of samples"),
        (np.array([60, 61, 62, 63]), r"Fold\(s\) \[1\].*would be empty"),
        (np.arange(8).reshape(4, 2), "1-dimensional"),
    ],
)
def test_invalid_groups(groups, match):
    X = np.zeros((4, 1))
    with pytest.raises(ValueError, match=match):
        list(PitchBlockSplit().split(X, groups=groups))


def test_empty_fold_with_more_splits():
    # Blocks 8, 9, 10 -> folds 0, 1, 2; fold 3 is empty.
    pitch = np.arange(48, 66)
    with pytest.raises(ValueError, match=r"Fold\(s\) \[3\]"):
        list(PitchBlockSplit(4).split(np.zeros((18, 1)), groups=pitch))


def test_check_cv_accepts_it():
    cv = PitchBlockSplit()
    assert check_cv(cv) is cv


class _PitchRecorder(ClassifierMixin, BaseEstimator):
    """Classifier memorising the training pitches (passed as X[:, 0])."""

    def fit(self, X, y):
        self.classes_ = np.unique(y)
        self.train_pitches_ = np.unique(X[:, 0])
        return self

    def predict(self, X):
        # Fails loudly if a test pitch was seen in training.
        assert not np.isin(X[:, 0], self.train_pitches_).any()
        return np.full(X.shape[0], self.classes_[0])


@pytest.mark.parametrize("enable_metadata_routing", [False, True])
def test_grid_search_with_pitch_groups(enable_metadata_routing):
    rng = np.random.RandomState(0)
    pitch = np.repeat(np.arange(48, 73, 2), 4)
    y = np.tile([0, 1], pitch.shape[0] // 2)
    X = np.c_[pitch, rng.normal(size=(pitch.shape[0], 3)) + y[:, None]]
    with sklearn.config_context(enable_metadata_routing=enable_metadata_routing):
        search = GridSearchCV(_PitchRecorder(), {}, cv=PitchBlockSplit()).fit(X, y, groups=pitch)
        assert search.n_splits_ == 2
        search = GridSearchCV(
            LogisticRegression(), {"C": [0.1, 1.0]}, cv=PitchBlockSplit(3, block_size=4)
        ).fit(X, y, groups=pitch)
        assert search.n_splits_ == 3
        assert len(search.cv_results_["split2_test_score"]) == 2


def test_cross_validate_indices_match_split():
    pitch = np.repeat(np.arange(40, 80), 2)
    y = np.tile([0, 1], 40)
    X = np.c_[pitch, y + 0.1 * np.arange(80) % 3]
    cv = PitchBlockSplit(2, block_size=6)
    result = cross_validate(LogisticRegression(), X, y, groups=pitch, cv=cv, return_indices=True)
    for got, (_, expected) in zip(result["indices"]["test"], cv.split(X, y, pitch), strict=True):
        np.testing.assert_array_equal(got, expected)


def test_grid_search_without_groups_raises():
    X = np.zeros((8, 1))
    y = np.tile([0, 1], 4)
    with pytest.raises(ValueError, match="should not be None"):
        GridSearchCV(LogisticRegression(), {"C": [1.0]}, cv=PitchBlockSplit()).fit(X, y)
