"""The fast paths of the f0 track and the harmonic energies give the straightforward results."""

import numpy as np
import pytest
from scipy.ndimage import maximum_filter1d

from sktimbre._dsp.harmonic import _cumulative_power, _frame_energies
from sktimbre._dsp.pitch import _salience, _track_plan


def _harmonic_stack(rng, n_clips, n_bins, n_frames):
    """Magnitudes of harmonic tones over noise, f0 varying by clip and by frame."""
    bins = np.arange(n_bins)[:, None]
    S = rng.random((n_clips, n_bins, n_frames)) * 1e-3
    for c in range(n_clips):
        f0 = rng.uniform(3, 80) * (1 + 0.02 * np.sin(np.arange(n_frames) / 3))  # in bins
        for k in range(1, 20):
            S[c] += np.exp(-0.5 * ((bins - k * f0) / 0.8) ** 2) / k
    return S


@pytest.mark.parametrize("n_bins, df, band_limit", [(1025, 22050 / 2048, 8000.0),
                                                    (2049, 44100 / 4096, 11000.0),
                                                    (513, 16000 / 1024, 8000.0)])
def test_salience_of_magnitudes_pools_then_compresses_exactly(n_bins, df, band_limit):
    S = _harmonic_stack(np.random.default_rng(0), 3, n_bins, 20).astype(np.float32)
    plan = _track_plan(n_bins, df, 27.5, 2200.0, band_limit)
    # the straightforward computation: compress every bin, then pool every cell
    X = np.concatenate([np.sqrt(s[: plan.n_read] / np.maximum(s[: plan.n_read].max(axis=0),
                                                              1e-20)) for s in S], axis=1)
    pooled = np.maximum.reduceat(X, plan.starts, axis=0)
    pooled[plan.empty] = X[plan.below] * (1 - plan.frac) + X[plan.below + 1] * plan.frac
    want = (plan.comb @ maximum_filter1d(pooled, 3, axis=0, mode="nearest")) / plan.norm
    np.testing.assert_array_equal(_salience(S, plan), want)


@pytest.mark.parametrize("n_read", [1, 15, 16, 17, 744])
def test_cumulative_power_is_the_cumulative_sum(n_read):
    S = np.random.default_rng(n_read).random((2, n_read, 7)).astype(np.float32)
    within, before = _cumulative_power(S)
    B = within.shape[0] - 1
    want = np.concatenate([np.zeros((1, 2, 7)), np.cumsum(np.square(S, dtype=np.float64),
                                                           axis=1).transpose(1, 0, 2)])
    want = want.reshape(n_read + 1, 14)
    for i in range(n_read + 1):
        block = min(i // B, within.shape[1] - 1)
        np.testing.assert_allclose(within[i - block * B, block] + before[block], want[i],
                                   rtol=1e-13, atol=0)


def _reference_frame_energies(S, f0, df, n_harmonics, n_bands, search):
    """Frame by frame, bin by bin, as the definitions read."""
    n_read, n = S.shape
    P = S.astype(np.float64) ** 2
    energy, in_band = np.zeros((n_harmonics, n)), np.zeros((n_harmonics, n), bool)
    total, bands = np.zeros(n), np.zeros((n_bands, n))
    cumulative = np.concatenate([[np.zeros(n)], np.cumsum(P, axis=0)])
    for t in range(n):
        half = max(1, int(np.rint(search * f0[t] / df)))
        for k in range(1, n_harmonics + 1):
            centre = k * f0[t] / df
            in_band[k - 1, t] = centre < n_read - 2
            lo, hi = int(np.rint(centre)) - half, int(np.rint(centre)) + half
            window = np.clip(np.arange(lo, hi + 1), 1, n_read - 2)
            peak = window[np.argmax(P[window, t])]
            if in_band[k - 1, t]:
                energy[k - 1, t] = P[peak - 1:peak + 2, t].sum()

        def below(hz, t=t):
            position = min(max(hz / df + 0.5, 0.0), n_read)
            i = min(int(position), n_read - 1)
            return np.interp(position, [i, i + 1], cumulative[i:i + 2, t])

        edges = f0[t] * 2.0 ** ((np.arange(n_bands + 1) - 0.5) / 3)
        for b in range(n_bands):
            if edges[b] < (n_read - 1) * df:
                bands[b, t] = max(below(edges[b + 1]) - below(edges[b]), 0.0)
        total[t] = max(below((n_harmonics + 0.5) * f0[t]) - below(0.5 * f0[t]), 0.0)
    return energy, in_band, total, bands


def test_frame_energies_of_a_stack_are_the_reference_ones():
    rng = np.random.default_rng(1)
    S = _harmonic_stack(rng, 3, 744, 30).astype(np.float32)
    df = 22050 / 2048
    f0 = rng.uniform(40.0, 1800.0, (3, 30))
    f0[rng.random((3, 30)) < 0.2] = np.nan  # unvoiced
    got = _frame_energies(S, f0, df, 12, 18, 0.1)
    for c in range(3):
        voiced = np.isfinite(f0[c])
        want = _reference_frame_energies(S[c][:, voiced], f0[c, voiced], df, 12, 18, 0.1)
        for g, w in zip(got, want, strict=True):
            np.testing.assert_allclose(g[c][..., voiced], w, rtol=1e-9, atol=1e-12)
            assert not np.any(g[c][..., ~voiced])


def test_a_column_is_described_alike_alone_and_among_others():
    # numpy sums one column pairwise and several row by row: a note's descriptors
    # must not depend on how many notes are described in the same call
    from sktimbre._dsp.harmonic import harmonic_descriptors_from_energies

    rng = np.random.default_rng(7)
    energy = rng.gamma(0.5, 1.0, size=(12, 5)) ** 2
    in_band = np.ones((12, 5), bool)
    in_band[9:, 3] = False
    total = energy.sum(axis=0) * 1.3
    bands = rng.gamma(0.5, 1.0, size=(18, 5))
    together = harmonic_descriptors_from_energies(energy, in_band, total, bands)
    for j in range(5):
        alone = harmonic_descriptors_from_energies(energy[:, j:j + 1], in_band[:, j:j + 1],
                                                   total[j:j + 1], bands[:, j:j + 1])
        np.testing.assert_array_equal(alone[:, 0], together[:, j])
