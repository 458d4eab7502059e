import pickle

import joblib
import numpy as np
import pytest
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import FeatureUnion, Pipeline

from sktimbre import MFCC, AudioFrontEnd, MelBands, SpectralContrast, make_timbre_embedder
from sktimbre.datasets import make_notes
from sktimbre.metrics import (
    mean_average_precision,
    nearest_neighbor_accuracy,
    retrieval_map_scorer,
)
from sktimbre.model_selection import PitchBlockSplit


@pytest.fixture(scope="module")
def notes():
    X, y, pitch = make_notes(n_instruments=8, pitches=range(36, 84, 3), velocities=(1.0,),
                             duration=0.5, random_state=0, return_pitch=True)
    return X, y, pitch


@pytest.fixture
def small_union():
    return FeatureUnion([("contrast", SpectralContrast()), ("mfcc", MFCC(deltas=1))])


def test_lda_embedder_generalises_to_unseen_pitches_far_better_than_raw_seed(notes):
    """Fit on even pitch blocks, query with odd ones: the issue's acceptance test."""
    X, y, pitch = notes
    fit = (pitch // 6) % 2 == 0
    # the raw 58-dim snippet vector: seed families, no scaling, no projection
    raw = make_timbre_embedder("seed", projection=None).set_params(scale="passthrough")
    lda = make_timbre_embedder(projection="lda")
    frontend = AudioFrontEnd()
    X_fit, X_query = frontend.transform(list(X[fit])), frontend.transform(list(X[~fit]))
    scores = {}
    for name, emb in [("raw", raw), ("lda", lda)]:
        emb = emb[1:].fit(X_fit, y[fit])  # features onwards: the front end's batches are reused
        E_fit, E_query = emb.transform(X_fit), emb.transform(X_query)
        scores[name] = (mean_average_precision(E_query, y[~fit]),
                        nearest_neighbor_accuracy(E_query, y[~fit], E_fit, y[fit]))
    assert scores["lda"][0] > scores["raw"][0] + 0.25, scores
    assert scores["lda"][1] >= scores["raw"][1] - 0.02, scores


def test_embedder_is_a_plain_pipeline_with_shared_analyses(small_union):
    from sktimbre.frontend import STFT

    emb = make_timbre_embedder(small_union, projection="pca", n_components=3)
    assert isinstance(emb, Pipeline)
    assert list(emb.named_steps) == ["frontend", "features", "scale", "project"]
    def sources(analysis):  # the analyses computed from the samples, under this one
        needs = analysis.requires()
        return {analysis} if not needs else set().union(*map(sources, needs))

    declared = [set().union(*map(sources, family.required_analyses().values()))
                for _, family in emb.named_steps["features"].transformer_list]
    assert declared == [{STFT(2048, 512, "hann")}] * 2  # one shared STFT, nothing else


@pytest.mark.parametrize("projection",
                         [None, "pca", "lda", "shrinkage-lda", "nca", "pitch-null-lda"])
def test_projections_fit_and_transform(notes, small_union, projection):
    X, y, _ = notes
    emb = make_timbre_embedder(small_union, projection=projection, n_components=3)
    E = emb.fit(X[:64], y[:64]).transform(X[:64])
    assert E.shape == (64, 3 if projection else 7 + 2 * 13)
    assert np.isfinite(E).all()


def test_pitch_null_lda_removes_what_tracks_the_estimated_pitch(notes):
    from sktimbre import PitchEstimate

    X, y, pitch = notes
    emb = make_timbre_embedder(projection="pitch-null-lda").fit(X, y)
    assert emb.named_steps["features"].transformer_list[-1][0] == "pitch"
    E = emb.transform(X)
    f0 = PitchEstimate().fit_transform(X)[:, 0]
    # on the fitting clips, no embedding direction correlates with the estimated pitch
    cross = (E - E.mean(0)).T @ (f0 - f0.mean())
    assert np.abs(cross).max() < 1e-6 * np.abs(E).max() * len(E)


def test_default_embedder_uses_timbre_families_without_chroma():
    emb = make_timbre_embedder()
    names = [name for name, _ in emb.named_steps["features"].transformer_list]
    assert names == ["contrast", "mfcc", "shape", "contrast_onset", "mfcc_onset",
                     "shape_onset", "harmonic_frames", "harmonic_notes", "notes"]
    assert emb.named_steps["project"].projection.shrinkage == "auto"
    with pytest.warns(FutureWarning, match="use .projection"):
        assert emb.named_steps["project"].transformer.shrinkage == "auto"


def test_fitted_embedder_survives_joblib_and_pickle(notes, small_union, tmp_path):
    X, y, _ = notes
    emb = make_timbre_embedder(small_union, projection="lda").fit(X[:64], y[:64])
    path = tmp_path / "embedder.joblib"
    joblib.dump(emb, path)
    expected = emb.transform(X[64:80])
    np.testing.assert_array_equal(joblib.load(path).transform(X[64:80]), expected)
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(emb)).transform(X[64:80]), expected)


