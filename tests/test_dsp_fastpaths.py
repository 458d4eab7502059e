"""The fast paths of the DSP code give what the straightforward computations give."""

import librosa
import numpy as np
import pytest

from sktimbre._dsp.mfcc import delta
from sktimbre._dsp.shape import _rolloff_bins, _sum_of_logs
from sktimbre._dsp.silence import _frame_power
from sktimbre._dsp.stft import stft_magnitude


@pytest.mark.parametrize("n_frames", [1, 2, 3, 4, 9, 10, 87, 5000])
@pytest.mark.parametrize("order", [1, 2])
def test_banded_delta_matches_librosa(n_frames, order):
    F = np.random.default_rng(n_frames).normal(size=(2, 13, n_frames)) * 30.0
    width = min(9, n_frames if n_frames % 2 else n_frames - 1)
    if width < 3:  # librosa refuses; sktimbre defines the derivative of 1-2 frames as 0
        np.testing.assert_array_equal(delta(F, order=order), 0.0)
        return
    want = librosa.feature.delta(F, width=width, order=order, axis=-1, mode="interp")
    np.testing.assert_allclose(delta(F, order=order), want, rtol=1e-10, atol=1e-10)


def test_delta_memory_is_linear_in_the_number_of_frames():
    # 0.1 built a dense n_frames x n_frames operator: 26 GB for a 10-minute clip
    import tracemalloc

    F = np.ones((1, 26_000))  # 10 minutes of frames at hop 512, 22,050 Hz
    tracemalloc.start()
    delta(F, order=2)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 50 * F.nbytes


