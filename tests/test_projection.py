import numpy as np
import pytest
from sklearn.linear_model import LinearRegression
from sklearn.utils.estimator_checks import parametrize_with_checks

from sktimbre.projection import PitchNullProjection


def _pitched_data(n=400, seed=0):
    rng = np.random.default_rng(seed)
    pitch = rng.uniform(36, 96, n)
    timbre = rng.normal(size=(n, 6))
    mixing = rng.normal(size=(6, 6))
    leak = np.column_stack([0.05 * pitch, 0.002 * (pitch - 66) ** 2] + [np.zeros(n)] * 4)
    X = timbre @ mixing + leak @ rng.normal(size=(6, 6))
    return np.column_stack([X, np.log2(440 * 2 ** ((pitch - 69) / 12))]), pitch, timbre


def test_removes_linear_and_quadratic_pitch_information():
    X, pitch, _ = _pitched_data()
    before = LinearRegression().fit(X[:, :-1], pitch).score(X[:, :-1], pitch)
    Z = PitchNullProjection(degree=2).fit_transform(X)
    after = LinearRegression().fit(Z, pitch).score(Z, pitch)
    assert before > 0.9 and after < 0.05, (before, after)
    assert Z.shape == (400, 6)


def test_keeps_what_is_not_pitch():
    X, _, timbre = _pitched_data()
    Z = PitchNullProjection(degree=2).fit_transform(X)
    # the six timbre factors still explain most of the projected data
    r2 = LinearRegression().fit(timbre, Z).score(timbre, Z)
    assert r2 > 0.6


def test_degree_zero_only_standardises_and_drops_the_pitch_column():
    X, _, _ = _pitched_data()
    Z = PitchNullProjection(degree=0).fit_transform(X)
    np.testing.assert_allclose(Z, (X[:, :-1] - X[:, :-1].mean(0)) / X[:, :-1].std(0))


def test_pitch_column_by_index_and_names():
    pd = pytest.importorskip("pandas")
    X, _, _ = _pitched_data()
    df = pd.DataFrame(np.roll(X, 1, axis=1), columns=["f0"] + [f"d{i}" for i in range(6)])
    proj = PitchNullProjection(pitch_column=0, degree=1).fit(df)
    assert list(proj.get_feature_names_out()) == [f"d{i}" for i in range(6)]


def test_rejects_too_many_directions_and_bad_column():
    X, _, _ = _pitched_data()
    with pytest.raises(ValueError, match="degree"):
        PitchNullProjection(degree=7).fit(X)
    with pytest.raises(ValueError, match="out of range"):
        PitchNullProjection(pitch_column=7).fit(X)


def test_nan_rows_pass_through():
    X, _, _ = _pitched_data()
    X[3] = np.nan
    Z = PitchNullProjection(degree=1).fit(X).transform(X)
    assert np.isnan(Z[3]).all() and np.isfinite(np.delete(Z, 3, axis=0)).all()


@parametrize_with_checks([PitchNullProjection(degree=1)])
def test_sklearn_compatible(estimator, check):
    check(estimator)
