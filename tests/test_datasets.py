"""Tests for sktimbre.datasets."""

import librosa
import numpy as np
import pytest
from scipy import stats

from sktimbre.datasets import make_notes

SR = 22050


def _midi_to_hz(midi):
    return 440.0 * 2.0 ** ((np.asarray(midi) - 69) / 12)


def _spectral_centroid(X, sr):
    """Magnitude-weighted mean frequency of every clip (whole-clip FFT)."""
    magnitude = np.abs(np.fft.rfft(X, axis=1))
    freqs = np.fft.rfftfreq(X.shape[1], 1.0 / sr)
    return (magnitude * freqs).sum(axis=1) / magnitude.sum(axis=1)


def test_shapes_dtypes_and_labels():
    pitches = [50, 55, 61]
    velocities = [0.3, 0.6, 1.0]
    X, y, pitch = make_notes(
        n_instruments=5,
        pitches=pitches,
        velocities=velocities,
        duration=0.25,
        sr=16000,
        random_state=0,
        return_pitch=True,
    )
    n_clips = 5 * 3 * 3
    assert X.shape == (n_clips, 4000)
    assert X.dtype == np.float32
    assert y.shape == pitch.shape == (n_clips,)
    assert np.issubdtype(y.dtype, np.integer)
    assert np.issubdtype(pitch.dtype, np.integer)
    assert np.all(np.isfinite(X))
    # Ordered by instrument, then pitch, then velocity.
    np.testing.assert_array_equal(y, np.repeat(np.arange(5), 9))
    np.testing.assert_array_equal(pitch, np.tile(np.repeat(pitches, 3), 5))
    # Every instrument plays every pitch at every velocity exactly once.
    combos = {(int(a), int(b)) for a, b in zip(y, pitch, strict=True)}
    assert len(combos) == 5 * 3


def test_default_size_and_return_pitch_false():
    out = make_notes(random_state=0)
    assert len(out) == 2
    X, y = out
    assert X.shape == (4 * 13 * 2, SR)
    np.testing.assert_array_equal(np.bincount(y), [26, 26, 26, 26])


def test_duration_rounding():
    X, _ = make_notes(n_instruments=1, pitches=[60], velocities=[1.0], duration=0.10001, sr=1000)
    assert X.shape == (1, 100)


def test_deterministic_for_a_given_random_state():
    kwargs = dict(n_instruments=3, pitches=[48, 60], duration=0.2)
    X1, y1 = make_notes(random_state=42, **kwargs)
    X2, y2 = make_notes(random_state=42, **kwargs)
    np.testing.assert_array_equal(X1, X2)
    np.testing.assert_array_equal(y1, y2)
    X3, _ = make_notes(random_state=np.random.RandomState(42), **kwargs)
    np.testing.assert_array_equal(X1, X3)
    X4, _ = make_notes(random_state=43, **kwargs)
    assert not np.allclose(X1, X4)


def test_instruments_depend_only_on_index_and_random_state():
    kwargs = dict(pitches=[48, 60, 67], velocities=[1.0], duration=0.2, random_state=7)
    X2, _ = make_notes(n_instruments=2, **kwargs)
    X5, y5 = make_notes(n_instruments=5, **kwargs)
    np.testing.assert_array_equal(X2, X5[y5 < 2])


def test_per_note_variation():
    # The same instrument playing the same note twice does not give the exact
    # same waveform (random phases, jitter), even without recording noise.
    X, y, pitch = make_notes(
        n_instruments=1,
        pitches=[60, 60],
        velocities=[1.0],
        duration=0.2,
        noise_level=0.0,
        random_state=0,
        return_pitch=True,
    )
    assert not np.allclose(X[0], X[1], atol=1e-3)
    # ... but it sounds alike: the magnitude spectra are strongly correlated.
    spectra = np.abs(np.fft.rfft(X, axis=1))
    assert np.corrcoef(spectra)[0, 1] > 0.8


def test_velocity_sets_peak_amplitude():
    velocities = [0.25, 0.5, 1.0]
    X, _ = make_notes(
        n_instruments=4,
        pitches=[50, 70],
        velocities=velocities,
        duration=0.3,
        noise_level=0.0,
        random_state=0,
    )
    peaks = np.abs(X).max(axis=1)
    expected = 0.9 * np.tile(velocities, 8)
    np.testing.assert_allclose(peaks, expected, rtol=1e-5)


