"""Streaming (ClipStream + FamilyUnion), the row cache, long clips, and a Dask cluster."""

import numpy as np
import pytest

from sktimbre import MFCC, AudioFrontEnd, ClipWarning, make_timbre_embedder
from sktimbre.embedder import FamilyUnion, default_feature_union
from sktimbre.frontend import STFT, ClipBatch, ClipStream
from sktimbre.io import InvalidClipError

from .conftest import SR, harmonic_tone


@pytest.fixture
def clips():
    """Twelve tones, four lengths, so chunks hold ragged groups."""
    return [harmonic_tone(110.0 * 2 ** (i / 7), duration=0.3 + 0.1 * (i % 4), seed=i)
            for i in range(12)]


@pytest.fixture
def count_analyses(monkeypatch):
    """STFTs computed, one entry per clip."""
    counts = []
    compute = STFT.compute

    def counting(self, inputs, sr):
        counts.extend([self] * len(inputs[0]))
        return compute(self, inputs, sr)

    monkeypatch.setattr(STFT, "compute", counting)
    return counts


def test_stream_gives_the_same_rows_as_one_batch(clips, count_analyses):
    union = default_feature_union()
    batch = AudioFrontEnd().fit_transform(clips)
    assert isinstance(batch, ClipBatch)
    whole = union.fit_transform(batch)
    n_whole = len(count_analyses)
    stream = AudioFrontEnd(batch_size=5).fit_transform(clips)
    assert isinstance(stream, ClipStream) and len(stream) == len(clips)
    np.testing.assert_allclose(union.fit_transform(stream), whole, rtol=1e-10, atol=1e-12)
    # one pass: every chunk is decoded and analysed once for all the families
    assert len(count_analyses) == 2 * n_whole


def test_parallel_stream_equals_serial(clips):
    emb = make_timbre_embedder(projection=None)
    serial = emb[:2].fit_transform(clips)
    parallel = make_timbre_embedder(projection=None, n_jobs=2)[:2].fit_transform(clips)
    np.testing.assert_array_equal(parallel, serial)


def test_plain_feature_union_and_lone_family_accept_a_stream(clips):
    from sklearn.pipeline import FeatureUnion

    stream = AudioFrontEnd(batch_size=4).fit_transform(clips)
    plain = FeatureUnion([("mfcc", MFCC(deltas=1))]).fit_transform(stream)
    np.testing.assert_allclose(plain, MFCC(deltas=1).fit_transform(clips), rtol=1e-10)
    # make_timbre_embedder turns a FeatureUnion into a FamilyUnion, same settings
    emb = make_timbre_embedder(FeatureUnion([("mfcc", MFCC())], n_jobs=1), projection=None)
    assert type(emb[1]) is FamilyUnion and emb[1].n_jobs == 1


def test_stream_names_failed_clips_by_their_global_index(clips, tmp_path):
    X = clips[:7] + [str(tmp_path / "gone.wav")] + clips[7:9]
    emb = make_timbre_embedder(projection=None, batch_size=3)
    with pytest.raises(InvalidClipError, match=r"clip 7 \(.*gone.wav\): file not found"):
        emb[:2].fit_transform(X)
    emb_nan = make_timbre_embedder(projection=None, batch_size=3, on_error="warn")
    with pytest.warns(ClipWarning, match=r"1 of 10 clips(.|\n)*clip 7 "):
        F = emb_nan[1].transform(emb_nan[0].transform(X))  # transform: fit never takes NaN
    assert np.isnan(F[7]).all() and np.isfinite(np.delete(F, 7, axis=0)).all()


def test_stream_output_sets_pandas(clips):
    emb = make_timbre_embedder(projection=None, batch_size=5).set_output(transform="pandas")
    df = emb[:2].fit_transform(clips)
    assert df.shape == (12, 192) and df.columns[0] == "contrast__contrast_00_mean"
    assert list(df.index) == list(range(12))


