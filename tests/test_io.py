import numpy as np
import pytest

from sktimbre.io import InvalidClipError, load_audio, load_clip

from .conftest import SR


def test_load_audio_decodes_files_downmixes_and_resamples(wav_files, tones):
    clips, sources, errors = load_audio(wav_files, sr=SR)
    assert sources == wav_files and errors == {}
    assert all(c.dtype == np.float32 and c.ndim == 1 for c in clips)
    # 16-bit WAV quantisation only, for the mono, stereo and FLAC files
    for clip, tone in zip(clips[:3], tones[:3], strict=True):
        np.testing.assert_allclose(clip, tone, atol=1e-4)
    # the 44.1 kHz file comes back at SR with the same duration
    assert abs(len(clips[3]) - len(tones[3])) <= 1
    np.testing.assert_allclose(clips[3][100:-100], tones[3][100:-100], atol=2e-3)


def test_load_audio_accepts_2d_array_and_ragged_list(tones):
    X = np.stack([t[:1000] for t in tones])
    clips, _, _ = load_audio(X)
    assert len(clips) == 4 and all(len(c) == 1000 for c in clips)
    clips, _, _ = load_audio(tones)
    assert [len(c) for c in clips] == [len(t) for t in tones]
    clips, _, _ = load_audio([np.arange(5, dtype=np.int16)])
    assert clips[0].dtype == np.float32


@pytest.mark.parametrize(
    "bad, reason",
    [
        (np.array([]), "empty"),
        (np.array([0.0, np.nan]), "NaN"),
        (np.array([0.0, np.inf]), "NaN or infinite"),
        (np.zeros((2, 10)), "1-D"),
        (np.array(["a", "b"]), "real numbers"),
        (np.array([1j, 2j]), "Complex"),
    ],
)
def test_bad_in_memory_clip_is_named_by_index(bad, reason):
    X = [np.zeros(10), np.zeros(10), bad]
    with pytest.raises(InvalidClipError, match=reason) as info:
        load_audio(X)
    assert info.value.index == 2
    assert str(info.value).startswith("clip 2 (<array>)")


def test_missing_and_undecodable_files_are_named_by_path(tmp_path, wav_files):
    missing = str(tmp_path / "nope.wav")
    with pytest.raises(InvalidClipError, match=r"clip 1 \(.*nope.wav\): file not found"):
        load_audio([wav_files[0], missing])
    junk = tmp_path / "junk.wav"
    junk.write_bytes(b"this is not audio" * 10)
    with pytest.raises(InvalidClipError, match=r"clip 0 \(.*junk.wav\): cannot decode audio"):
        load_audio([str(junk)])


def test_on_error_nan_collects_every_failure(tmp_path, wav_files):
    clips, _, errors = load_audio([wav_files[0], str(tmp_path / "x.wav"), []],
                                  on_error="nan")
    assert clips[0] is not None and clips[1] is None and clips[2] is None
    assert sorted(errors) == [1, 2]
    assert "file not found" in errors[1] and "empty" in errors[2]


@pytest.mark.parametrize(
    "X, match",
    [
        (np.zeros(100), "Reshape your data"),
        (np.zeros((2, 3, 4)), "must be 2-D"),
        ([], "no clips"),
        ("file.wav", "wrap a single path"),
        (np.zeros((3, 0)), "0 feature"),
    ],
)
def test_malformed_batches_raise(X, match):
    with pytest.raises((ValueError, TypeError), match=match):
        load_audio(X)


def test_load_clip_non_numeric_object_is_also_type_error():
    with pytest.raises(TypeError, match="clip 3"):
        load_clip(np.array([{"a": 1}, 2.0], dtype=object), index=3)