@pytest.mark.parametrize("n_bins", [1, 3, 7, 513, 1025])
@pytest.mark.parametrize("rho", [0.05, 0.5, 0.85, 0.95, 0.999])
def test_blockwise_rolloff_matches_cumsum(n_bins, rho):
    magnitude = np.random.default_rng(n_bins).gamma(0.3, 1.0, size=(3, n_bins, 40)) ** 2
    magnitude[0, :, 3] = 0.0  # silent frame
    magnitude[1, n_bins // 2 :, 5] = 0.0  # band-limited frame
    energy = np.square(magnitude)
    cumulative = np.cumsum(energy, axis=-2)
    want = np.minimum((cumulative < rho * cumulative[..., -1:, :]).sum(axis=-2), n_bins - 1)
    got, total = _rolloff_bins(magnitude, rho)
    np.testing.assert_array_equal(got, want)
    np.testing.assert_allclose(total, energy.sum(axis=-2), rtol=1e-12)


def test_rolloff_of_one_is_the_last_bin_with_energy():
    magnitude = np.zeros((1025, 3))
    magnitude[10:200, 0] = np.random.default_rng(0).random(190) ** 4  # tiny values at the end
    magnitude[:, 1] = 1.0
    got, _ = _rolloff_bins(magnitude, 1.0)
    assert got.tolist() == [199, 1024, 0]


def test_sum_of_logs_by_block_products():
    x = np.random.default_rng(1).uniform(1e-5, 1.0, size=(2, 1025, 9))
    x[0, :, 0] = 1e-5  # every bin at the floor: products near 1e-160
    np.testing.assert_allclose(_sum_of_logs(x), np.log(x).sum(axis=-2), rtol=1e-12)


@pytest.mark.parametrize("n_fft, hop", [(2048, 512), (8192, 2048)])
def test_stft_magnitude_matches_librosa(n_fft, hop):
    # 2048 points: float64 transform; 8192: float32 (errors ~1e-7 of the largest bin)
    y = np.random.default_rng(n_fft).normal(size=(2, 30000)).astype(np.float32)
    S = stft_magnitude(y, n_fft, hop)
    want = np.abs(librosa.stft(y, n_fft=n_fft, hop_length=hop))
    atol = 1e-6 if n_fft < 4096 else 2e-6 * want.max()
    np.testing.assert_allclose(S, want, rtol=1e-5, atol=atol)


@pytest.mark.parametrize("n", [1, 3, 7, 100, 255, 256, 257, 1000, 44100, 44137])
@pytest.mark.parametrize("frame_length", [256, 100])
def test_frame_power_from_blocks_matches_cumsum(n, frame_length):
    decay = np.exp(-np.arange(n) / 5000.0)
    y = (np.random.default_rng(n).normal(size=n) * decay).astype(np.float32)
    frame = min(frame_length, n)
    hop = max(1, frame // 4)
    starts = np.unique(np.append(np.arange(0, n - frame + 1, hop), n - frame))
    energy = np.concatenate([[0.0], np.cumsum(np.square(y, dtype=np.float64))])
    want = (energy[starts + frame] - energy[starts]) / frame
    np.testing.assert_allclose(_frame_power(y, starts, frame, hop), want, rtol=1e-6, atol=1e-12)


def test_float32_stft_is_within_its_rounding_noise_of_the_float64_one():
    y = np.random.default_rng(3).normal(size=(3, 30000)).astype(np.float32)
    exact = stft_magnitude(y, 2048, 512)  # float64 FFT below 4096 samples (librosa's)
    fast = stft_magnitude(y, 2048, 512, precision="float32")
    assert fast.dtype == np.float32 and not np.array_equal(fast, exact)
    peak = exact.max(axis=1, keepdims=True)
    assert np.abs(fast - exact).max() < 1e-5 * peak.max()
    assert np.all(np.abs(fast - exact) <= 1e-5 * peak)  # frame by frame
    np.testing.assert_array_equal(stft_magnitude(y, 2048, 512, precision="float64"), exact)
    with pytest.raises(ValueError, match="precision must be"):
        stft_magnitude(y, 2048, 512, precision="float16")


def test_stft_analysis_precision_is_part_of_its_identity():
    from sktimbre.frontend import STFT

    assert STFT(2048, 512) != STFT(2048, 512, precision="float32")
    assert repr(STFT(2048, 512)) == "STFT(n_fft=2048, hop_length=512, window='hann')"
    assert "precision='float32'" in repr(STFT(2048, 512, "hann", "float32"))
    with pytest.raises(ValueError, match="precision must be"):
        STFT(2048, 512, precision="half")


def test_floored_families_share_one_float32_stft_and_unfloored_ones_keep_float64():
    from sktimbre import MFCC, FrameHarmonics, NoteEnvelope, SpectralContrast
    from sktimbre.embedder import default_feature_union
    from sktimbre.frontend import STFT

    def stfts(family):
        found, todo = set(), list(family.required_analyses().values())
        while todo:
            analysis = todo.pop()
            if isinstance(analysis, STFT):
                found.add(analysis)
            todo.extend(analysis.requires())
        return found

    default = set().union(*(stfts(f) for _, f in default_feature_union().transformer_list))
    assert default == {STFT(2048, 512, "hann", "float32")}  # one STFT for all nine
    assert stfts(SpectralContrast()) == {STFT(2048, 512)}  # librosa's float64
    assert stfts(MFCC(floor_db=50.0)) == {STFT(2048, 512, "hann", "float32")}
    assert stfts(FrameHarmonics()) == stfts(NoteEnvelope()) == {STFT(2048, 512, "hann",
                                                                     "float32")}


def test_stacked_harmonic_energies_are_those_of_each_frame_alone():
    from sktimbre._dsp.harmonic import _frame_energies, stacked_harmonic_energies

    rng = np.random.default_rng(5)
    S = rng.random((3, 1025, 40)).astype(np.float32)
    f0 = rng.uniform(60, 1500, (3, 40))
    f0[rng.random((3, 40)) < 0.3] = np.nan  # unvoiced frames
    energy, in_band, total, bands = stacked_harmonic_energies(S, sr=22050, n_fft=2048, f0=f0)
    df, n_read = 22050 / 2048, int(np.floor(8000 / (22050 / 2048)) + 1)
    for c in range(3):
        for t in range(40):
            if not np.isfinite(f0[c, t]):
                assert energy[c, :, t].sum() == total[c, t] == bands[c, :, t].sum() == 0
                continue
            # one frame alone: its own search window, no other frame in the block
            e, b, tot, band = _frame_energies(S[c][:n_read, [t]], f0[c, [t]], df, 12, 18, 0.1)
            np.testing.assert_array_equal(energy[c, :, t], e[:, 0])
            np.testing.assert_array_equal(in_band[c, :, t], b[:, 0])
            assert total[c, t] == tot[0]
            np.testing.assert_array_equal(bands[c, :, t], band[:, 0])


def _spectra(n_clips=3, n_bins=744, n_frames=30, seed=0):
    """Magnitude spectra with a silent frame and a frame whose peak lies in bin 0."""
    S = np.random.default_rng(seed).gamma(0.3, 1.0, size=(n_clips, n_bins, n_frames)) ** 3
    S = S.astype(np.float32)
    S[0, :, 4] = 0.0
    S[1, 0, 7] = 50.0 * S[1, :, 7].max()  # a DC peak: the floor is above the rest
    return S


def test_shape_floor_is_floor_relative_without_the_copy():
    from sktimbre._dsp.shape import spectral_shape
    from sktimbre._dsp.silence import floor_relative

    S = _spectra()
    freqs = np.fft.rfftfreq(2048, 1 / 22050)[:744]
    for floor_db in (20.0, 50.0, 120.0):  # 120: below the flatness floor
        want = spectral_shape(floor_relative(S, floor_db)[:, 2:], freqs[2:], log_frequency=True)
        floor = S.max(axis=-2) * 10.0 ** (-floor_db / 20.0)  # the whole band's peak
        got = spectral_shape(S[:, 2:], freqs[2:], log_frequency=True, floor=floor)
        np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12)


def test_contrast_floor_is_floor_relative_without_the_copy():
    from sktimbre._dsp.contrast import spectral_contrast
    from sktimbre._dsp.silence import floor_relative

    S = _spectra()
    for floor_db in (20.0, 50.0):
        want = spectral_contrast(floor_relative(S, floor_db), sr=22050, n_fft=2048)
        got = spectral_contrast(S, sr=22050, n_fft=2048,
                                floor=S.max(axis=-2) * 10.0 ** (-floor_db / 20.0))
        np.testing.assert_array_equal(got, want)


def test_contrast_of_one_bin_quantiles_is_the_band_extremes():
    # bands whose quantile is a single bin take min and max, not a sort
    from sktimbre._dsp.contrast import spectral_contrast

    S = _spectra(n_bins=1025)
    got = spectral_contrast(S, sr=22050, n_fft=2048, quantile=0.001, linear=True)
    want = librosa.feature.spectral_contrast(S=S[2], sr=22050, quantile=0.001, linear=True)
    np.testing.assert_allclose(got[2, :, :], want[:, :], rtol=1e-5)


def test_mel_power_of_the_band_below_fmax_is_that_of_the_whole_stft():
    from sktimbre._dsp.mel import mel_power

    S = np.abs(np.random.default_rng(0).normal(size=(2, 1025, 6))).astype(np.float32)
    whole = S.copy()
    whole[:, 744:] = 0.0
    want = mel_power(whole, 22050, 2048, 64, 0.0, 8000.0)
    np.testing.assert_array_equal(mel_power(S[:, :744], 22050, 2048, 64, 0.0, 8000.0), want)
    with pytest.raises(ValueError, match="read bins above"):
        mel_power(S[:, :700], 22050, 2048, 64, 0.0, 8000.0)


def test_median_of_three_selects_as_a_sort_does():
    from sktimbre._dsp.onsets import _median3

    rng = np.random.default_rng(3)
    x = rng.normal(size=(5, 60))
    x[rng.random(x.shape) < 0.4] = np.nan
    x[:, ::7] = 1.0  # ties
    w = np.sort(np.lib.stride_tricks.sliding_window_view(x, 3, axis=-1), axis=-1)
    n = np.isfinite(w).sum(axis=-1)
    want = np.where(n == 3, w[..., 1], np.where(n == 2, 0.5 * (w[..., 0] + w[..., 1]), np.nan))
    np.testing.assert_array_equal(_median3(x), want)


def test_onset_flags_of_a_stack_are_those_of_each_clip():
    from sktimbre._dsp.onsets import detect_onsets, onset_flags

    rng = np.random.default_rng(4)
    M = np.full((3, 16, 80), 1e-3)
    for clip, starts in enumerate([(5, 40), (12,), (3, 30, 60)]):
        for start in starts:
            M[clip, :, start:start + 15] += rng.uniform(0.5, 2.0) * np.exp(-np.arange(15) / 5.0)
    f0 = np.full((3, 80), 220.0)
    f0[2, 50:] = 330.0  # a legato change
    f0[1, :10] = np.nan
    flags = onset_flags(M, sr=22050, hop_length=512, f0=f0)
    for clip in range(3):
        np.testing.assert_array_equal(
            np.flatnonzero(flags[clip]),
            detect_onsets(M[clip], sr=22050, hop_length=512, f0=f0[clip]))
        alone = onset_flags(M[clip:clip + 1], sr=22050, hop_length=512, f0=f0[clip:clip + 1])
        np.testing.assert_array_equal(alone[0], flags[clip])
    # what the clip-by-clip detector found before onset_flags vectorised it
    assert [np.flatnonzero(row).tolist() for row in flags] == [[5, 40], [12], [3, 30, 49, 60]]


@pytest.mark.parametrize("n", [1, 100, 128, 129, 44100])
@pytest.mark.parametrize("frame, hop", [(256, 128), (200, 64)])
def test_note_levels_from_hop_blocks_match_a_cumulative_sum(n, frame, hop):
    from sktimbre._dsp.onsets import _FLOOR_DB, _rms_db

    y = (np.random.default_rng(n).normal(size=n) * np.exp(-np.arange(n) / 5000.0))
    y = y.astype(np.float32)
    c = np.concatenate([[0.0], np.cumsum(np.square(y, dtype=np.float64))])
    centres = np.arange(0, n, hop)
    energy = c[np.clip(centres + frame // 2, 0, n)] - c[np.clip(centres - frame // 2, 0, n)]
    level = 10.0 * np.log10(np.maximum(energy / frame, 1e-30))
    want = np.maximum(level - level.max(), _FLOOR_DB)
    np.testing.assert_allclose(_rms_db(y, frame, hop), want, atol=1e-6)
