"""Tests of sktimbre._dsp.harmonic on synthetic notes (no data files needed)."""

import librosa
import numpy as np
import pytest
from numpy.testing import assert_allclose

from sktimbre._dsp.harmonic import (
    HARMONIC_FEATURE_NAMES,
    estimate_f0,
    harmonic_descriptors,
    harmonic_feature_names,
)

SR = 22050
K = 12
NAMES = harmonic_feature_names(K)
IDX = {name: i for i, name in enumerate(NAMES)}
LEVELS = slice(0, K)
SAW = [1.0 / k for k in range(1, 60)]
ODD = [1.0 / k if k % 2 else 0.0 for k in range(1, 60)]


def tone(f0, amps, *, duration=1.5, stretch=0.0, noise=0.0, seed=0):
    """Sum of partials k = 1.. with amplitudes ``amps`` at k f0 sqrt(1 + B k^2) (below Nyquist)."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(duration * SR)) / SR
    y = np.zeros_like(t)
    for k, a in enumerate(amps, start=1):
        fk = k * f0 * np.sqrt(1.0 + stretch * k * k)
        if a and fk < SR / 2:
            y += a * np.sin(2 * np.pi * fk * t + rng.uniform(0, 2 * np.pi))
    return y + noise * rng.standard_normal(t.size)


def stft(y, n_fft=8192, hop=1024):
    S = np.abs(librosa.stft(np.asarray(y, dtype=np.float32), n_fft=n_fft, hop_length=hop))
    return S, librosa.fft_frequencies(sr=SR, n_fft=n_fft)


def cents(f, ref):
    return 1200.0 * np.log2(f / ref)


def describe(y, f0, n_fft=8192, **kwargs):
    S, freqs = stft(y, n_fft)
    return harmonic_descriptors(S, freqs, f0=f0, **kwargs)


# -- estimate_f0 ---------------------------------------------------------------


@pytest.mark.parametrize("n_fft", [4096, 8192])
@pytest.mark.parametrize("f0", [41.2, 65.4, 110.0, 233.1, 440.0, 987.8, 2093.0, 4186.0])
def test_estimate_f0_sawtooth(f0, n_fft):
    S, freqs = stft(tone(f0, SAW), n_fft)
    assert abs(cents(estimate_f0(S.mean(axis=1), freqs), f0)) < 5


@pytest.mark.parametrize("f0", [55.0, 130.8, 311.1, 740.0, 1568.0])
@pytest.mark.parametrize(
    "amps",
    [
        pytest.param([0.0] + [1.0] * 14, id="missing-fundamental"),
        pytest.param([0.03] + [1.0] * 10, id="fundamental-at-minus-30dB"),
        pytest.param(ODD, id="odd-harmonics-only"),
        pytest.param([0.2, 1.0] * 5, id="odd-harmonics-at-minus-14dB"),
        pytest.param([0.0, 1.0, 0.3, 1.0, 0.3, 1.0], id="missing-fundamental-weak-odd"),
        pytest.param([0.3, 1.0, 0.2, 0.8, 0.1, 0.6, 0.05, 0.4], id="even-dominated"),
        pytest.param([1.0, 0.02, 0.01], id="nearly-pure"),
    ],
)
def test_estimate_f0_no_octave_errors(f0, amps):
    S, freqs = stft(tone(f0, amps))
    assert abs(cents(estimate_f0(S.mean(axis=1), freqs), f0)) < 5


def test_estimate_f0_with_noise_and_gain():
    S, freqs = stft(tone(196.0, SAW, noise=0.3))
    spectrum = S.mean(axis=1)
    f0 = estimate_f0(spectrum, freqs)
    assert abs(cents(f0, 196.0)) < 5
    assert estimate_f0(1e-3 * spectrum, freqs) == pytest.approx(f0, rel=1e-9)


def test_estimate_f0_search_range():
    S, freqs = stft(tone(220.0, SAW))
    spectrum = S.mean(axis=1)
    # With 220 Hz outside the range, the answer is a multiple / submultiple of it in range.
    above = estimate_f0(spectrum, freqs, fmin=300.0)
    below = estimate_f0(spectrum, freqs, fmax=200.0)
    assert 300.0 <= above and below <= 200.0
    assert abs(cents(above / 220.0, np.round(above / 220.0))) < 5
    assert abs(cents(220.0 / below, np.round(220.0 / below))) < 5


def test_estimate_f0_silence_is_nan():
    freqs = librosa.fft_frequencies(sr=SR, n_fft=4096)
    assert np.isnan(estimate_f0(np.zeros(freqs.size), freqs))
    assert np.isnan(estimate_f0(np.full(freqs.size, 1e-12), freqs))


def test_estimate_f0_rejects_bad_input():
    freqs = librosa.fft_frequencies(sr=SR, n_fft=4096)
    spectrum = np.ones(freqs.size)
    with pytest.raises(ValueError, match="NaN"):
        estimate_f0(np.where(np.arange(freqs.size) == 5, np.nan, spectrum), freqs)
    with pytest.raises(ValueError, match="uniformly spaced"):
        estimate_f0(spectrum, np.geomspace(10, SR / 2, freqs.size))
    with pytest.raises(ValueError, match="shape"):
        estimate_f0(spectrum[:-1], freqs)
    with pytest.raises(ValueError, match="fmin"):
        estimate_f0(spectrum, freqs, fmin=500.0, fmax=100.0)


# -- feature names -------------------------------------------------------------


def test_feature_names():
    assert tuple(harmonic_feature_names()) == HARMONIC_FEATURE_NAMES
    assert len(HARMONIC_FEATURE_NAMES) == len(set(HARMONIC_FEATURE_NAMES)) == 12 + 8 + 18
    assert HARMONIC_FEATURE_NAMES[0] == "h01_rel_db"
    assert HARMONIC_FEATURE_NAMES[11] == "h12_rel_db"
    assert HARMONIC_FEATURE_NAMES[-1] == "band_f0_rel_17_db"
    for name in ("tristimulus_1", "odd_even_ratio_db", "inharmonicity", "noisiness"):
        assert name in HARMONIC_FEATURE_NAMES
    with pytest.raises(ValueError):
        harmonic_feature_names(n_harmonics=4)
    with pytest.raises(ValueError):
        harmonic_feature_names(n_bands=0)


@pytest.mark.parametrize("n_harmonics, n_bands", [(5, 1), (12, 18), (20, 24)])
def test_length_matches_names(n_harmonics, n_bands):
    x = describe(tone(220.0, SAW), 220.0, n_harmonics=n_harmonics, n_bands=n_bands)
    assert x.shape == (len(harmonic_feature_names(n_harmonics, n_bands)),)
    assert x.dtype == np.float64 and np.all(np.isfinite(x))


# -- harmonic levels, tristimulus, odd/even, centroid ------------------------------


@pytest.mark.parametrize("n_fft", [4096, 8192])
@pytest.mark.parametrize("f0", [65.4, 220.0, 523.3])
def test_sawtooth_levels(f0, n_fft):
    x = describe(tone(f0, SAW), f0, n_fft)
    k = np.arange(1, K + 1)
    assert_allclose(x[LEVELS], -20 * np.log10(k), atol=0.3)
    a = 1.0 / k
    assert_allclose(x[IDX["harmonic_centroid_f0"]], (k * a).sum() / a.sum(), atol=0.02)
    assert_allclose(x[IDX["tristimulus_1"]], a[0] / a.sum(), atol=0.005)
    assert abs(x[IDX["odd_even_ratio_db"]]) < 1.0  # ~ -0.35 dB
    assert x[IDX["noisiness"]] < 0.02


@pytest.mark.parametrize("n_fft", [4096, 8192])
@pytest.mark.parametrize("f0", [220.0, 440.0])
def test_sawtooth_levels_with_vibrato(f0, n_fft):
    # +-10 cents at 5.5 Hz smears the 12th harmonic over several bins of a long frame.
    t = np.arange(int(1.5 * SR)) / SR
    phase = 2 * np.pi * np.cumsum(f0 * 2 ** (10 / 1200 * np.sin(2 * np.pi * 5.5 * t))) / SR
    y = sum(np.sin(k * phase) / k for k in range(1, 40) if k * f0 * 1.01 < SR / 2)
    x = describe(y, f0, n_fft)
    assert_allclose(x[LEVELS], -20 * np.log10(np.arange(1, K + 1)), atol=0.3)
    assert x[IDX["noisiness"]] < 0.02


def test_levels_above_nyquist_get_the_floor():
    f0 = 2500.0  # harmonics 1..4 below Nyquist (11025 Hz)
    x = describe(tone(f0, SAW), f0)
    assert_allclose(x[:4], -20 * np.log10(np.arange(1, 5)), atol=0.3)
    assert_allclose(x[4:K], -80.0)
    assert x[IDX["tristimulus_3"]] < 1e-3
    assert np.all(np.isfinite(x))


@pytest.mark.parametrize("seed", range(4))
def test_tristimulus_sums_to_one(seed):
    rng = np.random.default_rng(seed)
    f0 = rng.uniform(60, 1500)
    x = describe(tone(f0, rng.uniform(0, 1, 20), noise=0.05, seed=seed), f0)
    tri = x[[IDX["tristimulus_1"], IDX["tristimulus_2"], IDX["tristimulus_3"]]]
    assert np.all(tri >= 0)
    assert tri.sum() == pytest.approx(1.0, abs=1e-9)


def test_tristimulus_of_known_amplitudes():
    amps = np.array([1.0, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25])
    x = describe(tone(330.0, amps), 330.0)
    expected = np.array([1.0, 1.5, 2.0]) / amps.sum()
    assert_allclose(x[[IDX["tristimulus_1"], IDX["tristimulus_2"], IDX["tristimulus_3"]]],
                    expected, atol=0.005)


def test_odd_even_ratio():
    odd = describe(tone(220.0, ODD), 220.0)
    saw = describe(tone(220.0, SAW), 220.0)
    even = describe(tone(220.0, [1.0 if k % 2 == 0 else 0.1 for k in range(1, 20)]), 220.0)
    assert odd[IDX["odd_even_ratio_db"]] > 30  # even harmonics at the leakage floor
    assert abs(saw[IDX["odd_even_ratio_db"]]) < 1.0
    assert even[IDX["odd_even_ratio_db"]] == pytest.approx(-20.0, abs=0.5)
    assert np.all(odd[[1, 3, 5, 7, 9, 11]] < -40)  # h02, h04, ... absent


# -- inharmonicity -------------------------------------------------------------------


def expected_inharmonicity(f0, amps, stretch):
    """Peeters' formula evaluated on the synthesis parameters (LS-fitted f0)."""
    k = np.arange(1, K + 1)
    fk = k * f0 * np.sqrt(1.0 + stretch * k * k)
    w = np.asarray(amps[:K]) ** 2
    f_fit = (w * k * fk).sum() / (w * k * k).sum()
    return 2.0 / f_fit * (w * np.abs(fk - k * f_fit)).sum() / w.sum()


