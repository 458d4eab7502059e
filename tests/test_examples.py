"""Every example script runs to completion."""

import os
import subprocess
import sys

import pytest

EXAMPLES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "examples")


@pytest.mark.parametrize("script", ["unseen_pitch_retrieval.py", "grid_search_features.py"])
def test_example_runs(script):
    result = subprocess.run([sys.executable, os.path.join(EXAMPLES, script)],
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip()


def test_demo_audio_generator(tmp_path):
    result = subprocess.run([sys.executable, os.path.join(EXAMPLES, "make_demo_audio.py"),
                             str(tmp_path), "--instruments", "2"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    assert len(list(tmp_path.glob("*.flac"))) == 6
