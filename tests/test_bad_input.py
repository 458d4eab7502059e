"""The bad-input corpus of docs/bad_input.md: every case and what the user gets.

All inputs are synthesised here, files written to a temp dir; no fixtures on disk.
"""

import os
import sys
import warnings

import numpy as np
import pytest
import soundfile as sf
from sklearn.decomposition import PCA
from sklearn.discriminant_analysis import LinearDiscriminantAnalysis
from sklearn.utils.estimator_checks import parametrize_with_checks

from sktimbre import (
    MFCC,
    AudioFrontEnd,
    Chroma,
    ClipWarning,
    FrameHarmonics,
    HarmonicDescriptors,
    MelBands,
    NoteEnvelope,
    NoteHarmonics,
    PitchEstimate,
    SpectralContrast,
    SpectralShape,
    TemporalEnvelope,
    make_timbre_embedder,
)
from sktimbre.datasets import make_notes
from sktimbre.embedder import extract_features, fit_in_chunks
from sktimbre.io import InvalidClipError
from sktimbre.pretrained import load_pretrained_embedder
from sktimbre.projection import NaNRowsPassthrough

from .conftest import SR, harmonic_tone

TONE = harmonic_tone(220.0, duration=0.5)


def _write(tmp_path, name, data, sr=SR):
    path = tmp_path / name
    sf.write(path, data, sr, subtype="FLOAT" if name.endswith(".wav") else None)
    return str(path)


def _file(tmp_path, name, content: bytes):
    path = tmp_path / name
    path.write_bytes(content)
    return str(path)


def _truncated(tmp_path, name, keep):
    """A valid file cut after ``keep`` (a fraction, or a byte count)."""
    full = _write(tmp_path, "full_" + name, TONE)
    data = open(full, "rb").read()
    path = tmp_path / name
    path.write_bytes(data[: int(keep * len(data)) if keep < 1 else keep])
    return str(path)


# name -> (make(tmp_path) -> one clip, expected error regex)
CLIP_ERRORS = {
    "missing path": (lambda d: str(d / "gone.wav"), r"file not found"),
    "directory": (lambda d: str(d), r"is a directory, not an audio file"),
    "zero-byte file": (lambda d: _file(d, "empty.wav", b""), r"file is empty \(0 bytes\)"),
    "truncated FLAC": (
        lambda d: _truncated(d, "cut.flac", 0.5),
        r"cannot decode audio: file is truncated or corrupt",
    ),
    "WAV cut inside its header": (
        lambda d: _truncated(d, "cut.wav", 30),
        r"cannot decode audio: file is truncated or corrupt",
    ),
    "text with a .wav extension": (
        lambda d: _file(d, "notes.wav", b"not audio\n" * 50),
        r"cannot decode audio: file is not audio",
    ),
    "random bytes with a .flac extension": (
        lambda d: _file(d, "noise.flac", np.random.default_rng(0).bytes(4000)),
        r"cannot decode audio: file is not audio",
    ),
    "NaN samples": (lambda d: np.r_[TONE, np.nan], r"contains NaN or infinite samples"),
    "Inf samples": (lambda d: np.r_[TONE, -np.inf], r"contains NaN or infinite samples"),
    "samples beyond any audio scale": (
        lambda d: TONE.astype(np.float64) * 1e300,
        r"samples reach .* in magnitude, beyond any audio scale",
    ),
    "empty array": (lambda d: np.array([], np.float32), r"is empty \(0 samples\)"),
    "2-D clip": (lambda d: np.stack([TONE, TONE]), r"must be a 1-D array of samples"),
    "text samples": (lambda d: np.array(["a", "b"]), r"samples must be real numbers"),
}