def test_inharmonicity_zero_for_harmonic_tone():
    for f0 in (55.0, 220.0, 880.0):
        assert describe(tone(f0, SAW), f0)[IDX["inharmonicity"]] < 2e-3
    # A 40-cent error in the f0 passed in is not inharmonicity.
    assert describe(tone(220.0, SAW), 220.0 * 2 ** (40 / 1200))[IDX["inharmonicity"]] < 2e-3


@pytest.mark.parametrize("stretch", [1e-4, 4e-4, 1e-3])
def test_inharmonicity_of_stretched_partials(stretch):
    x = describe(tone(110.0, SAW, stretch=stretch), 110.0)
    expected = expected_inharmonicity(110.0, SAW, stretch)
    assert x[IDX["inharmonicity"]] == pytest.approx(expected, rel=0.1)
    # The stretched partials are still found: levels stay those of a sawtooth.
    assert_allclose(x[LEVELS], -20 * np.log10(np.arange(1, K + 1)), atol=0.5)


# -- harmonic deviation ---------------------------------------------------------------


def test_harmonic_deviation():
    k = np.arange(1, K + 1)
    levels = -20 * np.log10(k)
    expected = np.abs(levels[1:-1] - (levels[:-2] + levels[1:-1] + levels[2:]) / 3).mean()
    assert describe(tone(220.0, SAW), 220.0)[IDX["harmonic_deviation_db"]] == pytest.approx(
        expected, abs=0.1
    )
    jagged = [1.0 if k % 3 else 0.1 for k in range(1, 20)]  # every third harmonic -20 dB
    assert describe(tone(220.0, jagged), 220.0)[IDX["harmonic_deviation_db"]] > 5.0