def test_noise_level_adds_white_noise_only():
    kwargs = dict(n_instruments=2, pitches=[55, 65], duration=0.5, random_state=3)
    X_clean, _ = make_notes(noise_level=0.0, **kwargs)
    X_noisy, _ = make_notes(noise_level=0.05, **kwargs)
    residual = X_noisy - X_clean
    assert residual.std() == pytest.approx(0.05, rel=0.02)
    assert abs(residual.mean()) < 1e-3


@pytest.mark.parametrize("random_state", [0, 1])
def test_pitch_close_to_requested(random_state):
    pitches = list(range(48, 73, 3))
    X, y, pitch = make_notes(
        n_instruments=4, pitches=pitches, random_state=random_state, return_pitch=True
    )
    f0 = librosa.yin(X, fmin=60, fmax=1200, sr=SR, frame_length=2048)
    # Median over the frames, ignoring the edges (attack, release).
    estimated = np.median(f0[:, 5:-5], axis=1)
    cents = 1200 * np.log2(estimated / _midi_to_hz(pitch))
    assert np.abs(cents).max() < 25


def test_fundamental_is_a_spectral_peak():
    pitches = [48, 57, 66]
    X, _, pitch = make_notes(
        n_instruments=4, pitches=pitches, noise_level=0.0, random_state=0, return_pitch=True
    )
    n_fft = 4 * X.shape[1]
    window = np.hanning(X.shape[1])
    magnitude = np.abs(np.fft.rfft(X * window, n=n_fft, axis=1))
    freqs = np.fft.rfftfreq(n_fft, 1.0 / SR)
    for spectrum, p in zip(magnitude, pitch, strict=True):
        f0 = _midi_to_hz(p)
        # Strongest bin within a semitone of the requested fundamental.
        band = (freqs > f0 * 2 ** (-1 / 12)) & (freqs < f0 * 2 ** (1 / 12))
        peak_freq = freqs[band][np.argmax(spectrum[band])]
        assert abs(1200 * np.log2(peak_freq / f0)) < 10
        # It is a real partial, far above the floor of the spectrum.
        assert spectrum[band].max() > 100 * np.median(spectrum)
        # Nothing is played well below the fundamental.
        assert spectrum[(freqs > 20) & (freqs < 0.7 * f0)].max() < 0.05 * spectrum[band].max()


def test_no_energy_above_anti_aliasing_limit():
    X, _ = make_notes(n_instruments=4, pitches=[48, 72], noise_level=0.0, random_state=0)
    power = np.abs(np.fft.rfft(X, axis=1)) ** 2
    freqs = np.fft.rfftfreq(X.shape[1], 1.0 / SR)
    # Only the (weak) breath noise lives above 0.45 * sr.
    assert power[:, freqs > 0.46 * SR].sum() < 1e-3 * power.sum()


def test_instruments_have_different_spectral_centroids():
    X, y = make_notes(n_instruments=4, noise_level=0.0, random_state=0)
    centroid = _spectral_centroid(X, SR)
    groups = [centroid[y == i] for i in range(4)]
    # Instrument identity explains most of the variance of the centroid ...
    assert stats.f_oneway(*groups).pvalue < 1e-10
    # ... and every pair of instruments differs clearly.
    means = np.array([g.mean() for g in groups])
    sems = np.array([g.std(ddof=1) / np.sqrt(len(g)) for g in groups])
    for i in range(4):
        for j in range(i + 1, 4):
            assert abs(means[i] - means[j]) > 3 * np.hypot(sems[i], sems[j])


def _partial_levels_db(x, f0, harmonics):
    """Level in dB of the strongest spectral peak near each harmonic k * f0."""
    n_fft = 8 * x.shape[0]
    magnitude = np.abs(np.fft.rfft(x * np.hanning(x.shape[0]), n=n_fft))
    freqs = np.fft.rfftfreq(n_fft, 1.0 / SR)
    levels = []
    for k in harmonics:
        band = (freqs > (k - 0.4) * f0) & (freqs < (k + 0.4) * f0)
        levels.append(20 * np.log10(magnitude[band].max()))
    return np.array(levels)