def test_grid_search_param_names_still_work(clips):
    emb = make_timbre_embedder(projection=None, batch_size=5)
    emb.set_params(features__mfcc__n_mfcc=8)
    assert emb[:2].fit_transform(clips).shape == (12, 192 - 3 * 5)


def test_too_long_clip_is_refused_with_the_limit_to_change():
    long = np.zeros(int(3.5 * SR), np.float32)
    long[::100] = 0.1
    with pytest.raises(InvalidClipError, match=r"clip 1 .*3.5 s long, above max_duration=2"):
        AudioFrontEnd(max_duration=2).fit_transform([long[:SR], long])
    F = make_timbre_embedder(projection=None, max_duration=None)[:2].fit_transform([long])
    assert np.isfinite(F).all()
    # in a stream, named by its index in X; with on_error="warn", a NaN row and a warning
    X = [long[:SR]] * 5 + [long]
    with pytest.raises(InvalidClipError, match=r"clip 5 .*above max_duration=2"):
        make_timbre_embedder(projection=None, batch_size=2, max_duration=2)[:2].fit_transform(X)
    emb = make_timbre_embedder(projection=None, batch_size=2, max_duration=2, on_error="warn")
    with pytest.warns(ClipWarning, match=r"clip 5 .*above max_duration=2"):
        F = emb[1].transform(emb[0].transform(X))
    assert np.isnan(F[5]).all() and np.isfinite(F[:5]).all()


def test_cache_reuses_rows_and_recomputes_only_a_changed_family(clips, count_analyses):
    emb = make_timbre_embedder(projection=None, cache=True)
    first = emb[:2].fit_transform(clips)
    n_first = len(count_analyses)
    assert n_first > 0
    np.testing.assert_array_equal(emb[:2].fit_transform(clips), first)
    np.testing.assert_array_equal(emb[:2].transform(clips[3:5]), first[3:5])
    assert len(count_analyses) == n_first  # nothing decoded or analysed again
    emb.set_params(features__mfcc__n_mfcc=8)
    changed = emb[:2].fit_transform(clips)
    # only the MFCC family's STFT is computed again
    assert len(count_analyses) == n_first + len(clips)
    np.testing.assert_array_equal(changed[:, :7], first[:, :7])  # contrast reused


def test_grid_search_with_cache_extracts_each_clip_once(clips, count_analyses):
    from sklearn.model_selection import GridSearchCV

    labels = np.arange(len(clips)) % 3
    emb = make_timbre_embedder(projection="pca", cache=True)
    search = GridSearchCV(emb, {"project__n_components": [2, 3, 4]}, cv=2,
                          scoring=lambda est, X, y: float(np.var(est.transform(X))))
    search.fit(clips, labels)
    n_keys = len(set(count_analyses))
    assert n_keys == 1  # every default family reads the 2048-point STFT
    assert len(count_analyses) == n_keys * len(clips)  # 2 folds x 3 candidates, once


def test_dask_cluster_gives_the_same_embeddings(clips):
    distributed = pytest.importorskip("distributed")
    from joblib import parallel_config

    emb = make_timbre_embedder(projection="pca", n_components=3).fit(clips)
    local = emb.transform(clips)
    with distributed.LocalCluster(n_workers=2, processes=True, threads_per_worker=1,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client, parallel_config(backend="dask"), \
            distributed.get_task_stream(client) as tasks:
        remote = emb.transform(clips)  # the user's pipeline, unchanged
    np.testing.assert_allclose(remote, local, rtol=1e-10, atol=1e-12)
    assert tasks.data  # the chunks ran as tasks on the cluster


def test_front_end_pickled_before_the_streaming_parameters_still_works(clips):
    import pickle

    old = AudioFrontEnd()
    for name in ["batch_size", "max_duration", "cache"]:  # as pickled by sktimbre 0.1
        delattr(old, name)
    restored = pickle.loads(pickle.dumps(old))
    assert restored.get_params()["batch_size"] == 256
    assert isinstance(restored.fit_transform(clips), ClipBatch)