# -- noisiness ------------------------------------------------------------------------


@pytest.mark.parametrize("f0", [110.0, 440.0])
def test_noisiness_grows_with_noise(f0):
    sigmas = np.array([0.0, 0.1, 0.5, 2.0])
    values = np.array([describe(tone(f0, SAW, noise=s), f0)[IDX["noisiness"]] for s in sigmas])
    assert values[0] < 0.02
    assert np.all(np.diff(values) > 0)
    # Share of white noise in the energy between 0.5 f0 and 12.5 f0: the noisiness can only
    # be lower (the noise under the harmonic peaks counts as harmonic), but not by much.
    harmonic = 0.5 * np.sum(1.0 / np.arange(1, K + 1) ** 2)
    noise = sigmas**2 * (K * f0) / (SR / 2)
    share = noise / (harmonic + noise)
    assert np.all(values[1:] <= share[1:] + 0.02)
    assert np.all(values[1:] >= 0.7 * share[1:])


# -- f0-anchored bands -----------------------------------------------------------------


def test_band_levels_of_known_partials():
    amps = np.array([1.0, 0.5, 0.7, 0.3, 0.4, 0.2, 0.3, 0.1])
    x = describe(tone(196.0, amps), 196.0)
    bands = x[IDX["band_f0_rel_00_db"]:]
    # Harmonic k lies in band round(3 log2 k); k = 1..8 are all far from band edges.
    energy = np.zeros(bands.size)
    for k, a in enumerate(amps, start=1):
        energy[round(3 * np.log2(k))] += a**2
    full = energy > 0
    assert_allclose(bands[full], 10 * np.log10(energy[full] / energy.sum()), atol=0.2)
    assert np.all(bands[~full] < -25)
    assert np.all(bands >= -80.0)


