"""Shared fixtures: synthetic audio only, never the data sets.

Also fills numba's on-disk cache for librosa once, in the process that starts the
others, before any test runs (see :func:`pytest_configure`).
"""

import importlib
import pkgutil
import time

import numpy as np
import pytest

SR = 22050
_NUMBA_WARMUP = pytest.StashKey[tuple]()  # (modules imported, seconds) of the numba warm-up


def _compile_librosa_numba() -> int:
    """Import every librosa module, so its numba gufuncs are compiled and cached now.

    librosa declares its ``guvectorize``/``vectorize`` kernels with explicit
    signatures and ``cache=True``: numba compiles them when their module is
    imported and writes two cache entries per kernel: the kernel, and the gufunc
    wrapper that calls it by its symbol name -- a name that carries a counter of
    what the process compiled before, so it differs from process to process. Two
    processes compiling the same kernel at once on a cold cache (pytest-xdist
    workers, or the joblib workers of an ``n_jobs=2`` test) can leave the kernel
    from one and the wrapper from the other: the wrapper then calls a null
    pointer, and every later process that loads the pair dies with a segmentation
    fault (numba issue #10128; seen as ``estimate_tuning -> piptrack ->
    _parabolic_interpolation`` in ``Chroma``). Compiled here by one process, the
    cache is complete before any other starts, and the others only read it.
    """
    import librosa

    n = 0
    for module in pkgutil.walk_packages(librosa.__path__, "librosa."):
        if module.name.startswith("librosa.display"):  # matplotlib, and no numba
            continue
        try:
            importlib.import_module(module.name)
        except ImportError:  # an optional dependency of librosa that is not installed
            continue
        n += 1
    return n


def pytest_configure(config):
    """Fill numba's cache before pytest-xdist starts its workers (and before any test)."""
    if hasattr(config, "workerinput"):  # an xdist worker: the controller has done it
        return
    start = time.perf_counter()
    n_modules = _compile_librosa_numba()
    config.stash[_NUMBA_WARMUP] = (n_modules, time.perf_counter() - start)


def pytest_report_header(config):
    if _NUMBA_WARMUP in config.stash:
        n_modules, seconds = config.stash[_NUMBA_WARMUP]
        return (f"numba: librosa's compiled kernels cached before the tests "
                f"({n_modules} modules imported in {seconds:.1f} s)")
    return None


def harmonic_tone(f0, *, duration=0.5, sr=SR, n_harmonics=10, decay=3.0, seed=0):
    """A decaying harmonic tone with 1/k partial amplitudes, float32."""
    t = np.arange(int(duration * sr)) / sr
    rng = np.random.default_rng(seed)
    y = sum(np.sin(2 * np.pi * k * f0 * t + rng.uniform(0, 2 * np.pi)) / k
            for k in range(1, n_harmonics + 1) if k * f0 < sr / 2)
    return (0.3 * np.exp(-decay * t) * y).astype(np.float32)


@pytest.fixture
def tones():
    """Four tones of different lengths and pitches."""
    return [harmonic_tone(f, duration=d) for f, d in
            [(220.0, 0.5), (330.0, 0.5), (440.0, 0.7), (110.0, 0.3)]]


@pytest.fixture
def wav_files(tmp_path, tones):
    """The four tones written as files: WAV mono, WAV stereo, FLAC, and WAV at 44.1 kHz."""
    import soundfile as sf

    paths = []
    for i, y in enumerate(tones):
        path = tmp_path / f"tone{i}.{'flac' if i == 2 else 'wav'}"
        if i == 1:
            sf.write(path, np.stack([y, y], axis=1), SR)
        elif i == 3:
            import librosa

            sf.write(path, librosa.resample(y, orig_sr=SR, target_sr=44100), 44100)
        else:
            sf.write(path, y, SR)
        paths.append(str(path))
    return paths


@pytest.fixture(scope="module")
def one_openmp_thread():
    """t-SNE and KMeans on one thread: under pytest -n 2 on two cores, more OpenMP
    threads than cores spin against each other (5x slower here). Modules that fit
    maps use it with ``pytestmark = pytest.mark.usefixtures("one_openmp_thread")``."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1, user_api="openmp"):
        yield

