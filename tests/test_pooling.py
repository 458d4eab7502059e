import numpy as np
import pytest
from scipy import stats

from sktimbre.pooling import POOLING_STATISTICS, check_pooling, pool_frames, pooled_feature_names


def test_pool_frames_matches_numpy_and_scipy():
    rng = np.random.default_rng(0)
    F = rng.normal(size=(3, 5, 40))
    out = pool_frames(F, POOLING_STATISTICS)
    expected = np.concatenate([
        F.mean(-1), F.std(-1), np.median(F, -1),
        np.percentile(F, 75, -1) - np.percentile(F, 25, -1), F.min(-1), F.max(-1),
        stats.skew(F, axis=-1), stats.kurtosis(F, axis=-1, fisher=False),
    ], axis=-1)
    np.testing.assert_allclose(out, expected, rtol=1e-10)
    # one clip alone gives the same row as inside the stack
    np.testing.assert_allclose(pool_frames(F[1], POOLING_STATISTICS), out[1])


def test_masked_pooling_is_pooling_of_the_selected_frames():
    rng = np.random.default_rng(1)
    F = rng.normal(size=(4, 3, 30))
    mask = rng.random((4, 30)) < 0.4
    mask[2] = False  # no frame selected: every frame is pooled
    out = pool_frames(F, POOLING_STATISTICS, mask=mask)
    for clip in range(4):
        frames = F[clip][:, mask[clip]] if mask[clip].any() else F[clip]
        np.testing.assert_allclose(out[clip], pool_frames(frames, POOLING_STATISTICS),
                                   rtol=1e-12, atol=1e-12)


def test_constant_descriptor_pools_to_finite_values():
    out = pool_frames(np.ones((2, 7)), ["skew", "kurtosis", "std"])
    np.testing.assert_array_equal(out, [0, 0, 3, 3, 0, 0])


def test_names_follow_statistic_major_order():
    names = pooled_feature_names(["a", "b"], ["mean", "iqr"])
    assert names == ["a_mean", "b_mean", "a_iqr", "b_iqr"]


@pytest.mark.parametrize("bad", [[], ["mean", "mean"], ["average"], "p50"])
def test_check_pooling_rejects(bad):
    with pytest.raises(ValueError):
        check_pooling(bad)