def test_bands_above_nyquist_get_the_floor():
    x = describe(tone(1760.0, SAW), 1760.0)
    bands = x[IDX["band_f0_rel_00_db"]:]
    lower_edges = 1760.0 * 2 ** ((np.arange(bands.size) - 0.5) / 3)
    assert_allclose(bands[lower_edges > SR / 2], -80.0)


# -- pitch invariance --------------------------------------------------------------------


@pytest.mark.parametrize("n_fft", [4096, 8192])
def test_same_envelope_shape_at_different_pitches(n_fft):
    # Same relative harmonic amplitudes (h9, which sits on a band edge, kept weak).
    amps = [1.0, 0.6, 0.9, 0.3, 0.5, 0.2, 0.25, 0.1, 0.02, 0.05, 0.06, 0.03]
    pitches = [98.0, 196.0, 392.0, 784.0]
    X = np.array([describe(tone(f0, amps, noise=0.01), f0, n_fft) for f0 in pitches])
    present = np.flatnonzero(amps)
    for x in X[1:]:
        assert_allclose(x[present], X[0, present], atol=0.3)
        for name, tol in [("tristimulus_1", 0.003), ("tristimulus_2", 0.003),
                          ("tristimulus_3", 0.003), ("odd_even_ratio_db", 0.3),
                          ("harmonic_centroid_f0", 0.02), ("inharmonicity", 2e-3),
                          ("harmonic_deviation_db", 0.5), ("noisiness", 0.02)]:
            assert x[IDX[name]] == pytest.approx(X[0, IDX[name]], abs=tol), name
    bands = X[:, IDX["band_f0_rel_00_db"]:]
    strong = np.all(bands > -25, axis=0)
    assert strong.sum() >= 7
    assert_allclose(bands[:, strong], np.tile(bands[0, strong], (len(pitches), 1)), atol=0.3)


def test_absolute_spectrum_is_not_pitch_invariant():
    # Control for the test above: the same tones read at a *fixed* f0 differ a lot.
    amps = [1.0, 0.6, 0.9, 0.3, 0.5, 0.2]
    x1 = describe(tone(196.0, amps), 196.0)
    x2 = describe(tone(392.0, amps), 196.0)
    assert np.abs(x1[LEVELS] - x2[LEVELS]).max() > 20


# -- frames ------------------------------------------------------------------------------


def test_quiet_frames_are_ignored():
    # Frames more than 20 dB below the loudest are not part of the sustain.
    S, freqs = stft(tone(220.0, SAW))
    rng = np.random.default_rng(0)
    quiet = 0.03 * S.mean() * rng.exponential(size=(S.shape[0], 10))
    padded = np.concatenate([np.zeros((S.shape[0], 5)), S, quiet], axis=1)
    assert_allclose(harmonic_descriptors(padded, freqs, f0=220.0),
                    harmonic_descriptors(S, freqs, f0=220.0), atol=1e-6)
    # ... while the same frames given (a lot of) weight do change the result.
    weights = np.r_[np.ones(5 + S.shape[1]), np.full(10, 1e4)]
    x = harmonic_descriptors(padded, freqs, f0=220.0, frame_weights=weights)
    assert x[IDX["noisiness"]] > harmonic_descriptors(S, freqs, f0=220.0)[IDX["noisiness"]] + 0.01


