"""Tests of sktimbre._dsp.shape.spectral_shape against independent computations."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from sktimbre._dsp.shape import SHAPE_FEATURE_NAMES, spectral_shape

SR = 22050
N_FFT = 1024
FREQS = np.fft.rfftfreq(N_FFT, 1.0 / SR)
ROW = {name: i for i, name in enumerate(SHAPE_FEATURE_NAMES)}


def _stft_mag(y, n_fft=N_FFT, hop=N_FFT // 4):
    """Plain numpy Hann-window magnitude STFT (no centring), shape (bins, frames)."""
    n_frames = 1 + (len(y) - n_fft) // hop
    idx = np.arange(n_fft)[None, :] + hop * np.arange(n_frames)[:, None]
    return np.abs(np.fft.rfft(y[idx] * np.hanning(n_fft), axis=1)).T


def _reference(S, freqs, rolloff_percent=0.95, log_frequency=False):
    """Frame-by-frame, textbook implementation of the ten descriptors."""
    K, T = S.shape
    out = np.zeros((10, T))
    if log_frequency:
        fpos = freqs[freqs > 0].min()
        axis = np.log2(np.maximum(freqs, fpos) / 27.5)
    else:
        axis = freqs
    prev = None
    for m in range(T):
        a = S[:, m].astype(float)
        if a.sum() == 0:
            prev = a
            continue
        mu = np.average(axis, weights=a)
        var = np.average((axis - mu) ** 2, weights=a)
        sd = np.sqrt(var)
        skew = np.average((axis - mu) ** 3, weights=a) / sd**3
        kurt = np.average((axis - mu) ** 4, weights=a) / sd**4
        slope = np.polyfit(freqs, a / a.sum(), 1)[0]
        dec = sum((a[k] - a[0]) / k for k in range(1, K)) / a[1:].sum()
        e = a**2
        target = rolloff_percent * e.sum()
        acc = 0.0
        for k in range(K):
            acc += e[k]
            if acc >= target * (1 - 1e-12):
                break
        roll = axis[k]
        floor = 1e-5 * a.max()
        flat = np.exp(np.mean(np.log(np.maximum(a, floor)))) / a.mean()
        crest = a.max() / a.mean()
        if m == 0:
            flux = 0.0
        elif prev.sum() == 0:
            flux = 1.0
        else:
            flux = 1 - prev @ a / (np.linalg.norm(prev) * np.linalg.norm(a))
        out[:, m] = [mu, sd, skew, kurt, slope, dec, roll, flat, crest, flux]
        prev = a
    return out


def test_feature_names():
    assert len(SHAPE_FEATURE_NAMES) == 10
    assert len(set(SHAPE_FEATURE_NAMES)) == 10
    assert SHAPE_FEATURE_NAMES[0] == "centroid" and SHAPE_FEATURE_NAMES[-1] == "flux"


@pytest.mark.parametrize("log_frequency", [False, True])
def test_matches_frame_by_frame_reference(log_frequency):
    rng = np.random.default_rng(0)
    # Smooth-ish random spectra with a spectral tilt, plus a few exact zeros.
    S = rng.gamma(2.0, 1.0, size=(FREQS.size, 12)) / (1 + FREQS[:, None] / 2000.0)
    S[rng.random(S.shape) < 0.05] = 0.0
    got = spectral_shape(S, FREQS, rolloff_percent=0.9, log_frequency=log_frequency)
    want = _reference(S, FREQS, rolloff_percent=0.9, log_frequency=log_frequency)
    assert got.shape == (10, 12)
    assert_allclose(got, want, rtol=1e-7, atol=1e-12)


def test_pure_tone_centroid_spread_rolloff_flatness():
    k0 = 93  # put the tone exactly on a bin centre
    f0 = FREQS[k0]
    t = np.arange(SR) / SR
    S = _stft_mag(np.sin(2 * np.pi * f0 * t))
    F = spectral_shape(S, FREQS)
    bin_hz = SR / N_FFT
    assert_allclose(F[ROW["centroid"]], f0, rtol=0.01)
    assert np.all(F[ROW["spread"]] < 3 * bin_hz)
    assert np.all(np.abs(F[ROW["rolloff"]] - f0) <= 2 * bin_hz)
    assert np.all(F[ROW["flatness"]] < 0.05)
    assert np.all(F[ROW["crest"]] > 100)
    # a steady tone barely changes from frame to frame
    assert F[ROW["flux"], 0] == 0.0
    assert np.all(F[ROW["flux"]] < 1e-6)


def test_log_frequency_tone_in_octaves_above_a0():
    t = np.arange(SR) / SR
    for f0, octs in [(440.0, 4.0), (880.0, 5.0), (110.0, 2.0)]:
        S = _stft_mag(np.sin(2 * np.pi * f0 * t), n_fft=4096)
        freqs = np.fft.rfftfreq(4096, 1.0 / SR)
        F = spectral_shape(S, freqs, log_frequency=True)
        assert_allclose(F[ROW["centroid"]], octs, atol=0.03)
        assert np.all(F[ROW["spread"]] < 0.1)
        # the roll-off is quantised to bins: within the Hann main lobe (2 bins)
        assert_allclose(F[ROW["rolloff"]], octs, atol=np.log2(1 + 2 * (SR / 4096) / f0))
        lin = spectral_shape(S, freqs)
        assert_allclose(F[ROW["rolloff"]], np.log2(lin[ROW["rolloff"]] / 27.5))
        # rows that do not depend on the frequency axis are unchanged
        for name in ("slope", "decrease", "flatness", "crest", "flux"):
            assert_array_equal(F[ROW[name]], lin[ROW[name]])


def test_white_noise_flatness_centroid_rolloff():
    rng = np.random.default_rng(1)
    S = _stft_mag(rng.standard_normal(4 * SR))
    F = spectral_shape(S, FREQS).mean(axis=1)
    # STFT magnitudes of white noise are Rayleigh distributed:
    # exp(E ln r) / E r = exp((ln 2 - euler_gamma) / 2) / sqrt(pi / 2)
    rayleigh = np.exp((np.log(2) - np.euler_gamma) / 2) / np.sqrt(np.pi / 2)
    assert_allclose(F[ROW["flatness"]], rayleigh, atol=0.01)
    nyquist = SR / 2
    assert_allclose(F[ROW["centroid"]], nyquist / 2, rtol=0.02)
    assert_allclose(F[ROW["spread"]], nyquist / np.sqrt(12), rtol=0.03)
    assert_allclose(F[ROW["rolloff"]], 0.95 * nyquist, rtol=0.02)
    assert abs(F[ROW["skewness"]]) < 0.05
    assert_allclose(F[ROW["kurtosis"]], 1.8, atol=0.05)  # uniform distribution


def test_flat_spectrum_exact_values():
    K = FREQS.size
    S = np.ones((K, 3))
    F = spectral_shape(S, FREQS)
    assert_allclose(F[ROW["flatness"]], 1.0)
    assert_allclose(F[ROW["crest"]], 1.0)
    assert_allclose(F[ROW["centroid"]], FREQS.mean())
    assert_allclose(F[ROW["slope"]], 0.0, atol=1e-15)
    assert_allclose(F[ROW["decrease"]], 0.0, atol=1e-15)
    assert_allclose(F[ROW["flux"]], 0.0, atol=1e-12)
    # 95 % of the energy of K equal bins is reached at bin ceil(0.95 K) - 1
    assert_allclose(F[ROW["rolloff"]], FREQS[int(np.ceil(0.95 * K)) - 1])


def test_slope_sign_and_polyfit():
    S = np.linspace(2.0, 0.0, FREQS.size)[:, None] ** 2  # falling spectrum
    F = spectral_shape(S, FREQS)
    want = np.polyfit(FREQS, S[:, 0] / S[:, 0].sum(), 1)[0]
    assert F[ROW["slope"], 0] < 0
    assert_allclose(F[ROW["slope"], 0], want, rtol=1e-9)
    assert spectral_shape(S[::-1], FREQS)[ROW["slope"], 0] > 0


def test_rolloff_bounds_and_monotonic_in_percent():
    rng = np.random.default_rng(2)
    S = rng.random((FREQS.size, 20))
    prev = np.full(20, -np.inf)
    for rho in [0.1, 0.5, 0.85, 0.95, 0.99]:
        r = spectral_shape(S, FREQS, rolloff_percent=rho)[ROW["rolloff"]]
        assert np.all((r >= FREQS[0]) & (r <= FREQS[-1]))
        assert np.all(r >= prev)
        prev = r
    # rho = 1: the highest bin with non-zero energy
    S2 = np.zeros((FREQS.size, 1))
    S2[10:200] = 1.0
    assert spectral_shape(S2, FREQS, rolloff_percent=1.0)[ROW["rolloff"], 0] == FREQS[199]


def test_flux_identical_disjoint_and_first_frame():
    a = np.zeros(FREQS.size)
    a[5:10] = 1.0
    b = np.zeros(FREQS.size)
    b[100:110] = 1.0
    S = np.stack([a, a, b, b * 3.0, a + b], axis=1)
    flux = spectral_shape(S, FREQS)[ROW["flux"]]
    assert flux[0] == 0.0
    assert_allclose(flux[1], 0.0, atol=1e-12)  # identical
    assert_allclose(flux[2], 1.0)  # disjoint supports
    assert_allclose(flux[3], 0.0, atol=1e-12)  # same shape, other gain
    want = 1 - (b @ (a + b)) / (np.linalg.norm(b) * np.linalg.norm(a + b))
    assert_allclose(flux[4], want)


def test_silent_frames_are_zero_and_finite():
    rng = np.random.default_rng(3)
    S = rng.random((FREQS.size, 6))
    S[:, [0, 2, 3]] = 0.0
    for log_frequency in (False, True):
        F = spectral_shape(S, FREQS, log_frequency=log_frequency)
        assert np.all(np.isfinite(F))
        assert_array_equal(F[:, [0, 2, 3]], 0.0)
        assert np.all(F[ROW["crest"], [1, 4, 5]] >= 1.0)  # crest == 0 marks silence
        assert F[ROW["flux"], 1] == 1.0  # sound after silence
        assert F[ROW["flux"], 4] == 1.0
        assert F[ROW["flux"], 5] < 1.0


def test_dirac_and_tiny_spectra_are_finite():
    S = np.zeros((FREQS.size, 3))
    S[50, 0] = 1.0  # Dirac
    S[50, 1] = 1.0
    S[51, 1] = 1e-300  # nearly a Dirac, denormal neighbour
    S[:, 2] = 1e-310  # denormal but not silent
    F = spectral_shape(S, FREQS)
    assert np.all(np.isfinite(F))
    assert_allclose(F[ROW["centroid"], 0], FREQS[50])
    assert F[ROW["spread"], 0] == 0 and F[ROW["skewness"], 0] == 0
    assert F[ROW["kurtosis"], 0] == 0
    flat = spectral_shape(np.ones((FREQS.size, 1)), FREQS)[:, 0]
    assert_allclose(F[:9, 2], flat[:9], rtol=1e-9, atol=1e-15)


def test_gain_invariance_and_float32():
    rng = np.random.default_rng(4)
    S = rng.random((FREQS.size, 8))
    F = spectral_shape(S, FREQS)
    assert_allclose(spectral_shape(S * 1e-9, FREQS), F, rtol=1e-9, atol=1e-15)
    assert_allclose(spectral_shape(S * 1e9, FREQS), F, rtol=1e-9, atol=1e-15)
    F32 = spectral_shape(S.astype(np.float32), FREQS)
    assert F32.dtype == np.float64
    assert_allclose(F32, F, rtol=1e-5, atol=1e-9)


def test_stack_equals_per_clip_loop():
    rng = np.random.default_rng(5)
    S = rng.random((4, FREQS.size, 7))
    S[1, :, 3] = 0.0  # a silent frame in one clip
    for log_frequency in (False, True):
        F = spectral_shape(S, FREQS, log_frequency=log_frequency)
        assert F.shape == (4, 10, 7)
        for i in range(4):
            assert_allclose(F[i], spectral_shape(S[i], FREQS, log_frequency=log_frequency))
    F4 = spectral_shape(S.reshape(2, 2, FREQS.size, 7), FREQS)
    assert_allclose(F4.reshape(4, 10, 7), spectral_shape(S, FREQS))


def test_degenerate_shapes():
    assert spectral_shape(np.ones((FREQS.size, 0)), FREQS).shape == (10, 0)
    assert spectral_shape(np.ones((3, FREQS.size, 0)), FREQS).shape == (3, 10, 0)
    F = spectral_shape(np.ones((1, 4)), np.array([440.0]))
    assert np.all(np.isfinite(F))
    assert_allclose(F[ROW["centroid"]], 440.0)
    assert_allclose(F[ROW["crest"]], 1.0)
    # equal frequencies: slope undefined -> 0
    F = spectral_shape(np.ones((3, 2)), np.array([100.0, 100.0, 100.0]))
    assert np.all(np.isfinite(F)) and np.all(F[ROW["slope"]] == 0)


@pytest.mark.parametrize(
    "S, freqs, kwargs",
    [
        (np.ones(FREQS.size), FREQS, {}),  # 1-D
        (np.ones((FREQS.size, 2)) + 0j, FREQS, {}),  # complex
        (-np.ones((FREQS.size, 2)), FREQS, {}),  # negative
        (np.full((FREQS.size, 2), np.nan), FREQS, {}),  # NaN
        (np.ones((FREQS.size, 2)), FREQS[:-1], {}),  # wrong length
        (np.ones((FREQS.size, 2)), FREQS[::-1], {}),  # unsorted
        (np.ones((FREQS.size, 2)), FREQS - 1.0, {}),  # negative frequency
        (np.ones((FREQS.size, 2)), FREQS, {"rolloff_percent": 0.0}),
        (np.ones((FREQS.size, 2)), FREQS, {"rolloff_percent": 1.5}),
        (np.ones((3, 2)), np.zeros(3), {"log_frequency": True}),
    ],
)
def test_invalid_input_raises(S, freqs, kwargs):
    with pytest.raises(ValueError):
        spectral_shape(S, freqs, **kwargs)
