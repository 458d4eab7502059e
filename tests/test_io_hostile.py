"""Hostile and heavy audio input: headers checked before decoding, bounded memory, clear reasons.

Every file is synthesised here (soundfile, then its header patched with struct).
"""

import errno
import os
import struct
import threading
import tracemalloc

import numpy as np
import pytest
import soundfile as sf

import sktimbre.io as sio
from sktimbre.io import InvalidClipError, load_audio, load_clip, source_name

from .conftest import SR, harmonic_tone

TONE = harmonic_tone(220.0, duration=1.0)


def _flac_claiming(tmp_path, total_frames, *, sr=44100, seconds=1.0, name="lie.flac"):
    """A FLAC of ``seconds`` of stereo audio whose STREAMINFO claims ``total_frames``."""
    y = harmonic_tone(220.0, duration=seconds, sr=sr)
    path = tmp_path / name
    sf.write(path, np.stack([y, y], axis=1), sr)
    data = bytearray(path.read_bytes())
    assert data[:4] == b"fLaC" and data[4] & 0x7F == 0  # STREAMINFO comes first
    # bytes 18-25: sample rate (20 bits), channels-1 (3), bits-1 (5), total samples (36)
    packed = int.from_bytes(data[18:26], "big")
    packed = (packed & ~((1 << 36) - 1)) | total_frames
    data[18:26] = packed.to_bytes(8, "big")
    path.write_bytes(bytes(data))
    return str(path)


def _wav_at(tmp_path, rate, n_samples=2000, name="odd.wav"):
    """A 16-bit mono WAV whose header declares ``rate`` Hz."""
    path = tmp_path / name
    sf.write(path, np.zeros(n_samples, dtype=np.int16), 8000, subtype="PCM_16")
    data = bytearray(path.read_bytes())
    assert data[12:16] == b"fmt "
    data[24:28] = struct.pack("<I", rate)  # sample rate
    data[28:32] = struct.pack("<I", 2 * rate)  # byte rate
    path.write_bytes(bytes(data))
    return str(path)


# ----------------------------------------------------------------------------- length


def test_a_header_claiming_hours_is_refused_before_decoding(tmp_path):
    path = _flac_claiming(tmp_path, 4 * 3600 * 44100)
    assert sf.info(path).duration == 4 * 3600
    tracemalloc.start()
    try:
        with pytest.raises(InvalidClipError) as info:
            load_clip(path, max_duration=600.0, index=3)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert str(info.value) == (
        f"clip 3 ({path}): its header says it is 14400.0 s long, above max_duration=600.0 s "
        "(each clip is analysed whole; raise AudioFrontEnd(max_duration=...) or "
        "make_timbre_embedder(max_duration=...) to accept it, or cut it into shorter takes)"
    )
    assert peak < 1 << 20  # nothing decoded, nothing allocated (the old code: 2.5 GB)


