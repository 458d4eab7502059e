import librosa
import numpy as np
import pytest
from sklearn.base import clone

from sktimbre import MFCC, AudioFrontEnd, Chroma, MelBands, SpectralContrast, seed_feature_union

from .conftest import SR, harmonic_tone

FAMILIES = [
    MFCC(deltas=2, pooling=["mean", "std"]),
    MelBands(n_mels=32, pooling=["median", "iqr", "min", "max"]),
    SpectralContrast(pooling=["mean", "skew"]),
    Chroma(variant="cens"),
    Chroma(variant="stft", pooling=["mean", "kurtosis"]),
]


def snippet_vector(y, sr=SR):
    """The 58-dim vector users start from, computed with librosa directly."""
    ce = librosa.feature.chroma_cens(y=y, sr=sr).mean(axis=1)
    spc = librosa.feature.spectral_contrast(y=y, sr=sr).mean(axis=1)
    m = librosa.feature.mfcc(y=y, sr=sr, n_mfcc=13)
    return np.concatenate([ce, spc, m.mean(1), librosa.feature.delta(m).mean(1),
                           librosa.feature.delta(m, order=2).mean(1)])


def test_seed_union_reproduces_the_snippet_vector():
    # different lengths and levels, so per-clip dB floors and stacking both matter
    clips = [harmonic_tone(f, duration=d, seed=i) * g for i, (f, d, g) in
             enumerate([(110, 1.0, 1.0), (262, 1.0, 0.01), (523, 1.5, 0.3), (87, 0.8, 1.0)])]
    expected = np.array([snippet_vector(y) for y in clips])
    union = seed_feature_union()
    got = union.fit_transform(AudioFrontEnd().fit_transform(clips))
    assert got.shape == (4, 58)
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-4)
    names = union.get_feature_names_out()
    assert names[0] == "chroma__chroma_cens_00_mean"
    assert names[12] == "contrast__contrast_00_mean"
    assert names[19] == "mfcc__mfcc_00_mean" and names[-1] == "mfcc__mfcc_delta2_12_mean"


@pytest.mark.parametrize("family", FAMILIES, ids=lambda f: repr(f))
def test_family_rows_do_not_depend_on_batch_company(family, tones):
    """A clip's row is the same alone, in a ragged batch, and in an equal-length stack."""
    together = family.fit_transform(tones)
    assert together.shape == (len(tones), len(family.get_feature_names_out()))
    assert np.isfinite(together).all()
    for i, y in enumerate(tones):
        np.testing.assert_allclose(family.transform([y]), together[[i]], rtol=1e-6, atol=1e-8)
    stack = np.stack([t[:3000] for t in tones])
    np.testing.assert_allclose(family.transform(stack)[1], family.transform([stack[1]])[0],
                               rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("family", FAMILIES, ids=lambda f: repr(f))
def test_family_pandas_output_has_readable_columns(family, tones):
    pd = pytest.importorskip("pandas")
    df = clone(family).set_output(transform="pandas").fit_transform(tones)
    assert isinstance(df, pd.DataFrame)
    assert list(df.columns) == list(family.get_feature_names_out())
    assert df.columns[0].endswith(("_mean", "_median"))


def test_union_pandas_output_and_mfcc_names(tones):
    pd = pytest.importorskip("pandas")
    from sklearn.pipeline import FeatureUnion

    union = FeatureUnion([("mfcc", MFCC(n_mfcc=4)), ("mel", MelBands(n_mels=3))])
    df = union.set_output(transform="pandas").fit_transform(tones)
    assert isinstance(df, pd.DataFrame)
    assert list(df.columns[:2]) == ["mfcc__mfcc_00_mean", "mfcc__mfcc_01_mean"]
    assert df.shape == (4, 7)


@pytest.mark.parametrize("n_samples", [1, 10, 600, 3000])
def test_very_short_clips_give_finite_rows(n_samples):
    y = harmonic_tone(440.0, duration=1.0)[:n_samples]
    for family in FAMILIES:
        assert np.isfinite(family.fit_transform([y])).all(), family


def test_mfcc_matches_librosa_with_non_default_settings(tones):
    mfcc = MFCC(n_mfcc=20, n_mels=40, fmin=50.0, fmax=8000.0, n_fft=1024, hop_length=256,
                pooling=["std"])
    y = tones[2]
    m = librosa.feature.mfcc(y=y, sr=SR, n_mfcc=20, n_mels=40, fmin=50.0, fmax=8000.0,
                             n_fft=1024, hop_length=256)
    np.testing.assert_allclose(mfcc.fit_transform([y])[0], m.std(axis=1), rtol=1e-4, atol=1e-4)


def test_mel_bands_match_librosa(tones):
    y = tones[0]
    S = librosa.power_to_db(librosa.feature.melspectrogram(y=y, sr=SR, n_mels=16))
    np.testing.assert_allclose(MelBands(n_mels=16, pooling="max").fit_transform([y])[0],
                               S.max(axis=1), rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize(
    "family, match",
    [
        (MFCC(n_mfcc=40, n_mels=20), "cannot exceed n_mels"),
        (MFCC(delta_width=4), "odd"),
        (MFCC(pooling=["mean", "avg"]), "avg"),
        (SpectralContrast(fmin=2000.0), "Nyquist"),
    ],
)
def test_inconsistent_settings_raise_clear_errors(family, match, tones):
    with pytest.raises(ValueError, match=match):
        family.fit_transform(tones)


@pytest.mark.parametrize("family", [MFCC(window="nope"), SpectralContrast(window=("kaiser",))],
                         ids=["unknown", "missing-beta"])
def test_unknown_window_is_reported_at_fit(family, tones):
    with pytest.raises(ValueError, match="window="):
        family.fit(tones)


def test_a_family_saved_before_a_parameter_existed_gets_its_default():
    """sktimbre 0.1 files hold SpectralContrast without band_limit and onset_window."""
    state = SpectralContrast().__getstate__()
    del state["band_limit"], state["onset_window"]
    old = SpectralContrast.__new__(SpectralContrast)
    old.__setstate__(state)
    assert old.get_params()["band_limit"] is None and old.get_params()["onset_window"] is None
