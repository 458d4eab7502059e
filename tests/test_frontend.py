"""The front end and its executor: decode once, analyse once, describe in one pass."""

import pickle
import threading
import warnings

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.pipeline import FeatureUnion

import sktimbre.frontend._batch as batch_module
from sktimbre import MFCC, AudioFrontEnd, ClipBatch, ClipWarning, MelBands, SpectralContrast
from sktimbre.frontend import (
    STFT,
    ClipFailure,
    ClipStream,
    MelSpectrogram,
    RowCache,
    analysis_groups,
    extract,
)
from sktimbre.io import InvalidClipError

from .conftest import SR


@pytest.fixture
def counters(monkeypatch):
    """Count decoded clips, and clips analysed per source analysis."""
    counts = {"decode": [], "analysis": []}
    load = batch_module.load_clip

    def counting_load(item, **kwargs):
        counts["decode"].append(item)
        return load(item, **kwargs)

    def counting(cls):
        compute = cls.compute

        def wrapped(self, inputs, sr):
            counts["analysis"].extend([self] * len(inputs[0]))
            return compute(self, inputs, sr)
        monkeypatch.setattr(cls, "compute", wrapped)

    monkeypatch.setattr(batch_module, "load_clip", counting_load)
    counting(STFT)
    counting(MelSpectrogram)
    return counts


def test_union_decodes_each_clip_once_and_computes_each_analysis_once(wav_files, counters):
    union = FeatureUnion([
        ("mfcc", MFCC(deltas=2, n_mels=64)),
        ("mel", MelBands(n_mels=64)),
        ("contrast", SpectralContrast()),
        ("mel_fine", MelBands(n_fft=4096, hop_length=1024)),
    ])
    batch = AudioFrontEnd().fit_transform(wav_files)
    union.fit_transform(batch)
    assert sorted(counters["decode"]) == sorted(wav_files)  # once per file
    n = len(wav_files)
    assert counters["analysis"].count(STFT(2048, 512)) == n  # shared by three families
    assert counters["analysis"].count(STFT(4096, 1024)) == n
    # MFCC and MelBands ask for the same 64 bands: one mel spectrogram per clip
    assert counters["analysis"].count(MelSpectrogram(STFT(2048, 512), 64)) == n
    assert len(counters["analysis"]) == 4 * n
    # a second pass over the same batch computes nothing new
    union.transform(batch)
    assert len(counters["analysis"]) == 4 * n


def test_family_alone_on_files_decodes_once_in_fit_transform(wav_files, counters):
    MFCC().fit_transform(wav_files)
    assert len(counters["decode"]) == len(wav_files)


def test_describe_is_a_pure_function_of_the_declared_analyses(tones):
    """A family never sees the batch: its rows come from the arrays it declared."""
    family = MFCC(deltas=1, pooling=["mean", "std"], active_db=40.0)
    clips = np.stack([tones[0], tones[1][:len(tones[0])], tones[0]])
    declared = family.required_analyses()
    assert set(declared) == {"frames", "energy"}

    def compute(analysis):  # each analysis from those it requires, by hand
        inputs = tuple(compute(r) for r in analysis.requires()) or (clips,)
        return analysis.compute(inputs, SR)

    rows = family.describe(sr=SR, **{name: compute(a) for name, a in declared.items()})
    expected = family.fit_transform(AudioFrontEnd().fit_transform(list(clips)))
    np.testing.assert_allclose(rows, expected, rtol=1e-6, atol=1e-6)


def test_families_that_differ_only_in_pooling_share_their_frames(tones, counters):
    union = FeatureUnion([("mfcc", MFCC(deltas=2)), ("mfcc_std", MFCC(deltas=2, pooling="std")),
                          ("mfcc_onset", MFCC(deltas=2, onset_window=0.3))])
    batch = AudioFrontEnd().fit_transform(tones)
    union.fit_transform(batch)
    frames = [a for a in batch.analysis_count if type(a).__name__ == "FrameDescriptors"]
    assert len(frames) == 1 and batch.analysis_count[frames[0]] == len(tones)


def test_precomputed_analyses_equal_lazy_ones(tones):
    stft = STFT(1024, 256)
    eager = AudioFrontEnd(analyses=[stft]).fit_transform(tones)
    assert eager.analysis_count[stft] == len(tones)
    lazy = AudioFrontEnd().fit_transform(tones)
    for (i1, s1), (i2, s2) in zip(analysis_groups(eager, stft), analysis_groups(lazy, stft),
                                  strict=True):
        np.testing.assert_array_equal(i1, i2)
        np.testing.assert_array_equal(s1, s2)


def test_0_1_analysis_keys_still_work(tones):
    with pytest.warns(FutureWarning, match="STFT"):
        from sktimbre.frontend import stft_analysis

        key = stft_analysis(1024, 256)
    assert key == STFT(1024, 256)
    batch = AudioFrontEnd(analyses=[["stft", 1024, 256, "hann"]]).fit_transform(tones)
    assert batch.analysis_count[STFT(1024, 256)] == len(tones)
    with pytest.warns(FutureWarning, match="analysis_groups"):
        groups = batch.analysis(("stft", 1024, 256, "hann"))
    assert sum(len(idx) for idx, _ in groups) == len(tones)