def test_a_lying_header_does_not_allocate_what_it_claims(tmp_path):
    # without max_duration the file is decoded: memory follows the audio that is
    # there (1 s), not the 4 hours of the header; it ends before its header says
    path = _flac_claiming(tmp_path, 4 * 3600 * 44100)
    tracemalloc.start()
    try:
        with pytest.raises(InvalidClipError, match="truncated or corrupt"):
            load_clip(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 200 << 20  # the old code allocated 4 h x 2 channels of float32: 5 GB


def test_max_duration_refuses_long_clips_of_every_kind(tmp_path):
    wav = tmp_path / "long.wav"
    sf.write(wav, np.tile(TONE, 3), SR)
    with pytest.raises(InvalidClipError, match=r"^clip 0 \(.*long.wav\): its header says it "
                       r"is 3.0 s long, above max_duration=2 s \(each clip"):
        load_clip(str(wav), max_duration=2)
    with pytest.raises(InvalidClipError, match=r"^clip 0 \(<array>\): 3.0 s long, above "
                       r"max_duration=2.5 s \(each clip is analysed whole"):
        load_clip(np.tile(TONE, 3), max_duration=2.5)
    assert len(load_clip(str(wav), max_duration=3.0)) == 3 * SR
    clips, sources, errors = load_audio([TONE, str(wav), np.tile(TONE, 3)], max_duration=2,
                                        on_error="nan")
    assert clips[0] is not None and clips[1] is None and clips[2] is None
    assert sorted(errors) == [1, 2] and "above max_duration=2 s" in errors[1]
    with pytest.raises(ValueError, match="max_duration must be a positive number"):
        load_audio([TONE], max_duration=0)
    with pytest.raises(ValueError, match="max_duration must be a positive number"):
        load_clip(TONE, max_duration="10")


def test_a_file_resampled_to_sr_is_measured_at_sr(tmp_path):
    wav = tmp_path / "44k.wav"
    sf.write(wav, np.zeros(int(2.5 * 44100), dtype=np.float32), 44100)
    assert len(load_clip(str(wav), sr=SR, max_duration=2.5)) == int(2.5 * SR)
    with pytest.raises(InvalidClipError, match="2.5 s long, above max_duration=2.4 s"):
        load_clip(str(wav), sr=SR, max_duration=2.4)


def test_a_header_without_length_is_decoded_no_further_than_max_duration(tmp_path,
                                                                         monkeypatch):
    # libsndfile reports an unknown length as SF_COUNT_MAX: no preallocation from it
    path = tmp_path / "tone.wav"
    sf.write(path, np.tile(TONE, 5), SR)
    real = sf.SoundFile.frames

    monkeypatch.setattr(sf.SoundFile, "frames", property(lambda self: (1 << 63) - 1))
    monkeypatch.setattr(sio, "_BLOCK_SAMPLES", SR // 2)
    with pytest.raises(InvalidClipError, match=r"at least 2.5 s long, above max_duration=2 s"):
        load_clip(str(path), max_duration=2)
    y = load_clip(str(path))
    monkeypatch.setattr(sf.SoundFile, "frames", real)
    np.testing.assert_array_equal(y, load_clip(str(path)))


def test_audioread_fallback_decodes_no_further_than_max_duration(tmp_path, monkeypatch):
    # formats libsndfile cannot read go to audioread, whose headers may give no
    # length: decoding stops 1 s after max_duration
    path = tmp_path / "tone.wav"
    sf.write(path, np.tile(TONE, 5), SR, subtype="PCM_16")

    class Unreadable(sf.SoundFile):
        def __init__(self, *args, **kwargs):
            raise sf.LibsndfileError(1, prefix="Error opening: ")

    monkeypatch.setattr(sf, "SoundFile", Unreadable)
    with pytest.raises(InvalidClipError, match=r"at least 3.0 s long, above max_duration=2 s"):
        load_clip(str(path), max_duration=2)
    assert len(load_clip(str(path), max_duration=5)) == 5 * SR


# ----------------------------------------------------------------------------- sample rate


@pytest.mark.parametrize("rate", [1, 999, 768_001, 10_000_000])
def test_absurd_sample_rates_are_refused_before_decoding(tmp_path, rate):
    path = _wav_at(tmp_path, rate)
    assert sf.info(path).samplerate == rate
    tracemalloc.start()
    try:
        with pytest.raises(InvalidClipError, match=rf"its sample rate is {rate} Hz, outside "
                           "1,000-768,000 Hz"):
            load_clip(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 1 << 20  # at 1 Hz, the old code resampled 2,000 samples into 44 million


@pytest.mark.parametrize("rate", [1_000, 8_000, 192_000, 768_000])
def test_plausible_sample_rates_decode(tmp_path, rate):
    assert load_clip(_wav_at(tmp_path, rate, n_samples=rate // 10), sr=SR).size > 0


# ----------------------------------------------------------------------------- memory


def test_block_wise_decoding_equals_decoding_at_once(tmp_path, monkeypatch):
    rng = np.random.default_rng(0)
    stereo = (0.3 * rng.standard_normal((50_000, 3))).astype(np.float32)
    path = tmp_path / "three.wav"
    sf.write(path, stereo, SR, subtype="FLOAT")
    whole = sf.read(path, dtype="float32", always_2d=True)[0].mean(axis=1, dtype=np.float32)
    # blocks of 1,000 frames, preallocation of 7,000: the growth path is taken too
    monkeypatch.setattr(sio, "_BLOCK_SAMPLES", 3_000)
    monkeypatch.setattr(sio, "_PREALLOCATE_FRAMES", 7_000)
    np.testing.assert_array_equal(load_clip(str(path)), whole)
    np.testing.assert_array_equal(load_clip(str(path), max_duration=10.0), whole)


def test_running_out_of_memory_fails_that_clip_only(tmp_path, wav_files, monkeypatch):
    real_read = sf.SoundFile.read

    def read(self, *args, **kwargs):
        if self.name.endswith(b"tone2.flac") or str(self.name).endswith("tone2.flac"):
            raise MemoryError
        return real_read(self, *args, **kwargs)

    monkeypatch.setattr(sf.SoundFile, "read", read)
    clips, _, errors = load_audio(wav_files, on_error="nan")
    assert [c is None for c in clips] == [False, False, True, False]
    assert list(errors) == [2]
    assert "not enough memory to decode it (0.7 s at 22050 Hz, 1 channel(s)" in errors[2]
    with pytest.raises(InvalidClipError, match=r"clip 2 .*not enough memory"):
        load_audio(wav_files)

    import librosa

    def resample(*args, **kwargs):
        raise MemoryError

    monkeypatch.setattr(sf.SoundFile, "read", real_read)
    monkeypatch.setattr(librosa, "resample", resample)
    with pytest.raises(InvalidClipError, match=r"clip 0 .*not enough memory to resample it "
                       r"from 44100 to 22050 Hz"):
        load_clip(wav_files[3])


# ----------------------------------------------------------------------------- paths


def test_a_bytes_path_is_named_by_its_path(tmp_path, wav_files):
    clips, sources, _ = load_audio([os.fsencode(wav_files[0])])
    assert sources == [wav_files[0]]
    np.testing.assert_array_equal(clips[0], load_clip(wav_files[0]))
    missing = os.fsencode(tmp_path / "gone.wav")
    with pytest.raises(InvalidClipError, match=r"\(.*gone.wav\): file not found") as info:
        load_clip(missing, index=4)
    assert info.value.source == str(tmp_path / "gone.wav")
    assert source_name(missing) == str(tmp_path / "gone.wav")
    assert source_name(np.zeros(3)) == "<array>" and sio._source_name is source_name


def test_bytes_of_audio_are_not_taken_for_a_path():
    with pytest.raises(InvalidClipError, match="is not a file path \\(it holds a NUL"):
        load_clip(b"RIFF\x00\x00\x00\x00WAVE")


@pytest.mark.skipif(os.name != "posix", reason="file names are bytes on POSIX only")
def test_a_wav_whose_name_is_not_utf8_decodes(tmp_path):
    folder = os.fsencode(tmp_path)
    name = os.path.join(folder, b"caf\xe9 \xff.wav")  # Latin-1, not UTF-8
    try:
        sf.write(open(name, "wb"), TONE, SR, format="WAV")
    except OSError:
        pytest.skip("this file system refuses names that are not UTF-8")
    as_text = os.fsdecode(name)  # with surrogate escapes, as os.listdir gives it
    for path in (name, as_text):
        y = load_clip(path)
        np.testing.assert_allclose(y, TONE, atol=1e-4)
    assert load_audio([as_text])[1] == [as_text]


def _error_within(call, seconds=20.0, unblock=None):
    """The exception ``call()`` raises, failing the test if it does not return in time."""
    outcome = {}

    def run():
        try:
            call()
        except Exception as exc:  # noqa: BLE001 - returned for the assertion
            outcome["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(timeout=seconds)
    if thread.is_alive():
        if unblock is not None:
            unblock()
        pytest.fail("blocked")
    return outcome.get("error")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")
def test_a_fifo_is_refused_without_blocking(tmp_path):
    fifo = str(tmp_path / "pipe.wav")
    os.mkfifo(fifo)
    error = _error_within(lambda: load_clip(fifo), unblock=lambda: open(fifo, "wb").close())
    assert isinstance(error, InvalidClipError)
    assert error.reason == "is a named pipe (FIFO), not an audio file"


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="no /dev/zero here")
def test_a_device_is_refused_without_reading_it():
    error = _error_within(lambda: load_clip("/dev/zero"))
    assert isinstance(error, InvalidClipError)
    assert error.reason == "is a device, not an audio file"


def test_permission_messages_name_the_closed_folder_or_the_file(tmp_path, monkeypatch):
    closed = tmp_path / "closed"
    path = closed / "violin.wav"
    denied = PermissionError(errno.EACCES, "Permission denied", str(path))
    real_access = os.access
    monkeypatch.setattr(os, "access", lambda p, mode, **kw: (
        os.fspath(p) != str(closed) and real_access(p, mode, **kw)))
    closed.mkdir()
    assert sio._os_error_reason(denied, str(path)) == (
        f"permission denied: cannot enter the folder {closed}")
    monkeypatch.setattr(os, "access", real_access)
    assert sio._os_error_reason(denied, str(path)) == "permission denied: cannot read the file"
    assert sio._os_error_reason(FileNotFoundError(errno.ENOENT, "x"), "a.wav") == (
        "file not found")
    assert "a part of its path is a file" in sio._os_error_reason(
        NotADirectoryError(errno.ENOTDIR, "x"), "a.wav/b.wav")


def test_permission_denied_is_not_file_not_found(tmp_path, monkeypatch):
    # as root, chmod cannot deny anything: make stat and open deny instead
    (tmp_path / "closed").mkdir()
    path = tmp_path / "closed" / "violin.wav"
    sf.write(path, TONE, SR)
    real_stat = os.stat

    def stat(p, *args, **kwargs):
        if os.fspath(p) == str(path):
            raise PermissionError(errno.EACCES, "Permission denied", os.fspath(p))
        return real_stat(p, *args, **kwargs)

    monkeypatch.setattr(os, "stat", stat)
    monkeypatch.setattr(os, "access", lambda p, mode, **kw: os.fspath(p) != str(path.parent))
    with pytest.raises(InvalidClipError, match=r"permission denied: cannot enter the folder "
                       r".*closed$"):
        load_clip(str(path))


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0,
                    reason="file permissions do not bind root (the euid here is 0); the "
                           "messages are tested through _os_error_reason and a patched stat")
def test_permission_denied_with_real_permissions(tmp_path):
    folder = tmp_path / "closed"
    folder.mkdir()
    inside = folder / "violin.wav"
    sf.write(inside, TONE, SR)
    unreadable = tmp_path / "secret.wav"
    sf.write(unreadable, TONE, SR)
    unreadable.chmod(0)
    folder.chmod(0)
    try:
        with pytest.raises(InvalidClipError, match="permission denied: cannot enter the folder"):
            load_clip(str(inside))
        with pytest.raises(InvalidClipError, match="permission denied: cannot read the file"):
            load_clip(str(unreadable))
    finally:
        folder.chmod(0o755)
        unreadable.chmod(0o644)