# name -> make(tmp_path) -> one clip that is degenerate or unusual but valid
VALID = {
    "all-zero silence": lambda d: np.zeros(SR, np.float32),
    "DC offset only": lambda d: np.full(SR, 0.5, np.float32),
    "10 ms clip": lambda d: TONE[: SR // 100],
    "1-sample clip": lambda d: np.array([0.25], np.float32),
    "clipped full-scale square wave": lambda d: np.sign(
        np.sin(2 * np.pi * 440 * np.arange(SR) / SR)
    ).astype(np.float32),
    "WAV cut inside its data": lambda d: _truncated(d, "half.wav", 0.5),
    "8-channel file": lambda d: _write(d, "8ch.wav", np.tile(TONE[:, None], (1, 8))),
    "8 kHz file": lambda d: _write(d, "8k.wav", TONE[:8000], sr=8000),
    "96 kHz file": lambda d: _write(d, "96k.flac", np.repeat(TONE, 4)[: 96000 // 2], sr=96000),
    "int16 array": lambda d: (TONE * 32767).astype(np.int16),
    "float32 array": lambda d: TONE,
    "float64 array": lambda d: TONE.astype(np.float64),
}


@pytest.mark.parametrize("case", list(CLIP_ERRORS))
def test_unusable_clip_raises_one_error_naming_clip_and_problem(case, tmp_path):
    make, reason = CLIP_ERRORS[case]
    item = make(tmp_path)
    source = os.fspath(item) if isinstance(item, str) else "<array>"
    with pytest.raises(InvalidClipError, match=reason) as info:
        AudioFrontEnd().transform([TONE, item])
    assert isinstance(info.value, ValueError)
    assert (info.value.index, info.value.source) == (1, source)
    assert str(info.value).startswith(f"clip 1 ({source}): ")


def test_valid_corpus_gives_finite_embeddings(tmp_path):
    X = [make(tmp_path) for make in VALID.values()]
    E = load_pretrained_embedder().transform(X)
    bad = [name for name, row in zip(VALID, E, strict=True) if not np.isfinite(row).all()]
    assert not bad and E.shape[0] == len(VALID)


def test_file_forms_decode_to_the_same_clip(tmp_path):
    mono = AudioFrontEnd().transform([_write(tmp_path, "mono.wav", TONE)])[0]
    eight = AudioFrontEnd().transform([VALID["8-channel file"](tmp_path)])[0]
    np.testing.assert_allclose(eight, mono, atol=1e-6)  # channels are averaged
    half = AudioFrontEnd().transform([VALID["WAV cut inside its data"](tmp_path)])[0]
    assert 0 < len(half) < len(TONE)  # the samples that are there
    np.testing.assert_allclose(half, TONE[: len(half)], atol=1e-4)
    assert len(AudioFrontEnd().transform([VALID["8 kHz file"](tmp_path)])[0]) == SR


def test_int_arrays_are_taken_as_they_are():
    y = (TONE * 32767).astype(np.int16)
    a, b = MFCC().fit_transform([y]), MFCC().fit_transform([y.astype(np.float32)])
    np.testing.assert_array_equal(a, b)


def test_wrong_orientation_and_empty_batches_are_rejected(tmp_path):
    stereo = np.stack([TONE, TONE], axis=1)  # (n_samples, 2): one clip, channels last
    with pytest.raises(ValueError, match=r"shape \(11025, 2\).*one clip .*channels last"):
        AudioFrontEnd().transform(stereo)
    for empty in ([], np.zeros((0, 100))):
        with pytest.raises(ValueError, match="no clips"):
            AudioFrontEnd().transform(empty)


def test_object_array_mixing_paths_and_arrays(tmp_path):
    path = _write(tmp_path, "tone.wav", TONE)
    X = np.empty(2, dtype=object)
    X[0], X[1] = path, TONE
    F = MFCC().fit_transform(X)
    np.testing.assert_allclose(F[0], F[1], atol=1e-4)  # the file holds the same tone


DEGENERATE = [
    np.zeros(SR, np.float32),
    np.full(SR, 0.5, np.float32),
    TONE[: SR // 100],
    np.array([0.25], np.float32),
    np.array([0.0], np.float32),
    np.r_[1.0, np.zeros(SR - 1)].astype(np.float32),
    np.sign(np.sin(np.arange(SR) * 0.1)).astype(np.float32),
    TONE * np.float32(1e-30),
    TONE * np.float32(1e10),
]


FAMILIES = [
    MFCC(deltas=2),
    MelBands(),
    SpectralContrast(),
    Chroma(variant="cens"),
    Chroma(variant="stft"),
    SpectralShape(),
    SpectralShape(log_frequency=False),
    TemporalEnvelope(),
    HarmonicDescriptors(),
    PitchEstimate(),
    FrameHarmonics(),
    NoteHarmonics(),
    NoteEnvelope(),
    SpectralContrast(band_limit=8000.0, onset_window=0.6),
    MFCC(deltas=2, fmax=8000.0, onset_window=0.6),
    SpectralShape(band_limit=8000.0, onset_window=0.6),
]


@pytest.mark.parametrize("family", FAMILIES, ids=repr)
def test_every_family_is_finite_on_degenerate_audio(family):
    out = family.fit_transform(DEGENERATE)
    bad = np.argwhere(~np.isfinite(out))
    assert bad.size == 0, [(i, family.get_feature_names_out()[j]) for i, j in bad[:5]]


@pytest.mark.parametrize("family", FAMILIES, ids=repr)
def test_every_family_gives_nan_rows_for_failed_clips_of_a_batch(family, tmp_path):
    X = [TONE, str(tmp_path / "gone.wav"), DEGENERATE[0], np.array([np.inf])]
    batch = AudioFrontEnd(on_error="nan").transform(X)
    out = family.fit_transform(batch)
    assert np.isnan(out[[1, 3]]).all() and np.isfinite(out[[0, 2]]).all()
    np.testing.assert_array_equal(out[[0, 2]], family.fit_transform([TONE, DEGENERATE[0]]))


@pytest.fixture(scope="module")
def fitted_embedder():
    X, y = make_notes(n_instruments=3, pitches=range(48, 72, 6), random_state=0)
    return make_timbre_embedder().fit(X, y), X, y


def test_embedders_are_finite_on_degenerate_audio(fitted_embedder):
    embedder, _, _ = fitted_embedder
    assert np.isfinite(embedder.transform(DEGENERATE)).all()
    assert np.isfinite(load_pretrained_embedder().transform(DEGENERATE)).all()


def _mixed_batch(tmp_path):
    """Good notes with every kind of unusable clip spliced in."""
    X, _ = make_notes(n_instruments=2, pitches=[48, 60, 72], random_state=1)
    bad = {
        i: CLIP_ERRORS[case][0](tmp_path)
        for i, case in zip(
            [0, 3, 4, 7, 9],
            [
                "missing path",
                "NaN samples",
                "text with a .wav extension",
                "empty array",
                "truncated FLAC",
            ],
            strict=True,
        )
    }
    items, good = [], iter(X)
    for i in range(len(X) + len(bad)):
        items.append(bad[i] if i in bad else next(good))
    return items, sorted(bad), list(X)


@pytest.mark.parametrize("on_error", ["warn", "nan"])
def test_batch_policy_keeps_every_good_row_identical(on_error, tmp_path, fitted_embedder):
    embedder, _, _ = fitted_embedder
    items, bad, good = _mixed_batch(tmp_path)
    clean = embedder.transform(good)
    embedder.set_params(frontend__on_error=on_error)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            E = embedder.transform(items)
        failures = embedder.named_steps["frontend"].failures_
    finally:
        embedder.set_params(frontend__on_error="raise")
    clip_warnings = [w for w in caught if issubclass(w.category, ClipWarning)]
    if on_error == "warn":
        assert len(clip_warnings) == 1
        assert str(clip_warnings[0].message).startswith(
            f"5 of {len(items)} clips could not be used"
        )
    else:
        assert not clip_warnings
    assert [f.index for f in failures] == bad
    assert failures[0] == (0, str(tmp_path / "gone.wav"), "file not found")
    assert "file is not audio" in failures[2].reason
    assert np.isnan(E[bad]).all()
    np.testing.assert_array_equal(np.delete(E, bad, axis=0), clean)
    # reset per call
    embedder.set_params(frontend__on_error=on_error)
    embedder.transform(good)
    assert embedder.named_steps["frontend"].failures_ == []
    embedder.set_params(frontend__on_error="raise")


def test_chunked_extraction_records_failures_numbered_in_x(tmp_path):
    items, bad, _ = _mixed_batch(tmp_path)
    embedder = make_timbre_embedder(on_error="nan")
    F = extract_features(embedder, items, chunk_size=3)
    assert [f.index for f in embedder.named_steps["frontend"].failures_] == bad
    assert np.isnan(F[bad]).all() and np.isfinite(np.delete(F, bad, axis=0)).all()


@pytest.mark.parametrize("on_error", ["raise", "warn", "nan"])
def test_fit_never_uses_failed_clips(on_error, tmp_path):
    items, bad, good = _mixed_batch(tmp_path)
    labels = np.arange(len(items)) % 2
    message = r"clip 0 \(.*gone.wav\): file not found"
    if on_error != "raise":
        message += "; cannot fit on a clip that failed"
    with warnings.catch_warnings():
        warnings.simplefilter("error", ClipWarning)  # the error is the report
        with pytest.raises(InvalidClipError, match=message) as info:
            make_timbre_embedder(on_error=on_error).fit(items, labels)
        if on_error != "raise":  # every failure listed at once
            assert f"5 of {len(items)} clips failed" in str(info.value)
            assert "clip 9 (" in str(info.value)
        with pytest.raises(InvalidClipError, match=message):
            fit_in_chunks(make_timbre_embedder(on_error=on_error), items, labels, chunk_size=4)


def test_on_error_is_validated():
    with pytest.raises(ValueError, match="on_error"):
        AudioFrontEnd(on_error="ignore").fit([TONE])
    with pytest.raises(ValueError, match="on_error"):  # used without fit
        AudioFrontEnd(on_error="ignore").transform([TONE])


class _CrashingPath(os.PathLike):
    """A path whose decoding kills the worker process, as a crashing decoder would."""

    parent = os.getpid()

    def __init__(self, path):
        self.path = path

    def __fspath__(self):
        if os.getpid() != self.parent:
            os._exit(3)
        return self.path


@pytest.fixture
def crashing_batch():
    import cloudpickle

    # the class must reach loky workers by value: this test module is not importable there
    cloudpickle.register_pickle_by_value(sys.modules[__name__])
    try:
        # last, so that no worker pool has to be restarted after it is found
        yield [TONE, TONE[:5000], _CrashingPath("/data/crashes_the_decoder.wav")]
    finally:
        cloudpickle.unregister_pickle_by_value(sys.modules[__name__])


def test_dead_worker_is_an_error_naming_the_file(crashing_batch):
    with pytest.raises(
        InvalidClipError, match=r"clip 2 \(/data/crashes_the_decoder.wav\): .*killed the worker"
    ):
        # in parallel the front end streams: clips are decoded as the family consumes them
        MFCC().fit_transform(AudioFrontEnd(n_jobs=2).transform(crashing_batch))
    frontend = AudioFrontEnd(n_jobs=2, on_error="nan")
    rows = MFCC().fit_transform(frontend.transform(crashing_batch))
    assert np.isnan(rows[2]).all() and np.isfinite(rows[:2]).all()
    assert [f[:2] for f in frontend.failures_] == [(2, "/data/crashes_the_decoder.wav")]
    expected = MFCC().fit_transform([c for c in crashing_batch if isinstance(c, np.ndarray)])
    np.testing.assert_array_equal(rows[:2], expected)


@parametrize_with_checks(
    [NaNRowsPassthrough(PCA(n_components=1)), NaNRowsPassthrough(LinearDiscriminantAnalysis())],
    expected_failed_checks=lambda est: {
        "check_estimators_nan_inf": "by design, transform passes NaN rows through as NaN rows "
        "(clips that failed to load); fit refuses them"
    },
)
def test_nan_rows_passthrough_is_a_transformer(estimator, check):
    check(estimator)


def test_nan_rows_pass_through_the_projection_and_are_refused_in_fit():
    X, y = make_notes(n_instruments=3, pitches=[48, 60], random_state=0)
    step = NaNRowsPassthrough(LinearDiscriminantAnalysis()).fit(X[:, :50], y)
    Xn = X[:, :50].copy()
    Xn[[1, 4]] = np.nan
    out = step.transform(Xn)
    assert np.isnan(out[[1, 4]]).all()
    np.testing.assert_allclose(
        np.delete(out, [1, 4], axis=0), step.transform(np.delete(X[:, :50], [1, 4], axis=0))
    )
    assert np.isnan(step.transform(Xn[[1, 4]])).all()
    message = r"cannot fit on rows with NaN: 2 of 12 rows \(rows \[1, 4\]"
    with pytest.raises(ValueError, match=message):
        NaNRowsPassthrough(LinearDiscriminantAnalysis()).fit(Xn, y)
