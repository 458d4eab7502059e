"""Property tests: any finite clip, of any length and amplitude, gives finite features.

The only exception an estimator may raise on arbitrary finite samples is
InvalidClipError, and only for samples beyond any audio scale (above 1e10).
"""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sktimbre import (
    MFCC,
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
    make_timbre_embedder,
)
from sktimbre.datasets import make_notes
from sktimbre.io import _MAX_ABS, InvalidClipError
from sktimbre.pretrained import load_pretrained_embedder

SR = 22050
# modest and fast (the whole file runs in well under a minute on one core); no example
# database written into the checkout
SETTINGS = settings(
    max_examples=12,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


@st.composite
def clips(draw):
    """A random finite clip: a waveform kind, a length from 1 sample to ~0.5 s, an amplitude."""
    n = draw(st.one_of(st.integers(1, 64), st.integers(65, 12000)))
    kind = draw(
        st.sampled_from(["noise", "sine", "constant", "impulse", "sparse", "square", "raw"])
    )
    amplitude = 10.0 ** draw(st.floats(-40, 12))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    t = np.arange(n) / SR
    if kind == "noise":
        y = rng.normal(size=n)
    elif kind == "sine":
        y = np.sin(2 * np.pi * draw(st.floats(1.0, SR / 2)) * t + rng.uniform(0, 6.3))
    elif kind == "constant":
        y = np.ones(n)
    elif kind == "impulse":
        y = np.zeros(n)
        y[rng.integers(n)] = 1.0
    elif kind == "sparse":
        y = rng.uniform(-1, 1, n) * (rng.random(n) < 0.01)
    elif kind == "square":
        y = np.sign(np.sin(2 * np.pi * draw(st.floats(20.0, 4000.0)) * t))
    else:  # arbitrary finite float32 values, subnormals included
        values = draw(st.lists(st.floats(-1.0, 1.0, width=32), min_size=1, max_size=64))
        y = np.resize(np.asarray(values), n)
    return (amplitude * y).astype(np.float32)


def _check(estimator, batch, method):
    peak = max(float(np.abs(y).max()) for y in batch)
    try:
        out = getattr(estimator, method)(batch)
    except InvalidClipError as exc:
        assert peak > _MAX_ABS, exc  # the only reason finite samples may be refused
        return
    assert peak <= _MAX_ABS
    assert out.shape[0] == len(batch)
    assert np.isfinite(out).all(), np.argwhere(~np.isfinite(out))[:5]


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
@SETTINGS
@given(batch=st.lists(clips(), min_size=1, max_size=3))
def test_families_give_finite_features(family, batch):
    _check(family, batch, "fit_transform")


@pytest.fixture(scope="module")
def embedders():
    X, y = make_notes(n_instruments=3, pitches=range(48, 72, 6), random_state=0)
    return [make_timbre_embedder().fit(X, y), load_pretrained_embedder()]


@SETTINGS
@given(batch=st.lists(clips(), min_size=1, max_size=3))
def test_embedders_give_finite_embeddings(embedders, batch):
    for embedder in embedders:
        _check(embedder, batch, "transform")