def test_equal_length_clips_are_analysed_as_one_stack(tones):
    batch = ClipBatch([t[:4000] for t in tones] + [tones[0][:3000]], sr=SR)
    groups = analysis_groups(batch, STFT())
    assert [g[0].tolist() for g in groups] == [[0, 1, 2, 3], [4]]
    assert groups[0][1].shape[0] == 4


def test_stft_matches_librosa(tones):
    import librosa

    batch = AudioFrontEnd().fit_transform(tones)
    for idx, S in analysis_groups(batch, STFT(2048, 512)):
        for i, s in zip(idx, S, strict=True):
            np.testing.assert_allclose(s, np.abs(librosa.stft(tones[i])), rtol=1e-5, atol=1e-6)


def test_parallel_front_end_gives_identical_features(wav_files, tones):
    X = wav_files + tones
    union = FeatureUnion([("mfcc", MFCC(deltas=1)), ("contrast", SpectralContrast())])
    serial = union.fit_transform(AudioFrontEnd(n_jobs=1).fit_transform(X))
    parallel_clips = AudioFrontEnd(n_jobs=2).fit_transform(X)
    assert isinstance(parallel_clips, ClipStream)
    assert parallel_clips.sources == wav_files + ["<array>"] * len(tones)
    np.testing.assert_array_equal(union.fit_transform(parallel_clips), serial)


def test_parallel_errors_name_the_global_clip_index(tones, tmp_path):
    X = tones + tones + [str(tmp_path / "gone.flac")]
    stream = AudioFrontEnd(n_jobs=2).fit_transform(X)  # decoded as the families consume it
    with pytest.raises(InvalidClipError, match=r"clip 8 \(.*gone.flac\): file not found"):
        MFCC().fit_transform(stream)


def test_extract_returns_rows_and_structured_failures(tones, tmp_path):
    gone = str(tmp_path / "gone.wav")
    X = [tones[0], gone, tones[1], np.array([np.nan, 1.0]), tones[2]]
    for frontend in (AudioFrontEnd(on_error="nan"),
                     AudioFrontEnd(on_error="nan", batch_size=2),
                     AudioFrontEnd(on_error="nan", n_jobs=2)):
        rows, failures = extract(frontend.transform(X), [MFCC(), SpectralContrast()])
        assert failures == [ClipFailure(1, gone, "file not found"),
                            ClipFailure(3, "<array>", "contains NaN or infinite samples")]
        for block in rows:
            assert np.isnan(block[[1, 3]]).all() and np.isfinite(block[[0, 2, 4]]).all()
        assert frontend.failures_ == failures


def test_on_error_warn_gives_reported_nan_rows(tones, tmp_path):
    X = [tones[0], str(tmp_path / "gone.wav"), tones[1], np.array([np.nan, 1.0])]
    with pytest.warns(ClipWarning, match=r"2 of 4 clips(.|\n)*gone.wav(.|\n)*clip 3"):
        batch = AudioFrontEnd(on_error="warn").transform(X)
    assert batch.valid.tolist() == [True, False, True, False]
    out = MFCC().fit_transform(batch)
    assert np.isnan(out[[1, 3]]).all() and np.isfinite(out[[0, 2]]).all()


def test_batch_with_other_sample_rate_is_rejected(tones):
    batch = AudioFrontEnd(sr=16000).fit_transform(tones)
    with pytest.raises(ValueError, match="16000 Hz"):
        AudioFrontEnd(sr=SR).transform(batch)


def test_batch_pickles_with_its_analyses(tones):
    batch = AudioFrontEnd(analyses=[STFT()]).fit_transform(tones)
    copy = pickle.loads(pickle.dumps(batch))
    assert copy.analysis_count == batch.analysis_count
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        np.testing.assert_array_equal(MFCC().fit_transform(copy), MFCC().fit_transform(batch))


def test_trim_db_removes_surrounding_silence_before_analysis(tones):
    from sktimbre.frontend import trim_silence

    y = tones[0]
    padded = np.concatenate([np.zeros(5000, np.float32), y, np.zeros(7000, np.float32)])
    batch = AudioFrontEnd(trim_db=60.0).fit_transform([padded, y])
    assert len(batch[0]) == len(batch[1]) <= len(y)
    np.testing.assert_array_equal(batch[0], trim_silence(y, top_db=60.0))
    # so the descriptors no longer see the padding
    np.testing.assert_allclose(MFCC(deltas=2).fit_transform(batch)[0],
                               MFCC(deltas=2).fit_transform(batch)[1], rtol=1e-6, atol=1e-6)
    assert len(AudioFrontEnd().fit_transform([padded])[0]) == len(padded)


def test_trim_silence_keeps_silent_and_quiet_clips():
    from sktimbre.frontend import trim_silence

    silent = np.zeros(100, np.float32)
    assert trim_silence(silent) is silent
    y = np.array([0, 1e-4, 1.0, 1e-2, 0], np.float32)
    np.testing.assert_array_equal(trim_silence(y, top_db=60.0), y[2:4])  # 1e-4 is -80 dB
    np.testing.assert_array_equal(trim_silence(y, top_db=90.0), y[1:4])
    np.testing.assert_array_equal(trim_silence(y, top_db=20.0), y[2:3])


