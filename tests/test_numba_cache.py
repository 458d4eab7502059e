"""A fresh machine's ``python -m pytest -n 2``: no worker compiles librosa's numba kernels.

Two processes compiling the same numba gufunc on a cold cache can leave a cache
that crashes every later process (numba issue #10128); ``tests/conftest.py``
compiles them once in the controller, before pytest-xdist starts its workers.
"""

import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_PROBE = "SKTIMBRE_NUMBA_CACHE_PROBE"


def _cached_kernels(folder):
    return {name for _, _, files in os.walk(folder) for name in files if name.endswith(".nbi")}


@pytest.mark.skipif(_PROBE not in os.environ, reason="run by the test below, in a worker")
def test_probe_cache_is_filled_before_the_worker_imports_librosa():
    assert "librosa" not in sys.modules  # whatever is cached, this worker did not write it
    kernels = _cached_kernels(os.environ["NUMBA_CACHE_DIR"])
    # every gufunc (guf-*) cached together with the kernel it calls
    wrappers = {k for k in kernels if k.startswith("guf-")}
    assert wrappers, f"no librosa gufunc in numba's cache when a worker starts: {kernels}"
    assert {w.removeprefix("guf-") for w in wrappers} <= kernels


def test_xdist_workers_start_on_a_filled_numba_cache(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}  # not a worker
    env.update({"NUMBA_CACHE_DIR": str(tmp_path / "numba"), _PROBE: "1"})  # a cold cache
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-n", "2", "-p", "no:cacheprovider", "-q",
         f"{os.path.abspath(__file__)}::test_probe_cache_is_filled_before_the_worker_imports_librosa"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=900,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "1 passed" in result.stdout
