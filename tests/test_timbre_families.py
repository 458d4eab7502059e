"""SpectralShape, TemporalEnvelope and HarmonicDescriptors as estimators."""

import numpy as np
import pytest

from sktimbre import (
    AudioFrontEnd,
    HarmonicDescriptors,
    PitchEstimate,
    SpectralShape,
    TemporalEnvelope,
)
from sktimbre.datasets import make_notes

from .conftest import SR, harmonic_tone


@pytest.fixture(scope="module")
def notes():
    return make_notes(n_instruments=3, pitches=[45, 57, 69, 81], velocities=(1.0,),
                      random_state=0, return_pitch=True)


def test_pitch_estimate_tracks_the_played_pitch(notes):
    X, _, pitch = notes
    f0_log2 = PitchEstimate().fit_transform(X)[:, 0]
    cents = 1200 * (f0_log2 - np.log2(440.0 * 2 ** ((pitch - 69) / 12)))
    assert np.all(np.abs(cents) < 50), cents


def test_harmonic_descriptors_of_one_tone_barely_move_with_pitch():
    """Same 1/k partial amplitudes an octave apart: f0-relative levels agree."""
    harm = HarmonicDescriptors(n_harmonics=8)
    low, high = harm.fit_transform([harmonic_tone(220.0, duration=1.0, n_harmonics=8),
                                    harmonic_tone(440.0, duration=1.0, n_harmonics=8)])
    names = list(harm.get_feature_names_out())
    levels = [names.index(f"harm_h{k:02d}_rel_db") for k in range(1, 9)]
    np.testing.assert_allclose(low[levels], high[levels], atol=1.5)
    np.testing.assert_allclose(low[levels][:4], -20 * np.log10(np.arange(1, 5)), atol=1.5)


def test_envelope_tells_plucked_from_bowed():
    t = np.arange(SR) / SR
    tone = np.sin(2 * np.pi * 330 * t)
    plucked = (tone * np.exp(-6 * t)).astype(np.float32)
    bowed = (tone * np.minimum(t / 0.25, 1.0)).astype(np.float32)
    env = TemporalEnvelope()
    out = env.fit_transform([plucked, bowed])
    names = list(env.get_feature_names_out())
    lat = names.index("env_log_attack_time")
    decay = names.index("env_decay_slope")
    assert out[0, lat] < out[1, lat] - 0.8  # ~1 ms vs ~200 ms
    assert out[0, decay] < -40 and abs(out[1, decay]) < 5  # -52 dB/s vs flat


def test_shape_centroid_of_pure_tone_in_octaves():
    t = np.arange(SR) / SR
    y = np.sin(2 * np.pi * 880.0 * t).astype(np.float32)
    out = SpectralShape(pooling="mean").fit_transform([y])
    assert out[0, 0] == pytest.approx(np.log2(880.0 / 27.5), abs=0.05)
    out_hz = SpectralShape(pooling="mean", log_frequency=False).fit_transform([y])
    assert out_hz[0, 0] == pytest.approx(880.0, rel=0.02)


@pytest.mark.parametrize("family", [HarmonicDescriptors(), TemporalEnvelope(), SpectralShape(),
                                    PitchEstimate()],
                         ids=lambda f: type(f).__name__)
def test_nan_rows_for_failed_clips_and_finite_rows_for_silence(family, tmp_path):
    import warnings

    X = [np.zeros(SR, np.float32), str(tmp_path / "missing.wav"), harmonic_tone(200.0)]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # on_error="nan" is silent
        batch = AudioFrontEnd(on_error="nan").transform(X)
    out = family.fit_transform(batch)
    assert np.isfinite(out[[0, 2]]).all()
    assert np.isnan(out[1]).all()


def test_harmonic_rejects_inverted_search_range():
    with pytest.raises(ValueError, match="fmin"):
        HarmonicDescriptors(fmin=500.0, fmax=100.0).fit([harmonic_tone(200.0)])


def test_harmonic_and_pitch_share_one_stft_and_one_f0(notes, monkeypatch):
    from sklearn.pipeline import FeatureUnion

    from sktimbre.frontend import F0

    calls = []
    original = F0.compute

    def counting(self, inputs, sr):
        calls.append(len(inputs[0]))
        return original(self, inputs, sr)

    monkeypatch.setattr(F0, "compute", counting)
    X, _, _ = notes
    batch = AudioFrontEnd().fit_transform(X)
    FeatureUnion([("h", HarmonicDescriptors()), ("p", PitchEstimate())]).fit_transform(batch)
    assert sum(calls) == len(X)
    assert list(batch.analysis_count.values()) == [len(X), len(X)]  # one STFT, one f0


def test_silent_clip_gets_the_centre_of_the_pitch_search_range():
    out = PitchEstimate(fmin=100.0, fmax=400.0).fit_transform([np.zeros(SR, np.float32)])
    assert out[0, 0] == pytest.approx(np.log2(200.0))