def test_clone_and_set_params_reach_family_settings(small_union):
    emb = make_timbre_embedder(small_union)
    emb.set_params(features__mfcc__n_mfcc=7)
    cloned = clone(emb)
    assert cloned.get_params()["features__mfcc__n_mfcc"] == 7
    assert cloned.named_steps["features"] is not emb.named_steps["features"]


def test_n_jobs_gives_identical_embeddings(notes, small_union):
    X, y, _ = notes
    serial = make_timbre_embedder(small_union, projection="lda", n_jobs=1).fit(X[:64], y[:64])
    parallel = make_timbre_embedder(clone(small_union), projection="lda", n_jobs=2)
    parallel.fit(X[:64], y[:64])
    np.testing.assert_array_equal(parallel.transform(X[64:]), serial.transform(X[64:]))


def test_grid_search_over_feature_settings_with_pitch_block_cv(notes):
    X, y, pitch = notes
    emb = make_timbre_embedder([("mel", MelBands())], projection="lda")
    search = GridSearchCV(emb, {"features__mel__n_mels": [8, 32]}, cv=PitchBlockSplit(),
                          scoring=retrieval_map_scorer)
    search.fit(X[:96], y[:96], groups=pitch[:96])
    assert search.best_params_["features__mel__n_mels"] in (8, 32)
    assert 0.0 < search.best_score_ <= 1.0


def test_pandas_output_through_the_whole_pipeline(notes, small_union):
    pd = pytest.importorskip("pandas")
    X, y, _ = notes
    emb = make_timbre_embedder(small_union, projection=None).set_output(transform="pandas")
    df = emb.fit_transform(X[:10])
    assert isinstance(df, pd.DataFrame)
    assert df.columns[0] == "contrast__contrast_00_mean"
    assert list(emb.get_feature_names_out()) == list(df.columns)


def test_unknown_families_or_projection_raise():
    with pytest.raises(ValueError, match="families"):
        make_timbre_embedder("best")
    with pytest.raises(ValueError, match="projection"):
        make_timbre_embedder(projection="tsne")


def test_chunked_extraction_equals_whole_and_numbers_bad_clips_globally(notes, tmp_path):
    from sktimbre import ClipWarning, InvalidClipError
    from sktimbre.embedder import extract_features, fit_in_chunks

    X, y, _ = notes
    emb = make_timbre_embedder()
    np.testing.assert_allclose(extract_features(emb, X[:20], chunk_size=6),
                               emb[:2].transform(X[:20]), rtol=1e-10)
    bad = list(X[:9]) + [str(tmp_path / "gone.wav")]
    with pytest.raises(InvalidClipError, match=r"clip 9 \(.*gone.wav\)"):
        extract_features(emb, bad, chunk_size=4)
    emb_nan = make_timbre_embedder(on_error="warn")
    with pytest.warns(ClipWarning, match=r"1 of 10 clips(.|\n)*clip 9 "):
        F = extract_features(emb_nan, bad, chunk_size=4)
    assert np.isnan(F[9]).all() and np.isfinite(F[:9]).all()
    fitted = fit_in_chunks(make_timbre_embedder(), X, y, chunk_size=50)
    np.testing.assert_allclose(fitted.transform(X[:5]),
                               make_timbre_embedder().fit(X, y).transform(X[:5]), atol=1e-8)


def test_projection_parameters_are_reached_directly(notes, small_union):
    X, y, _ = notes
    emb = make_timbre_embedder(small_union, projection="shrinkage-lda")
    assert emb.get_params()["project__n_components"] is None
    emb.set_params(project__n_components=3)
    E = emb.fit(X[:64], y[:64]).transform(X[:64])
    assert E.shape == (64, 3)
    assert emb.named_steps["project"].projection_.n_components == 3
    assert list(emb.get_feature_names_out()) == ["timbre_00", "timbre_01", "timbre_02"]
    # 0.2's spelling still works, with a deprecation warning
    with pytest.warns(FutureWarning, match="project__transformer__<name> is deprecated"):
        emb.set_params(project__transformer__n_components=2)
    assert emb.named_steps["project"].projection.n_components == 2
    with pytest.raises(ValueError, match="Invalid parameter 'nonsense'"):
        emb.set_params(project__nonsense=1)


def test_grid_search_over_projection_parameters_and_pandas_names(notes, small_union):
    pd = pytest.importorskip("pandas")
    X, y, pitch = notes
    emb = make_timbre_embedder(small_union, projection="shrinkage-lda", cache=True)
    search = GridSearchCV(emb, {"project__shrinkage": ["auto", 0.5]},
                          cv=PitchBlockSplit(), scoring=retrieval_map_scorer)
    search.fit(X[:96], y[:96], groups=pitch[:96])
    assert set(search.cv_results_["param_project__shrinkage"]) == {"auto", 0.5}
    frame = search.best_estimator_.set_output(transform="pandas").transform(X[:4])
    assert isinstance(frame, pd.DataFrame)
    assert frame.columns[0] == "timbre_00"
