import pickle
import warnings

import numpy as np
import pytest
from sklearn.pipeline import FeatureUnion

import sktimbre.frontend as frontend_module
import sktimbre.io as io_module
from sktimbre import MFCC, AudioFrontEnd, ClipBatch, ClipWarning, MelBands, SpectralContrast
from sktimbre.frontend import stft_analysis
from sktimbre.io import InvalidClipError

from .conftest import SR


@pytest.fixture
def counters(monkeypatch):
    """Count file decodes and analysed clips per analysis setting."""
    counts = {"decode": [], "analysis": []}
    decode, compute = io_module._decode_file, frontend_module._compute_analysis

    def counting_decode(path, sr, *args, **kwargs):
        counts["decode"].append(path)
        return decode(path, sr, *args, **kwargs)

    def counting_compute(key, stack, sr):
        counts["analysis"] += [key] * len(stack)
        return compute(key, stack, sr)

    monkeypatch.setattr(io_module, "_decode_file", counting_decode)
    monkeypatch.setattr(frontend_module, "_compute_analysis", counting_compute)
    return counts


def test_union_decodes_each_clip_once_and_computes_each_stft_once(wav_files, counters):
    union = FeatureUnion([
        ("mfcc", MFCC(deltas=2)),
        ("mel", MelBands()),
        ("contrast", SpectralContrast()),
        ("mel_fine", MelBands(n_fft=4096, hop_length=1024)),
    ])
    batch = AudioFrontEnd().fit_transform(wav_files)
    union.fit_transform(batch)
    assert sorted(counters["decode"]) == sorted(wav_files)  # once per file
    n = len(wav_files)
    assert counters["analysis"].count(stft_analysis(2048, 512)) == n  # shared by three families
    assert counters["analysis"].count(stft_analysis(4096, 1024)) == n
    assert len(counters["analysis"]) == 2 * n
    # a second pass over the same batch computes nothing new
    union.transform(batch)
    assert len(counters["analysis"]) == 2 * n


def test_family_alone_on_files_decodes_once_in_fit_transform(wav_files, counters):
    MFCC().fit_transform(wav_files)
    assert len(counters["decode"]) == len(wav_files)


def test_precomputed_analyses_equal_lazy_ones(tones):
    key = stft_analysis(1024, 256)
    eager = AudioFrontEnd(analyses=[key]).fit_transform(tones)
    assert eager.analysis_count[key] == len(tones)
    lazy = AudioFrontEnd().fit_transform(tones)
    for (i1, s1), (i2, s2) in zip(eager.analysis(key), lazy.analysis(key), strict=True):
        np.testing.assert_array_equal(i1, i2)
        np.testing.assert_array_equal(s1, s2)


def test_equal_length_clips_are_analysed_as_one_stack(tones, counters):
    batch = ClipBatch([t[:4000] for t in tones] + [tones[0][:3000]], sr=SR)
    groups = batch.analysis(stft_analysis())
    assert [g[0].tolist() for g in groups] == [[0, 1, 2, 3], [4]]
    assert groups[0][1].shape[0] == 4


def test_stft_matches_librosa(tones):
    import librosa

    batch = AudioFrontEnd().fit_transform(tones)
    for idx, S in batch.analysis(stft_analysis(2048, 512)):
        for i, s in zip(idx, S, strict=True):
            np.testing.assert_allclose(s, np.abs(librosa.stft(tones[i])), rtol=1e-5, atol=1e-6)


def test_parallel_front_end_gives_identical_features(wav_files, tones):
    X = wav_files + tones
    union = FeatureUnion([("mfcc", MFCC(deltas=1)), ("contrast", SpectralContrast())])
    keys = [stft_analysis()]
    serial = union.fit_transform(AudioFrontEnd(analyses=keys, n_jobs=1).fit_transform(X))
    parallel_batch = AudioFrontEnd(analyses=keys, n_jobs=2).fit_transform(X)
    assert parallel_batch.sources == wav_files + ["<array>"] * len(tones)
    np.testing.assert_array_equal(union.fit_transform(parallel_batch), serial)


def test_parallel_errors_name_the_global_clip_index(tones, tmp_path):
    X = tones + tones + [str(tmp_path / "gone.flac")]
    stream = AudioFrontEnd(n_jobs=2).fit_transform(X)  # decoded as the families consume it
    with pytest.raises(InvalidClipError, match=r"clip 8 \(.*gone.flac\): file not found"):
        MFCC().fit_transform(stream)


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


def test_batch_pickles_with_its_cache(tones):
    batch = AudioFrontEnd(analyses=[stft_analysis()]).fit_transform(tones)
    clone = pickle.loads(pickle.dumps(batch))
    assert clone.analysis_count == batch.analysis_count
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        np.testing.assert_array_equal(MFCC().fit_transform(clone), MFCC().fit_transform(batch))


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
