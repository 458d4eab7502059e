"""Same clips, same embeddings: across n_jobs, input forms, dtypes and repeated runs.

Stated tolerances: n_jobs, list vs 2-D array, repeated runs and float32 vs
float64 agree bit for bit -- every clip is converted to float32 samples before any
analysis (float64 input is rounded to float32: 6e-8 relative), and each clip is
analysed on its own. Only which *other* clips share a call may move the last bits
(BLAS kernels of the projection depend on the batch shape): 1e-10 relative.
"""

import numpy as np
import pytest

from sktimbre import make_timbre_embedder
from sktimbre.datasets import make_notes


@pytest.fixture(scope="module")
def fitted():
    X, y = make_notes(n_instruments=3, pitches=range(48, 72, 6), random_state=0)
    return make_timbre_embedder().fit(X, y), X, y


def test_n_jobs_does_not_change_embeddings(fitted):
    embedder, X, _ = fitted
    serial = embedder.transform(X)
    embedder.set_params(frontend__n_jobs=2)
    try:
        parallel = embedder.transform(X)
    finally:
        embedder.set_params(frontend__n_jobs=None)
    np.testing.assert_array_equal(parallel, serial)


def test_list_of_arrays_equals_2d_array(fitted):
    embedder, X, _ = fitted
    assert isinstance(X, np.ndarray) and X.ndim == 2
    np.testing.assert_array_equal(embedder.transform(list(X)), embedder.transform(X))


def test_mixed_lengths_do_not_change_a_clips_embedding(fitted):
    embedder, X, _ = fitted
    mixed = [X[0], X[1][:15000], X[2], X[3][:9000]]
    together = embedder.transform(mixed)
    alone = np.vstack([embedder.transform([clip]) for clip in mixed])
    np.testing.assert_allclose(together, alone, rtol=1e-10, atol=1e-10)
    features = embedder[:2].transform(mixed)  # before the projection: exact
    np.testing.assert_array_equal(features[1], embedder[:2].transform([mixed[1]])[0])


def test_repeated_runs_and_refits_agree(fitted):
    embedder, X, y = fitted
    np.testing.assert_array_equal(embedder.transform(X), embedder.transform(X))
    again = make_timbre_embedder().fit(X, y)
    np.testing.assert_array_equal(again.transform(X), embedder.transform(X))


def test_float32_and_float64_inputs_agree(fitted):
    embedder, X, _ = fitted
    X64 = X.astype(np.float64) * (1 + 1e-9)  # not float32 values: rounded back at load
    E32 = embedder.transform(X)
    np.testing.assert_array_equal(embedder.transform(X64), E32)
    np.testing.assert_array_equal(embedder.transform([x.astype(np.float64) for x in X]), E32)