def test_frame_weights_select_frames():
    S_odd, freqs = stft(tone(220.0, ODD))
    S_saw, _ = stft(tone(220.0, SAW))
    S = np.concatenate([S_saw, S_odd], axis=1)
    n = S_saw.shape[1]
    second = np.r_[np.zeros(n), np.ones(S_odd.shape[1])]
    x = harmonic_descriptors(S, freqs, f0=220.0, frame_weights=second)
    assert_allclose(x, harmonic_descriptors(S_odd, freqs, f0=220.0), atol=1e-6)
    first = harmonic_descriptors(S, freqs, f0=220.0, frame_weights=1.0 - second)
    assert abs(first[IDX["odd_even_ratio_db"]]) < 1.0
    with pytest.raises(ValueError, match="frame_weights"):
        harmonic_descriptors(S, freqs, f0=220.0, frame_weights=np.ones(3))
    with pytest.raises(ValueError, match="non-negative"):
        harmonic_descriptors(S, freqs, f0=220.0, frame_weights=-second)


def test_float32_and_float64_agree():
    S, freqs = stft(tone(220.0, SAW, noise=0.05))
    assert_allclose(harmonic_descriptors(S, freqs, f0=220.0),
                    harmonic_descriptors(S.astype(np.float64), freqs, f0=220.0), atol=1e-3)


# -- degenerate input ------------------------------------------------------------------------


def default_vector(n_harmonics=K, n_bands=18):
    return np.r_[np.zeros(n_harmonics), 1 / n_harmonics, 3 / n_harmonics,
                 (n_harmonics - 4) / n_harmonics, 0.0, (n_harmonics + 1) / 2, 0.0, 0.0, 1.0,
                 np.full(n_bands, -10 * np.log10(n_bands))]


def test_silence_gives_the_documented_vector():
    freqs = librosa.fft_frequencies(sr=SR, n_fft=4096)
    S = np.zeros((freqs.size, 20))
    assert_allclose(harmonic_descriptors(S, freqs, f0=220.0), default_vector())
    assert_allclose(harmonic_descriptors(S, freqs, f0=220.0, n_harmonics=6, n_bands=4),
                    default_vector(6, 4))
    f0 = estimate_f0(S.mean(axis=1), freqs)
    assert np.isnan(f0)
    assert_allclose(harmonic_descriptors(S, freqs, f0=f0), default_vector())


@pytest.mark.parametrize("f0", [np.nan, np.inf, 0.0, -100.0, SR / 2, 20000.0])
def test_invalid_f0_gives_the_documented_vector(f0):
    S, freqs = stft(tone(220.0, SAW), 4096)
    assert_allclose(harmonic_descriptors(S, freqs, f0=f0), default_vector())


def test_all_zero_frame_weights_give_the_documented_vector():
    S, freqs = stft(tone(220.0, SAW), 4096)
    x = harmonic_descriptors(S, freqs, f0=220.0, frame_weights=np.zeros(S.shape[1]))
    assert_allclose(x, default_vector())


@pytest.mark.parametrize("seed", range(6))
def test_always_finite(seed):
    rng = np.random.default_rng(seed)
    n_fft = int(rng.choice([256, 512, 2048, 8192]))
    freqs = librosa.fft_frequencies(sr=SR, n_fft=n_fft)
    S = rng.exponential(size=(freqs.size, int(rng.integers(1, 30))))
    S[rng.uniform(size=S.shape) < 0.3] = 0.0
    for f0 in (rng.uniform(20, 200), rng.uniform(200, 4000), rng.uniform(4000, SR / 2)):
        x = harmonic_descriptors(S, freqs, f0=f0, n_harmonics=int(rng.integers(5, 30)))
        assert np.all(np.isfinite(x))
        assert np.isfinite(estimate_f0(S.mean(axis=1), freqs))


def test_rejects_bad_spectrogram():
    S, freqs = stft(tone(220.0, SAW), 2048)
    with pytest.raises(ValueError, match="2-D"):
        harmonic_descriptors(S[:, 0], freqs, f0=220.0)
    with pytest.raises(ValueError, match="NaN"):
        harmonic_descriptors(np.where(S > S.max() / 2, np.nan, S), freqs, f0=220.0)
    with pytest.raises(ValueError, match="shape"):
        harmonic_descriptors(S[1:], freqs, f0=220.0)
