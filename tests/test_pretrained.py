import numpy as np
import pytest

from sktimbre import load_pretrained_embedder, make_timbre_embedder
from sktimbre.datasets import make_notes
from sktimbre.metrics import mean_average_precision
from sktimbre.pretrained import _linearise
from sktimbre.projection import FrozenLinearProjection


def test_linearised_head_equals_the_fitted_pipeline():
    X, y = make_notes(n_instruments=4, pitches=range(48, 72, 3), random_state=0)
    embedder = make_timbre_embedder(projection="pitch-null-lda").fit(X, y)
    F = embedder[:2].transform(X)
    components, offset = _linearise(embedder[2:], F.shape[1])
    np.testing.assert_allclose(F @ components.T + offset, embedder[2:].transform(F),
                               rtol=1e-8, atol=1e-8)


def test_pretrained_embedder_groups_unseen_synthetic_instruments():
    # never fitted on make_notes: a fair check that the shipped map is sensible
    X, y = make_notes(n_instruments=4, pitches=range(48, 72, 4), random_state=3)
    embedder = load_pretrained_embedder()
    E = embedder.transform(X)
    assert E.shape == (len(X), 31) and np.isfinite(E).all()
    assert mean_average_precision(E, y) > 0.5  # chance is about 0.27


def test_pretrained_embedder_reports_bad_clips_as_nan_rows():
    X, _ = make_notes(n_instruments=1, pitches=[60], velocities=[1.0], random_state=0)
    with pytest.warns(UserWarning, match="1 of 2 clips"):
        E = load_pretrained_embedder(on_error="warn").transform([X[0], np.array([])])
    assert np.isfinite(E[0]).all() and np.isnan(E[1]).all()


def test_shipped_file_is_the_safe_format_with_the_default_configuration():
    import os

    from sktimbre.embedder import default_feature_union
    from sktimbre.persistence import TRUSTED_TYPES, read_info
    from sktimbre.pretrained import _PATH

    assert _PATH.endswith(".skt") and os.path.getsize(_PATH) < 200_000
    info = read_info(_PATH)
    assert set(info["classes"]) <= set(TRUSTED_TYPES)
    assert info["metadata"]["fitted_on"] == ["fluidr3", "freepats", "phrases/fluidr3",
                                             "phrases/freepats"]
    assert info["metadata"]["n_clips"] == 4286
    assert info["metadata"]["n_recorded_phrases"] == 696
    assert info["metadata"]["n_synthesized_phrases"] == 72 * 58  # per label and library
    embedder = load_pretrained_embedder()
    # regenerate it (python -m sktimbre.pretrained ...) when the defaults change
    default = make_timbre_embedder()
    assert embedder[0].get_params() == default[0].get_params()
    shipped, expected = embedder.named_steps["features"], default_feature_union()
    assert [n for n, _ in shipped.transformer_list] == [n for n, _ in expected.transformer_list]
    for (_, a), (_, b) in zip(shipped.transformer_list, expected.transformer_list, strict=True):
        assert type(a) is type(b) and a.get_params() == b.get_params()


def test_loading_the_shipped_file_does_not_warn_about_versions(monkeypatch):
    import warnings

    from sktimbre import _versions

    real = _versions.current_versions
    monkeypatch.setattr(_versions, "current_versions",
                        lambda: dict(real(), **{"scikit-learn": "99.0"}))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        load_pretrained_embedder()


def test_frozen_projection_checks_its_shapes_and_stays_frozen():
    from sklearn.base import clone

    with pytest.raises(ValueError, match="expects 3"):
        FrozenLinearProjection.from_arrays(np.ones((2, 3)), np.zeros(2)).fit(np.ones((4, 2)))
    with pytest.raises(ValueError, match="one value per row"):
        FrozenLinearProjection.from_arrays(np.ones((2, 3)), np.zeros(3))
    with pytest.raises(ValueError, match="finite"):
        FrozenLinearProjection.from_arrays(np.full((2, 3), np.nan), np.zeros(2))
    frozen = FrozenLinearProjection.from_arrays(np.eye(2), np.ones(2))
    copy = clone(frozen).fit(np.zeros((3, 2)))  # a clone is the same map
    np.testing.assert_array_equal(copy.transform(np.eye(2)), np.eye(2) + 1)


def test_pretrained_embedder_reads_well():
    embedder = load_pretrained_embedder()
    assert len(repr(embedder)) < 3000  # no matrix of numbers in it
    assert "FrozenLinearProjection()" in repr(embedder)
    assert embedder.get_feature_names_out()[0] == "timbre_00"
