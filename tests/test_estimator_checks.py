"""scikit-learn's own estimator checks, on 2-D arrays read as equal-length clips."""

import warnings

from sklearn.utils.estimator_checks import parametrize_with_checks

from sktimbre import (
    MFCC,
    AudioFrontEnd,
    Chroma,
    FrameHarmonics,
    HarmonicDescriptors,
    MelBands,
    NoteEnvelope,
    NoteHarmonics,
    PitchEstimate,
    SpectralContrast,
    SpectralShape,
    TemporalEnvelope,
)
from sktimbre.embedder import FamilyUnion

# Why these checks are expected to fail: audio is not a table.
CLIP_LENGTH_IS_NOT_A_FEATURE_COUNT = (
    "n_features_in_ of a 2-D input is the clip length in samples; clips of any length are "
    "valid audio at transform time, so a different length is not an error"
)
FRONT_END_OUTPUT_IS_NOT_A_MATRIX = (
    "AudioFrontEnd returns a ClipBatch (decoded clips with shared analyses) for the "
    "descriptor families, not a feature matrix"
)


FEATURE_UNION_FITS_ITS_MEMBERS = (
    "like sklearn's FeatureUnion, fit fits the members of transformer_list (a parameter): "
    "on a 2-D array they record n_features_in_, the clip length"
)
FEATURE_UNION_IS_USABLE_UNFITTED = (
    "FamilyUnion is a sklearn FeatureUnion: a union of stateless families is usable "
    "unfitted, and it has no fitted attribute of its own to check"
)


def expected_failed_checks(estimator):
    expected = {"check_n_features_in_after_fitting": CLIP_LENGTH_IS_NOT_A_FEATURE_COUNT}
    if isinstance(estimator, FamilyUnion):
        for check in ["check_transformers_unfitted", "check_fit_check_is_fitted"]:
            expected[check] = FEATURE_UNION_IS_USABLE_UNFITTED
        expected["check_estimators_overwrite_params"] = FEATURE_UNION_FITS_ITS_MEMBERS
        expected["check_transformer_general"] = CLIP_LENGTH_IS_NOT_A_FEATURE_COUNT
    if isinstance(estimator, AudioFrontEnd):
        for check in ["check_transformer_data_not_an_array", "check_transformer_general",
                      "check_transformers_unfitted_stateless"]:
            expected[check] = FRONT_END_OUTPUT_IS_NOT_A_MATRIX
    return expected


ESTIMATORS = [
    AudioFrontEnd(),
    MFCC(),
    MFCC(deltas=2, pooling=["mean", "std", "iqr"]),
    MelBands(),
    SpectralContrast(pooling=["median", "max"]),
    Chroma(),
    Chroma(variant="stft"),
    SpectralShape(),
    SpectralShape(log_frequency=False, pooling=["mean", "kurtosis"], active_db=None),
    TemporalEnvelope(),
    HarmonicDescriptors(n_harmonics=6, n_bands=4),
    FrameHarmonics(n_harmonics=6, n_bands=4, pooling=["mean", "std"]),
    NoteHarmonics(n_harmonics=6, n_bands=4),
    NoteEnvelope(),
    SpectralContrast(band_limit=8000.0, onset_window=0.6),
    PitchEstimate(),
    FamilyUnion([("mfcc", MFCC(n_mfcc=4)), ("envelope", TemporalEnvelope())]),
]


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=expected_failed_checks)
def test_sklearn_compatible(estimator, check):
    with warnings.catch_warnings():
        # random-noise "clips" of a few samples are legitimate but make librosa chatty
        warnings.simplefilter("ignore", UserWarning)
        check(estimator)