def test_source_filter_spectral_envelope():
    X, y, pitch = make_notes(
        n_instruments=4,
        pitches=[48, 60],
        velocities=[1.0],
        noise_level=0.0,
        random_state=0,
        return_pitch=True,
    )
    f48, f60 = _midi_to_hz(48), _midi_to_hz(60)
    odd = np.array([1, 3, 5, 7])
    for i in range(4):
        low = X[(y == i) & (pitch == 48)][0]
        high = X[(y == i) & (pitch == 60)][0]
        # Resonances: the odd partials do not follow a pure power-law tilt.
        harmonics = np.arange(1, 16, 2)
        levels = _partial_levels_db(low, f48, harmonics)
        trend = np.polyval(np.polyfit(np.log2(harmonics), levels, 1), np.log2(harmonics))
        assert np.std(levels - trend) > 1.5
        # The envelope is fixed in Hz: the odd partials of the note an octave up
        # coincide with partials 2, 6, 10, 14 of the low note and follow the
        # same envelope up to a constant gain (the even-harmonic gain).
        same = _partial_levels_db(high, f60, odd) - _partial_levels_db(low, f48, 2 * odd)
        assert np.std(same) < 1.5
        # Another instrument's note does not.
        other = X[(y == (i + 1) % 4) & (pitch == 60)][0]
        different = _partial_levels_db(other, f60, odd) - _partial_levels_db(low, f48, 2 * odd)
        assert np.std(different) > 2.5


def test_timbre_generalises_across_pitches():
    # Instruments are recognisable on notes whose pitch range was never seen:
    # nearest-centroid on mean MFCCs, trained on even half-octaves, tested on
    # odd half-octaves, is far above the chance level of 1/4.
    X, y, pitch = make_notes(n_instruments=4, random_state=0, return_pitch=True)
    mfcc = librosa.feature.mfcc(y=X, sr=SR, n_mfcc=20)
    features = np.concatenate([mfcc.mean(axis=-1), mfcc.std(axis=-1)], axis=1)[:, 1:]
    features = (features - features.mean(axis=0)) / features.std(axis=0)
    train = (pitch // 6) % 2 == 0
    centroids = np.stack([features[train & (y == i)].mean(axis=0) for i in range(4)])
    distances = ((features[~train, None, :] - centroids[None]) ** 2).sum(axis=-1)
    accuracy = np.mean(distances.argmin(axis=1) == y[~train])
    assert accuracy > 0.75


def test_envelope_archetypes():
    # Instrument 0 is plucked (decays), 1 bowed and 2 blown (sustain), 3 struck.
    X, y = make_notes(n_instruments=4, duration=1.0, noise_level=0.0, random_state=0)
    quarter = X.shape[1] // 4
    rms = np.sqrt(np.mean(X[:, : 4 * quarter].reshape(X.shape[0], 4, quarter) ** 2, axis=2))
    third_over_first = np.array([np.median(rms[y == i, 2] / rms[y == i, 0]) for i in range(4)])
    assert third_over_first[0] < 0.6
    assert third_over_first[3] < 0.8
    assert third_over_first[1] > 0.8
    assert third_over_first[2] > 0.8
    # Attack: the plucked note peaks within 50 ms, the bowed one later.
    onset = int(0.05 * SR)
    peak_time = np.abs(X).argmax(axis=1)
    assert np.median(peak_time[y == 0]) < onset
    assert np.median(peak_time[y == 1]) > onset


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        (dict(n_instruments=0), ValueError, "n_instruments"),
        (dict(n_instruments=2.0), ValueError, "n_instruments"),
        (dict(pitches=[]), ValueError, "at least one"),
        (dict(pitches=[60.5]), ValueError, "integer MIDI"),
        (dict(pitches=[128]), ValueError, "integer MIDI"),
        (dict(pitches="C4"), TypeError, "iterable"),
        (dict(pitches=[60, 125]), ValueError, "too high"),
        (dict(velocities=[]), ValueError, "at least one"),
        (dict(velocities=[0.0]), ValueError, r"\(0, 1\]"),
        (dict(velocities=[1.5]), ValueError, r"\(0, 1\]"),
        (dict(velocities=0.5), TypeError, "iterable"),
        (dict(duration=0.0), ValueError, "duration"),
        (dict(duration=-1.0), ValueError, "duration"),
        (dict(duration=1e-6), ValueError, "at least one sample"),
        (dict(sr=0), ValueError, "sr"),
        (dict(noise_level=-0.1), ValueError, "noise_level"),
        (dict(noise_level=np.nan), ValueError, "noise_level"),
    ],
)
def test_invalid_parameters(kwargs, error, match):
    with pytest.raises(error, match=match):
        make_notes(**kwargs)


def test_high_pitch_allowed_with_high_sampling_rate():
    X, _ = make_notes(n_instruments=1, pitches=[110], velocities=[1.0], duration=0.05, sr=48000)
    assert X.shape == (1, 2400)
    assert np.all(np.isfinite(X))