# -- state owned by the front end: failures per thread, a row cache per front end ----


def test_two_threads_see_their_own_failures(tones, tmp_path):
    emb_frontend = AudioFrontEnd(on_error="nan")
    family = MFCC()
    bad = [tones[0], str(tmp_path / "missing.wav")]
    good = [tones[1], tones[2]]
    seen, barrier = {}, threading.Barrier(2)

    def run(name, X):
        for _ in range(20):
            barrier.wait()
            family.transform(emb_frontend.transform(X))
            barrier.wait()
            seen.setdefault(name, set()).add(len(emb_frontend.failures_))

    threads = [threading.Thread(target=run, args=args) for args in (("bad", bad), ("good", good))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert seen == {"bad": {1}, "good": {0}}


def test_concurrent_transforms_restore_the_blas_threads(tones):
    from threadpoolctl import threadpool_info

    before = [p["num_threads"] for p in threadpool_info()]
    frontend, family = AudioFrontEnd(batch_size=1), MFCC()

    def run():
        for _ in range(10):
            family.transform(frontend.transform(tones))

    threads = [threading.Thread(target=run) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [p["num_threads"] for p in threadpool_info()] == before


def test_row_cache_belongs_to_the_front_end_and_its_clones(tones):
    a = AudioFrontEnd(cache=True)
    MFCC().transform(a.transform(tones))
    assert len(a._get_row_cache()) == len(tones)
    assert clone(a)._get_row_cache() is a._get_row_cache()  # a grid search's candidates
    assert len(AudioFrontEnd(cache=True)._get_row_cache()) == 0  # another front end: its own
    restored = pickle.loads(pickle.dumps(a))
    assert len(restored._get_row_cache()) == 0  # rows are never pickled


def test_row_cache_is_bounded_in_bytes():
    cache = RowCache(max_bytes=10_000)
    for i in range(100):
        cache.put(("family", i), np.zeros(100))
    assert cache.nbytes <= 10_000 and 0 < len(cache) < 100
    assert cache.get(("family", 99)) is not None and cache.get(("family", 0)) is None


def test_a_rewritten_file_is_not_served_stale_rows(tmp_path, tones):
    import os

    import soundfile as sf

    path = str(tmp_path / "clip.wav")
    sf.write(path, tones[0][:8000], SR, subtype="FLOAT")
    stamp = os.stat(path)
    frontend = AudioFrontEnd(cache=True)
    first = MFCC().transform(frontend.transform([path]))
    sf.write(path, tones[1][:8000], SR, subtype="FLOAT")  # same size
    os.utime(path, ns=(stamp.st_atime_ns, stamp.st_mtime_ns))  # same modification time
    assert os.stat(path).st_size == stamp.st_size
    second = MFCC().transform(frontend.transform([path]))
    assert not np.allclose(first, second)


def test_a_clip_whose_analyses_would_not_fit_is_refused_before_any_is_computed(tones):
    """A model file with hop_length=1 must not ask for tens of gigabytes."""
    long = np.zeros(60 * SR, np.float32)
    long[::100] = 0.1
    family = MFCC(hop_length=1)  # 60 s at hop 1: 1.3 million frames of 1025 bins
    with pytest.raises(InvalidClipError, match=r"clip 1 .*GiB, above the 2 GiB.*hop_length"):
        family.fit_transform([tones[0], long])
    rows, failures = extract(AudioFrontEnd(on_error="nan").transform([tones[0], long]),
                             [family])
    assert [f.index for f in failures] == [1] and np.isnan(rows[0][1]).all()
    assert np.isfinite(rows[0][0]).all()


@pytest.mark.parametrize("n, batch_size, n_jobs", [(0, 256, None), (1, 256, None),
                                                   (300, 256, None), (512, 256, None),
                                                   (513, 256, None), (900, 256, 2)])
def test_chunks_cover_the_items_in_nearly_equal_sizes(n, batch_size, n_jobs):
    from sktimbre.frontend._executor import _chunk_bounds

    bounds = _chunk_bounds(n, batch_size, n_jobs)
    sizes = [b - a for a, b in bounds]
    assert [a for a, _ in bounds[1:]] == [b for _, b in bounds[:-1]]  # contiguous
    assert sum(sizes) == n and (not bounds or bounds[0][0] == 0)
    assert all(0 < s <= batch_size for s in sizes)
    assert not sizes or max(sizes) - min(sizes) <= 1  # no short last chunk


def test_stacks_of_one_length_are_split_evenly():
    from sktimbre.frontend import STFT
    from sktimbre.frontend._executor import _source_groups

    batch = ClipBatch([np.zeros(SR)] * 19 + [np.zeros(SR // 2)], sr=SR)
    sizes = sorted(len(g) for g in _source_groups(batch, STFT()))
    assert sizes == [1, 9, 10]  # not 16 and 3
