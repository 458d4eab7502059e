"""The GMVAE embedder (sktimbre.neural): synthetic notes only, tiny models, CPU."""

import importlib
import io
import pickle
import sys
import warnings

import joblib
import numpy as np
import pytest
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import Pipeline
from sklearn.utils.estimator_checks import parametrize_with_checks

from sktimbre import AudioFrontEnd
from sktimbre.datasets import make_notes
from sktimbre.metrics import retrieval_map_scorer
from sktimbre.neural import GMVAEEmbedder

try:
    import torch
except ImportError:
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason='needs pip install "sktimbre[neural]"')

# A model small enough to train in a few seconds on synthetic notes.
TINY = dict(n_mels=64, n_frames=16, n_hidden=32, random_state=0)


@pytest.fixture(scope="module")
def notes():
    X, y, pitch = make_notes(n_instruments=4, pitches=range(48, 73, 2), velocities=[0.5, 1.0],
                             duration=0.5, random_state=0, return_pitch=True)
    return X, y, pitch


def test_import_and_error_without_torch(monkeypatch, notes):
    X, y, _ = notes
    monkeypatch.setitem(sys.modules, "torch", None)  # makes `import torch` fail
    for name in [m for m in sys.modules if m.startswith("sktimbre.neural")]:
        monkeypatch.delitem(sys.modules, name)
    neural = importlib.import_module("sktimbre.neural")
    embedder = neural.GMVAEEmbedder(max_epochs=1)
    assert embedder.get_params()["max_epochs"] == 1
    with pytest.raises(ImportError, match=r'pip install "sktimbre\[neural\]"'):
        embedder.fit(X[:4], y[:4])


CLIP_LENGTH_IS_NOT_A_FEATURE_COUNT = (
    "n_features_in_ of a 2-D input is the clip length in samples; clips of any length are "
    "valid audio at transform time, so a different length is not an error"
)


@needs_torch
@parametrize_with_checks(
    [GMVAEEmbedder(n_mels=8, n_frames=6, n_hidden=4, latent_dim=2, max_epochs=2,
                   random_state=0)],
    expected_failed_checks=lambda est: dict.fromkeys(
        ["check_n_features_in_after_fitting", "check_transformer_general",
         "check_transformer_data_not_an_array"], CLIP_LENGTH_IS_NOT_A_FEATURE_COUNT),
)
def test_sklearn_compatible(estimator, check):
    with warnings.catch_warnings():
        # random-noise "clips" of a few samples are legitimate but make librosa chatty
        warnings.simplefilter("ignore", UserWarning)
        check(estimator)
